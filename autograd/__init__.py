"""chainrule's engine: scalar Values that record their local derivatives, and reverse-mode autodiff.

>>> from autograd import Value
>>> x = Value(3.0, "x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0
"""

from .backward import backward, grad, is_grad_enabled, no_grad, topological_order, zero_grad
from .check import GradcheckError, GradcheckReport, gradcheck, gradgradcheck
from .diagnose import diagnose
from .higher import NewtonStep, hessian, hessian_vector_product, newton_step
from .steps import Step, backward_steps
from .value import HookHandle, Value, apply, dot, logsumexp, softmax, sum

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
    "diagnose",
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
    "sum",
    "topological_order",
    "zero_grad",
]
