"""Pictures of a computation graph: what each node holds and what each edge multiplies by.

:func:`draw_graph` turns the graph behind a :class:`~autograd.Value` into a ``graphviz.Digraph``
(a :class:`~autograd.render.Picture`, which also renders itself to SVG without a system Graphviz):

* one record-shaped box per Value, ``{ label | data 2.0000 | grad -3.0000 }``;
* one ellipse per operation, between its inputs and its result;
* on each input edge, the local derivative d(out)/d(in) the engine recorded, optionally with the
  gradient flowing back along it (local derivative x the result's grad);
* inputs, parameters, constants and the output styled apart.

:func:`draw_flow` is the gradient-flow view of the same graph: edge colour follows the sign of the
gradient flowing along each edge (red +, blue -) and colour depth and width its size on a log scale
(:class:`~autograd.colors.FlowScale`), so wrong signs, vanishing and exploding paths stand out.

Large graphs are capped (``max_nodes``, ``max_edges``; the picture says what was cut) and a
``columns`` function lays groups out as ordered columns (``nn.draw.model_options`` gives one per
layer).

>>> from autograd import Value
>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b; c.label = "c"; c.backward()
>>> picture = draw_graph(c)        # picture.save_svg("c.svg") writes the SVG
>>> "data 2.0000" in picture.source and "grad -3.0000" in picture.source
True

Drawing only reads Values. Nodes are numbered by :func:`~autograd.topological_order`, so the same
graph always gives the same DOT text (and picture), and nothing here recurses over the graph.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import graphviz

from .colors import (
    MAX_WIDTH,
    MIN_WIDTH,
    NEUTRAL_EDGE,
    PALETTE,
    SOURCE_COLORS,
    FlowScale,
    number_formatter,
    significant,
)
from .labels import (
    LEGEND_WIDTH,
    edge_label,
    escape_field,
    escape_label,
    legend_label,
    placed_label,
    record_label,
    wrapped,
)
from .layout import Body, Selection, emit_clusters, emit_columns, select
from .names import INFIX, node_names, op_display
from .render import Picture
from .sweep import topological_order
from .value import Value, number, value_list

__all__ = [
    "DEFAULT_MAX_EDGES", "DEFAULT_MAX_NODES", "EDGE_LABELS", "MAX_WIDTH", "MIN_WIDTH", "RANKDIRS",
    "FlowScale", "draw_flow", "draw_graph", "escape_field", "escape_label", "explore",
    "flow_magnitudes", "number_formatter", "op_param", "record_label", "save_svg",
]

RANKDIRS: tuple[str, ...] = ("LR", "TB", "RL", "BT")
"""Accepted layout directions: left to right, top to bottom, and their reverses."""

EDGE_LABELS: tuple[str, ...] = ("local", "flow", "both", "none")
"""What an input edge is labelled with: the local derivative, the gradient flowing, both, or nothing."""

DEFAULT_MAX_NODES = 500
"""Values drawn at most unless told otherwise: readable as a zoomable SVG, laid out in about a second."""

DEFAULT_MAX_EDGES = 1500
"""Edges drawn at most unless told otherwise (``sum([x] * 10**4)`` has 10,001 edges on 2 Values): the
WebAssembly Graphviz lays out 1,500 edges in about a second, 10,000 in about 30 s."""

FONT = "Courier"
NARROW = 16  # characters: a longer name breaks after a + in a columned picture's boxes
LEGEND_SIZE = "12"  # points: >= 11 px when a picture under ~1,000 pt wide is shown 900 px wide

# Fill colours per kind of node, from the one palette.
STYLE_OUTPUT = {"fillcolor": PALETTE["fill-output"], "penwidth": "2"}
STYLE_PARAMETER = {"fillcolor": PALETTE["fill-parameter"]}
STYLE_INPUT = {"fillcolor": PALETTE["fill-input"]}
STYLE_CONSTANT = {"fillcolor": PALETTE["fill-constant"], "fontcolor": PALETTE["text-constant"]}
STYLE_INTERMEDIATE = {"fillcolor": PALETTE["fill-intermediate"]}

RANKSEP = "0.3"
RANKSEP_COLUMNS = "0.08"
ORDERING = "out"

Cluster = Callable[[Value], "str | Sequence[str] | None"]
Column = Callable[[Value], "int | None"]


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    precision: int = 4,
    number_format: str | Callable[[float], str] | None = None,
    show_grad: bool = True,
    edge_labels: str = "local",
    flow: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_edges: int | None = DEFAULT_MAX_EDGES,
    params: Iterable[Value] = (),
    cluster: Cluster | None = None,
    columns: Column | None = None,
    title: str | None = None,
    legend: bool = True,
    labels: Mapping[Value, str] | None = None,
    fold_constants: bool = False,
) -> Picture:
    """Draw the computation graph that produced ``root``.

    Args:
        root: the output Value; everything it was computed from is drawn.
        rankdir: layout direction, one of ``RANKDIRS``.
        precision: digits after the point for ordinary numbers, significant digits for very small
            or large ones (ignored if ``number_format`` is given; see :func:`number_formatter`).
        number_format: a format spec (``".3g"``) or a callable float -> str for every number.
        show_grad: put ``grad`` in each box (set False before backward() has run).
        edge_labels: ``"local"`` (d(out)/d(in)), ``"flow"`` (``g`` = d(out)/d(in) x out.grad, the
            gradient flowing back along the edge), ``"both"`` or ``"none"``.
        flow: colour edges by the sign of the gradient flowing along them and widen them by its
            size (see :class:`FlowScale`).
        max_nodes: draw at most this many Values (the ones nearest the output, by breadth-first
            distance); the picture says how many were left out. None draws everything.
        max_edges: draw at most this many edges (nearest the output first), likewise.
        params: Values to style as parameters (e.g. ``model.parameters()``).
        cluster: optional function giving a Value's group as a name or a path of names
            (``("layer 1", "neuron 2")``); grouped Values are boxed together, nested by path, in the
            order the groups first appear. An operation node goes with its result.
        columns: optional function giving a Value's column (an int) or None: columns are laid out
            in increasing order along ``rankdir``, each after all the ones before it. An operation
            node goes with its result.
        title: a line printed above the legend.
        legend: print what the shapes, colours and labels mean (and any size cap) in the picture.
        labels: names for Values (Value -> str) that win over their own labels; every box shows its
            node's one name (:func:`autograd.names.node_names`).
        fold_constants: draw a constant used by one two-input operation inside that operation's
            ellipse (``1 -``, ``* 0.5``) instead of as a box of its own (not in a columned picture,
            where the wider ellipses would widen every column; the explorer draws every Value).

    Returns:
        a :class:`~autograd.render.Picture` (a ``graphviz.Digraph``); ``.save_svg(path)`` writes it.
        Values are nodes ``v{i}`` and operations ``o{i}`` (``i`` = position in
        :func:`~autograd.topological_order`), with edges ``v{j} -> o{i}`` (id ``e{i}_{k}`` for input
        ``k``) and ``o{i} -> v{i}`` (id ``e{i}``); these are the SVG elements' ids too. The picture
        says what it drew: ``drawn`` (node id -> Value), ``edge_of`` (edge id -> (consumer, input
        index)), ``names`` (drawn Value -> its name) and ``folded`` (constants drawn in an ellipse).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph takes the output Value, not {type(root).__name__}: {root!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {rankdir!r}")
    if edge_labels not in EDGE_LABELS:
        raise ValueError(f"edge_labels must be one of {', '.join(EDGE_LABELS)}, not {edge_labels!r}")
    for name, cap in (("max_nodes", max_nodes), ("max_edges", max_edges)):
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise ValueError(f"{name} must be a positive int or None (no cap), not {cap!r}")
    for name, fn in (("cluster", cluster), ("columns", columns)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function of a Value, not {type(fn).__name__}: {fn!r}")
    fmt = number_formatter(precision, number_format)
    param_ids = {id(p) for p in _values(params, "params")}

    order = topological_order(root)
    index = {id(v): i for i, v in enumerate(order)}
    chosen = select(root, order, max_nodes, max_edges)
    names = node_names(root, labels)
    constants = _constants(order, {id(v) for v in (labels or {})} | param_ids)
    folded = _foldable(chosen, constants, root) if fold_constants and columns is None else {}
    drawn = [v for v in chosen.drawn if id(v) not in folded]

    # Every edge's gradient, computed once: the colour scale needs them all before drawing any.
    # Edges into constants are not on the scale: nobody trains a constant, and its gradient (the
    # tutorial's -1/3 gets the largest) would set the top of the scale for every other edge.
    scale = FlowScale.of(_flowing(chosen, constants)) if flow else None
    shared = _shared_sources(chosen, index, folded)
    compact = columns is not None

    graph = Picture(name="computation_graph")
    graph.attr(rankdir=rankdir, fontname=FONT, fontsize=LEGEND_SIZE, labelloc="t", labeljust="l", newrank="true")
    # Column layouts put a whole network side by side: tighter ranks keep node text >= 9 CSS px
    # when the tutorial's graph is fitted to a 1440-px screen (11 pt x 1440 / 1725 pt).
    ranksep = RANKSEP_COLUMNS if compact else RANKSEP
    graph.attr(ranksep=ranksep, nodesep="0.15", forcelabels="true", ordering=ORDERING)
    graph.attr("node", fontname=FONT, fontsize="11", style="filled")
    graph.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")

    # Node statements go into their cluster's body (or the graph's when ungrouped).
    bodies: dict[tuple[str, ...], Body] = {(): []}
    column_of: dict[str, int] = {}
    cut_ops = 0
    for v in drawn:
        i = index[id(v)]
        group = _group_of(cluster, v)
        body = bodies.setdefault(group, [])
        kind = _kind(v, root, param_ids, constants)
        box = _value_attrs(v, names[v], kind, fmt, show_grad, rankdir, stacked=compact)
        body.append((f"v{i}", {"id": f"v{i}", **box}))
        graph.drawn[f"v{i}"] = v
        column = _column_of(columns, v)
        if column is not None:
            column_of[f"v{i}"] = column
        if id(v) not in chosen.edges:  # a leaf, or an operation the edge cap left out
            continue
        missing = len(v.inputs) - len(chosen.edges[id(v)])
        cut_ops += missing > 0
        held = {p: v.inputs[p] for p in chosen.edges[id(v)] if folded.get(id(v.inputs[p])) == id(v)}
        body.append((f"o{i}", {"id": f"o{i}", **_op_attrs(v, missing, held)}))
        graph.drawn[f"o{i}"] = v
        if column is not None:
            column_of[f"o{i}"] = column

    emit_clusters(graph, bodies, graphviz.nohtml, FONT)

    edges: list[tuple[str, str]] = []
    into_constant = False  # an edge off the colour scale is drawn (the legend says so only then)
    for v in drawn:
        if id(v) not in chosen.edges:
            continue
        i = index[id(v)]
        out_grad = number(v.grad)
        fan_in = all(f"v{index[id(inp)]}" in shared for inp in v.inputs) and len(v.inputs) > 1
        positions = [p for p in chosen.edges[id(v)] if id(v.inputs[p]) not in folded]
        # Only labels that fit: in a columned picture an operation of many inputs (a neuron's dot,
        # a softmax) would pile its labels up, and its local derivatives are its other inputs.
        labelled = edge_labels if not compact or len(positions) <= 2 else "none"
        for position in positions:
            inp, local = v.inputs[position], v.local_grads[position]
            tail = f"v{index[id(inp)]}"
            attrs = edge_label(local, local * out_grad, labelled, fmt)
            # Inputs listed first sit above (LR) their operation: their edges run down to it.
            downward = position < (len(v.inputs) - 1) / 2
            attrs = placed_label(attrs, shared.get(tail), compact=compact, downward=downward)
            if scale is not None:
                into_constant = into_constant or id(inp) in constants
                attrs.update(NEUTRAL_EDGE if id(inp) in constants else scale.edge_attrs(local * out_grad))
            if column_of.get(tail, -1) != column_of.get(f"o{i}", -1):
                attrs["weight"] = "0"  # between columns: let each column keep its own shape
            if fan_in and compact:
                attrs["minlen"] = "3"  # every input shared (a softmax): room for the crossing edges
            graph.edge(tail, f"o{i}", id=f"e{i}_{position}", **attrs)
            graph.edge_of[f"e{i}_{position}"] = (v, position)
            edges.append((tail, f"o{i}"))
        attrs = scale.edge_attrs(out_grad) if scale is not None else {}
        graph.edge(f"o{i}", f"v{i}", id=f"e{i}", **attrs)
        edges.append((f"o{i}", f"v{i}"))
    emit_columns(graph, column_of, edges, {f"v{index[id(v)]}" for v in drawn if id(v) not in chosen.edges})
    graph.names = {v: names[v] for v in drawn}
    graph.folded = [v for v in chosen.drawn if id(v) in folded]

    notes: list[str] = []
    if title:
        notes.append(title)
    notes.extend(_cap_notes(chosen, max_nodes, max_edges, cut_ops))
    if flow and scale is not None:
        notes.append(scale.note())
    elif flow and any(not v.is_leaf for v in drawn):
        notes.append("every gradient is zero: call backward() first")
    if legend:
        shown = bool(shared) and edge_labels != "none"
        notes.extend(_legend(edge_labels, shown, flow, compact, (bool(folded), into_constant)))
    if notes:
        # a columned picture is a whole network wide: its legend may be as wide, not taller
        graph.attr(label=legend_label(notes, 2 * LEGEND_WIDTH if compact else LEGEND_WIDTH))
    return graph


def draw_flow(root: Value, *, edge_labels: str = "both", **options: Any) -> Picture:
    """The gradient-flow view: :func:`draw_graph` with edges coloured by the sign of the gradient
    flowing along them and darkened and widened by its size.

    Each input edge carries ``g = d(out)/d(in) x out.grad``, the gradient flowing back along it; the
    edge from an operation to its result carries the result's grad. Red is positive, blue negative;
    depth and width follow a log scale up to the largest ``|g|`` (noted in the picture, with its
    floor); exactly zero is dashed grey. Takes the same options as :func:`draw_graph`.
    """
    options.pop("flow", None)
    return draw_graph(root, flow=True, edge_labels=edge_labels, **options)


def save_svg(root: Value, path: str | os.PathLike[str], *, flow: bool = False, **options: Any) -> Path:
    """Draw ``root``'s graph (the flow view if ``flow``) and write it to ``path`` as SVG, in one call."""
    picture = draw_flow(root, **options) if flow else draw_graph(root, **options)
    return picture.save_svg(path)


def flow_magnitudes(root: Value) -> list[float]:
    """|gradient flowing| along every edge on the colour scale of an uncapped :func:`draw_flow`, in
    drawing order (edges into constants are not on it)."""
    order = topological_order(root)
    return [abs(g) for g in _flowing(select(root, order, None, None), _constants(order, set()))]


def op_param(v: Value) -> Any:
    """The fixed parameter of the operation that made ``v``: the component index of a ``softmax``
    output, the exponent of ``x ** n``, the pair count of a ``dot``; None for a leaf or an op without one."""
    return v._rule.param if v._rule is not None else None


# --- helpers -----------------------------------------------------------------------------------------



def _values(items: Iterable[Value] | Value, what: str) -> list[Value]:
    return [items] if isinstance(items, Value) else value_list(items, what)


def _flowing(chosen: Selection, constants: set[int]) -> list[float]:
    """The gradient along each drawn edge (signed) that is on the scale, in drawing order."""
    out: list[float] = []
    for v in chosen.drawn:
        if id(v) not in chosen.edges:
            continue
        out_grad = number(v.grad)
        out.extend(v.local_grads[p] * out_grad for p in chosen.edges[id(v)] if id(v.inputs[p]) not in constants)
        out.append(out_grad)
    return out


def _constants(order: Iterable[Value], named: set[int]) -> set[int]:
    """Ids of the constants: leaves without a label, a name given, or a parameter's role."""
    return {id(v) for v in order if v.is_leaf and not v.label and id(v) not in named}


def _foldable(chosen: Selection, constants: set[int], root: Value) -> dict[int, int]:
    """Constant id -> id of the one two-input infix operation that uses it (once), for each
    constant that can be written inside that operation's ellipse (``1 −``) instead of drawn."""
    users: dict[int, list[Value]] = {}
    for v in chosen.drawn:
        for p in chosen.edges.get(id(v), ()):
            if id(v.inputs[p]) in constants:
                users.setdefault(id(v.inputs[p]), []).append(v)
    return {
        c: id(us[0])
        for c, us in users.items()
        if len(us) == 1 and len(us[0].inputs) == 2 and op_display(us[0]) in INFIX and c != id(root)
    }


def _shared_sources(chosen: Selection, index: dict[int, int], folded: Mapping[int, int]) -> dict[str, str]:
    """Node name -> colour of each Value that feeds more than one drawn operation (its edges fan out
    and may cross others, so their labels go at the arrow heads, coloured per source)."""
    users: dict[int, set[int]] = {}
    for v in chosen.drawn:
        for p in chosen.edges.get(id(v), ()):
            if id(v.inputs[p]) not in folded:
                users.setdefault(id(v.inputs[p]), set()).add(id(v))
    many = sorted(index[k] for k, u in users.items() if len(u) > 1)
    return {f"v{i}": SOURCE_COLORS[n % len(SOURCE_COLORS)] for n, i in enumerate(many)}


def _column_of(columns: Column | None, v: Value) -> int | None:
    if columns is None:
        return None
    column = columns(v)
    if column is not None and (isinstance(column, bool) or not isinstance(column, int)):
        raise TypeError(f"columns must return an int or None; got {column!r} for {v!r}")
    return column


def _cap_notes(chosen: Selection, max_nodes: int | None, max_edges: int | None, cut_ops: int) -> list[str]:
    if not chosen.cut_values and not chosen.cut_edges:
        return []
    caps = ", ".join(f"{n}={c}" for n, c in (("max_nodes", max_nodes), ("max_edges", max_edges)) if c is not None)
    return [
        f"size cap {caps}: drawing {len(chosen.drawn)} of {chosen.total_values} values and "
        f"{chosen.drawn_edges} of {chosen.total_edges} edges (those nearest the output); "
        f"{chosen.cut_values} values and {chosen.cut_edges} edges not drawn "
        f"({cut_ops} dashed operations have inputs cut)"
    ]


def _group_of(cluster: Cluster | None, v: Value) -> tuple[str, ...]:
    if cluster is None:
        return ()
    group = cluster(v)
    if group is None:
        return ()
    path = (group,) if isinstance(group, str) else tuple(group) if isinstance(group, Sequence) else None
    if path is None or not all(isinstance(name, str) for name in path):
        raise TypeError(f"cluster must return a str, a sequence of str or None; got {group!r} for {v!r}")
    return path


def _kind(v: Value, root: Value, params: set[int], constants: set[int]) -> str:
    if v is root:
        return "output"
    if id(v) in params:
        return "parameter"
    if id(v) in constants:
        return "constant"
    return "input" if v.is_leaf else "intermediate"


STYLES = {"output": STYLE_OUTPUT, "parameter": STYLE_PARAMETER, "input": STYLE_INPUT, "constant": STYLE_CONSTANT,
          "intermediate": STYLE_INTERMEDIATE}


def _value_attrs(
    v: Value, name: str, kind: str, fmt: Callable[[float], str], show_grad: bool, rankdir: str, stacked: bool
) -> dict[str, str]:
    """A one-row record ``name | data .. | grad ..`` (a constant's number is its name: not repeated);
    ``stacked``, the fields one above the other (a columned picture: narrow columns side by side)."""
    fields = [escape_field(wrapped(name, NARROW) if stacked else name)] if kind != "constant" else []
    fields.append(escape_field(f"data {fmt(v.data)}"))
    if show_grad:
        fields.append(escape_field(f"grad {fmt(number(v.grad))}"))
    return {"shape": "record", "label": record_label(fields if stacked else [fields], rankdir), **STYLES[kind]}


def _op_attrs(v: Value, missing: int, held: Mapping[int, Value]) -> dict[str, str]:
    """An ellipse naming the operation; a constant it holds (``held``: input position -> constant)
    is written on its side of the operator, as names write it: ``1 -`` for ``1 - x``, ``* 0.5``."""
    name = op_display(v)
    for position, c in held.items():
        name = f"{significant(c.data, 4)} {name}" if position == 0 else f"{name} {significant(c.data, 4)}"
    attrs = {"shape": "ellipse", "label": escape_label(name), "fillcolor": PALETTE["fill-operation"]}
    attrs.update(margin="0.03,0.01", width="0.3", height="0.3")  # as small as the name, not 0.75 in wide
    if missing:
        attrs["label"] = escape_label(f"{name} ({missing} in not drawn)")
        attrs["style"] = "filled,dashed"
    return attrs


def _legend(edge_labels: str, shared: bool, flow: bool, compact: bool, constants: tuple[bool, bool]) -> list[str]:
    """What the marks mean, a line for each kind of mark drawn; ``constants``: (some folded, some
    edge into a constant drawn off the scale)."""
    folded, into_constant = constants
    lines = [
        "boxes: name | data | grad; ellipses: operations; output green, parameters yellow, "
        "inputs blue, constants grey",
    ]
    if folded:
        lines.append("a constant used once is written in its operation's ellipse: 1 - x is drawn as (1 -) <- x")
    if into_constant:
        lines.append("light grey: an edge into a constant (not on the colour scale: nothing trains a constant)")
    fits = "; left out where it would cover a box or another label"
    if edge_labels == "local":
        lines.append("edge label: d(out)/d(in), the local derivative the engine recorded" + fits)
    elif edge_labels == "flow":
        lines.append("edge label: g = d(out)/d(in) x out.grad, the gradient flowing back along the edge" + fits)
    elif edge_labels == "both":
        lines.append(
            "edge label: d = d(out)/d(in) recorded by the engine; g = d x out.grad, the gradient flowing back" + fits
        )
    if compact and edge_labels != "none":
        lines.append(
            "labels sit at the edge's tail, where only that edge starts; an edge from a Value that several "
            "operations use has its label beside it, in the edge's colour"
        )
        lines.append(
            "operations of more than two inputs (a neuron's dot, softmax, sum) have no edge labels: "
            "dot's d(out)/d(w) is x, d(out)/d(x) is w, d(out)/d(b) is 1"
        )
    if shared and not flow:
        lines.append("edges from a Value that several operations use: one colour per source Value, labels alike")
    return lines


# The step-through page draws its graph with draw_graph; it is re-exported here beside the pictures.
from .explorer import explore  # noqa: E402
