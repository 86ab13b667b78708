"""Code generation: a traced graph written out as one Python function (forward, then backward)."""

from __future__ import annotations

import builtins
import keyword
import linecache
import math
import re
from collections.abc import Callable, Sequence
from itertools import count
from typing import TYPE_CHECKING, Any

from .. import ops
from ..value import Value
from .expr import _ATOM, _COND, _FORWARD, _MUL, Expr, _code, _current_guards, _SymbolicMath, _tuple, _value, _wrap

if TYPE_CHECKING:
    from .step import Replay


class _NotFinite(ArithmeticError):
    """Raised by generated code when a number of the step is NaN or infinite (the slow path explains)."""


class _GuardFailed(Exception):
    """Raised by generated code when a derivative rule would branch differently from the trace."""


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

    _record_node_names(w, order, exprs, grad_names)

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
    op = node._rule
    assert op is not None
    _current_guards.clear()  # the conditions this rule branches on (Expr comparisons append them)
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


# --- where each node lives in the generated code (for the explorer) --------------------------------

# The generated code's globals hold, under this name, each node's (forward name, gradient name) in
# topological order. No generated name starts with "__" (labels are stripped of leading underscores).
_NODE_NAMES = "__node_names__"


def _record_node_names(
    w: _Writer, order: list[Value], exprs: dict[int, Expr | float], grad_names: dict[int, str]
) -> None:
    names = []
    for node in order:
        fw = exprs.get(id(node))
        forward = fw.code if isinstance(fw, Expr) and fw.code.isidentifier() else None
        names.append((forward, grad_names.get(id(node))))
    w.namespace[_NODE_NAMES] = tuple(names)


class NodeLines(tuple[tuple[int, ...], tuple[int, ...]]):
    """Where one node lives in a replay's ``source``: ``(forward, gradient)`` 1-based line numbers.

    ``forward``: the statement computing (or, for a param, unpacking) the node's value; ``gradient``:
    the statement(s) computing d(output)/d(node), several when a long sum is split. Either is empty
    when the code has none (a constant written into the code; a node no gradient is asked for).
    """

    __slots__ = ()

    @property
    def forward(self) -> tuple[int, ...]:
        return self[0]

    @property
    def gradient(self) -> tuple[int, ...]:
        return self[1]


def node_lines(step: Replay) -> list[NodeLines]:
    """For each node of the traced graph, in topological order, its lines in ``step.source``.

    >>> from autograd import Value
    >>> from autograd.replay import trace
    >>> x = Value(3.0, "x"); y = x * x; y.label = "y"
    >>> step = trace(y, params=[x])
    >>> lines = step.source.splitlines()
    >>> [lines[n - 1].strip() for n in node_lines(step)[1].gradient]
    ['d_y = 1.0']
    >>> [lines[n - 1].strip() for n in node_lines(step)[0].gradient]
    ['d_x = x * d_y + x * d_y']
    """
    names: tuple[tuple[str | None, str | None], ...] = step._function.__globals__[_NODE_NAMES]
    lines = step.source.splitlines()
    marks = [n for n, line in enumerate(lines) if line.startswith(("    # forward:", "    # backward:"))]
    forward, backward = (marks + [len(lines)] * 2)[:2]
    assigned: dict[str, list[int]] = {}
    for n, line in enumerate(lines):
        if n < forward:  # the header: "(a, b,) = params", possibly wrapped; a param's line is its unpacking
            code = line.strip()
            if n < 2 or code.startswith(("#", '"""')):
                continue
            targets = re.findall(r"\w+", code.partition(" = ")[0] if " = " in code else code)
        else:  # a statement "    name = ..." (wrapped continuations are indented deeper)
            head, sep, _ = line.partition(" = ")
            if not sep or line.startswith("     ") or not head.strip().isidentifier():
                continue
            targets = [head.strip()]
        kind = "d" if n > backward else "f"
        for target in targets:
            assigned.setdefault(f"{kind} {target}", []).append(n + 1)
    return [
        NodeLines((
            tuple(assigned.get(f"f {forward}", ())) if forward else (),
            tuple(assigned.get(f"d {gradient}", ())) if gradient else (),
        ))
        for forward, gradient in names
    ]
