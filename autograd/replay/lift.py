"""Finding the arrays in one sample's scalar graph: which nodes become one matrix product or one array op.

The batched replay computes every node of a traced sample for the whole batch at once. Nodes that
do the same thing side by side are lifted into one *unit* computed by one line of array code:

- ``layer``: dot nodes that read the same input vector (the columns of one array, in order), with
  params as weights (and a param bias, or none): one matrix product ``Z = X @ W + b``;
- ``softmax``: the components ``softmax[a]`` of one array's columns: one row-wise softmax;
- ``group``: nodes of one op whose inputs are, position by position, column ``c`` of the same array
  (each column once), one and the same node, constants or params: one elementwise array op;
- ``row``: a ``sum``/``logsumexp`` of one array's columns, or a ``dot`` of two arrays' columns: one
  row-wise reduction giving one number per sample;
- ``single``: anything else, one array over the batch (or one number, when it does not depend on the
  sample: a regulariser of the params, say), written node by node.

Nothing here recurses over the graph; the order is deterministic (the graph's topological order).

>>> import autograd, nn
>>> layer = nn.Layer(2, 3, "relu", seed=0)
>>> x = [autograd.Value(1.0), autograd.Value(2.0)]
>>> out = autograd.sum(layer(x))
>>> lifted = lift(autograd.topological_order(out), [Unit("data", x, wide=True, name="X")], layer.parameters())
>>> [(unit.kind, unit.width) for unit in lifted.units]
[('data', 2), ('layer', 3), ('group', 3), ('row', 1)]
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .. import ops
from ..value import Value

# How one input position of a group reads its inputs: ("G", unit) column c of a unit, ("N", node)
# the same node for every column, ("C", values) a constant per column, ("P", params) a param per column.
Ref = tuple[str, Any]


@dataclass(eq=False)
class Unit:
    """Nodes computed together: ``members`` are the columns (one member: a vector, or a number)."""

    kind: str  # "data", "layer", "softmax", "group", "row", "single"
    members: list[Value]
    op: ops.Op | None = None
    varying: bool = True  # depends on the sample (an array over the batch) or not (one number)
    refs: list[Ref] = field(default_factory=list)  # a group's inputs, per position
    source: list[Unit] = field(default_factory=list)  # the arrays a layer, softmax or row reads
    first: int = 0  # topological index of the first member (orders the code)
    valid: bool = True
    wide: bool = False  # a data unit given as 2-D (one column per leaf)
    name: str = ""  # a data unit's array: X or Y

    @property
    def width(self) -> int:
        return len(self.members)

    @property
    def is_array(self) -> bool:
        """Computed as a 2-D array (batch x columns), or 1-D (columns) when it does not vary."""
        return self.kind in ("layer", "softmax", "group") or self.wide


@dataclass
class Lifted:
    """The units in the order the code computes them, and where each node lives."""

    units: list[Unit]
    where: dict[int, tuple[Unit, int]]  # id(node) -> (unit, column)
    order: list[Value]
    varying: dict[int, bool]


def lift(order: list[Value], data: Sequence[Unit], params: Sequence[Value]) -> Lifted:
    """Group ``order`` (a topological order) into units; ``data`` are the units of the sample's inputs."""
    param_ids = {id(p) for p in params}
    where: dict[int, tuple[Unit, int]] = {}
    varying: dict[int, bool] = {}
    for unit in data:
        unit.first = -1
        for c, leaf in enumerate(unit.members):
            where[id(leaf)] = (unit, c)
            varying[id(leaf)] = True
    buckets: dict[tuple[Any, ...], Unit] = {}
    created: list[Unit] = []  # provisional units, in the order their first member appears
    slots: dict[int, list[tuple[int, Value]]] = {}  # id(unit) -> (column, member), while a bucket fills
    for k, node in enumerate(order):
        if node.is_leaf:
            varying.setdefault(id(node), False)
            continue
        varying[id(node)] = any(varying[id(i)] for i in node.inputs)
        found = _classify(node, where, param_ids)
        if found is None:
            continue  # a single, decided below
        key, kind, column, refs, source = found
        bucket = buckets.get(key)
        if bucket is None:
            bucket = Unit(kind, [], node._rule, varying[id(node)], refs, source, first=k)
            buckets[key] = bucket
            created.append(bucket)
            slots[id(bucket)] = []
        filled = slots[id(bucket)]
        if column is None:
            column = len(filled)
        if any(c == column for c, _ in filled):
            bucket.valid = False  # two nodes claim one column: not one array op
        filled.append((column, node))
        where[id(node)] = (bucket, column)
    for unit in created:  # in creation order, so a unit reading a dissolved one is dissolved after it
        filled = sorted(slots[id(unit)], key=lambda pair: pair[0])
        unit.members = [node for _, node in filled]
        # A group's constants and params, one per column, in column order.
        for p, (kind, _) in enumerate(unit.refs):
            if kind == "P":
                unit.refs[p] = (kind, [v.inputs[p] for v in unit.members])
            elif kind == "C":
                unit.refs[p] = (kind, [v.inputs[p].data for v in unit.members])
        if not (unit.valid and [c for c, _ in filled] == list(range(len(filled))) and _fits(unit)):
            unit.valid = False
            for _, node in filled:
                del where[id(node)]
    units = [u for u in created if u.valid]
    for k, node in enumerate(order):
        if not node.is_leaf and id(node) not in where:
            single = Unit("single", [node], node._rule, varying[id(node)], first=k)
            where[id(node)] = (single, 0)
            units.append(single)
    return Lifted(_unit_order([*data, *units], where), where, order, varying)


def _fits(unit: Unit) -> bool:
    """Whether a complete provisional unit is one array op: what it reads is valid, the widths match."""
    if not all(s.valid for s in unit.source):
        return False
    first = unit.members[0]
    if unit.kind == "layer":  # X (batch x n) @ W (n x width), X one row per sample
        return unit.source[0].varying and unit.source[0].width == first._rule.param  # type: ignore[union-attr]
    if unit.kind == "softmax":
        return unit.source[0].width == unit.width
    if unit.kind == "row":
        n = first._rule.param if first._rule.forward is ops._dot else len(first.inputs)  # type: ignore[union-attr]
        return all(s.width == n for s in unit.source)
    return all(s.width == unit.width for s in unit.source)


def _columns_of(nodes: Sequence[Value], where: dict[int, tuple[Unit, int]]) -> Unit | None:
    """The unit whose columns, in order, are exactly ``nodes`` (provisionally), or None."""
    if not nodes or id(nodes[0]) not in where:
        return None
    unit, c = where[id(nodes[0])]
    if c != 0 or not (unit.wide or unit.kind in ("layer", "softmax", "group")):
        return None
    for c, node in enumerate(nodes):
        if where.get(id(node)) != (unit, c):
            return None
    return unit  # whether it has exactly these columns is checked once it is complete (_fits)


def _classify(
    node: Value, where: dict[int, tuple[Unit, int]], param_ids: set[int]
) -> tuple[tuple[Any, ...], str, int | None, list[Ref], list[Unit]] | None:
    """The unit ``node`` can join: (key, kind, column or None, refs, source), or None for a single."""
    op = node._rule
    assert op is not None
    xs = node.inputs
    if op.forward is ops._dot:
        n = op.param
        weights, vector, bias = xs[:n], xs[n : 2 * n], xs[2 * n :]
        source = _columns_of(vector, where)
        if source is not None and all(id(w) in param_ids for w in (*weights, *bias)) and dot_rule_is_bilinear(op):
            return ("layer", id(source), op, len(bias)), "layer", None, [], [source]
        left, right = _columns_of(weights, where), _columns_of(vector, where)
        if left is not None and right is not None and not bias:
            return ("row", id(node)), "row", 0, [], [left, right]
        return None
    if op.forward is ops._softmax_component:
        source = _columns_of(xs, where)
        if source is None:
            return None
        return ("softmax", id(source), len(xs)), "softmax", op.param, [], [source]
    if op.forward in (ops._sum, ops._logsumexp):
        source = _columns_of(xs, where)
        if source is not None and len(xs) > 1:
            return ("row", id(node)), "row", 0, [], [source]
    return _group_key(node, where, param_ids)


def _group_key(
    node: Value, where: dict[int, tuple[Unit, int]], param_ids: set[int]
) -> tuple[tuple[Any, ...], str, int | None, list[Ref], list[Unit]] | None:
    refs: list[Ref] = []
    key: list[Any] = ["group", node._rule]
    column = None
    for x in node.inputs:
        home = where.get(id(x))
        if home is not None and (home[0].kind in ("layer", "softmax", "group") or home[0].wide):
            unit, c = home
            if column is not None and c != column:
                return None
            column = c
            refs.append(("G", unit))
            key.append(("G", id(unit)))
        elif x.is_leaf and id(x) in param_ids:
            refs.append(("P", [x]))
            key.append("P")
        elif x.is_leaf and home is None:
            refs.append(("C", [x.data]))
            key.append("C")
        else:
            refs.append(("N", x))
            key.append(("N", id(x)))
    if column is None and not any(r[0] == "P" for r in refs):
        return None  # nothing side by side to line up
    return tuple(key), "group", column, refs, [r[1] for r in refs if r[0] == "G"]


@lru_cache(maxsize=256)
def dot_rule_is_bilinear(op: ops.Op) -> bool:
    """Whether ``op``'s rule says d/dw_i = x_i, d/dx_i = w_i (and d/db = 1): what makes Xᵀ·dZ."""
    n = op.param
    tags = [("w", i) for i in range(n)] + [("x", i) for i in range(n)] + [("b", 0)]
    try:
        local = op.local(None, None, tags, n)
    except Exception:  # a rule that needs more than its inputs is not the bilinear one
        return False
    return list(local) == [("x", i) for i in range(n)] + [("w", i) for i in range(n)] + [1.0]


def _unit_order(units: list[Unit], where: dict[int, tuple[Unit, int]]) -> list[Unit]:
    """The units, each after those it reads (Kahn's algorithm, earliest first member first)."""
    needs: dict[int, set[int]] = {}
    users: dict[int, list[Unit]] = {}
    by_id = {id(u): u for u in units}
    for unit in units:
        deps = set()
        for member in unit.members:
            for x in member.inputs:
                home = where.get(id(x))
                if home is not None and id(home[0]) in by_id and home[0] is not unit:
                    deps.add(id(home[0]))
        needs[id(unit)] = deps
        for d in deps:
            users.setdefault(d, []).append(unit)
    ready = [(u.first, k, u) for k, u in enumerate(units) if not needs[id(u)]]
    heapq.heapify(ready)
    rank = {id(u): k for k, u in enumerate(units)}
    done: list[Unit] = []
    while ready:
        _, _, unit = heapq.heappop(ready)
        done.append(unit)
        for user in users.get(id(unit), ()):
            needs[id(user)].discard(id(unit))
            if not needs[id(user)]:
                heapq.heappush(ready, (user.first, rank[id(user)], user))
    if len(done) != len(units):
        raise AssertionError("the lifted units depend on each other in a circle")  # see the module docstring
    return done


def param_order(lifted: Lifted, params: Sequence[Value]) -> list[int]:
    """The order of the params in the code's P: each layer's W (row by row) then b, as the code first
    reads them, so that each is a slice of P; then every other param, in ``params`` order."""
    index = {id(p): k for k, p in enumerate(params)}
    order: dict[int, None] = {}
    for unit in lifted.units:
        groups: list[list[Value]] = []
        if unit.kind == "layer":
            n = unit.members[0]._rule.param  # type: ignore[union-attr]
            groups.append([v.inputs[i] for i in range(n) for v in unit.members])
            if len(unit.members[0].inputs) > 2 * n:
                groups.append([v.inputs[-1] for v in unit.members])
        elif unit.kind == "group":
            groups += [what for kind, what in unit.refs if kind == "P"]
        for group in groups:
            order.update((index[id(p)], None) for p in group)
    order.update((k, None) for k in range(len(params)))
    return list(order)
