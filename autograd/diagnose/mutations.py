"""The catalogue of mutations: small changes to a recorded derivation that reproduce a mistake.

A *local* mutation changes some edges' local derivatives (negate them, drop them) and is run by the
engine's backward sweep; an *output* mutation changes the number read at the end (negate it, scale
it, read the transposed entry, evaluate a local derivative with two inputs swapped). Sites come from
the graph's structure only: edges grouped by op, input role and depth (one layer's edges together),
softmax-like groups of coupled outputs, and values with several consumers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .. import ops
from ..names import operand
from ..value import Value
from .derivation import Edge, Graph, LocalRule


@dataclass(frozen=True, eq=False)
class Mutation:
    """One change: its cause name, what exactly it changes (in words), and how.

    Local mutations have ``edges`` and ``action`` (``"negate"`` or ``"drop"``); output mutations a
    ``scale`` (sign and factor) or ``transpose`` (read the transposed entry) or ``swap`` (a pair of
    input positions, for a local derivative's rule).
    """

    cause: str
    detail: str
    edges: frozenset[Edge] = frozenset()
    action: str = ""
    scale: float = 1.0
    transpose: bool = False
    swap: tuple[int, int] | None = None

    @property
    def is_local(self) -> bool:
        return bool(self.edges)


def _role(v: Value, index: int) -> str:
    """The role of input ``index`` of ``v``: dot's weights/inputs/bias, softmax's own input or another."""
    rule = v._rule
    assert rule is not None
    if rule.roles is not None:  # dot: weights, inputs, bias
        return ops.input_roles(rule, len(v.inputs))[index]
    if rule.coupled:  # a softmax component: its own input, or the others
        return "own input" if index == rule.param else "other inputs"
    return f"input {index + 1}"


def sign_sites(graph: Graph) -> list[Mutation]:
    """One ``sign`` mutation per group of edges with the same op, input role and depth (one layer's)."""
    groups: dict[tuple[str, str, int], list[Edge]] = {}
    for v in graph.order:
        for i in range(len(v.inputs)):
            groups.setdefault((v.op, _role(v, i), graph.depth[v]), []).append((v, i))
    out = []
    for edges in groups.values():
        if all(e[0].local_grads[e[1]] == 0.0 for e in edges):
            continue
        v, i = edges[0]
        example = f"d{operand(graph.names[v])}/d{operand(graph.names[v.inputs[i]])}"
        many = f", and {len(edges) - 1} like it" if len(edges) > 1 else ""
        out.append(Mutation("sign", f"the sign of {example}{many}", frozenset(edges), "negate"))
    return out


def coupled_groups(graph: Graph) -> list[list[Value]]:
    """Nodes computed by one op from the same inputs, each its own component (softmax's outputs):
    ops whose parameter is the index of the node's own input."""
    groups: dict[tuple[str, tuple[int, ...]], list[Value]] = {}
    for v in graph.order:
        rule = v._rule
        if rule is None or rule.roles is not None or not isinstance(rule.param, int) or len(v.inputs) < 2:
            continue
        if 0 <= rule.param < len(v.inputs):
            groups.setdefault((rule.name, tuple(id(u) for u in v.inputs)), []).append(v)
    return list(groups.values())  # one node is enough: a loss may use only one softmax output


def diagonal_sites(graph: Graph) -> list[Mutation]:
    """One ``diagonal-jacobian`` mutation per coupled group: every off-diagonal edge dropped."""
    out = []
    for group in coupled_groups(graph):
        edges = frozenset((v, i) for v in group for i in range(len(v.inputs)) if i != v._rule.param)  # type: ignore[union-attr]
        names = ", ".join(graph.names[v] for v in group[:3]) + (", ..." if len(group) > 3 else "")
        out.append(Mutation("diagonal-jacobian", f"only d{group[0].op}_a/dz_a kept for {names}", edges, "drop"))
    return out


def single_path_sites(graph: Graph) -> list[Mutation]:
    """``single-path`` mutations for each group of values feeding the same several consumers: keep
    only the consumer in the value's own position (the diagonal), or only consumer ``p``."""
    coupled = {v for g in coupled_groups(graph) for v in g}
    groups: dict[tuple[Value, ...], list[Value]] = {}
    for v in graph.order:
        found = sorted({c for c, _ in graph.consumers[v]}, key=graph.position.__getitem__)
        if v.inputs and len(found) > 1 and not all(c in coupled for c in found):
            groups.setdefault(tuple(found), []).append(v)
    out = []
    for users, receivers in groups.items():
        receivers.sort(key=graph.position.__getitem__)
        keeps: list[tuple[str, Sequence[Value]]] = []
        if len(receivers) == len(users) > 1:
            keeps.append(("the path with the same index", users))
        for p in range(min(len(users), 4)):
            keeps.append((f"only the path through {graph.names[users[p]]}", [users[p]] * len(receivers)))
        for words, kept in keeps:
            edges = frozenset(
                (c, i) for r, keep in zip(receivers, kept) for c, i in graph.consumers[r] if c is not keep
            )
            names = ", ".join(graph.names[r] for r in receivers[:3]) + (", ..." if len(receivers) > 3 else "")
            out.append(Mutation("single-path", f"{names}: {words}", edges, "drop"))
    return out


def factor_mutations(graph: Graph, lr: float | None) -> list[Mutation]:
    """``factor`` mutations: 2 and 1/2, each constant the graph multiplies by (1/n) and its inverse,
    and the learning rate and its inverse."""
    found: dict[float, str] = {2.0: "a factor 2", 0.5: "a factor 1/2"}
    for v in graph.order:
        if v._rule in (ops.OP_MUL, ops.OP_DIV):
            for u in v.inputs:
                c = abs(u.data)
                if not u.inputs and not u.label and c not in (0.0, 1.0):
                    found.setdefault(1.0 / c, f"{_nice(c)} in the graph ({graph.names[v]}) dropped")
                    found.setdefault(c, f"{_nice(c)} in the graph ({graph.names[v]}) applied twice")
    if lr is not None and lr not in (0.0, 1.0):
        found.setdefault(lr, f"the learning rate {lr:g} applied")
        found.setdefault(1.0 / lr, f"the learning rate {lr:g} divided out")
    return [Mutation("factor", f"x{_nice(s)}: {words}", scale=s) for s, words in found.items()]


def _nice(x: float) -> str:
    r = round(x)
    return str(r) if abs(x - r) < 1e-9 * max(1.0, abs(x)) else f"{x:.4g}" if x >= 1 else f"1/{_nice(1 / x)}"


SIGN = Mutation("sign", "the whole number negated", scale=-1.0)
TRANSPOSE = Mutation("transposed", "the transposed entry", transpose=True)


def swap_mutations(n_inputs: int) -> list[Mutation]:
    """``wrong-index`` mutations for a local derivative of an op with ``n_inputs`` inputs (at most 8)."""
    if n_inputs < 2 or n_inputs > 8:
        return []
    return [
        Mutation("wrong-index", f"inputs {a + 1} and {b + 1} swapped", swap=(a, b))
        for a in range(n_inputs)
        for b in range(a + 1, n_inputs)
    ]


def local_rule(mutations: Sequence[Mutation]) -> LocalRule | None:
    """The local-derivative rule of a set of local mutations (None when there are none)."""
    table: dict[Edge, list[str]] = {}
    for m in mutations:
        for e in m.edges:
            table.setdefault(e, []).append(m.action)
    if not table:
        return None

    def rule(v: Value, index: int, recorded: float) -> float:
        actions = table.get((v, index))
        if actions:
            for action in actions:
                recorded = -recorded if action == "negate" else 0.0
        return recorded

    return rule


def scalings(factors: Sequence[Mutation], budget: int) -> list[tuple[float, tuple[Mutation, ...]]]:
    """Every output scaling within ``budget`` mutations: 1, -1, each factor, and -factor."""
    out: list[tuple[float, tuple[Mutation, ...]]] = [(1.0, ())]
    if budget >= 1:
        out.append((-1.0, (SIGN,)))
        out += [(f.scale, (f,)) for f in factors]
    if budget >= 2:
        out += [(-f.scale, (SIGN, f)) for f in factors]
    return out


def log_distance(x: float, target: float) -> float:
    """|log(x / target)|, infinite for a zero or opposite signs."""
    if x == 0.0 or target == 0.0 or (x > 0) != (target > 0):
        return 0.0 if x == target else math.inf
    return abs(math.log(x / target))
