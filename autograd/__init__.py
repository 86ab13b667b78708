"""chainrule's engine: scalar Values that record their local derivatives, and reverse-mode autodiff.

>>> from autograd import Value
>>> x = Value(3.0, "x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0
"""

from .backward import backward, grad, is_grad_enabled, no_grad, topological_order, zero_grad
from .value import HookHandle, Value, apply, dot, logsumexp, softmax, sum

__all__ = [
    "HookHandle",
    "Value",
    "apply",
    "backward",
    "dot",
    "grad",
    "is_grad_enabled",
    "logsumexp",
    "no_grad",
    "softmax",
    "sum",
    "topological_order",
    "zero_grad",
]
