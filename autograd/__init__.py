"""chainrule's engine: scalar Values that record their local derivatives, and reverse-mode autodiff.

>>> from autograd import Value
>>> x = Value(3.0, "x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0

``import autograd`` loads the engine only; the tools (``check``, ``higher``, ``steps``, ``draw``,
``replay``, ``explorer``, ``diagnose``, ...) load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .grad_mode import is_grad_enabled, no_grad
from .sweep import backward, grad, topological_order, zero_grad
from .value import HookHandle, Value, apply, dot, logsumexp, softmax
from .value import sum as sum  # autograd.sum, used qualified: not in __all__, where it would replace the builtin

if TYPE_CHECKING:
    from .check import GradcheckError, GradcheckReport, gradcheck, gradgradcheck
    from .higher import NewtonStep, hessian, hessian_vector_product, newton_step
    from .steps import HookStep, Step, backward_steps

# Names of the tools, by the module that holds them: imported when first read.
_LAZY = {
    "GradcheckError": "check",
    "GradcheckReport": "check",
    "gradcheck": "check",
    "gradgradcheck": "check",
    "NewtonStep": "higher",
    "hessian": "higher",
    "hessian_vector_product": "higher",
    "newton_step": "higher",
    "HookStep": "steps",
    "Step": "steps",
    "backward_steps": "steps",
}
_SUBMODULES = frozenset(
    {"check", "colors", "diagnose", "draw", "explorer", "extend", "higher", "labels", "layout", "render", "replay",
     "steps", "wasm"}
)  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        found = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = found  # read once: later reads are plain attribute reads
        return found
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})


__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "HookHandle",
    "HookStep",
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
