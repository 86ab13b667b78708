"""Reusable hypothesis strategies and numeric helpers for testing the engine.

What is here, for any test file to import (``from strategies import ...``; pytest puts ``tests/`` on the path):

* :data:`OPS` -- every operation the engine offers, as a table of :class:`OpCase`: how to build it on Values,
  an *independent* float reference (plain ``math``; never the engine's own code), and the domain each operand
  must stay in (with margins away from kinks and domain edges, so finite differences are meaningful).
* :func:`op_args` -- a strategy of domain-safe ``(xs, param)`` for one op of the table.
* :func:`dags` -- a strategy of random expression DAGs (:class:`Dag` recipes) over several leaves, with reused
  subexpressions and every op of the table; a recipe can be built on Values or evaluated on floats.
* :func:`central_difference` and :func:`fd_derivative` (Richardson-extrapolated central differences),
  :func:`close` -- the comparisons every gradient check uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

import autograd
from autograd import Value

# Every DAG node but the final sum stays within [-BOUND, BOUND], and so does every operand drawn by op_args
# unless its domain says otherwise: keeps the conditioning of random
# compositions (exp of exp, ...) low enough that a finite difference is accurate to ~1e-9 relative.
BOUND = 20.0

# --- finite differences ------------------------------------------------------------------------------

# Step for the derivative of a function of numbers of size ~1..20. With Richardson extrapolation
# (below) the truncation error is O(h**4 * f^(5)) ~ 1e-16 * f^(5), and the rounding error is
# ~ eps * |f| / h ~ 2e-16 * 20 / 1e-4 = 4e-11; both far below the 1e-7 tolerance of the checks.
# A plain central difference would need h ~ eps**(1/3) ~ 6e-6 and still only give ~1e-10 * f''' -- fine
# for smooth single ops, too loose for deep random compositions, hence the extrapolation.
FD_STEP = 1e-4
# Tolerances for "engine gradient == finite-difference gradient": |g - d| <= RTOL * |d| + ATOL.
# The ATOL floor covers gradients that are zero or cancel to near zero, where relative error is meaningless.
RTOL = 1e-7
ATOL = 1e-8


def central_difference(f: Callable[[list[float]], float], xs: Sequence[float], i: int, h: float) -> float:
    """(f(x + h e_i) - f(x - h e_i)) / (2h), dividing by the step actually taken after float rounding."""
    up, down = list(xs), list(xs)
    up[i] = xs[i] + h
    down[i] = xs[i] - h
    return (f(up) - f(down)) / (up[i] - down[i])


def fd_derivative(f: Callable[[list[float]], float], xs: Sequence[float], i: int, h: float = FD_STEP) -> float:
    """d f / d x_i by Richardson extrapolation of two central differences (error O(h**4)).

    The step is relative to the size of ``x_i`` (at least ``h``), so large inputs are not under-stepped.
    """
    h = h * max(1.0, abs(xs[i]))
    return (4.0 * central_difference(f, xs, i, h / 2) - central_difference(f, xs, i, h)) / 3.0


def close(got: float, want: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """``|got - want| <= rtol * |want| + atol`` (both finite)."""
    return math.isfinite(got) and abs(got - want) <= rtol * abs(want) + atol


# --- operand domains ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """An interval ``[lo, hi]`` minus the open band ``(-min_abs, min_abs)`` around zero."""

    lo: float = -BOUND
    hi: float = BOUND
    min_abs: float = 0.0

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi and abs(x) >= self.min_abs

    def strategy(self) -> st.SearchStrategy[float]:
        def reals(lo: float, hi: float) -> st.SearchStrategy[float]:
            return st.floats(lo, hi, allow_nan=False, allow_infinity=False)

        if self.min_abs <= 0.0:
            return reals(self.lo, self.hi)
        parts = []
        if self.lo <= -self.min_abs:
            parts.append(reals(self.lo, min(self.hi, -self.min_abs)))
        if self.hi >= self.min_abs:
            parts.append(reals(max(self.lo, self.min_abs), self.hi))
        return st.one_of(parts)


ANY = Domain()
POSITIVE = Domain(lo=0.1)  # bases of non-integer powers, Value exponents
NONZERO = Domain(min_abs=0.1)  # divisors, bases of negative powers
AWAY_FROM_KINK = Domain(min_abs=0.05)  # relu: keep the finite difference off the kink at 0
LOG_INPUT = Domain(lo=0.05)

# Exponents for ``x ** n``: integers (any base allowed), negative (base away from 0), fractional (positive base).
POW_EXPONENTS = (0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, 2.5)


def _pow_const_domain(i: int, n: float) -> Domain:
    if not float(n).is_integer():
        return POSITIVE
    return NONZERO if n < 0 else ANY


# --- independent float references (plain math, written apart from autograd.ops) -----------------


def _ref_sigmoid(x: float) -> float:
    # The textbook formula; fine for the |x| <= BOUND the tests use (and exp(-x) cannot overflow there).
    return 1.0 / (1.0 + math.exp(-x))


def _ref_tanh(x: float) -> float:
    if abs(x) > 20.0:
        return math.copysign(1.0, x) * (1.0 - 2.0 * math.exp(-2.0 * abs(x)))
    return math.sinh(x) / math.cosh(x)


def _ref_softmax(zs: Sequence[float], a: int) -> float:
    top = max(zs)
    return math.exp(zs[a] - top) / math.fsum(math.exp(z - top) for z in zs)


def _ref_logsumexp(zs: Sequence[float]) -> float:
    # max + log1p(the other terms): the largest term is exactly 1, so log1p keeps full relative accuracy.
    i = zs.index(max(zs))
    return zs[i] + math.log1p(math.fsum(math.exp(z - zs[i]) for j, z in enumerate(zs) if j != i))


def _ref_dot(xs: Sequence[float], p: tuple[int, bool]) -> float:
    k, bias = p
    return math.fsum([*(xs[j] * xs[k + j] for j in range(k)), *(xs[2 * k :] if bias else ())])


def _ref_relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _ref_log(x: float) -> float:
    return math.log(x)  # raises ValueError outside the domain, which the DAG evaluator relies on


def _ref_pow_value(x: float, y: float) -> float:
    if x <= 0.0:
        raise ValueError("base must be positive")
    return math.exp(y * math.log(x))


def _ref_div(x: float, y: float) -> float:
    return x / y


# --- the op table --------------------------------------------------------------------------------


def _no_param(k: int) -> st.SearchStrategy[Any]:
    return st.none()


def _consts(k: int) -> st.SearchStrategy[Any]:
    return st.floats(-5.0, 5.0, allow_nan=False)


def _any_domain(i: int, p: Any) -> Domain:
    return ANY


@dataclass(frozen=True)
class OpCase:
    """One operation as the tests see it.

    ``build(values, param)`` makes the node on Values, ``ref(floats, param)`` computes the same number
    independently. ``arity`` is the number of Value operands, or ``None`` for an n-ary op whose size ``k``
    is drawn (1..4; for ``dot``, ``k`` weight/input pairs). ``domain(i, param)`` is where operand ``i``
    must lie. ``op`` is the name the engine records in ``.op`` (a prefix when ``op_is_prefix``).
    """

    name: str
    op: str
    build: Callable[[Sequence[Value], Any], Value]
    ref: Callable[[Sequence[float], Any], float]
    arity: int | None = 1
    domain: Callable[[int, Any], Domain] = _any_domain
    param: Callable[[int], st.SearchStrategy[Any]] = _no_param
    op_is_prefix: bool = False
    n_operands: Callable[[int, Any], int] = field(default=lambda k, p: k)

    def operands(self, k: int, param: Any) -> int:
        """How many Value operands the op takes for size ``k`` and ``param``."""
        return self.arity if self.arity is not None else self.n_operands(k, param)


def _case(name: str, op: str, build: Any, ref: Any, **kw: Any) -> tuple[str, OpCase]:
    return name, OpCase(name, op, build, ref, **kw)


OPS: dict[str, OpCase] = dict(
    [
        _case("add", "+", lambda v, p: v[0] + v[1], lambda x, p: x[0] + x[1], arity=2),
        _case("add_const", "+", lambda v, c: v[0] + c, lambda x, c: x[0] + c, param=_consts),
        _case("radd", "+", lambda v, c: c + v[0], lambda x, c: c + x[0], param=_consts),
        _case("sub", "-", lambda v, p: v[0] - v[1], lambda x, p: x[0] - x[1], arity=2),
        _case("sub_const", "-", lambda v, c: v[0] - c, lambda x, c: x[0] - c, param=_consts),
        _case("rsub", "-", lambda v, c: c - v[0], lambda x, c: c - x[0], param=_consts),
        _case("mul", "*", lambda v, p: v[0] * v[1], lambda x, p: x[0] * x[1], arity=2),
        _case("mul_const", "*", lambda v, c: v[0] * c, lambda x, c: x[0] * c, param=_consts),
        _case("rmul", "*", lambda v, c: c * v[0], lambda x, c: c * x[0], param=_consts),
        _case(
            "div",
            "/",
            lambda v, p: v[0] / v[1],
            lambda x, p: _ref_div(x[0], x[1]),
            arity=2,
            domain=lambda i, p: NONZERO if i == 1 else ANY,
        ),
        _case(
            "div_const",
            "/",
            lambda v, c: v[0] / c,
            lambda x, c: x[0] / c,
            param=lambda k: NONZERO.strategy().filter(lambda c: abs(c) <= 5.0),
        ),
        _case(
            "rdiv",
            "/",
            lambda v, c: c / v[0],
            lambda x, c: _ref_div(c, x[0]),
            param=_consts,
            domain=lambda i, p: NONZERO,
        ),
        _case("neg", "neg", lambda v, p: -v[0], lambda x, p: -x[0]),
        _case(
            "pow_const",
            "**",
            lambda v, n: v[0] ** n,
            lambda x, n: math.pow(x[0], n),
            param=lambda k: st.sampled_from(POW_EXPONENTS),
            domain=_pow_const_domain,
            op_is_prefix=True,
        ),
        _case(
            "pow",
            "**",
            lambda v, p: v[0] ** v[1],
            lambda x, p: _ref_pow_value(x[0], x[1]),
            arity=2,
            domain=lambda i, p: POSITIVE if i == 0 else Domain(-3.0, 3.0),
        ),
        _case(
            "rpow",
            "**",
            lambda v, c: c ** v[0],
            lambda x, c: math.exp(x[0] * math.log(c)),
            param=lambda k: st.floats(0.2, 4.0),
            domain=lambda i, p: Domain(-5.0, 5.0),
        ),
        _case("exp", "exp", lambda v, p: v[0].exp(), lambda x, p: math.exp(x[0]), domain=lambda i, p: Domain(hi=2.9)),
        _case("log", "log", lambda v, p: v[0].log(), lambda x, p: _ref_log(x[0]), domain=lambda i, p: LOG_INPUT),
        _case("tanh", "tanh", lambda v, p: v[0].tanh(), lambda x, p: _ref_tanh(x[0])),
        _case("sigmoid", "sigmoid", lambda v, p: v[0].sigmoid(), lambda x, p: _ref_sigmoid(x[0])),
        _case(
            "relu", "relu", lambda v, p: v[0].relu(), lambda x, p: _ref_relu(x[0]), domain=lambda i, p: AWAY_FROM_KINK
        ),
        _case("sum", "sum", lambda v, p: autograd.sum(v), lambda x, p: math.fsum(x), arity=None),
        _case(
            "dot",
            "dot",
            lambda v, p: autograd.dot(v[: p[0]], v[p[0] : 2 * p[0]], v[2 * p[0]] if p[1] else None),
            _ref_dot,
            arity=None,
            # param = (pairs, has_bias); the size k drawn for an n-ary op is the number of pairs
            param=lambda k: st.tuples(st.just(k), st.booleans()),
            n_operands=lambda k, p: 2 * k + int(p[1]),
        ),
        _case(
            "softmax",
            "softmax",
            lambda v, a: autograd.softmax(v)[a],
            _ref_softmax,
            arity=None,
            param=lambda k: st.integers(0, k - 1),
        ),
        _case("logsumexp", "logsumexp", lambda v, p: autograd.logsumexp(v), lambda x, p: _ref_logsumexp(x), arity=None),
    ]
)
"""Every operation, keyed by a short name. Reflected forms (``radd``: ``c + v``) and forms with a plain
number (``add_const``: ``v + c``) are separate entries; the number is the case's ``param``."""

OP_NAMES: tuple[str, ...] = tuple(OPS)

MAX_NARY = 4


@st.composite
def op_args(draw: st.DrawFn, case: OpCase | str) -> tuple[tuple[float, ...], Any]:
    """Domain-safe ``(xs, param)`` for one op: ``case.build([Value(x) for x in xs], param)`` is valid."""
    if isinstance(case, str):
        case = OPS[case]
    k = draw(st.integers(1, MAX_NARY)) if case.arity is None else case.arity
    param = draw(case.param(k))
    xs = tuple(draw(case.domain(i, param).strategy()) for i in range(case.operands(k, param)))
    return xs, param


# --- random DAGs ---------------------------------------------------------------------------------


class LeftDomain(Exception):
    """A perturbed evaluation crossed a kink or left an op's domain: no finite difference there."""


@dataclass(frozen=True)
class Step:
    """One node of a recipe: op ``case`` applied to earlier nodes ``args`` (indices; leaves come first)."""

    case: str
    args: tuple[int, ...]
    param: Any


@dataclass(frozen=True)
class Dag:
    """A recipe for an expression DAG: leaf values, then steps; the last node is the output.

    Node ``i < len(leaves)`` is a leaf; node ``len(leaves) + j`` is ``steps[j]``. The same recipe can be
    built on Values (:meth:`build`) or evaluated on floats with the independent references (:meth:`evaluate`).
    """

    leaves: tuple[float, ...]
    steps: tuple[Step, ...]

    @property
    def size(self) -> int:
        return len(self.leaves) + len(self.steps)

    @property
    def case_names(self) -> frozenset[str]:
        return frozenset(s.case for s in self.steps)

    def build(self, leaves: Sequence[Value] | None = None) -> list[Value]:
        """All nodes as Values (leaves first, output last); fresh leaves unless ``leaves`` is given."""
        nodes: list[Value] = list(leaves) if leaves is not None else [Value(x) for x in self.leaves]
        for s in self.steps:
            nodes.append(OPS[s.case].build([nodes[i] for i in s.args], s.param))
        return nodes

    def evaluate(self, xs: Sequence[float], bump: tuple[int, float] | None = None) -> list[float]:
        """All node values on floats, at leaves ``xs``; ``bump=(i, d)`` adds ``d`` to node ``i``'s value
        (so the finite difference in ``d`` is d(output)/d(node i), what backward() leaves in its ``.grad``).

        Raises :class:`LeftDomain` if a kink (relu at 0) is crossed relative to the recipe's own leaf
        values, or an op leaves its domain.
        """
        base = self._signs()
        vals = list(xs)
        if bump is not None and bump[0] < len(vals):
            vals[bump[0]] += bump[1]
        for j, s in enumerate(self.steps):
            args = [vals[i] for i in s.args]
            if s.case == "relu" and (args[0] > 0.0) != base[j]:
                raise LeftDomain(f"relu input changed sign at step {j}")
            try:
                y = OPS[s.case].ref(args, s.param)
            except (ValueError, ZeroDivisionError, OverflowError) as e:
                raise LeftDomain(str(e)) from None
            if bump is not None and bump[0] == len(self.leaves) + j:
                y += bump[1]
            vals.append(y)
        return vals

    def output_at(self, xs: Sequence[float]) -> float:
        """The output's value at leaves ``xs`` (float reference)."""
        return self.evaluate(xs)[-1]

    def _signs(self) -> list[bool]:
        # Which side of each relu's kink the recipe's own leaf values put it on.
        vals = list(self.leaves)
        signs = []
        for s in self.steps:
            args = [vals[i] for i in s.args]
            signs.append(args[0] > 0.0 if s.case == "relu" else True)
            vals.append(OPS[s.case].ref(args, s.param))
        return signs


@st.composite
def dags(
    draw: st.DrawFn,
    min_leaves: int = 1,
    max_leaves: int = 4,
    max_steps: int = 12,
    cases: Sequence[str] = OP_NAMES,
    focus: str | None = None,
) -> Dag:
    """Random expression DAG recipes over several leaves, every node (but the final sum) in ``[-BOUND, BOUND]``.

    Each step draws an op from ``cases`` (with ``focus`` given, that op about half the time), then its
    operands among *all* earlier nodes (recent ones more likely, so graphs get deep; the same node may be
    drawn several times, so subexpressions are reused) -- only nodes inside the op's domain qualify. A step
    whose result would leave ``[-BOUND, BOUND]`` is dropped. Finally every node nothing else uses (leaves
    included) is summed into one output node, so every node influences the output.
    """
    leaves = tuple(draw(st.lists(ANY.strategy().map(lambda x: x / 8.0), min_size=min_leaves, max_size=max_leaves)))
    vals = list(leaves)
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, max_steps))):
        name = focus if focus is not None and draw(st.booleans()) else draw(st.sampled_from(list(cases)))
        case = OPS[name]
        k = draw(st.integers(1, MAX_NARY)) if case.arity is None else case.arity
        param = draw(case.param(k))
        args = []
        for i in range(case.operands(k, param)):
            dom = case.domain(i, param)
            ok = [j for j in range(len(vals)) if dom.contains(vals[j])]
            if not ok:
                break
            # Index 0 of the reversed list is the newest node: shrinking goes towards deep chains.
            args.append(ok[-1 - draw(st.integers(0, len(ok) - 1))])
        else:
            y = case.ref([vals[j] for j in args], param)
            if abs(y) <= BOUND:
                steps.append(Step(name, tuple(args), param))
                vals.append(y)
    used = {j for s in steps for j in s.args}
    sinks = tuple(j for j in range(len(vals)) if j not in used)
    if len(sinks) > 1 or not steps:
        steps.append(Step("sum", sinks, None))
    return Dag(leaves, tuple(steps))
