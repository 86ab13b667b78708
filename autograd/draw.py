"""Pictures of a computation graph: what each node holds and what each edge multiplies by.

:func:`draw_graph` turns the graph behind a :class:`~autograd.Value` into a ``graphviz.Digraph``
(a :class:`~autograd.render.Picture`, which also renders itself to SVG without a system Graphviz):

* one record-shaped box per Value, ``{ label | data 2.0000 | grad -3.0000 }``;
* one ellipse per operation, between its inputs and its result;
* on each input edge, the local derivative d(out)/d(in) the engine recorded, optionally with the
  gradient flowing back along it (local derivative x the result's grad);
* inputs, parameters, constants and the output styled apart.

:func:`draw_flow` is the gradient-flow view of the same graph: edge colour and width follow the size
of the gradient flowing along each edge on a log scale, so vanishing and exploding paths stand out.

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

import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backward import topological_order
from .render import Picture
from .value import Value, number, value_list

RANKDIRS: tuple[str, ...] = ("LR", "TB", "RL", "BT")
"""Accepted layout directions: left to right, top to bottom, and their reverses."""

EDGE_LABELS: tuple[str, ...] = ("local", "flow", "both", "none")
"""What an input edge is labelled with: the local derivative, the gradient flowing, both, or nothing."""

DEFAULT_MAX_NODES = 500
"""Values drawn at most unless told otherwise: readable as a zoomable SVG, laid out in well under a second."""

FONT = "Courier"

# Fill colours per kind of node (plain colours: the WebAssembly Graphviz draws them like dot does).
STYLE_OUTPUT = {"fillcolor": "#d9f0d3", "penwidth": "2"}
STYLE_PARAMETER = {"fillcolor": "#fff2cc"}
STYLE_INPUT = {"fillcolor": "#deebf7"}
STYLE_CONSTANT = {"fillcolor": "#f0f0f0", "fontcolor": "#555555"}
STYLE_INTERMEDIATE = {"fillcolor": "white"}

# The flow palette: pale steel blue (smallest gradient) -> yellow-orange -> red -> dark red (largest).
# Green and blue channels both fall along it, so darker and redder always means bigger.
_PALETTE = ((180, 200, 220), (254, 178, 76), (240, 59, 32), (110, 0, 20))
ZERO_FLOW_COLOR = "#b0b0b0"
MIN_WIDTH, MAX_WIDTH = 0.75, 6.0

Cluster = Callable[[Value], "str | Sequence[str] | None"]


@dataclass(frozen=True)
class FlowScale:
    """A log scale from the smallest to the largest non-zero gradient magnitude in a picture.

    ``position(m)`` is 0 at ``lo`` and 1 at ``hi``; ``color`` and ``width`` grow with it, so both are
    monotone in ``|gradient|``. A zero gradient is drawn dashed grey (``ZERO_FLOW_COLOR``).
    """

    lo: float
    hi: float

    @classmethod
    def of(cls, magnitudes: Iterable[float]) -> FlowScale | None:
        """The scale spanning the non-zero ``magnitudes``, or None if every one is zero."""
        nonzero = [abs(m) for m in magnitudes if m != 0.0]
        if not nonzero:
            return None
        return cls(min(nonzero), max(nonzero))

    def position(self, magnitude: float) -> float:
        """Where ``|magnitude|`` sits between ``lo`` (0.0) and ``hi`` (1.0) on a log scale, clamped."""
        m = abs(magnitude)
        if m == 0.0:
            return 0.0
        lo, hi = math.log10(self.lo), math.log10(self.hi)
        if hi <= lo:  # one magnitude only (or two a rounding apart: their logs can be equal)
            return 1.0
        return min(1.0, max(0.0, (math.log10(m) - lo) / (hi - lo)))

    def color(self, magnitude: float) -> str:
        """``#rrggbb`` for a gradient of this size; ``ZERO_FLOW_COLOR`` for zero."""
        if magnitude == 0.0:
            return ZERO_FLOW_COLOR
        t = self.position(magnitude) * (len(_PALETTE) - 1)
        k = min(int(t), len(_PALETTE) - 2)
        frac = t - k
        rgb = [round(a + (b - a) * frac) for a, b in zip(_PALETTE[k], _PALETTE[k + 1])]
        return "#{:02x}{:02x}{:02x}".format(*rgb)

    def width(self, magnitude: float) -> float:
        """Pen width (points) for a gradient of this size, from MIN_WIDTH to MAX_WIDTH."""
        if magnitude == 0.0:
            return MIN_WIDTH
        return round(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * self.position(magnitude), 2)

    def edge_attrs(self, magnitude: float) -> dict[str, str]:
        """Graphviz edge attributes (colour, width, dashed when zero) for a gradient of this size."""
        attrs = {"color": self.color(magnitude), "penwidth": f"{self.width(magnitude):.2f}"}
        if magnitude == 0.0:
            attrs["style"] = "dashed"
        return attrs

    def note(self) -> str:
        """One line for the legend: the range of the scale and what colour and width mean."""
        return (
            f"edge colour and width: |gradient flowing|, log scale from {self.lo:.3g} "
            f"(thin, pale) to {self.hi:.3g} (thick, dark red); dashed grey = no gradient"
        )


def number_formatter(
    precision: int = 4, number_format: str | Callable[[float], str] | None = None
) -> Callable[[float], str]:
    """The function that writes every number of a picture.

    ``number_format`` may be a format spec (``".3g"``, ``".2e"``) or a callable float -> str; without
    it numbers get ``precision`` digits after the point (``2.0000``).
    """
    if number_format is None:
        if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 17:
            raise ValueError(f"precision must be an int from 0 to 17, got {precision!r}")
        spec = f".{precision}f"
    elif isinstance(number_format, str):
        spec = number_format
        try:
            format(1.5, spec)
        except ValueError as err:
            raise ValueError(f"number_format {spec!r} is not a float format spec like '.4f' or '.3g': {err}") from None
    elif callable(number_format):
        user = number_format

        def call(x: float) -> str:
            text = user(x)
            if not isinstance(text, str):
                raise TypeError(f"number_format must return a str, returned {type(text).__name__}: {text!r}")
            return text

        return call
    else:
        raise TypeError(f"number_format must be a format spec str or a callable, not {type(number_format).__name__}")

    def fmt(x: float) -> str:
        return format(x + 0.0, spec)  # + 0.0 turns -0.0 into 0.0: no "-0.0000" for an exact zero

    return fmt


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
    params: Iterable[Value] = (),
    cluster: Cluster | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Picture:
    """Draw the computation graph that produced ``root``.

    Args:
        root: the output Value; everything it was computed from is drawn.
        rankdir: layout direction, one of ``RANKDIRS``.
        precision: digits after the point for every number (ignored if ``number_format`` is given).
        number_format: a format spec (``".3g"``) or a callable float -> str for every number.
        show_grad: put ``grad`` in each box (set False before backward() has run).
        edge_labels: ``"local"`` (d(out)/d(in)), ``"flow"`` (``g`` = d(out)/d(in) x out.grad, the
            gradient flowing back along the edge), ``"both"`` or ``"none"``.
        flow: colour and widen edges by the gradient flowing along them (see :class:`FlowScale`).
        max_nodes: draw at most this many Values (the ones nearest the output, by breadth-first
            distance); the picture says how many were left out. None draws everything.
        params: Values to style as parameters (e.g. ``model.parameters()``).
        cluster: optional function giving a Value's group as a name or a path of names
            (``("layer 1", "neuron 2")``); grouped Values are boxed together, nested by path. An
            operation node goes with its result.
        title: a line printed above the legend.
        legend: print what the shapes, colours and labels mean (and any size cap) in the picture.

    Returns:
        a :class:`~autograd.render.Picture` (a ``graphviz.Digraph``); ``.save_svg(path)`` writes it.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph takes the output Value, not {type(root).__name__}: {root!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {rankdir!r}")
    if edge_labels not in EDGE_LABELS:
        raise ValueError(f"edge_labels must be one of {', '.join(EDGE_LABELS)}, not {edge_labels!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None (no cap), not {max_nodes!r}")
    if cluster is not None and not callable(cluster):
        raise TypeError(f"cluster must be a function Value -> group name(s), not {type(cluster).__name__}")
    fmt = number_formatter(precision, number_format)
    param_ids = {id(p) for p in _values(params, "params")}

    order = topological_order(root)
    index = {id(v): i for i, v in enumerate(order)}
    drawn = order if max_nodes is None or len(order) <= max_nodes else _nearest(root, order, max_nodes)
    kept = {id(v) for v in drawn}

    # Every edge's gradient, computed once: the colour scale needs them all before drawing any.
    scale = FlowScale.of(_magnitudes(drawn, kept)) if flow else None

    graph = Picture(name="computation_graph")
    graph.attr(rankdir=rankdir, fontname=FONT, fontsize="11", labelloc="t", labeljust="l", newrank="true")
    graph.attr("node", fontname=FONT, fontsize="11", style="filled")
    graph.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")

    # Node statements go into their cluster's body (or the graph's when ungrouped).
    bodies: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = {(): []}
    cut_edges = 0
    cut_ops = 0
    for v in drawn:
        i = index[id(v)]
        group = _group_of(cluster, v)
        body = bodies.setdefault(group, [])
        body.append((f"v{i}", _value_attrs(v, fmt, show_grad, v is root, id(v) in param_ids, rankdir)))
        if v.is_leaf:
            continue
        missing = sum(1 for inp in v.inputs if id(inp) not in kept)
        cut_edges += missing
        cut_ops += missing > 0
        body.append((f"o{i}", _op_attrs(v, missing)))

    _emit_nodes(graph, bodies)

    for v in drawn:
        if v.is_leaf:
            continue
        i = index[id(v)]
        out_grad = number(v.grad)
        for inp, local in zip(v.inputs, v.local_grads):
            if id(inp) not in kept:
                continue
            attrs = _edge_label(local, local * out_grad, edge_labels, fmt)
            if scale is not None:
                attrs.update(scale.edge_attrs(local * out_grad))
            graph.edge(f"v{index[id(inp)]}", f"o{i}", **attrs)
        attrs = scale.edge_attrs(out_grad) if scale is not None else {}
        graph.edge(f"o{i}", f"v{i}", **attrs)

    notes: list[str] = []
    if title:
        notes.append(title)
    if len(drawn) < len(order):
        notes.append(
            f"size cap max_nodes={max_nodes}: drawing {len(drawn)} of {len(order)} values "
            f"(those nearest the output); {len(order) - len(drawn)} values and {cut_edges} edges not drawn "
            f"({cut_ops} dashed operations have inputs cut)"
        )
    if flow and scale is not None:
        notes.append(scale.note())
    elif flow and any(not v.is_leaf for v in drawn):
        notes.append("every gradient is zero: call backward() first")
    if legend:
        notes.extend(_legend(edge_labels))
    if notes:
        graph.attr(label="".join(escape_label(n) + "\\l" for n in notes))
    return graph


def draw_flow(root: Value, *, edge_labels: str = "both", **options: Any) -> Picture:
    """The gradient-flow view: :func:`draw_graph` with edges coloured and widened by ``|gradient|``.

    Each input edge carries ``g = d(out)/d(in) x out.grad``, the gradient flowing back along it; the
    edge from an operation to its result carries the result's grad. Colour and width follow a log
    scale between the smallest and the largest non-zero ``|g|`` (noted in the picture); zero is dashed.
    Takes the same options as :func:`draw_graph`.
    """
    options.pop("flow", None)
    return draw_graph(root, flow=True, edge_labels=edge_labels, **options)


def save_svg(root: Value, path: str | os.PathLike[str], *, flow: bool = False, **options: Any) -> Path:
    """Draw ``root``'s graph (the flow view if ``flow``) and write it to ``path`` as SVG, in one call."""
    picture = draw_flow(root, **options) if flow else draw_graph(root, **options)
    return picture.save_svg(path)


def flow_magnitudes(root: Value) -> list[float]:
    """|gradient flowing| along every edge :func:`draw_flow` draws, in drawing order (for checks)."""
    order = topological_order(root)
    return list(_magnitudes(order, {id(v) for v in order}))


def escape_label(text: str) -> str:
    """Text for a Graphviz label, shown as is: a backslash starts an escape there, so it is doubled."""
    return text.replace("\\", "\\\\")


def escape_field(text: str) -> str:
    """Text for one field of a record label, where ``{ } | < >`` are structure and must be escaped."""
    out = escape_label(text)
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out


def record_label(rows: Sequence[str | Sequence[str]], rankdir: str) -> str:
    """A record label whose ``rows`` (escaped fields) stack one above the other; a row that is a
    sequence of fields has them side by side. The same in every ``rankdir``: a record's top level
    runs across the rank direction, so top-bottom layouts need the outer braces that flip it."""
    parts = [r if isinstance(r, str) else "{ " + " | ".join(r) + " }" for r in rows]
    label = " | ".join(parts)
    return "{ " + label + " }" if rankdir in ("TB", "BT") else label


def op_param(v: Value) -> Any:
    """The fixed parameter of the operation that made ``v``: the component index of a ``softmax``
    output, the exponent of ``x ** n``, the pair count of a ``dot``; None for a leaf or an op without one."""
    return v._rule.param if v._rule is not None else None


def op_name(v: Value) -> str:
    """The operation's name as pictures show it: ``v.op``, with a softmax output's component (``softmax[1]``)."""
    if v.op == "softmax":  # which component: the outputs look alike otherwise
        return f"softmax[{op_param(v)}]"
    return v.op


# --- helpers -----------------------------------------------------------------------------------------



def _values(items: Iterable[Value] | Value, what: str) -> list[Value]:
    return [items] if isinstance(items, Value) else value_list(items, what)


def _nearest(root: Value, order: list[Value], limit: int) -> list[Value]:
    """The ``limit`` Values nearest ``root`` (breadth-first over inputs), in topological order."""
    chosen = {id(root)}
    queue = deque([root])
    while queue and len(chosen) < limit:
        node = queue.popleft()
        for inp in node.inputs:
            if id(inp) not in chosen:
                chosen.add(id(inp))
                queue.append(inp)
                if len(chosen) == limit:
                    break
    return [v for v in order if id(v) in chosen]


def _magnitudes(drawn: Sequence[Value], kept: set[int]) -> Iterable[float]:
    for v in drawn:
        if v.is_leaf:
            continue
        out_grad = number(v.grad)
        for inp, local in zip(v.inputs, v.local_grads):
            if id(inp) in kept:
                yield abs(local * out_grad)
        yield abs(out_grad)


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


def _value_attrs(
    v: Value, fmt: Callable[[float], str], show_grad: bool, is_output: bool, is_param: bool, rankdir: str
) -> dict[str, str]:
    fields = [escape_field(v.label)] if v.label else []
    fields.append(escape_field(f"data {fmt(v.data)}"))
    if show_grad:
        fields.append(escape_field(f"grad {fmt(number(v.grad))}"))
    if is_output:
        style = STYLE_OUTPUT
    elif is_param:
        style = STYLE_PARAMETER
    elif v.is_leaf:
        style = STYLE_INPUT if v.label else STYLE_CONSTANT
    else:
        style = STYLE_INTERMEDIATE
    label = record_label(fields, rankdir)
    return {"shape": "record", "label": label, **style}


def _op_attrs(v: Value, missing: int) -> dict[str, str]:
    name = op_name(v)
    attrs = {"shape": "ellipse", "label": escape_label(name), "fillcolor": "#eeeeee", "margin": "0.05,0.02"}
    if missing:
        attrs["label"] = escape_label(f"{name} ({missing} in not drawn)")
        attrs["style"] = "filled,dashed"
    return attrs


def _edge_label(local: float, flowing: float, mode: str, fmt: Callable[[float], str]) -> dict[str, str]:
    if mode == "local":
        return {"label": escape_label(fmt(local))}
    if mode == "flow":
        return {"label": escape_label(f"g {fmt(flowing)}")}
    if mode == "both":
        return {"label": escape_label(f"d {fmt(local)}") + "\\n" + escape_label(f"g {fmt(flowing)}")}
    return {}


def _legend(edge_labels: str) -> list[str]:
    lines = [
        "boxes: { label | data | grad }; ellipses: operations; output green, parameters yellow, "
        "inputs blue, constants grey",
    ]
    if edge_labels == "local":
        lines.append("edge label: d(out)/d(in), the local derivative the engine recorded")
    elif edge_labels in ("flow", "both"):
        lines.append("edge label: d = d(out)/d(in) recorded by the engine; g = d x out.grad, the gradient flowing back")
    return lines


def _emit_nodes(graph: Picture, bodies: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]]) -> None:
    """Write node statements, each group as a (nested) cluster.

    A subgraph is copied into its parent when attached, so clusters are attached deepest first,
    each one complete. No recursion: the nesting is walked by path length.
    """
    for name, attrs in bodies[()]:
        graph.node(name, **attrs)
    paths = {p[:k] for p in bodies for k in range(1, len(p) + 1)}  # ancestors too, even if empty
    clusters: dict[tuple[str, ...], Picture] = {}
    for index, p in enumerate(sorted(paths)):
        sub = Picture(name=f"cluster_{index}")
        sub.attr(label=escape_label(p[-1]), style="rounded,dashed", color="#999999", fontname=FONT, fontsize="11")
        for name, attrs in bodies.get(p, ()):
            sub.node(name, **attrs)
        clusters[p] = sub
    for p in sorted(paths, key=lambda p: (-len(p), p)):
        parent = clusters[p[:-1]] if len(p) > 1 else graph
        parent.subgraph(clusters[p])
