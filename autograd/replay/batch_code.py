"""The batched replay's code: the lifted units (see :mod:`.lift`) written out as array code.

Forward: one line per unit (``H1_in = X @ W_ij + b_j``, ``H1_out = relu(H1_in)``). Backward: the
ops' own derivative rules evaluated on array expressions, multiplied by the unit's gradient, and
summed over the batch where a number shared by every sample (a param) receives them. A layer's rule
``d z_j/d w_ij = x_i, d z_j/d x_i = w_ij, d z_j/d b_j = 1`` summed over the samples is
``dW = X.T @ dZ``, ``dX = dZ @ W.T``, ``db = colsum(dZ)``; lifting checks the rule says so
(``lift.dot_rule_is_bilinear``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import ops
from ..value import Value
from .array_writer import _ArrayWriter, _Col, _common_stem, _op_word
from .arrays import ARRAY_FORWARD, ArrayMath
from .codegen import _times
from .expr import _COND, _MUL, Expr, _code
from .lift import Lifted, Unit, param_order


@dataclass
class BatchCode:
    """The generated source and what the backend must provide to run it."""

    source: str
    constants: dict[str, tuple[list[Any], tuple[int, ...]]]  # name -> (numbers, shape): index arrays, rows
    functions: dict[str, Any]  # name -> Python function (custom ops)
    n_params: int
    order: list[int]  # P[k] in the code is params[order[k]]: each layer's W and b side by side


def write(
    lifted: Lifted,
    output: Value,
    params: Sequence[Value],
    reduction: str,
    names: Mapping[Value, str],
) -> BatchCode:
    """Write ``lifted`` as ``def batch_step(P, X, Y): ... return E, G``."""
    return _Emitter(lifted, output, params, reduction, names).run()


class _Emitter:
    def __init__(
        self, lifted: Lifted, output: Value, params: Sequence[Value], reduction: str, names: Mapping[Value, str]
    ) -> None:
        self.w = _ArrayWriter()
        self.math = ArrayMath(self.w)
        self.lifted, self.output, self.reduction = lifted, output, reduction
        self.names = names
        self.n_params = len(params)
        self.order = param_order(lifted, params)
        self.param_index = {id(params[k]): position for position, k in enumerate(self.order)}
        self.unit_name: dict[int, str] = {}
        self.scalar_param: dict[int, str] = {}
        self.terms: dict[int, list[tuple[str, int | None, bool]]] = {}
        self.needs_grad: dict[int, bool] = {}
        self.layer_count = 0
        self.gathered: dict[str, str] = {}  # where in P, and shape -> the array of params read from there
        self.layer: dict[int, tuple[str, list[int], str | None, list[int]]] = {}  # W, where in P, b, where
        self.args: dict[int, list[Expr | float]] = {}  # a group's inputs, as its forward line reads them
        self.node_grad: dict[int, bool] = {}
        self.scatters: list[tuple[list[int], str, str | None]] = []  # G's terms: positions, line, piece

    # --- names and values ------------------------------------------------------------------------

    def label(self, node: Value) -> str:
        return self.names.get(node) or node.label

    def stem(self, unit: Unit) -> str:
        common = _common_stem([self.label(v) for v in unit.members])
        if unit.kind == "single":
            return self.label(unit.members[0]) or ("loss" if unit.members[0] is self.output else "t")
        if unit.kind == "data":
            return common
        if common:
            return common[0].upper() + common[1:] if unit.is_array else common
        if unit.kind == "layer":
            self.layer_count += 1
            return f"Z{self.layer_count}"
        source = self.unit_name.get(id(unit.source[0]), "") if unit.source else ""
        return f"{_op_word(unit.op)}_{source}" if source else _op_word(unit.op)

    def value(self, node: Value) -> Expr | float:
        """The code of one node's value (a column of an array, a vector, a number)."""
        home = self.lifted.where.get(id(node))
        if home is not None:
            unit, c = home
            name = self.unit_name[id(unit)]
            return _Col(name, c, unit.varying) if unit.is_array else Expr(name, None)
        if id(node) in self.param_index:
            if id(node) not in self.scalar_param:
                name = self.w.name(self.label(node) or f"w{self.param_index[id(node)]}")
                self.w.emit(f"{name} = P[{self.param_index[id(node)]}]")
                self.scalar_param[id(node)] = name
            return Expr(self.scalar_param[id(node)], None)
        return node.data  # a constant, written into the code

    def positions(self, params: Sequence[Value]) -> list[int]:
        return [self.param_index[id(p)] for p in params]

    def gather(self, params: Sequence[Value], stem: str, shape: tuple[int, ...] | None = None) -> str:
        """``name = P[...]``: params side by side as an array (one line per distinct array)."""
        at = self.where(self.positions(params), stem, shape)
        if at == ":" and shape is None:
            return "P"  # every param, in P's order: P itself
        key = f"{at} {shape}"  # the same params as a row and as a matrix are two arrays
        if key not in self.gathered:
            name = self.w.name(stem)
            reshape = f".reshape{shape}" if shape is not None and ":" in at else ""
            self.w.emit(f"{name} = P[{at}]{reshape}")
            self.gathered[key] = name
        return self.gathered[key]

    def where(self, positions: list[int], stem: str, shape: tuple[int, ...] | None = None) -> str:
        """Code indexing ``positions`` of P (or G): a slice where they are consecutive, else an index array."""
        first = positions[0]
        if positions == list(range(first, first + len(positions))):
            return ":" if len(positions) == self.n_params else f"{first}:{first + len(positions)}"
        return self.w.constant(f"{stem}_at", positions, shape)

    def scatter(
        self, positions: list[int], grad: str, stem: str, shape: tuple[int, ...] | None = None, whole: bool = False
    ) -> None:
        """Queue ``G[...] += grad`` (through add_at where a param appears twice: ``+=`` would add it once).

        ``whole``: ``grad`` is an array with one number per position (a layer's dW or db), so it can
        be a piece of ``G = concatenate(...)`` (see :meth:`write_gradient`).
        """
        at = self.where(positions, stem, shape)
        ravel = ".ravel()" if shape is not None else ""
        if at == ":":
            line = f"G += {grad}"
        elif ":" in at:
            line = f"G[{at}] += {grad}{ravel}"
        elif len(set(positions)) == len(positions):
            line = f"G[{at}] += {grad}"
        else:
            line = f"add_at(G, {at}, {grad})"
        piece = grad + ravel if whole and ":" in at and at != ":" else None
        self.scatters.append((positions, line, piece))

    def write_gradient(self) -> None:
        """Emit G: one ``concatenate`` of the layers' dW and db when they cover every param once, else
        zeros; then the other queued terms in their order. A piece is moved first only where at most
        one term came before it (0 + a + b = b + a, while (a + b) + c need not be (c + a) + b), so G's
        numbers are the same bits either way, without 2 array ops per piece."""
        taken: set[int] = set()
        before: dict[int, int] = {}  # position -> terms queued for it so far
        pieces: list[tuple[int, str]] = []
        rest: list[str] = []
        for positions, line, piece in self.scatters:
            if piece is not None and taken.isdisjoint(positions) and all(before.get(k, 0) <= 1 for k in positions):
                taken.update(positions)
                pieces.append((positions[0], piece))
            else:
                rest.append(line)
            for k in positions:
                before[k] = before.get(k, 0) + 1
        if len(taken) == self.n_params:
            self.w.emit(f"G = concatenate([{', '.join(code for _, code in sorted(pieces))}])")
        else:
            self.w.emit("G = zeros(P.shape[0])")
            rest = [line for _, line, _ in self.scatters]
        for line in rest:
            self.w.emit(line)

    # --- the function ------------------------------------------------------------------------------

    def run(self) -> BatchCode:
        w = self.w
        w.emit("def batch_step(P, X, Y):", indent="")
        w.emit(f'"""The {self.reduction} of the samples\' losses and its gradient for {self.n_params} params '
               '(written by autograd.replay.batch)."""')
        w.emit("m = len(X)")
        for node in self.lifted.order:  # which nodes depend on a param (only those need a gradient)
            self.node_grad[id(node)] = id(node) in self.param_index or any(self.node_grad[id(x)] for x in node.inputs)
        w.emit("# forward: one line per layer operation; every array has one row per sample")
        for unit in self.lifted.units:
            self.forward(unit)
        self.reduce()
        w.emit("# backward: each op's own derivative rule times the gradient it receives, summed over")
        w.emit("# the samples where a number shared by every sample (a param) receives it")
        self.seed()
        for unit in reversed(self.lifted.units):
            if self.needs_grad.get(id(unit)) and self.terms.get(id(unit)):
                self.backward(unit)
        self.write_gradient()
        arrays = [self.unit_name[id(u)] for u in self.lifted.units if u.kind != "data"]
        w.emit(f"finite({', '.join(['E', 'G', *arrays])})")
        w.emit("return E, G")
        return BatchCode("\n".join(w.lines) + "\n", w.constants, w.namespace, self.n_params, self.order)

    def forward(self, unit: Unit) -> None:
        w = self.w
        if unit.kind == "data":
            self.unit_name[id(unit)] = unit.name
            w.varying[unit.name] = True
            w.widths[unit.name] = unit.width if unit.wide else 0
            return
        self.needs_grad[id(unit)] = any(self.node_grad[id(v)] for v in unit.members)
        name = w.name(self.stem(unit))
        self.unit_name[id(unit)] = name
        w.varying[name] = unit.varying
        w.widths[name] = unit.width if unit.is_array else 0
        first = unit.members[0]
        op = first._rule
        assert op is not None
        if unit.kind == "layer":
            n, k = op.param, unit.width
            source = self.unit_name[id(unit.source[0])]
            weights = [v.inputs[i] for i in range(n) for v in unit.members]
            stem = _common_stem([self.label(p) for p in weights]) or f"W_{name}"
            W = self.gather(weights, stem, (n, k))
            code, b, b_at = f"{source} @ {W}", None, []
            if len(first.inputs) > 2 * n:
                biases = [v.inputs[-1] for v in unit.members]
                b = self.gather(biases, _common_stem([self.label(p) for p in biases]) or f"b_{name}")
                b_at = self.positions(biases)
                code += f" + {b}"
            self.layer[id(unit)] = (W, self.positions(weights), b, b_at)
            w.emit(f"{name} = {code}")
        elif unit.kind == "softmax":
            source = self.unit_name[id(unit.source[0])]
            w.emit(f"{name} = softmax({source})")
            w.softmaxes[source] = name
        elif unit.kind == "row":
            arrays = [self.unit_name[id(s)] for s in unit.source]
            if op.forward is ops._dot:
                w.emit(f"{name} = rowsum({arrays[0]} * {arrays[1]})")
            else:
                w.emit(f"{name} = {'rowsum' if op.forward is ops._sum else 'logsumexp'}({arrays[0]})")
        else:
            args = self.group_args(unit) if unit.kind == "group" else [self.value(x) for x in first.inputs]
            self.args[id(unit)] = args
            w.emit(f"{name} = {self.apply(op, args)}")

    def group_args(self, unit: Unit) -> list[Expr | float]:
        args: list[Expr | float] = []
        for kind, what in unit.refs:
            if kind == "G":
                args.append(Expr(self.unit_name[id(what)], None))
            elif kind == "N":
                x = self.value(what)
                node_varying = self.lifted.varying.get(id(what), False)
                args.append(Expr(f"{x.code}[:, None]", None) if isinstance(x, Expr) and node_varying else x)
            elif kind == "C":
                args.append(what[0] if len(set(what)) == 1 else Expr(self.w.constant("c", list(what)), None))
            else:
                stem = _common_stem([self.label(p) for p in what]) or "w"
                args.append(Expr(self.gather(what, stem), None))
        return args

    def apply(self, op: ops.Op, args: list[Expr | float]) -> str:
        template = ARRAY_FORWARD.get(op.forward)
        if template is not None:
            out = template(self.w, args, op.param)
            return out.code if isinstance(out, Expr) else repr(out)
        forward, param = op.forward, op.param
        fn = self.w.bind(f"forward_{op.name}", lambda *xs: forward(xs, param))
        return f"elementwise({fn}, {', '.join(_code(a, _COND) for a in args)})"

    def reduce(self) -> None:
        loss = self.value(self.output)
        code = _code(loss, _MUL)
        if self.reduction == "mean":
            self.w.emit(f"E = total({code}) * (1.0 / m)")
        else:
            self.w.emit(f"E = total({code})")

    # --- backward ----------------------------------------------------------------------------------

    def seed(self) -> None:
        unit, c = self.lifted.where[id(self.output)]
        seed = "full(m, 1.0 / m)" if self.reduction == "mean" else "full(m, 1.0)"
        self.add_term(unit, c, seed, True)

    def add_term(self, unit: Unit, column: int, term: str, shaped: bool) -> None:
        """Queue ``term`` for the gradient of ``unit``'s column ``column`` (all of it, if not an array)."""
        if unit.is_array and unit.width == 1 and unit.varying:  # the one column is all of it
            term = f"{term}[:, None]" if term.isidentifier() else f"({term})[:, None]"
            self.terms.setdefault(id(unit), []).append((term, None, shaped))
            return
        self.terms.setdefault(id(unit), []).append((term, column if unit.is_array else None, shaped))

    def gradient(self, unit: Unit) -> str:
        """Emit ``d_U = (its terms)``; return the name."""
        name = self.unit_name[id(unit)]
        g = f"d_{name}"
        terms = self.terms.pop(id(unit))
        full = [t for t, c, _ in terms if c is None]
        shaped = any(s for _, c, s in terms if c is None)
        columns: dict[int, list[str]] = {}
        for t, c, _ in terms:
            if c is not None:
                columns.setdefault(c, []).append(t)
        # Start from zeros of the right shape when every term broadcasts, or when columns are added in
        # place to what would otherwise be another gradient's array itself. Params alone (P * P of an L2
        # term) take a broadcast gradient as it is: each of them receives the same number.
        only_params = unit.kind == "group" and not unit.varying and all(k in "PC" for k, _ in unit.refs)
        if (not shaped and (columns or not only_params)) or (columns and len(full) == 1 and full[0].isidentifier()):
            full.insert(0, f"zeros_like({name})")
        self.sum_line(f"{g} = ", full)
        for c in sorted(columns):
            self.sum_line(f"{g}[:, {c}] += " if unit.varying else f"{g}[{c}] += ", columns[c])
        return g

    def sum_line(self, head: str, terms: list[str]) -> None:
        """``head t1 + t2 + ...``, wrapped in parentheses at the terms when longer than 100 columns."""
        line = head + " + ".join(terms)
        if len(line) + 4 <= 100 or len(terms) == 1:
            self.w.emit(line)
            return
        self.w.emit(f"{head}({terms[0]}")
        for term in terms[1:-1]:
            self.w.emit(f"    + {term}")
        self.w.emit(f"    + {terms[-1]})")

    def send(self, x: Value, term: str, varying: bool) -> None:
        """Add ``term`` (from a consumer that varies or not) to the gradient of input ``x``."""
        if id(x) in self.param_index:
            k = self.param_index[id(x)]
            self.scatters.append(([k], f"G[{k}] += {'total(' + term + ')' if varying else term}", None))
            return
        home = self.lifted.where.get(id(x))
        if home is None or not self.needs_grad.get(id(home[0])):
            return  # a constant, or data
        unit, c = home
        if varying and not unit.varying:
            term = f"total({term})"
        self.add_term(unit, c, term, True)

    def backward(self, unit: Unit) -> None:
        g = self.gradient(unit)
        first = unit.members[0]
        op = first._rule
        assert op is not None
        name = self.unit_name[id(unit)]
        if unit.kind == "layer":
            self.backward_layer(unit, g)
        elif unit.kind == "group":
            self.backward_group(unit, g, op, name)
        elif unit.kind == "softmax":
            source = unit.source[0]
            columns = [_Col(self.unit_name[id(source)], c, unit.varying) for c in range(source.width)]
            for a, member in enumerate(unit.members):
                out = _Col(name, a, unit.varying)
                local = op_local(member._rule, self.math, out, columns)
                for b, x in enumerate(member.inputs):
                    term = _times(local[b], f"{g}[:, {a}]" if unit.varying else f"{g}[{a}]")
                    if term is not None:
                        self.send(x, term, False)
        elif unit.kind == "row":
            self.backward_row(unit, g, op, name)
        else:
            local = self.local(op, Expr(name, None), self.args[id(unit)])
            for x, loc in zip(first.inputs, local):
                term = _times(loc, g)
                if term is not None:
                    self.send(x, term, unit.varying)

    def local(self, op: ops.Op, out: Expr, args: list[Expr | float]) -> Sequence[Expr | float]:
        """The op's own derivative rule on array expressions, or called element by element."""
        try:
            return op_local(op, self.math, out, args)
        except TypeError:  # the rule branches or calls a float function: run it on each number
            rule, param = op.local, op.param
            fn = self.w.bind(f"local_{op.name}", lambda out, *xs: tuple(rule(ops.FLOATS, out, xs, param)))
            name = self.w.name("dl")
            self.w.emit(f"{name} = elementwise({fn}, {out.code}, {', '.join(_code(a, _COND) for a in args)})")
            return [Expr(f"{name}[{i}]", None) for i in range(len(args))]

    def backward_layer(self, unit: Unit, g: str) -> None:
        W, W_at, b, b_at = self.layer[id(unit)]
        source = unit.source[0]
        X = self.unit_name[id(source)]
        self.w.emit(f"d_{W} = {X}.T @ {g}")
        self.scatter(W_at, f"d_{W}", W, (len(W_at) // unit.width, unit.width), whole=True)
        if b is not None:
            self.w.emit(f"d_{b} = colsum({g})")
            self.scatter(b_at, f"d_{b}", b, whole=True)
        if self.needs_grad.get(id(source)):
            self.terms.setdefault(id(source), []).append((f"{g} @ {W}.T", None, True))

    def backward_group(self, unit: Unit, g: str, op: ops.Op, name: str) -> None:
        args = self.args[id(unit)]
        local = self.local(op, Expr(name, None), args)
        to_params: dict[tuple[int, ...], list[str]] = {}  # where -> terms (x * x sends two to the same params)
        for (kind, what), loc in zip(unit.refs, local):
            term = _times(loc, g)
            if term is None or kind == "C":
                continue
            if kind == "G":
                if self.needs_grad.get(id(what)):
                    self.terms.setdefault(id(what), []).append(
                        (f"colsum({term})" if unit.varying and not what.varying else term, None, True)
                    )
            elif kind == "N":
                varying_node = self.lifted.varying.get(id(what), False)
                reduced = f"rowsum({term})" if unit.varying and varying_node else f"total({term})"
                self.send(what, reduced, False)
            else:
                to_params.setdefault(tuple(self.positions(what)), []).append(
                    f"colsum({term})" if unit.varying else term
                )
        for at, terms in to_params.items():
            self.scatter(list(at), " + ".join(terms), "w")

    def backward_row(self, unit: Unit, g: str, op: ops.Op, name: str) -> None:
        first = unit.members[0]
        spread = f"{g}[:, None]" if unit.varying else g
        columns = [_Col(self.unit_name[id(s)], c, unit.varying) for s in unit.source for c in range(s.width)]
        local = op_local(op, self.math, Expr(name, None), columns)
        start = 0
        for source in unit.source:
            part = list(local[start : start + source.width])
            start += source.width
            if not self.needs_grad.get(id(source)):
                continue
            if all(not isinstance(x, Expr) for x in part) and len(set(part)) == 1:
                term = _times(part[0], spread)
                if term is not None:
                    self.terms.setdefault(id(source), []).append((term, None, False))
            elif (array := self.w.whole(part)) is not None:
                self.terms.setdefault(id(source), []).append((f"{array} * {spread}", None, True))
            else:
                for c, loc in enumerate(part):
                    term = _times(loc, g)
                    if term is not None:
                        self.send(first.inputs[start - source.width + c], term, False)


def op_local(op: ops.Op | None, math_ns: Any, out: Expr, args: Sequence[Expr | float]) -> Sequence[Expr | float]:
    """``op``'s derivative rule evaluated on expressions (raises TypeError when it cannot be)."""
    assert op is not None
    return tuple(op.local(math_ns, out, list(args), op.param))
