"""What the batched replay's code calls: the array functions of each backend, and the array forms of ops.

The generated code is the same for every backend; only the namespace it runs in differs. numpy is
imported here on first use (generating code needs no numpy), torch only for ``backend="torch"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import ops, rules
from .expr import _FORWARD, Expr, _SymbolicMath, _tuple

if TYPE_CHECKING:
    from .array_writer import _ArrayWriter

BACKENDS = ("numpy", "torch")


def _elementwise(np: Any) -> Callable[..., Any]:
    """``elementwise(fn, *args)``: a float function applied element by element (a custom op's own
    forward or derivative rule, exact and slow; errors are the op's own)."""

    def elementwise(fn: Callable[..., Any], *args: Any) -> Any:
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        flat = [np.broadcast_to(a, shape).ravel().tolist() for a in args]
        results = [fn(*xs) for xs in zip(*flat)]
        if results and isinstance(results[0], tuple):
            return tuple(np.array(col, dtype=float).reshape(shape) for col in zip(*results))
        return np.array(results, dtype=float).reshape(shape)

    return elementwise


def numpy_namespace() -> dict[str, Any]:
    """The functions the generated code calls, on numpy arrays (float64)."""
    import numpy as np

    def sigmoid(x: Any) -> Any:
        # ops._sigmoid's two branches, both from exp(-|x|), so neither overflows.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    def softmax(z: Any) -> Any:
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def logsumexp(z: Any) -> Any:
        top = z.max(axis=-1)
        return top + np.log(np.exp(z - top[..., None]).sum(axis=-1))

    return {
        "exp": np.exp,
        "log": np.log,
        "tanh": np.tanh,
        "sin": np.sin,
        "cos": np.cos,
        "sqrt": np.sqrt,
        "relu": lambda x: np.maximum(x, 0.0),
        # 1.0 for x > 0, else 0.0 (FloatMath.step); a comparison cast to float is faster than heaviside.
        "step": lambda x: np.greater(x, 0.0).astype(np.float64),
        "sigmoid": sigmoid,
        "softmax": softmax,
        "logsumexp": logsumexp,
        "stack": lambda xs: np.stack(np.broadcast_arrays(*xs), axis=-1),
        "rowsum": lambda a: a.sum(axis=-1),
        # The sum over the samples as the product 1ᵀ·a: BLAS, 2-3x faster than a.sum(axis=0) on (100, 16).
        "colsum": lambda a: np.ones(a.shape[0]) @ a,
        "total": lambda a: a.sum(),
        "zeros": np.zeros,
        "zeros_like": np.zeros_like,
        "concatenate": np.concatenate,
        "full": np.full,
        "add_at": np.add.at,
        "elementwise": _elementwise(np),
        "finite": lambda *arrays: None,  # numpy raises on the first non-finite number (see batch.py)
    }


def torch_namespace(device: Any) -> dict[str, Any]:
    """The same functions on torch tensors (float64, on ``device``)."""
    import numpy as np
    import torch

    def finite(*arrays: Any) -> None:
        if not all(bool(torch.isfinite(torch.as_tensor(a)).all()) for a in arrays):
            raise FloatingPointError("a number of the step is not finite")

    def elementwise(fn: Callable[..., Any], *args: Any) -> Any:
        out = _elementwise(np)(fn, *(a.cpu().numpy() if isinstance(a, torch.Tensor) else a for a in args))
        if isinstance(out, tuple):
            return tuple(torch.as_tensor(o, device=device) for o in out)
        return torch.as_tensor(out, device=device)

    def sigmoid(x: Any) -> Any:
        e = torch.exp(-torch.abs(x))
        return torch.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    return {
        "exp": torch.exp,
        "log": torch.log,
        "tanh": torch.tanh,
        "sin": torch.sin,
        "cos": torch.cos,
        "sqrt": torch.sqrt,
        "relu": lambda x: torch.clamp(x, min=0.0),
        "step": lambda x: (x > 0.0).to(torch.float64),
        "sigmoid": sigmoid,
        "softmax": lambda z: torch.softmax(z, dim=-1),
        "logsumexp": lambda z: torch.logsumexp(z, dim=-1),
        "stack": lambda xs: torch.stack(torch.broadcast_tensors(*(torch.as_tensor(x, device=device) for x in xs)), -1),
        "rowsum": lambda a: a.sum(dim=-1),
        "colsum": lambda a: a.sum(dim=0),
        "total": lambda a: a.sum(),
        "zeros": lambda n: torch.zeros(n, dtype=torch.float64, device=device),
        "zeros_like": torch.zeros_like,
        "concatenate": torch.cat,
        "full": lambda n, v: torch.full((n,), v, dtype=torch.float64, device=device),
        "add_at": lambda g, at, t: g.index_put_((at,), torch.as_tensor(t).expand(at.shape), accumulate=True),
        "elementwise": elementwise,
        "finite": finite,
    }


# The rule namespace functions each backend provides on arrays (under the rule's own name).
ARRAY_RULES = ("log", "exp", "sin", "cos", "sqrt", "step")


class ArrayMath(_SymbolicMath):
    """The rule namespace producing array code: the backends' functions of :data:`ARRAY_RULES` (a rule
    calling another runs element by element)."""

    def __getattr__(self, name: str) -> Any:
        if name not in ARRAY_RULES or name not in rules.RULES:
            raise TypeError(f"the rule namespace function {name!r} has no array form")
        floats = rules.RULES[name].floats
        return lambda x: Expr(f"{name}({x.code})", None) if isinstance(x, Expr) else floats(x)


def _function(name: str, forward: Callable[[tuple[float, ...], Any], float]) -> Callable[..., Expr | float]:
    """The array form ``name(x)`` of a one-input op; on a constant, the op's own ``forward``."""

    def template(w: _ArrayWriter, xs: Sequence[Any], p: Any) -> Expr | float:
        x = xs[0]
        return Expr(f"{name}({x.code})", None) if isinstance(x, Expr) else forward((x,), p)

    return template


# The array form of each op's forward, where it differs from the scalar replay's (expr._FORWARD,
# whose arithmetic and exp/log/tanh calls read the same on arrays). Same float operations as the
# op's ``forward``, without its checks: numpy traps the first non-finite number instead.
ARRAY_FORWARD: dict[Callable[..., float], Callable[[Any, Sequence[Any], Any], Expr | float]] = {
    **_FORWARD,
    ops._relu: _function("relu", ops._relu),
    ops._sigmoid: _function("sigmoid", ops._sigmoid),
    ops._abs: _function("abs", ops._abs),
    ops._sin: _function("sin", ops._sin),
    ops._cos: _function("cos", ops._cos),
    ops._sqrt: _function("sqrt", ops._sqrt),
    ops._pow_const: lambda w, x, p: x[0] ** p,
    ops._pow: lambda w, x, p: x[0] ** x[1],
    ops._logsumexp: lambda w, x, p: Expr(f"logsumexp(stack({_tuple(x)}))", None),
}
