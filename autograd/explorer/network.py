"""The explorer's network view: units in columns (inputs, each layer's neurons, the loss), one
edge per weight, like the tutorial's figure and TensorFlow Playground.

A model library describes its network with :class:`Network` (``nn.draw.explore`` does, from an
``nn`` model); this module only places it and says which unit or edge stands for each Value. A
Value that no unit holds and that is no weight (the loss and its parts) goes to a last column,
one unit named after the output; constants stay out.

>>> from autograd import Value
>>> w, x = Value(0.5, "w"), Value(2.0, "x")
>>> z = w * x; z.label = "z"
>>> net = Network(columns=(("inputs", (Unit("x", (x,)),)), ("out", (Unit("z", (z,)),))),
...               links=(((0, 0), (1, 0), w),))
>>> [len(units) for _, units in net.columns]
[1, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..value import Value
from .placement import CHAR, FONT, LINE, PAD

COLUMN_GAP = 7.0 * FONT  # room for the weights' edges between columns
UNIT_GAP = 0.8 * FONT
FULL_UNITS = 6  # columns taller than this show one line per unit (name and data), not three


@dataclass(frozen=True)
class Unit:
    """One input or neuron: its name and the Values it stands for (``values[0]``: the one whose
    numbers it shows, e.g. a neuron's output; then its weighted input, bias, other samples' ...)."""

    name: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Network:
    """Columns of units, left to right, each ``(title, units)``; ``links``: one per weight,
    ``((column, row) of the unit it comes from, (column, row) of the unit it feeds, the weight)``."""

    columns: tuple[tuple[str, tuple[Unit, ...]], ...]
    links: tuple[tuple[tuple[int, int], tuple[int, int], Value], ...]


def network_view(
    network: Network,
    order: Sequence[Value],
    index: Mapping[Value, int],
    root: Value,
    boxed: Sequence[int],
    names: Sequence[str],
    box: Callable[[float], str],
    final: Mapping[Value, float],
    pos: Mapping[int, int],
) -> dict[str, Any]:
    """The view as the page draws it: ``columns`` (title, x), ``units`` (name, the node it shows,
    the nodes it stands for, x, y, w, h, lines), ``links`` (from unit, to unit, the weight's node;
    -1 for an edge into the loss, which carries dE/d(unit); -2 for a weight the page leaves out),
    ``layerOf`` (column per listed node). Nodes are positions in the page's list (``pos``: topological
    index -> position)."""
    columns = [(title, list(units)) for title, units in network.columns]
    held = {v for _, units in columns for u in units for v in u.values} | {w for *_, w in network.links}
    shown = set(boxed)
    rest = tuple(v for v in order if v not in held and index[v] in shown)
    links = [(a, b, index.get(w, -1)) for a, b, w in network.links]
    if rest:  # the loss and its parts: a column of their own, fed by the last column's units
        last = len(columns) - 1
        columns.append(("loss", [Unit(names[index[root]], (root, *(v for v in rest if v is not root)))]))
        links += [((last, r), (last + 1, 0), -1) for r in range(len(columns[last][1]))]
    tallest = max(len(units) for _, units in columns)
    lines = 3 if tallest <= FULL_UNITS else 1
    height = lines * LINE + PAD
    units: list[dict[str, Any]] = []
    where: dict[tuple[int, int], int] = {}
    layer_of: dict[int, int] = {}
    x, column_list = 0.0, []
    for c, (title, members) in enumerate(columns):
        # A unit shows its first Value the page lists (a capped page may leave the first sample out).
        listed = [[v for v in u.values if v in index and index[v] in pos] for u in members]
        texts = [_texts(u, vs[0] if vs else None, index, names, box, final, lines) for u, vs in zip(members, listed)]
        width = CHAR * max(len(t) for ts in texts for t in ts) + 2 * PAD
        top = (tallest - len(members)) * (height + UNIT_GAP) / 2
        column_list.append({"title": title, "x": round(x + width / 2, 1)})
        for r, (u, vs) in enumerate(zip(members, listed)):
            where[(c, r)] = len(units)
            nodes = [pos[index[v]] for v in vs]
            for k in nodes:
                layer_of[k] = c
            units.append({
                "name": names[index[vs[0]]] if vs else u.name, "node": nodes[0] if nodes else -1,
                "nodes": nodes, "column": c,
                "x": round(x, 1), "y": round(top + r * (height + UNIT_GAP), 1), "w": round(width, 1),
                "h": round(height, 1), "lines": lines,
            })
        x += width + COLUMN_GAP
    out = []
    for a, b, w in links:
        node = -1 if w < 0 else pos.get(w, -2)
        if node >= 0:
            layer_of[node] = b[0]
        out.append({"from": where[a], "to": where[b], "node": node})
    return {
        "columns": column_list,
        "units": units,
        "links": out,
        "layerOf": layer_of,
        "width": round(x - COLUMN_GAP, 1),
        "height": round(tallest * (height + UNIT_GAP) - UNIT_GAP, 1),
    }


def _texts(
    u: Unit,
    v: Value | None,
    index: Mapping[Value, int],
    names: Sequence[str],
    box: Callable[[float], str],
    final: Mapping[Value, float],
    lines: int,
) -> tuple[str, ...]:
    if v is None:  # none of its Values is on the page: its name alone
        return (u.name,)
    name = names[index[v]]
    if lines == 1:
        return (f"{name} {box(v.data)}",)
    return (name, box(v.data), box(final.get(v, 0.0)))
