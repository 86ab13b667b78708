"""Gradient checking: the engine's derivatives against central finite differences.

``gradcheck(fn, inputs)`` evaluates ``fn`` at ``inputs`` (fresh leaf Values; the caller's Values are
never touched), asks the engine for every d(output)/d(input), and compares each with

    (f(x + h) - f(x - h)) / (2 h),      h = eps * max(1, |x|).

``gradgradcheck`` does the same one order up: the engine's second derivatives (``grad`` with
``create_graph=True``, then ``grad`` again) against central differences of the engine's own first
derivatives.

Why the defaults (``eps = 1e-6``, ``atol = 1e-6``, ``rtol = 1e-5``) suit float64, and when to raise
``atol``: docs/higher-order.md, "Gradient checking". Check functions away from kinks (``relu`` at 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .sweep import grad
from .value import Value, as_float

__all__ = ["GradcheckError", "GradcheckReport", "Derivative", "gradcheck", "gradgradcheck"]

DEFAULT_EPS = 1e-6
DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-5


@dataclass(frozen=True)
class Derivative:
    """One compared derivative: d(output)/d(input) from the engine and from finite differences."""

    name: str  # e.g. "d f / d x[1] ('b')"
    output: int
    input: int
    analytic: float
    numeric: float
    allowed: float  # atol + rtol * |numeric|

    @property
    def error(self) -> float:
        """``|analytic - numeric|``."""
        return abs(self.analytic - self.numeric)

    @property
    def ok(self) -> bool:
        """Whether the error is within the allowed tolerance."""
        return self.error <= self.allowed

    def describe(self) -> str:
        """One line: the derivative's name, both values, the error and what was allowed."""
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"{self.name}: engine {self.analytic!r}, finite difference {self.numeric!r}, "
            f"error {self.error:.3g} {'<=' if self.ok else '>'} allowed {self.allowed:.3g}  [{verdict}]"
        )


@dataclass(frozen=True)
class GradcheckReport:
    """What a (grad)gradcheck compared. ``ok`` is True when every derivative matched."""

    order: int  # 1 for gradcheck, 2 for gradgradcheck
    derivatives: tuple[Derivative, ...]
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        """True when every derivative is within tolerance."""
        return all(d.ok for d in self.derivatives)

    @property
    def failures(self) -> list[Derivative]:
        """The derivatives outside tolerance."""
        return [d for d in self.derivatives if not d.ok]

    @property
    def max_error(self) -> float:
        """The largest ``|engine - numeric|`` (0.0 when nothing was compared)."""
        return max((d.error for d in self.derivatives), default=0.0)

    def __str__(self) -> str:
        kind = "gradcheck" if self.order == 1 else "gradgradcheck"
        head = (
            f"{kind}: {len(self.derivatives) - len(self.failures)} of {len(self.derivatives)} derivatives match "
            f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}; max error {self.max_error:.3g})"
        )
        return "\n".join([head, *("  " + d.describe() for d in self.derivatives)])


class GradcheckError(AssertionError):
    """A gradient check found derivatives that disagree with finite differences.

    An ``AssertionError`` because it is a failed check (pytest shows it as one), not bad input; the
    full comparison is in ``.report``.
    """

    def __init__(self, report: GradcheckReport) -> None:
        self.report = report
        kind = "gradcheck" if report.order == 1 else "gradgradcheck"
        bad = report.failures
        lines = [
            f"{kind} failed: {len(bad)} of {len(report.derivatives)} derivatives disagree with central "
            f"finite differences (eps={report.eps:g}, atol={report.atol:g}, rtol={report.rtol:g})",
            *("  " + d.describe() for d in bad[:20]),
        ]
        if len(bad) > 20:
            lines.append(f"  ... and {len(bad) - 20} more (see .report)")
        super().__init__("\n".join(lines))


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = DEFAULT_EPS,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    *,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    """Check every d(output)/d(input) of ``fn`` at ``inputs`` against central finite differences.

    ``fn`` is called as ``fn(*values)`` with one fresh leaf Value per input (holding the input's
    number; a Value input lends its ``data`` and ``label`` and is not modified) and returns a Value,
    or a list of Values (each output is checked), or plain numbers for outputs that do not depend on
    the inputs. Raises :class:`GradcheckError` (an ``AssertionError``) naming each mismatching
    derivative with both values and the error, unless ``raise_on_failure=False``; returns a
    :class:`GradcheckReport` either way. See the module docstring for the choice of tolerances.

    >>> report = gradcheck(lambda x, y: x * y.exp(), [2.0, 0.5])
    >>> report.ok, len(report.derivatives)
    (True, 2)
    """
    xs, labels = _points(inputs, "gradcheck")
    eps, atol, rtol = _tolerances(eps, atol, rtol)

    def outputs(args: Sequence[Value]) -> list[Value | float]:
        return _outputs(fn(*args), "gradcheck's fn")

    return _compare(outputs, xs, labels, eps, atol, rtol, 1, lambda k, n: _output_name(k, n), raise_on_failure)


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = DEFAULT_EPS,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    *,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    """Check second derivatives: the engine's d/dx_j of (d output / d x_i), built with
    ``grad(..., create_graph=True)``, against central differences of the engine's first derivatives.

    Same conventions as :func:`gradcheck`; ``fn`` may return one Value or several. The first
    derivatives being differenced come from the engine, so run :func:`gradcheck` too: together they
    check first and second order.

    >>> report = gradgradcheck(lambda x, y: x ** 3 * y, [1.5, -2.0])
    >>> report.ok, len(report.derivatives)       # d2f/dx2, d2f/dxdy, d2f/dydx, d2f/dy2
    (True, 4)
    """
    xs, labels = _points(inputs, "gradgradcheck")
    eps, atol, rtol = _tolerances(eps, atol, rtol)
    n = len(xs)

    def first_derivatives(args: Sequence[Value]) -> list[Value | float]:
        result: list[Value | float] = []
        for out in _outputs(fn(*args), "gradgradcheck's fn"):
            if isinstance(out, Value):
                result.extend(grad(out, list(args), create_graph=True))
            else:
                result.extend([0.0] * n)
        return result

    def name(k: int, m: int) -> str:
        out, i = divmod(k, n)
        return f"(d {_output_name(out, m // n)} / d{labels[i]})"

    return _compare(first_derivatives, xs, labels, eps, atol, rtol, 2, name, raise_on_failure)


# --- the comparison ---------------------------------------------------------------------------------


def _compare(
    outputs: Callable[[Sequence[Value]], list[Value | float]],
    xs: list[float],
    labels: list[str],
    eps: float,
    atol: float,
    rtol: float,
    order: int,
    output_name: Callable[[int, int], str],
    raise_on_failure: bool,
) -> GradcheckReport:
    leaves = [Value(x, lab) for x, lab in zip(xs, labels)]
    outs = outputs(leaves)
    m = len(outs)
    # Analytic: one reverse pass per output, all inputs at once.
    analytic = [grad(o, leaves) if isinstance(o, Value) else [0.0] * len(xs) for o in outs]
    # Numeric: two evaluations per input, all outputs at once.
    numeric = [[0.0] * len(xs) for _ in range(m)]
    for i, x in enumerate(xs):
        h = eps * max(1.0, abs(x))
        up, down = x + h, x - h
        f_up = _evaluate(outputs, xs, labels, i, up, m, "+")
        f_down = _evaluate(outputs, xs, labels, i, down, m, "-")
        step = up - down  # the step actually taken, exact in float64
        for k in range(m):
            numeric[k][i] = (f_up[k] - f_down[k]) / step
    derivatives = tuple(
        Derivative(
            name=f"d {output_name(k, m)} / d{labels[i]}",
            output=k,
            input=i,
            analytic=analytic[k][i],
            numeric=numeric[k][i],
            allowed=atol + rtol * abs(numeric[k][i]),
        )
        for k in range(m)
        for i in range(len(xs))
    )
    report = GradcheckReport(order, derivatives, eps, atol, rtol)
    if raise_on_failure and not report.ok:
        raise GradcheckError(report)
    return report


def _evaluate(
    outputs: Callable[[Sequence[Value]], list[Value | float]],
    xs: list[float],
    labels: list[str],
    i: int,
    shifted: float,
    m: int,
    sign: str,
) -> list[float]:
    point = [Value(shifted if j == i else x, lab) for j, (x, lab) in enumerate(zip(xs, labels))]
    try:
        outs = outputs(point)
    except (ValueError, ZeroDivisionError) as e:
        raise ValueError(
            f"fn failed at {labels[i]} = {xs[i]!r} {sign} h = {shifted!r} (the finite-difference step): {e}; "
            "the point is within eps of the edge of fn's domain: move it, or lower eps"
        ) from e
    if len(outs) != m:
        raise ValueError(f"fn returned {m} outputs at the point but {len(outs)} at {labels[i]} = {shifted!r}")
    return [o.data if isinstance(o, Value) else o for o in outs]


# --- argument handling ------------------------------------------------------------------------------


def _points(inputs: Any, who: str) -> tuple[list[float], list[str]]:
    if isinstance(inputs, Value | str | bytes) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"{who} takes a list of inputs (numbers or Values), not {type(inputs).__name__}: {inputs!r}; "
            "wrap a single one as [x]"
        )
    if not inputs:
        raise ValueError(f"{who} needs at least one input to differentiate with respect to")
    xs: list[float] = []
    labels: list[str] = []
    for i, v in enumerate(inputs):
        if isinstance(v, Value):
            xs.append(v.data)
            labels.append(f"x[{i}] ({v.label!r})" if v.label else f"x[{i}]")
        else:
            xs.append(as_float(v, f"{who} input {i}"))
            labels.append(f"x[{i}]")
    return xs, labels


def _tolerances(eps: Any, atol: Any, rtol: Any) -> tuple[float, float, float]:
    eps_f, atol_f, rtol_f = as_float(eps, "eps"), as_float(atol, "atol"), as_float(rtol, "rtol")
    if not eps_f > 0.0:
        raise ValueError(f"eps must be positive (the finite-difference step), got {eps!r}; 1e-6 suits float64")
    if atol_f < 0.0 or rtol_f < 0.0:
        raise ValueError(f"atol and rtol must be >= 0, got atol={atol!r}, rtol={rtol!r}")
    return eps_f, atol_f, rtol_f


def _outputs(result: Any, who: str) -> list[Value | float]:
    items = result if isinstance(result, list | tuple) else [result]
    if not items:
        raise ValueError(f"{who} returned no outputs; return a Value or a list of Values")
    checked: list[Value | float] = []
    for k, o in enumerate(items):
        if isinstance(o, Value):
            checked.append(o)
        else:
            try:
                checked.append(as_float(o, f"{who}'s output {k}"))
            except TypeError:
                raise TypeError(
                    f"{who} must return a Value or a list of Values (numbers allowed for constant outputs); "
                    f"output {k} is {type(o).__name__}: {o!r}"
                ) from None
    return checked


def _output_name(k: int, m: int) -> str:
    return "f" if m == 1 else f"f[{k}]"
