"""Every operation in one place: its forward value and its local derivatives, side by side.

An :class:`Op` pairs two plain functions:

``forward(xs, param) -> float``
    the result, computed on floats. It is the one place that checks the op's domain and raises a
    ``ValueError`` naming the op, the offending input and what is accepted.

``local(m, out, xs, param) -> tuple``
    d(out)/d(x) for each input ``x``, in input order. The rule is written with ordinary arithmetic on
    ``out`` and ``xs`` plus the functions of the rule namespace ``m`` (``m.log``, ``m.cos``, ``m.step``,
    ``m.softmax``, ...: :mod:`autograd.rules`), so the *same* rule evaluates on floats (every forward
    pass) and on Values (``create_graph=True``, where the derivatives must be differentiable again).

``param`` is the op's fixed parameter (the exponent of ``x ** 2``, the output index of a softmax
component), or ``None``. Ops never hold Values, so recording one creates no reference cycle.
An op also says what it is (its traits: ``coupled``, ``roles``, ``symbol``); nothing reads its name.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from .rules import FLOATS, finite_inputs, softmax_floats

__all__ = ["FLOATS", "Op", "builtin_op", "display", "input_roles", "local_floats", "softmax_floats"]


class Op:
    """One operation: a name, a float forward function, a generic derivative rule and its traits.

    ``checks_local``: finite inputs can still give an infinite derivative (1/x near 0, x**n), so the
    engine checks the evaluated derivatives, a cost the other ops do not pay. ``fused(xs, param) ->
    (forward(xs, param), local(FLOATS, out, xs, param))`` in one call, optional, for the float path;
    it must give exactly those results (see _dot_kernel). ``factory``: the cached function that made
    this op from its param (op_dot, ...), how it pickles.

    Traits (read them through :func:`display` and :func:`input_roles`, never through ``name``):
    ``coupled`` -- the op is one output of several computed jointly (a softmax component);
    ``roles(param, n)`` -- one role per input (dot: "weight", "input", "bias"); ``symbol`` -- how
    pictures show the op, a format template that may use ``{param}`` (``"**{param:g}"``).

    Immutable, and equal when name, functions, parameter and traits are (a plain class with slots:
    the dataclasses module would be a third of the engine's import time).
    """

    __slots__ = ("name", "forward", "local", "param", "checks_local", "fused", "coupled", "roles", "symbol", "factory")

    name: str
    forward: Callable[[tuple[float, ...], Any], float]
    local: Callable[[Any, Any, Sequence[Any], Any], tuple[Any, ...]]
    param: Any
    checks_local: bool
    fused: Callable[[tuple[float, ...], Any], tuple[float, tuple[float, ...]]] | None
    coupled: bool
    roles: Callable[[Any, int], tuple[str, ...]] | None
    symbol: str
    factory: Callable[[Any], Op] | None

    def __init__(
        self,
        name: str,
        forward: Callable[[tuple[float, ...], Any], float],
        local: Callable[[Any, Any, Sequence[Any], Any], tuple[Any, ...]],
        param: Any = None,
        checks_local: bool = False,
        fused: Callable[[tuple[float, ...], Any], tuple[float, tuple[float, ...]]] | None = None,
        *,
        coupled: bool = False,
        roles: Callable[[Any, int], tuple[str, ...]] | None = None,
        symbol: str = "",
        factory: Callable[[Any], Op] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"an Op's name must be a non-empty str, not {name!r}")
        for what, fn in (("forward", forward), ("local", local)):
            if not callable(fn):
                raise TypeError(f"the {what} of op {name!r} must be a function, not {type(fn).__name__}: {fn!r}")
        if not isinstance(symbol, str):
            raise TypeError(f"the symbol of op {name!r} must be a str, not {symbol!r}")
        values = (name, forward, local, param, bool(checks_local), fused, bool(coupled), roles, symbol, factory)
        for slot, value in zip(Op.__slots__, values):
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"an Op is immutable; make a new Op instead of setting {name!r}")

    def _key(self) -> tuple[Any, ...]:
        return (self.name, self.forward, self.local, self.param, self.checks_local, self.coupled, self.symbol)

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, Op) and self._key() == other._key())

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Op({self.name!r}, param={self.param!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle a built-in op as a reference (its functions are not picklable; the op unpickles as
        the very same object), so models and graphs can be pickled and copied."""
        if self.factory is not None:
            return (self.factory, (self.param,))
        key = _FIXED_KEYS.get(id(self))
        if key is not None:
            return (builtin_op, (key,))
        raise TypeError(
            f"the op {self.name!r} is not one of chainrule's built-in ops, so it cannot be pickled; "
            "pickle graphs of built-in ops only, or save a model's weights with nn.save"
        )


def display(op: Op) -> str:
    """How pictures show ``op``: its symbol with its parameter (``"**2"``, ``"softmax[1]"``), else its name."""
    if not op.symbol:
        return op.name
    return op.symbol.format(param=op.param)


def input_roles(op: Op, n: int) -> tuple[str, ...]:
    """One role per input of a node of ``op`` with ``n`` inputs: the op's ``roles``, else "operand"."""
    if op.roles is None:
        return ("operand",) * n
    return op.roles(op.param, n)


class FloatMath:
    """The float rule namespace as a class, for a namespace that replaces one function (diagnose)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(FLOATS, name)


# --- domain checks --------------------------------------------------------------------------------


def _finite(name: str, out: float, xs: Sequence[float]) -> float:
    """Return ``out`` or raise: the engine never records a NaN or an infinity (see README, 'Policy')."""
    if math.isfinite(out):
        return out
    args = ", ".join(repr(x) for x in xs)
    raise ValueError(f"{name}({args}) overflows a float (result {out}); inputs must keep it finite")


def _finite_input(name: str, x: float) -> float:
    """Return ``x`` or raise: ops that map a NaN or infinity to a finite number (relu, tanh, x / inf)
    would otherwise hide a bad number set by hand; +, *, sum and dot pass it on to their result.
    Ops on one input test ``isfinite`` inline and call this only to raise (a call costs ~5x the test)."""
    if isfinite(x):
        return x
    raise ValueError(f"{name}({x!r}): the input is not finite; chainrule keeps every number finite")


_finite_inputs = finite_inputs
isfinite = math.isfinite


def _overflow(name: str, xs: Sequence[float]) -> ValueError:
    args = ", ".join(repr(x) for x in xs)
    return ValueError(f"{name}({args}) overflows a float; inputs must keep the result finite")


def local_floats(op: Op, out: float, xs: tuple[float, ...]) -> tuple[float, ...]:
    """Evaluate ``op``'s derivative rule on floats, refusing a derivative that is not finite."""
    if not op.checks_local:
        return op.local(FLOATS, out, xs, op.param)
    try:
        grads = op.local(FLOATS, out, xs, op.param)
    except (OverflowError, ZeroDivisionError):
        grads = (math.inf,)
    if all(map(math.isfinite, grads)):
        return grads
    args = ", ".join(repr(x) for x in xs)
    raise ValueError(f"the derivative of {op.name} at ({args}) overflows a float; move the input away from there")


# --- arithmetic -----------------------------------------------------------------------------------


def _add(xs: tuple[float, ...], p: Any) -> float:
    return _finite("add", xs[0] + xs[1], xs)


def _sub(xs: tuple[float, ...], p: Any) -> float:
    return _finite("sub", xs[0] - xs[1], xs)


def _mul(xs: tuple[float, ...], p: Any) -> float:
    return _finite("mul", xs[0] * xs[1], xs)


def _div(xs: tuple[float, ...], p: Any) -> float:
    x, y = _finite_input("div", xs[0]), _finite_input("div", xs[1])
    if y == 0.0:
        raise ZeroDivisionError(f"division by a Value that is zero: {x!r} / {y!r}; the divisor must be non-zero")
    return _finite("div", x / y, xs)


def _neg(xs: tuple[float, ...], p: Any) -> float:
    x = xs[0]
    return -x if isfinite(x) else _finite_input("neg", x)


def _abs(xs: tuple[float, ...], p: Any) -> float:
    x = xs[0]
    return abs(x) if isfinite(x) else _finite_input("abs", x)


def _pow_const(xs: tuple[float, ...], n: float) -> float:
    x = xs[0]
    if not isfinite(x):
        _finite_input("pow", x)
    if x < 0.0 and not n.is_integer():
        raise ValueError(
            f"a negative base to a non-integer power has no real value: ({x!r}) ** {n!r}; "
            "use a non-negative base or an integer exponent"
        )
    if x == 0.0 and n < 1.0 and n != 0.0:
        raise ValueError(
            f"{x!r} ** {n!r}: the power or its derivative is infinite at 0 for exponents below 1; "
            "accepted: a non-zero base, or an exponent of 0 or at least 1"
        )
    try:
        return _finite("pow", x**n, xs)
    except OverflowError:
        raise _overflow("pow", (x, n)) from None


def _pow(xs: tuple[float, ...], p: Any) -> float:
    x, y = _finite_input("pow", xs[0]), _finite_input("pow", xs[1])
    if x <= 0.0:
        raise ValueError(
            f"a Value exponent needs a positive base (d/dy x**y = x**y * log x): got ({x!r}) ** {y!r}; "
            "for a base <= 0 raise to a plain number instead (x ** 2, not x ** Value(2))"
        )
    try:
        return _finite("pow", x**y, xs)
    except OverflowError:
        raise _overflow("pow", xs) from None


OP_ADD = Op("+", _add, lambda m, out, xs, p: (1.0, 1.0))
OP_SUB = Op("-", _sub, lambda m, out, xs, p: (1.0, -1.0))
OP_MUL = Op("*", _mul, lambda m, out, xs, p: (xs[1], xs[0]))
OP_DIV = Op("/", _div, lambda m, out, xs, p: (1.0 / xs[1], -out / xs[1]), checks_local=True)
OP_NEG = Op("neg", _neg, lambda m, out, xs, p: (-1.0,), symbol="−")
# d|x|/dx = sign(x), written with step so that every math namespace (floats, Values, code) has it.
OP_ABS = Op("abs", _abs, lambda m, out, xs, p: (m.step(xs[0]) - m.step(-xs[0]),))
# x ** y with a Value exponent y: both partials.
OP_POW = Op(
    "**", _pow, lambda m, out, xs, p: (xs[1] * xs[0] ** (xs[1] - 1.0), out * m.log(xs[0])), checks_local=True
)


def _pow_const_local(m: Any, out: Any, xs: Sequence[Any], n: float) -> tuple[Any, ...]:
    # n == 0 is special-cased so that x == 0 does not evaluate 0 ** -1.
    return (n * xs[0] ** (n - 1.0),) if n != 0.0 else (0.0,)


@lru_cache(maxsize=256)
def op_pow_const(n: float) -> Op:
    """The op ``x ** n`` for a fixed number ``n`` (one shared Op per exponent)."""
    return Op(
        f"**{n:g}", _pow_const, _pow_const_local, n, checks_local=True, symbol="**{param:g}", factory=op_pow_const
    )


# --- elementary functions -------------------------------------------------------------------------


def _exp(xs: tuple[float, ...], p: Any) -> float:
    try:
        return math.exp(xs[0]) if isfinite(xs[0]) else _finite_input("exp", xs[0])
    except OverflowError:
        raise ValueError(f"exp({xs[0]!r}) overflows a float; exp accepts inputs up to about 709.78") from None


def _log(xs: tuple[float, ...], p: Any) -> float:
    x = xs[0]
    if not isfinite(x):
        _finite_input("log", x)
    if x <= 0.0:
        raise ValueError(f"log({x!r}) is undefined; log accepts positive numbers only")
    return math.log(x)


def _tanh(xs: tuple[float, ...], p: Any) -> float:
    x = xs[0]
    return math.tanh(x) if isfinite(x) else _finite_input("tanh", x)


def _sigmoid(xs: tuple[float, ...], p: Any) -> float:
    # Two branches so that exp never overflows: for x < 0 use e^x / (1 + e^x).
    x = xs[0]
    if not isfinite(x):
        _finite_input("sigmoid", x)
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(xs: tuple[float, ...], p: Any) -> float:
    x = xs[0]
    if isfinite(x):
        return x if x > 0.0 else 0.0
    return _finite_input("relu", x)


def _sin(xs: tuple[float, ...], p: Any) -> float:
    x = xs[0]
    return math.sin(x) if isfinite(x) else _finite_input("sin", x)


def _cos(xs: tuple[float, ...], p: Any) -> float:
    x = xs[0]
    return math.cos(x) if isfinite(x) else _finite_input("cos", x)


def _sqrt(xs: tuple[float, ...], p: Any) -> float:
    x = xs[0]
    if not isfinite(x):
        _finite_input("sqrt", x)
    if x <= 0.0:  # at 0 the derivative 1 / (2 sqrt x) is infinite
        raise ValueError(f"sqrt({x!r}): sqrt accepts positive numbers only (its derivative is infinite at 0)")
    return math.sqrt(x)


OP_EXP = Op("exp", _exp, lambda m, out, xs, p: (out,))
OP_SIN = Op("sin", _sin, lambda m, out, xs, p: (m.cos(xs[0]),))
OP_COS = Op("cos", _cos, lambda m, out, xs, p: (-m.sin(xs[0]),))
OP_SQRT = Op("sqrt", _sqrt, lambda m, out, xs, p: (0.5 / out,), checks_local=True)
OP_LOG = Op("log", _log, lambda m, out, xs, p: (1.0 / xs[0],), checks_local=True)
OP_TANH = Op("tanh", _tanh, lambda m, out, xs, p: (1.0 - out * out,))
OP_SIGMOID = Op("sigmoid", _sigmoid, lambda m, out, xs, p: (out * (1.0 - out),))
OP_RELU = Op("relu", _relu, lambda m, out, xs, p: (m.step(xs[0]),))


# --- n-ary ops: one node for a whole sum, dot product, softmax component or log-sum-exp ----------


def _sum(xs: tuple[float, ...], p: Any) -> float:
    return _finite("sum", builtins.sum(xs), xs)


def _dot(xs: tuple[float, ...], n: int) -> float:
    # Inputs are laid out (w_1..w_n, x_1..x_n[, b]); an odd length means a bias comes last.
    # A plain left-to-right loop, not builtins.sum (compensated since Python 3.12): the same bits
    # on every Python version, and faster for a neuron's few terms (docs/performance.md).
    total = xs[0] * xs[n]
    for i in range(1, n):
        total += xs[i] * xs[n + i]
    if len(xs) > 2 * n:
        total += xs[-1]
    return total if math.isfinite(total) else _finite("dot", total, xs)


def _dot_local(m: Any, out: Any, xs: Sequence[Any], n: int) -> tuple[Any, ...]:
    # d/dw_i = x_i, d/dx_i = w_i, d/db = 1: the tutorial's "d h1_in / d W = x".
    bias = (1.0,) if len(xs) > 2 * n else ()
    return (*xs[n : 2 * n], *xs[:n], *bias)


def _softmax_component(xs: tuple[float, ...], a: int) -> float:
    return softmax_floats(xs)[a]


def _softmax_local(m: Any, out: Any, xs: Sequence[Any], a: int) -> tuple[Any, ...]:
    # The full Jacobian row d o_a / d z_b = o_a * (delta_ab - o_b), off-diagonal terms included.
    probs = m.softmax(xs)
    row = [-out * p for p in probs]
    row[a] = out * (1.0 - probs[a])
    return tuple(row)


def _logsumexp(xs: tuple[float, ...], p: Any) -> float:
    _finite_inputs("logsumexp", xs)
    top = max(xs)
    return top + math.log(builtins.sum(math.exp(x - top) for x in xs))


OP_SUM = Op("sum", _sum, lambda m, out, xs, p: (1.0,) * len(xs), symbol="+")
OP_LOGSUMEXP = Op("logsumexp", _logsumexp, lambda m, out, xs, p: tuple(m.softmax(xs)))


class _Read:
    """A stand-in for ``xs[i]`` that prints as that code: evaluating a rule on these writes it out."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i

    def __repr__(self) -> str:
        return f"xs[{self.i}]"


def _dot_kernel_source(n: int) -> str:
    """The code of ``dot``'s kernel for ``n`` pairs (see :func:`_dot_kernel`).

    >>> print(_dot_kernel_source(2))
    def dot_2(xs, n):
        if len(xs) > 4:
            out = xs[0] * xs[2] + xs[1] * xs[3] + xs[4]
            local = (xs[2], xs[3], xs[0], xs[1], 1.0)
        else:
            out = xs[0] * xs[2] + xs[1] * xs[3]
            local = (xs[2], xs[3], xs[0], xs[1])
        if isfinite(out):
            return out, local
        return _dot(xs, n), local
    """
    lines = [f"def dot_{n}(xs, n):"]
    for bias, branch in ((True, f"if len(xs) > {2 * n}:"), (False, "else:")):
        terms = [f"xs[{i}] * xs[{n + i}]" for i in range(n)] + ([f"xs[{2 * n}]"] if bias else [])
        local = _dot_local(None, None, [_Read(i) for i in range(2 * n + bias)], n)
        lines += [f"    {branch}", f"        out = {' + '.join(terms)}", f"        local = {local!r}"]
    lines += ["    if isfinite(out):", "        return out, local", "    return _dot(xs, n), local"]
    return "\n".join(lines)


def _dot_kernel(n: int) -> Callable[[tuple[float, ...], Any], tuple[float, tuple[float, ...]]]:
    """``dot``'s forward value and local derivatives for ``n`` pairs as ONE generated function.

    A neuron's dot node is the most common node of a network, and calling ``_dot`` and then
    ``_dot_local`` (a loop and two slices) was a third of its cost. Written out for one ``n``,
    both are a few lines (:func:`_dot_kernel_source`). Nothing is restated: the derivative tuple is
    the rule ``_dot_local`` evaluated on stand-ins that print as ``xs[i]``, and the sum adds left to
    right with the bias last, exactly as ``_dot`` does; a non-finite sum is handed to ``_dot`` to
    raise its error.
    """
    namespace: dict[str, Any] = {"isfinite": math.isfinite, "_dot": _dot}
    exec(compile(_dot_kernel_source(n), f"<autograd.ops dot kernel n={n}>", "exec"), namespace)
    return namespace[f"dot_{n}"]


# Above this many pairs the loop's overhead is small beside the work, and the code would be long.
_KERNEL_MAX_PAIRS = 16


@lru_cache(maxsize=1024)
def op_dot(n: int) -> Op:
    """The op ``sum(w_i * x_i) (+ b)`` over ``n`` weight/input pairs."""
    fused = _dot_kernel(n) if n <= _KERNEL_MAX_PAIRS else None
    return Op("dot", _dot, _dot_local, n, fused=fused, roles=_dot_roles, factory=op_dot)


def _dot_roles(n: int, count: int) -> tuple[str, ...]:
    return ("weight",) * n + ("input",) * n + ("bias",) * (count - 2 * n)


@lru_cache(maxsize=1024)
def op_softmax(a: int) -> Op:
    """The op giving component ``a`` of the softmax of all its inputs."""
    return Op(
        "softmax", _softmax_component, _softmax_local, a, coupled=True, symbol="softmax[{param}]", factory=op_softmax
    )


def builtin_op(name: str, param: Any = None) -> Op:
    """The built-in op of this name and parameter, the very object the engine uses (``KeyError`` if
    there is none): a lookup for reading ops back (pickles, files), never a test of what an op is."""
    if param is None:
        return _FIXED[name]
    try:
        op = _PARAMETRIZED.get(name, op_pow_const)(param)
    except (TypeError, ValueError):
        raise KeyError(name) from None
    if op.name != name:
        raise KeyError(name)
    return op


_FIXED = {
    op.name: op
    for op in (OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG, OP_ABS, OP_POW, OP_EXP, OP_LOG, OP_TANH, OP_SIGMOID,
               OP_RELU, OP_SIN, OP_COS, OP_SQRT, OP_SUM, OP_LOGSUMEXP)
}  # fmt: skip
_FIXED_KEYS = {id(op): name for name, op in _FIXED.items()}
_PARAMETRIZED: dict[str, Callable[[Any], Op]] = {"dot": op_dot, "softmax": op_softmax}
