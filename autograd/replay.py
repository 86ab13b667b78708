"""Trace once, replay fast: a recorded graph written out as straight-line Python.

A dynamic step rebuilds its graph every time: one :class:`~autograd.Value` per operation, then a
topological sort, then the reverse sweep. When the *shape* of the graph does not change from step
to step (the same network on the same kind of input), all of that bookkeeping can be done once.
:func:`trace` takes a built graph and writes one Python function that computes the output and the
gradients of chosen parameters from plain floats::

    step = replay.trace(loss, params=model.parameters())
    value, grads = step()          # reads the current .data of the parameters
    for p, g in zip(step.params, grads):
        p.data -= 0.1 * g

The function is generated from the ops' own definitions. Each op's derivative rule ``local`` is
evaluated once on small symbolic expressions (:class:`Expr`) instead of floats, so ``out * (1.0 -
out)`` for a sigmoid prints as ``h2_out_0 * (1.0 - h2_out_0)``: the same rule that runs in every
dynamic step, with no second table of derivatives. Its results are identical to the dynamic
engine's, bit for bit: the same float operations run in the same order (see ``_FORWARD`` for the one
place the forward computations are spelled out, and why). ``print(step.source)`` shows the code: the
backward pass, written out.

What a replay assumes, and what it checks:

- The parameters (``params``) and the data inputs (``inputs``) are read afresh on each call; every
  other leaf is a constant, written into the code. Each call checks that those constant leaves
  still hold their traced values and raises :class:`ReplayMismatch` if one has changed (declare it
  in ``inputs`` instead).
- Every op is replayed with its own rules on the new numbers, so a relu that switches off, a
  sigmoid that saturates or a softmax that moves is handled exactly; nothing is specialised to the
  traced numbers. If a derivative rule itself branches on a number (no built-in op's does; a
  custom op's might), the branch taken at trace time becomes a guard in the code; a call where a
  guard fails is computed op by op instead (still exact; counted in :attr:`Replay.slow_calls`).
- A branch in *your* code (``if x.data > 0: ...``) is invisible to a trace: the replay keeps
  computing the graph that was recorded. :meth:`Replay.check` compares a freshly built graph with
  the trace and raises :class:`ReplayMismatch` at the first difference; call it now and then, or
  trace again when the graph's shape can change.
- chainrule's number policy holds: if any number of the step is not finite, or an op is used
  outside its domain, the call is re-run op by op through the engine's own rules, which raise the
  engine's own error. (Gradients are computed only where they reach a parameter; an overflow
  confined to a gradient nothing asked for goes unreported, where ``backward()`` would raise.)
- Hooks are not replayed: tracing a graph that has hooks raises.

Nothing here recurses over the graph, and long gradient sums are split over statements, so deep and
wide graphs trace fine. Tracing costs about what Python's compiler takes for the code: micrograd's
demo step (7,881 nodes, 15,543 lines) traces and compiles in about 0.4 s.
"""

from __future__ import annotations

import builtins
import keyword
import linecache
import math
import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from itertools import count
from typing import Any

from . import ops
from .backward import accumulate, topological_order
from .value import Value, as_float, value_list

__all__ = ["Expr", "Replay", "ReplayMismatch", "trace"]


class ReplayMismatch(ValueError):
    """A replay was asked to compute something other than the graph it recorded."""


class _NotFinite(ArithmeticError):
    """Raised by generated code when a number of the step is NaN or infinite (the slow path explains)."""


class _GuardFailed(Exception):
    """Raised by generated code when a derivative rule would branch differently from the trace."""


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


def _step(x: Expr | float) -> Expr | float:
    # Mirrors ops.FloatMath.step (1.0 for x > 0, else 0.0), written branch-free as a conditional
    # expression so that a relu switching sides needs no guard. Tests compare the two bit for bit.
    if not isinstance(x, Expr):
        return ops.FLOATS.step(x)
    value = None if x.value is None else ops.FLOATS.step(x.value)
    return Expr(f"1.0 if {_code(x, _ADD)} > 0.0 else 0.0", value, _COND)


def _relu(x: Expr | float) -> Expr | float:
    # Mirrors ops._relu: x if x > 0.0 else 0.0.
    if not isinstance(x, Expr):
        return ops._relu((x,), None)
    value = None if x.value is None else ops._relu((x.value,), None)
    code = _code(x, _ADD)
    return Expr(f"{code} if {code} > 0.0 else 0.0", value, _COND)


class _SymbolicMath:
    """The math namespace of derivative rules (see ``ops.FloatMath``), producing code."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    def log(self, x: Expr | float) -> Expr | float:
        return _call("log", math.log, x)

    def step(self, x: Expr | float) -> Expr | float:
        return _step(x)

    def softmax(self, xs: Sequence[Expr | float]) -> list[Expr | float]:
        return self._writer.softmax(xs)


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

_RESERVED = {"sum", "exp", "log", "tanh", "softmax", "isfinite", "params", "inputs", "check", "grads"}


def _identifier(label: str) -> str:
    """A readable Python name from a label: ``W_ij[0][1]`` -> ``W_ij_0_1``; '' when none fits."""
    name = re.sub(r"\W+", "_", label).strip("_")
    if not name or name[0].isdigit():
        return ""
    return name


class _Writer:
    """Names, statements and the runtime namespace of one generated function."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "sum": builtins.sum,
            "exp": math.exp,
            "log": math.log,
            "tanh": math.tanh,
            "softmax": ops.softmax_floats,
            "isfinite": math.isfinite,
            "NotFinite": _NotFinite,
            "GuardFailed": _GuardFailed,
            "FLOATS": ops.FLOATS,
        }
        self.taken: set[str] = set(_RESERVED) | set(self.namespace) | set(keyword.kwlist)
        self.lines: list[str] = []
        self.checked: list[str] = []  # names whose finiteness the step checks
        self._probs: dict[tuple[str, ...], list[Expr | float]] = {}
        self._forwards: dict[tuple[Any, str], str] = {}
        self.helpers: list[str] = []  # ops called through their own forward function

    def name(self, stem: str) -> str:
        """A fresh variable name (and its gradient's, ``d_`` + name, is kept free too)."""
        for k in count(1):
            name = stem if k == 1 else f"{stem}_{k}"
            if name not in self.taken and f"d_{name}" not in self.taken:
                self.taken.update((name, f"d_{name}"))
                return name
        raise AssertionError("unreachable")

    def bind(self, stem: str, obj: Any) -> str:
        """Make ``obj`` reachable from the generated code under a fresh name."""
        name = self.name(stem)
        self.namespace[name] = obj
        return name

    def forward_function(self, op: ops.Op) -> str:
        """A name for ``lambda *xs: op.forward(xs, op.param)``, one per distinct forward and param."""
        key = (op.forward, repr(op.param))
        if key not in self._forwards:
            forward, param = op.forward, op.param
            name = self.bind(_identifier(getattr(forward, "__name__", "")) or "forward", lambda *xs: forward(xs, param))
            self._forwards[key] = name
            self.helpers.append(name)
        return self._forwards[key]

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def assign(self, stem: str, expr: Expr | float, check: bool = False) -> Expr | float:
        """``name = expr`` as a statement; returns the name as an Expr (constants stay constants)."""
        if not isinstance(expr, Expr):
            return expr
        name = self.name(stem)
        self.emit(f"{name} = {expr.code}")
        if check:
            self.checked.append(name)
        return Expr(name, expr.value)

    def softmax(self, xs: Sequence[Expr | float]) -> list[Expr | float]:
        """The softmax of ``xs``, computed once per distinct input list (forward and rules share it)."""
        if not any(isinstance(x, Expr) for x in xs):
            return list(ops.softmax_floats(xs))  # type: ignore[arg-type]
        key = tuple(_code(x, _COND) for x in xs)
        if key not in self._probs:
            values = [_value(x) for x in xs]
            known = None if None in values else ops.softmax_floats(values)  # type: ignore[arg-type]
            stem = "p_" + (key[0] if isinstance(xs[0], Expr) and key[0].isidentifier() else "softmax")
            name = self.name(stem)
            self.emit(f"{name} = softmax({_tuple(key)})")
            self._probs[key] = [Expr(f"{name}[{i}]", None if known is None else known[i]) for i in range(len(xs))]
        return self._probs[key]


def _times(local: Expr | float, g: str) -> str | None:
    """The code of ``local * g`` (the engine's chain-rule product); None when it is exactly zero."""
    if not isinstance(local, Expr):
        if local == 1.0:  # 1.0 * g is g, bit for bit
            return g
        if local == -1.0:  # so is -1.0 * g and -g
            return f"-{g}"
        if local == 0.0:  # contributes +-0.0, which never changes a sum (see _gradient_sum)
            return None
    return f"{_code(local, _MUL)} * {g}"


def _gradient_sum(name: str, terms: list[str], writer: _Writer) -> None:
    """``d_x = t1 + t2 + ...``: left to right, the order in which backward() accumulates them.

    Long sums are split over statements (``d_x = d_x + ...``), which keeps the same left-to-right
    order while keeping expressions shallow for Python's compiler.
    """
    chunk = 64
    writer.emit(f"{name} = " + " + ".join(terms[:chunk]))
    for k in range(chunk, len(terms), chunk):
        writer.emit(f"{name} = {name} + " + " + ".join(terms[k : k + chunk]))


# --- tracing ----------------------------------------------------------------------------------------


def _leaves(values: Iterable[Value], what: str) -> tuple[Value, ...]:
    if isinstance(values, Value):
        raise TypeError(f"trace's {what} takes a list of Values, not one Value; wrap it in [x]")
    items = tuple(value_list(values, f"trace's {what}"))
    for v in items:
        if not v.is_leaf:
            raise ValueError(
                f"trace's {what} must be leaves (Values you made, not results of operations); "
                f"{v!r} was computed by {v.op!r}"
            )
    if len({id(v) for v in items}) != len(items):
        raise ValueError(f"trace's {what} lists the same Value twice")
    return items


def trace(output: Value, params: Iterable[Value], inputs: Iterable[Value] = ()) -> Replay:
    """Record ``output``'s graph once and return a :class:`Replay` that recomputes it from floats.

    ``params`` are the leaves whose gradients each call returns (in this order); ``inputs`` are
    leaves read afresh on each call without a gradient (data that changes between steps). Both are
    read from their current ``.data``. Every other leaf is a constant written into the code.
    """
    if not isinstance(output, Value):
        raise TypeError(f"trace takes the output Value of a graph, not {type(output).__name__}: {output!r}")
    if not math.isfinite(output.data):
        raise ValueError(f"trace needs a finite output, got {output!r}")
    params = _leaves(params, "params")
    inputs = _leaves(inputs, "inputs")
    if {id(v) for v in params} & {id(v) for v in inputs}:
        raise ValueError("a Value cannot be both a param and an input of a trace")
    order = topological_order(output)
    for node in order:
        if node._hooks:
            raise ValueError(
                f"{node!r} has hooks; a replay does not run hooks: remove them (handle.remove()) "
                "or use backward() for this graph"
            )
    return Replay(output, order, params, inputs)


class Replay:
    """A traced step: ``replay()`` returns ``(output, gradients of params)`` computed from floats.

    Built by :func:`trace`. ``source`` is the generated code; ``params`` and ``inputs`` the leaves it
    reads; ``slow_calls`` counts calls that had to be computed op by op (a guard or a number that
    failed the checks; see the module docstring).
    """

    def __init__(
        self, output: Value, order: list[Value], params: tuple[Value, ...], inputs: tuple[Value, ...]
    ) -> None:
        self.params = params
        self.inputs = inputs
        self.slow_calls = 0
        index = {id(node): k for k, node in enumerate(order)}
        self._n_params = len(params)
        # The recorded tape, for the op-by-op path and for check(): per node, its op and input indices.
        self._ops = [node._rule for node in order]
        self._wiring = [tuple(index[id(i)] for i in node.inputs) for node in order]
        slot = {id(v): k for k, v in enumerate(params + inputs)}
        self._slots = [slot.get(id(node), -1) for node in order]
        self._constants = [node for node in order if node.is_leaf and id(node) not in slot]
        self._constant_data = [node.data for node in self._constants]
        self._param_index = [index.get(id(p), -1) for p in params]
        self.n_nodes = len(order)
        self.source, self._function = _generate(output, order, params, inputs)
        # The source stays in linecache (for tracebacks through it) as long as this replay lives:
        # a loop that retraces would otherwise keep every generated source forever.
        weakref.finalize(self, linecache.cache.pop, self._function.__code__.co_filename, None)

    def __repr__(self) -> str:
        return f"Replay({self.n_nodes} nodes, {len(self.params)} params, {len(self.inputs)} inputs)"

    def __call__(self, inputs: Sequence[float] | None = None) -> tuple[float, list[float]]:
        """Compute the output and d(output)/d(param) for each param from the current numbers.

        ``inputs``, if given, replaces the input leaves' ``.data`` for this call (one float each).
        """
        if [c.data for c in self._constants] != self._constant_data:
            self._constant_changed()
        params = [p.data for p in self.params]
        if inputs is None:
            data = [x.data for x in self.inputs]
        else:
            data = [as_float(x, f"the replay's input {k}") for k, x in enumerate(inputs)]
            if len(data) != len(self.inputs):
                raise ValueError(f"this replay takes {len(self.inputs)} input numbers, got {len(data)}")
        try:
            value, grads = self._function(params, data)
        except (ArithmeticError, ValueError, _GuardFailed):
            # Rare: a number out of range or a guard that failed. The op-by-op path computes the
            # same result the engine would, or raises the engine's own error.
            self.slow_calls += 1
            return self._interpret(params, data)
        return value, list(grads)

    def backward(self, inputs: Sequence[float] | None = None) -> float:
        """Like ``output.backward()`` for the params: add each gradient to ``param.grad``; return the output.

        (The graph's other nodes are not touched: a replay keeps no Values for them.) As with
        ``backward()``, all or nothing: a sum that overflows raises and changes no ``.grad``.
        """
        value, grads = self(inputs)
        accumulate(self.params, grads)
        return value

    def check(self, output: Value, inputs: Iterable[Value] | None = None) -> None:
        """Raise :class:`ReplayMismatch` unless ``output``'s graph has the traced shape.

        Rebuild the step dynamically (the way it was first built, with the same params and with
        ``inputs``, by default the traced input leaves) and pass its output: every node must have
        the same op and wiring, every constant the same value.
        """
        inputs = self.inputs if inputs is None else _leaves(inputs, "inputs")
        if len(inputs) != len(self.inputs):
            raise ReplayMismatch(f"the trace has {len(self.inputs)} inputs, check got {len(inputs)}")
        order = topological_order(output)
        if len(order) != self.n_nodes:
            raise ReplayMismatch(f"the graph has {len(order)} nodes, the trace recorded {self.n_nodes}")
        index = {id(node): k for k, node in enumerate(order)}
        slot = {id(v): k for k, v in enumerate(self.params + tuple(inputs))}
        constants = iter(self._constant_data)
        for k, node in enumerate(order):
            wiring = tuple(index[id(i)] for i in node.inputs)
            where = f"node {k} of {self.n_nodes} ({node!r})"
            if node._rule is not self._ops[k] and node._rule != self._ops[k]:
                recorded = self._ops[k]
                was = recorded.name if recorded is not None else "a leaf"
                raise ReplayMismatch(f"{where} is {node.op or 'a leaf'!r}; the trace recorded {was!r} there")
            if wiring != self._wiring[k]:
                raise ReplayMismatch(f"{where} takes nodes {wiring}; the trace recorded {self._wiring[k]}")
            if slot.get(id(node), -1) != self._slots[k]:
                raise ReplayMismatch(f"{where} is not the param or input the trace recorded there")
            if node.is_leaf and self._slots[k] < 0 and node.data != next(constants):
                raise ReplayMismatch(f"{where} is a constant that differs from the traced one")

    # --- the op-by-op path -----------------------------------------------------------------------

    def _constant_changed(self) -> None:
        for node, old in zip(self._constants, self._constant_data):
            if node.data != old:
                raise ReplayMismatch(
                    f"the constant leaf {node!r} was {old!r} when traced; a replay keeps constants as they "
                    "were. Pass the leaves that change between calls as trace(..., inputs=[...])"
                )

    def _interpret(self, params: list[float], data: list[float]) -> tuple[float, list[float]]:
        """The step computed the way the engine computes it (same rules, same order, same errors)."""
        slots = params + data
        constants = iter(self._constant_data)
        values: list[float] = []
        locals_: list[tuple[float, ...]] = []
        for op, wiring, slot in zip(self._ops, self._wiring, self._slots):
            if op is None:
                if slot >= 0:
                    what = (
                        f"param {slot} ({self.params[slot]!r})"
                        if slot < self._n_params
                        else f"input {slot - self._n_params}"
                    )
                    values.append(as_float(slots[slot], f"the replay's {what}"))
                else:
                    values.append(next(constants))
                locals_.append(())
                continue
            xs = tuple(values[i] for i in wiring)
            out = op.forward(xs, op.param)
            values.append(out)
            locals_.append(ops.local_floats(op, out, xs))
        grads = [0.0] * len(values)
        grads[-1] = 1.0
        for k in range(len(values) - 1, -1, -1):
            g = grads[k]
            if g:
                for i, local in zip(self._wiring[k], locals_[k]):
                    grads[i] += local * g
        for k, g in enumerate(grads):
            if not math.isfinite(g):
                recorded = self._ops[k]
                raise ValueError(
                    f"the gradient reaching node {k} ({recorded.name if recorded is not None else 'a leaf'}) "
                    f"overflowed to {g}; the graph's derivatives multiply to more than a float holds "
                    "(scale the inputs or the loss down)"
                )
        return values[-1], [grads[k] if k >= 0 else 0.0 for k in self._param_index]


# --- code generation ----------------------------------------------------------------------------------

_counter = count()


def _generate(
    output: Value, order: list[Value], params: tuple[Value, ...], inputs: tuple[Value, ...]
) -> tuple[str, Callable[[list[float], list[float]], tuple[float, tuple[float, ...]]]]:
    w = _Writer()
    math_ns = _SymbolicMath(w)
    param_ids = {id(p) for p in params}
    what = f"{output.op or 'leaf'} output {output.label!r}" if output.label else f"{output.op or 'leaf'} output"
    header = [
        "def replay_step(params, inputs):",
        f'    """The {what}: {len(order)} nodes, {len(params)} params, {len(inputs)} inputs '
        '(written by autograd.replay)."""',
    ]

    def leaf_names(leaves: tuple[Value, ...], stem: str) -> list[str]:
        return [w.name(_identifier(v.label) or f"{stem}{k}") for k, v in enumerate(leaves)]

    exprs: dict[int, Expr | float] = {}
    for leaves, stem, var in ((params, "w", "params"), (inputs, "x", "inputs")):
        names = leaf_names(leaves, stem)
        for name, v in zip(names, leaves):
            exprs[id(v)] = Expr(name, v.data)
        if names:
            for line in _wrap("(", names, f",) = {var}"):
                w.emit(line)

    # Forward: each node from its inputs; a node reaching no param needs no gradient.
    w.emit("# forward: every node from its inputs")
    needs_grad: dict[int, bool] = {}
    rules: dict[int, tuple[Expr | float, ...]] = {}
    for k, node in enumerate(order):
        op = node._rule
        if op is None:
            exprs.setdefault(id(node), node.data)  # a constant: written into the code
            needs_grad[id(node)] = id(node) in param_ids
            continue
        args = [exprs[id(i)] for i in node.inputs]
        stem = _identifier(node.label) or ("output" if node is output else f"v{k}")
        template = _FORWARD.get(op.forward)
        if template is not None:
            fw = template(w, args, op.param)
        else:
            # An op without a template: its own forward function, called with the node's inputs.
            fn = w.forward_function(op)
            fw = Expr(f"{fn}({', '.join(_code(a, _COND) for a in args)})", node.data)
        out = w.assign(stem, fw, check=True)
        exprs[id(node)] = out
        needs_grad[id(node)] = any(needs_grad[id(i)] for i in node.inputs)
        if needs_grad[id(node)]:
            rules[id(node)] = _rule(w, math_ns, node, out, args, stem)

    # Backward: d(output)/d(node), from the output down; each node's gradient is the sum of the
    # contributions of the nodes that use it, in the order backward() adds them.
    w.emit("# backward: d(output)/d(node) = sum over its users of (local derivative * the user's gradient)")
    terms: dict[int, list[str]] = {id(output): []}
    grad_names: dict[int, str] = {}
    for node in reversed(order):
        if not needs_grad[id(node)]:
            continue
        if node is output:
            name = f"d_{_code(exprs[id(node)], _ATOM)}" if isinstance(exprs[id(node)], Expr) else "d_output"
            w.emit(f"{name} = 1.0")
        else:
            pending = terms.pop(id(node), [])
            if not pending:
                continue  # nothing reaches this node: its gradient is 0.0, it sends nothing on
            base = exprs[id(node)]
            name = f"d_{base.code}" if isinstance(base, Expr) and base.code.isidentifier() else w.name("d_node")
            _gradient_sum(name, pending, w)
        grad_names[id(node)] = name
        if node._rule is None:
            continue
        for inp, local in zip(node.inputs, rules[id(node)]):
            if needs_grad[id(inp)]:
                term = _times(local, name)
                if term is not None:
                    terms.setdefault(id(inp), []).append(term)

    # Results: the output and each param's gradient. "+ 0.0" turns a -0.0 (from a first term that
    # is -0.0) into 0.0, as backward()'s accumulation, which starts from 0.0, does; nothing else changes.
    grads = [f"{grad_names[id(p)]} + 0.0" if id(p) in grad_names else "0.0" for p in params]
    w.emit("# chainrule's policy: every number finite (if not, the caller re-runs the step op by op)")
    out_code = _code(exprs[id(output)], _ATOM)
    for line in _wrap("grads = (", grads, ",)" if len(grads) == 1 else ")"):
        w.emit(line)
    checked = [*w.checked, "sum(grads)"]
    for line in _wrap("if not isfinite(sum((", checked, ",))):" if len(checked) == 1 else "))):"):
        w.emit(line)
    w.emit("    raise NotFinite")
    w.emit(f"return {out_code}, grads")
    if w.helpers:
        header.append(f"    # {', '.join(w.helpers)}: the ops' own forward functions, called as they are")
    source = "\n".join([*header, *w.lines]) + "\n"
    filename = f"<replay {next(_counter)}>"
    # Registered with linecache so that a traceback through the generated code shows its lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), w.namespace)
    return source, w.namespace["replay_step"]


def _param_code(w: _Writer, param: Any) -> str:
    if param is None or (isinstance(param, float | int) and not isinstance(param, bool) and math.isfinite(param)):
        return repr(param)
    return w.bind("param", param)


def _rule(
    w: _Writer, math_ns: _SymbolicMath, node: Value, out: Expr | float, args: list[Expr | float], stem: str
) -> tuple[Expr | float, ...]:
    """The node's local derivatives as code: its op's own rule, evaluated on Exprs.

    Ops whose derivatives can overflow (``checks_local``) get them computed right after the node,
    as the engine does, and checked for finiteness with the rest of the step. A rule that cannot
    run on Exprs (it calls a math function directly, say) is called on floats at replay time.
    """
    global _current_guards
    op = node._rule
    assert op is not None
    _current_guards = []
    try:
        local = tuple(op.local(math_ns, out, args, op.param))
    except TypeError:
        fn = w.bind(f"local_{_identifier(op.name) or 'op'}", op.local)
        name = w.name(f"dl_{stem}")
        w.emit(f"{name} = {fn}(FLOATS, {_code(out, _ATOM)}, {_tuple(args)}, {_param_code(w, op.param)})")
        local = tuple(Expr(f"{name}[{i}]", v) for i, v in enumerate(node.local_grads))
        if op.checks_local:
            w.checked.append(f"sum({name})")
        return local
    for guard in _current_guards:
        w.emit(f"if not ({guard}):")
        w.emit("    raise GuardFailed")
    if op.checks_local:
        local = tuple(w.assign(f"dl_{stem}", x, check=True) for x in local)
    return local
