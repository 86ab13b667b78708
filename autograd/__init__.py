"""chainrule's engine: scalar Values that record their local derivatives, and reverse-mode autodiff.

>>> from autograd import Value
>>> x = Value(3.0, "x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0
"""

from .check import GradcheckError, GradcheckReport, gradcheck, gradgradcheck
from .grad_mode import is_grad_enabled, no_grad
from .graph import topological_order
from .higher import NewtonStep, hessian, hessian_vector_product, newton_step
from .steps import Step, backward_steps
from .sweep import backward, grad, zero_grad
from .value import HookHandle, Value, apply, dot, logsumexp, softmax
from .value import sum as sum  # autograd.sum, used qualified: not in __all__, where it would replace the builtin

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "HookHandle",
    "NewtonStep",
    "Step",
    "Value",
    "apply",
    "backward",
    "backward_steps",
    "dot",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hessian_vector_product",
    "is_grad_enabled",
    "logsumexp",
    "newton_step",
    "no_grad",
    "softmax",
    "topological_order",
    "zero_grad",
]
