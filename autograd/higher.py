"""Second-order helpers built on ``grad(..., create_graph=True)``: Hessian, Hessian-vector product, Newton step.

All of them take ``fn`` and ``inputs`` the same way: ``fn(*values)`` must return a scalar Value, and
``inputs`` is a list of Values (passed to ``fn`` as they are, so ``fn`` may also reach them through a
closure, e.g. a model's parameters) or numbers (wrapped as fresh leaves). Nothing here reads or
writes any ``.grad``, and only :func:`newton_step` with ``update=True`` changes a Value's ``data``.

>>> H = hessian(lambda x, y: x * x * y, [3.0, 2.0])   # [[2y, 2x], [2x, 0]]
>>> H
[[4.0, 6.0], [6.0, 0.0]]
>>> hessian_vector_product(lambda x, y: x * x * y, [3.0, 2.0], [1.0, -1.0])
[-2.0, 6.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .sweep import grad
from .value import Value, as_float, dot

__all__ = ["NewtonStep", "hessian", "hessian_vector_product", "newton_step", "solve"]


def hessian(fn: Callable[..., Value], inputs: Sequence[Any]) -> list[list[float]]:
    """The matrix ``H[i][j] = d^2 fn / d x_i d x_j`` at ``inputs``, as floats.

    One reverse pass with ``create_graph=True`` gives the gradient as Values; one more pass per
    input differentiates each gradient component. Row ``i`` and column ``i`` come from different
    passes, so ``H`` is symmetric up to rounding (not forced to be).
    """
    xs = _inputs(inputs, "hessian")
    grads = grad(_scalar(fn(*xs), "hessian"), xs, create_graph=True)
    return [[float(v) for v in grad(g, xs)] for g in grads]


def hessian_vector_product(fn: Callable[..., Value], inputs: Sequence[Any], vector: Sequence[Any]) -> list[float]:
    """``H @ vector`` without forming ``H``: the gradient of ``grad(fn) . vector`` (two reverse passes,
    whatever the number of inputs)."""
    xs = _inputs(inputs, "hessian_vector_product")
    v = _vector(vector, len(xs), "hessian_vector_product")
    grads = grad(_scalar(fn(*xs), "hessian_vector_product"), xs, create_graph=True)
    return [float(g) for g in grad(dot(grads, v), xs)]


@dataclass(frozen=True)
class NewtonStep:
    """One Newton step ``delta = -(H + damping * I)^-1 g`` at ``point``, with what it was computed from."""

    point: list[float]
    gradient: list[float]
    hessian: list[list[float]]
    damping: float
    delta: list[float]

    @property
    def new_point(self) -> list[float]:
        """``point + delta``."""
        return [x + d for x, d in zip(self.point, self.delta)]


def newton_step(
    fn: Callable[..., Value], inputs: Sequence[Any], *, damping: float = 0.0, update: bool = False
) -> NewtonStep:
    """The Newton step for minimising ``fn`` over ``inputs``: solve ``(H + damping I) delta = -g``.

    ``damping`` (Levenberg-Marquardt style, >= 0) makes a singular or indefinite Hessian usable:
    a loss that does not change along some direction (softmax outputs are unchanged when every
    logit shifts by the same amount) has a singular Hessian, and ``damping=0`` then raises. With
    ``update=True`` each input Value's ``data`` is moved to the new point (all inputs must be Values).
    """
    damping = as_float(damping, "damping")
    if damping < 0.0:
        raise ValueError(f"damping must be >= 0 (it is added to the Hessian's diagonal), got {damping!r}")
    xs = _inputs(inputs, "newton_step")
    if update and any(not isinstance(x, Value) for x in inputs):
        raise TypeError("newton_step(update=True) moves Values in place; pass Values, not numbers")
    grads = grad(_scalar(fn(*xs), "newton_step"), xs, create_graph=True)
    g = [v.data for v in grads]
    H = [[float(v) for v in grad(gi, xs)] for gi in grads]
    damped = [[h + (damping if i == j else 0.0) for j, h in enumerate(row)] for i, row in enumerate(H)]
    try:
        delta = solve(damped, [-gi for gi in g])
    except ValueError as e:
        raise ValueError(
            f"no Newton step: the Hessian{' + damping' if damping else ''} is singular ({e}); "
            "pass damping > 0 (e.g. 1e-3 times the Hessian's scale)"
        ) from None
    step = NewtonStep([x.data for x in xs], g, H, damping, delta)
    if update:
        for x, new in zip(xs, step.new_point):
            x.data = as_float(new, "the Newton step's new value")
    return step


def solve(A: Sequence[Sequence[float]], b: Sequence[float]) -> list[float]:
    """Solve ``A x = b`` by Gaussian elimination with partial pivoting (small dense systems).

    Raises ValueError when a pivot is negligible next to the matrix's largest entry (singular to
    working precision). ``A`` and ``b`` are not modified.
    """
    n = len(A)
    if len(b) != n or any(len(row) != n for row in A):
        raise ValueError(f"solve needs an n x n matrix and n right-hand sides; got {n} rows and {len(b)} values")
    M = [[float(v) for v in row] + [float(bi)] for row, bi in zip(A, b)]
    scale = max((abs(v) for row in A for v in row), default=0.0)
    tiny = 1e-12 * scale
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(M[r][col]))
        if abs(M[pivot][col]) <= tiny:
            raise ValueError(f"pivot {M[pivot][col]:.3g} in column {col} is negligible next to the scale {scale:.3g}")
        M[col], M[pivot] = M[pivot], M[col]
        for r in range(col + 1, n):
            factor = M[r][col] / M[col][col]
            if factor:
                M[r] = [a - factor * p for a, p in zip(M[r], M[col])]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (M[r][n] - sum(M[r][c] * x[c] for c in range(r + 1, n))) / M[r][r]
    return x


# --- argument handling ------------------------------------------------------------------------------


def _inputs(inputs: Any, who: str) -> list[Value]:
    if isinstance(inputs, Value | str | bytes) or not isinstance(inputs, Sequence):
        raise TypeError(f"{who} takes a list of Values or numbers, not {type(inputs).__name__}; wrap one as [x]")
    if not inputs:
        raise ValueError(f"{who} needs at least one input")
    return [v if isinstance(v, Value) else Value(as_float(v, f"{who} input {i}")) for i, v in enumerate(inputs)]


def _vector(vector: Any, n: int, who: str) -> list[float]:
    if isinstance(vector, Value | str | bytes) or not isinstance(vector, Sequence):
        raise TypeError(f"{who}'s vector must be a list of {n} numbers, not {type(vector).__name__}")
    if len(vector) != n:
        raise ValueError(f"{who}'s vector has {len(vector)} entries for {n} inputs; they must match")
    return [as_float(v.data if isinstance(v, Value) else v, f"{who} vector[{i}]") for i, v in enumerate(vector)]


def _scalar(out: Any, who: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(f"{who}'s fn must return one Value (a scalar), not {type(out).__name__}: {out!r}")
    return out
