"""Code generation: a traced graph written out as one Python function (forward, then backward).

The writer records, as it emits each statement, where every node's value and gradient are computed
and where each chain-rule term sits (:class:`Lines`): nothing ever re-parses the source.
"""

from __future__ import annotations

import builtins
import linecache
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from .. import ops, rules
from ..value import Value
from .expr import _ATOM, _COND, _FORWARD, _MUL, Expr, _code, _current_guards, _SymbolicMath, _tuple, _value, _wrap
from .identifier import identifier


class _NotFinite(ArithmeticError):
    """Raised by generated code when a number of the step is NaN or infinite (the slow path explains)."""


class _GuardFailed(Exception):
    """Raised by generated code when a derivative rule would branch differently from the trace."""


_RESERVED = {"sum", "exp", "log", "tanh", "softmax", "isfinite", "params", "inputs", "check", "grads"}

Span = tuple[int, int, int]  # (1-based line, start column, end column) of one term; end exclusive


@dataclass
class Lines:
    """Where the nodes of a traced graph (by topological index) live in the generated source.

    ``value``: the line computing (for a param or input: unpacking) the node's value; ``gradient``:
    the statements of d(output)/d(node), several when a long sum is split (the last one holds the
    final value); ``term``: per edge (consumer index, input position) the span of its chain-rule term.
    Constants written into the code and nodes no gradient is asked for have no entry.
    """

    value: dict[int, int] = field(default_factory=dict)
    gradient: dict[int, list[int]] = field(default_factory=dict)
    term: dict[tuple[int, int], Span] = field(default_factory=dict)


class _Writer:
    """Names, statements (with their line numbers) and the runtime namespace of one generated function."""

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
        # The rule namespace's code forms bring their own globals (log, sqrt, ...): kept free too.
        rule_globals = {name for rule in rules.RULES.values() for name in rule.globals}
        self.taken: set[str] = set(_RESERVED) | set(self.namespace) | rule_globals
        self.lines: list[str] = []
        self.checked: list[str] = []  # names whose finiteness the step checks
        self._probs: dict[tuple[str, ...], list[Expr | float]] = {}
        self._forwards: dict[tuple[Any, str], str] = {}

    def __contains__(self, name: object) -> bool:
        # A name is free only if its gradient's name (d_ + name) is free too.
        return name in self.taken or f"d_{name}" in self.taken

    def name(self, stem: str) -> str:
        """A fresh variable name made from ``stem`` (any text) through :func:`identifier`."""
        name = identifier(stem, self)
        self.taken.update((name, f"d_{name}"))
        return name

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
            name = self.bind(getattr(forward, "__name__", "") or "forward", lambda *xs: forward(xs, param))
            self.emit(f"# {name}: the op's own forward function, called as it is")
            self._forwards[key] = name
        return self._forwards[key]

    def emit(self, line: str, indent: str = "    ") -> int:
        """Append a statement; return its 1-based line number."""
        self.lines.append(indent + line)
        return len(self.lines)

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
            name = self.name("p_" + key[0] if isinstance(xs[0], Expr) else "p_softmax")
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


def _gradient_sum(name: str, terms: list[tuple[str, tuple[int, int]]], w: _Writer, where: Lines, k: int) -> None:
    """``d_x = t1 + t2 + ...``: left to right, the order in which backward() accumulates them.

    Long sums are split over statements (``d_x = d_x + ...``), which keeps the same left-to-right
    order while keeping expressions shallow for Python's compiler. Each term's span is recorded.
    """
    chunk = 64
    numbers = where.gradient.setdefault(k, [])
    for first in range(0, len(terms), chunk):
        head = f"    {name} = " if first == 0 else f"    {name} = {name} + "
        part = terms[first : first + chunk]
        number = w.emit(head + " + ".join(code for code, _ in part), indent="")
        numbers.append(number)
        col = len(head)
        for code, edge in part:
            where.term[edge] = (number, col, col + len(code))
            col += len(code) + 3


_counter = count()
_WORD = re.compile(r"\w+")


def _generate(
    output: Value,
    order: list[Value],
    params: tuple[Value, ...],
    inputs: tuple[Value, ...],
    names: Mapping[Value, str] | None = None,
) -> tuple[str, Callable[[list[float], list[float]], tuple[float, tuple[float, ...]]], Lines]:
    """The step's source, its compiled function, and where each node lives in the source.

    ``names`` (any text) name the variables, through :func:`identifier`; by default the labels.
    """
    w = _Writer()
    where = Lines()
    math_ns = _SymbolicMath(w)
    names = names or {}
    index = {id(node): k for k, node in enumerate(order)}
    param_ids = {id(p) for p in params}
    w.emit("def replay_step(params, inputs):", indent="")
    # No user text here: only numbers, so no label or op name can end the docstring early.
    w.emit(f'"""d(output)/d(params) for a graph of {len(order)} nodes, {len(params)} params and '
           f'{len(inputs)} inputs (written by autograd.replay)."""')

    exprs: dict[int, Expr | float] = {}
    for leaves, stem, var in ((params, "w", "params"), (inputs, "x", "inputs")):
        leaf_names = [w.name(names.get(v) or v.label or f"{stem}{k}") for k, v in enumerate(leaves)]
        for name, v in zip(leaf_names, leaves):
            exprs[id(v)] = Expr(name, v.data)
        if leaf_names:
            line_of: dict[str, int] = {}
            for line in _wrap("(", leaf_names, f",) = {var}"):
                number = w.emit(line)
                line_of.update((token, number) for token in _WORD.findall(line))
            for name, v in zip(leaf_names, leaves):
                if id(v) in index:  # a param the output does not depend on is not in the graph
                    where.value[index[id(v)]] = line_of[name]

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
        stem = names.get(node) or node.label or ("output" if node is output else f"v{k}")
        template = _FORWARD.get(op.forward)
        if template is not None:
            fw = template(w, args, op.param)
        else:
            # An op without a template: its own forward function, called with the node's inputs.
            fn = w.forward_function(op)
            fw = Expr(f"{fn}({', '.join(_code(a, _COND) for a in args)})", node.data)
        out = w.assign(stem, fw, check=True)
        if isinstance(out, Expr):
            where.value[k] = len(w.lines)
        exprs[id(node)] = out
        needs_grad[id(node)] = any(needs_grad[id(i)] for i in node.inputs)
        if needs_grad[id(node)]:
            rules[id(node)] = _rule(w, math_ns, node, out, args, stem)

    # Backward: d(output)/d(node), from the output down; each node's gradient is the sum of the
    # contributions of the nodes that use it, in the order backward() adds them.
    w.emit("# backward: d(output)/d(node) = sum over its users of (local derivative * the user's gradient)")
    terms: dict[int, list[tuple[str, tuple[int, int]]]] = {id(output): []}
    grad_names: dict[int, str] = {}
    for k in range(len(order) - 1, -1, -1):
        node = order[k]
        if not needs_grad[id(node)]:
            continue
        base = exprs[id(node)]
        if node is output:
            name = f"d_{_code(base, _ATOM)}" if isinstance(base, Expr) else "d_output"
            where.gradient[k] = [w.emit(f"{name} = 1.0")]
        else:
            pending = terms.pop(id(node), [])
            if not pending:
                continue  # nothing reaches this node: its gradient is 0.0, it sends nothing on
            name = f"d_{base.code}" if isinstance(base, Expr) and base.code.isidentifier() else w.name("d_node")
            _gradient_sum(name, pending, w, where, k)
        grad_names[id(node)] = name
        if node._rule is None:
            continue
        for i, (inp, local) in enumerate(zip(node.inputs, rules[id(node)])):
            if needs_grad[id(inp)]:
                term = _times(local, name)
                if term is not None:
                    terms.setdefault(id(inp), []).append((term, (k, i)))

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
    source = "\n".join(w.lines) + "\n"
    filename = f"<replay {next(_counter)}>"
    # Registered with linecache so that a traceback through the generated code shows its lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), w.namespace)
    return source, w.namespace["replay_step"], where


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
    op = node._rule
    assert op is not None
    _current_guards.clear()  # the conditions this rule branches on (Expr comparisons append them)
    try:
        local = tuple(op.local(math_ns, out, args, op.param))
    except TypeError:
        fn = w.bind(f"local_{op.name}", op.local)
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
