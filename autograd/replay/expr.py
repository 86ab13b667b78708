"""Symbolic expressions: the ops' derivative rules evaluated into code, and the forward templates."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import ops, rules

if TYPE_CHECKING:
    from .codegen import _Writer


# --- symbolic expressions: the derivative rules evaluated into code ------------------------------

# Operator precedence, as Python parses it (higher binds tighter).
_ATOM, _POW, _UNARY, _MUL, _ADD, _COND = 100, 14, 13, 12, 11, 1


def _code(x: Expr | float, min_prec: int) -> str:
    """``x`` as code that can stand where an operand of precedence ``min_prec`` is expected."""
    if isinstance(x, Expr):
        return x.code if x.prec >= min_prec else f"({x.code})"
    text = repr(x)
    # A negative literal is a unary minus: it binds looser than ** and tighter than *.
    return f"({text})" if text.startswith("-") and min_prec > _UNARY else text


def _tuple(items: Sequence[Expr | float | str]) -> str:
    """A tuple display: ``(a,)`` or ``(a, b)``."""
    codes = [x if isinstance(x, str) else _code(x, _COND) for x in items]
    return f"({codes[0]},)" if len(codes) == 1 else f"({', '.join(codes)})"


def _wrap(head: str, items: Sequence[str], tail: str, width: int = 110) -> list[str]:
    """``head(items...)tail`` as lines of at most ``width`` characters (long ones wrapped inside the brackets)."""
    one = f"{head}{', '.join(items)}{tail}"
    if len(one) <= width or not items:
        return [one]
    lines, line = [head], "    "
    for item in items:
        if len(line) + len(item) + 2 > width and line.strip():
            lines.append(line.rstrip())
            line = "    "
        line += item + ", "
    lines.append(line.rstrip())
    return [*lines, tail.removeprefix(",")]  # every wrapped item already ends with a comma


def _value(x: Expr | float) -> float | None:
    return x.value if isinstance(x, Expr) else x


def _binary(a: Expr | float, op: str, b: Expr | float, prec: int) -> Expr:
    # Left-associative: a same-precedence left operand needs no parentheses, a right one does
    # (floats are not associative: a * (b * c) is not a * b * c).
    left, right = (_POW + 1, _POW + 1) if op == "**" else (prec, prec + 1)
    try:
        value = _PY_OPS[op](_value(a), _value(b))
    except (ArithmeticError, TypeError, ValueError):
        value = None
    return Expr(f"{_code(a, left)} {op} {_code(b, right)}", value, prec)


_PY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


class Expr:
    """A number known by the code that computes it: ``Expr("h1_in_0", 1.35)``.

    Arithmetic on Exprs (and plain floats) builds the code of the result, fully parenthesised
    where Python's precedence would otherwise regroup it, so the printed code performs exactly the
    float operations the derivative rule performs. ``value`` is the number at trace time (or None
    when it cannot be computed); it is used only to resolve a comparison a rule makes, which then
    becomes a guard in the generated code. An Expr has no ``__float__``: a rule that calls a math
    function on it directly fails to trace symbolically and is called on floats at replay time.
    """

    __slots__ = ("code", "value", "prec")

    def __init__(self, code: str, value: float | None, prec: int = _ATOM) -> None:
        self.code = code
        self.value = value
        self.prec = prec

    def __repr__(self) -> str:
        return f"Expr({self.code!r}, {self.value!r})"

    def __add__(self, other: Expr | float) -> Expr:
        return _binary(self, "+", other, _ADD)

    def __radd__(self, other: float) -> Expr:
        return _binary(other, "+", self, _ADD)

    def __sub__(self, other: Expr | float) -> Expr:
        return _binary(self, "-", other, _ADD)

    def __rsub__(self, other: float) -> Expr:
        return _binary(other, "-", self, _ADD)

    def __mul__(self, other: Expr | float) -> Expr:
        return _binary(self, "*", other, _MUL)

    def __rmul__(self, other: float) -> Expr:
        return _binary(other, "*", self, _MUL)

    def __truediv__(self, other: Expr | float) -> Expr:
        return _binary(self, "/", other, _MUL)

    def __rtruediv__(self, other: float) -> Expr:
        return _binary(other, "/", self, _MUL)

    def __pow__(self, other: Expr | float) -> Expr:
        return _binary(self, "**", other, _POW)

    def __rpow__(self, other: float) -> Expr:
        return _binary(other, "**", self, _POW)

    def __neg__(self) -> Expr:
        value = -self.value if self.value is not None else None
        return Expr(f"-{_code(self, _POW)}", value, _UNARY)

    # A comparison in a derivative rule is resolved with the traced numbers and recorded as a
    # guard, so the generated code can tell when a replay would take the other branch.
    def _compare(self, op: str, other: Expr | float, result: Callable[[float, float], bool]) -> bool:
        a, b = self.value, _value(other)
        if a is None or b is None:
            raise TypeError(f"cannot resolve {self.code} {op} {_code(other, _ATOM)} at trace time")
        taken = result(a, b)
        condition = f"{_code(self, _ADD)} {op} {_code(other, _ADD)}"
        _current_guards.append(condition if taken else f"not ({condition})")
        return taken

    def __lt__(self, other: Expr | float) -> bool:
        return self._compare("<", other, lambda a, b: a < b)

    def __le__(self, other: Expr | float) -> bool:
        return self._compare("<=", other, lambda a, b: a <= b)

    def __gt__(self, other: Expr | float) -> bool:
        return self._compare(">", other, lambda a, b: a > b)

    def __ge__(self, other: Expr | float) -> bool:
        return self._compare(">=", other, lambda a, b: a >= b)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expr | float | int):
            return NotImplemented
        return self._compare("==", other, lambda a, b: a == b)

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, Expr | float | int):
            return NotImplemented
        return self._compare("!=", other, lambda a, b: a != b)

    def __bool__(self) -> bool:
        return self._compare("!=", 0.0, lambda a, b: a != b)

    __hash__ = None  # type: ignore[assignment]


# Guards recorded while one derivative rule is being evaluated (a rule sees only Exprs, so the
# list it appends to is set here, around each call; tracing is single-threaded).
_current_guards: list[str] = []


def _call(name: str, fn: Callable[[float], float], x: Expr | float) -> Expr | float:
    """``name(x)``: folded to a float when ``x`` is a constant."""
    if not isinstance(x, Expr):
        return fn(x)
    try:
        value = fn(x.value) if x.value is not None else None
    except (ArithmeticError, ValueError):
        value = None
    return Expr(f"{name}({x.code})", value)


def _relu(x: Expr | float) -> Expr | float:
    # Mirrors ops._relu: x if x > 0.0 else 0.0.
    if not isinstance(x, Expr):
        return ops._relu((x,), None)
    value = None if x.value is None else ops._relu((x.value,), None)
    code = _code(x, _ADD)
    return Expr(f"{code} if {code} > 0.0 else 0.0", value, _COND)


class _SymbolicMath:
    """The rule namespace (:mod:`autograd.rules`) producing code: each function through its code form.

    ``m.softmax`` is the writer's, which computes each distinct softmax once for the forward value
    and the rules that share it. A function with no entry raises TypeError: the rule is then called
    on floats at run time.
    """

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    def softmax(self, xs: Sequence[Expr | float]) -> list[Expr | float]:
        return self._writer.softmax(xs)

    def __getattr__(self, name: str) -> Any:
        rule = rules.RULES.get(name)
        if rule is None:
            raise TypeError(f"the rule namespace function {name!r} has no code form")
        return lambda *args: _rule_code(self._writer, rule, args)


def _rule_code(writer: _Writer, rule: rules.Rule, args: Sequence[Expr | float]) -> Expr | float:
    """``rule`` applied to ``args`` as code (its code form, its globals bound); a float on constants."""
    if not any(isinstance(a, Expr) for a in args):
        return rule.floats(*args)
    writer.namespace.update(rule.globals)
    values = [_value(a) for a in args]
    try:
        value = None if None in values else rule.floats(*values)
    except (ArithmeticError, ValueError):
        value = None
    return Expr(rule.code.format(*(_code(a, _COND) for a in args)), value)


# --- the forward computations, one entry per op ----------------------------------------------------
#
# Why a table: an op's ``forward`` is float code that also checks its domain and raises the
# engine's errors, so it cannot be run on Exprs. Each entry below writes the *same* float
# operations without the checks (a replay checks finiteness once for the whole step and re-runs a
# failing step through ``forward`` itself). An op missing here is not an error: its ``forward`` is
# called as it is from the generated code, which is exact but slower. Tests compare every entry
# with its ``forward``, bit for bit, on random inputs.


def _sum(items: Sequence[Expr | float]) -> Expr | float:
    """``sum((a, b, ...))``, the builtin the ops use (Python 3.12 made it compensated: same function,
    same result); folded to a float when every item is a constant."""
    if not any(isinstance(x, Expr) for x in items):
        return builtins.sum(items)
    values = [_value(x) for x in items]
    total = None if None in values else builtins.sum(values)  # type: ignore[arg-type]
    return Expr(f"sum({_tuple(items)})", total)


def _fw_dot(w: _Writer, xs: Sequence[Expr | float], n: int) -> Expr | float:
    # ops._dot: the products w_i * x_i added left to right, then + b when a bias comes last.
    total = xs[0] * xs[n]
    for i in range(1, n):
        total = total + xs[i] * xs[n + i]
    return total + xs[-1] if len(xs) > 2 * n else total


_FORWARD: dict[Callable[..., float], Callable[[_Writer, Sequence[Any], Any], Expr | float]] = {
    ops._add: lambda w, x, p: x[0] + x[1],
    ops._sub: lambda w, x, p: x[0] - x[1],
    ops._mul: lambda w, x, p: x[0] * x[1],
    ops._div: lambda w, x, p: x[0] / x[1],
    ops._neg: lambda w, x, p: -x[0],
    ops._exp: lambda w, x, p: _call("exp", math.exp, x[0]),
    ops._log: lambda w, x, p: _call("log", math.log, x[0]),
    ops._tanh: lambda w, x, p: _call("tanh", math.tanh, x[0]),
    ops._relu: lambda w, x, p: _relu(x[0]),
    ops._sum: lambda w, x, p: _sum(x),
    ops._dot: _fw_dot,
    ops._softmax_component: lambda w, x, p: w.softmax(x)[p],
}


# --- the code writer --------------------------------------------------------------------------------
