"""The network view: one box per input and per neuron, one edge per weight, the way the tutorial
draws its network.

Each neuron is a record box with a row per incoming weight (its label, value ``w`` and gradient
``g``), its bias, its weighted input ``in`` and its output ``out``. The edge of weight ``w[i]``
ends at that weight's row, so value and gradient sit on their own edge however edges cross, and it
is coloured by the sign and size of the weight's gradient (:class:`autograd.colors.FlowScale`, the
same scale as the flow view). Edges into the loss carry dE/d(out) on the same scale. A softmax
layer gets a column of its outputs, each joined to every weighted input (the coupling).

>>> import nn.lesson
>>> model = nn.lesson.tutorial.network()
>>> loss = nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)
>>> loss.backward()
>>> view = draw_network(model, loss)
>>> view.source.count(":w")         # one edge per weight, each into its weight's row
27
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import graphviz

from autograd import Value
from autograd.colors import PALETTE, FlowScale, number_formatter
from autograd.draw import (
    FONT,
    LEGEND_SIZE,
    RANKDIRS,
    STYLE_INPUT,
    STYLE_INTERMEDIATE,
    STYLE_OUTPUT,
    escape_field,
)
from autograd.labels import legend_label
from autograd.names import node_names
from autograd.render import Picture
from autograd.value import number

from .forward_graph import LayerNodes, find_forward, layer_names, layers_of, model_labels
from .modules import MLP, Layer

COUPLING_COLOR = PALETTE["coupling"]


def draw_network(
    model: MLP | Layer,
    root: Value | None = None,
    *,
    rankdir: str = "LR",
    precision: int = 4,
    number_format: str | Callable[[float], str] | None = None,
    show_grad: bool = True,
    title: str | None = None,
    legend: bool = True,
) -> Picture:
    """The network view: a box per input and per neuron, an edge per weight.

    Each neuron shows a row per weight (``w`` value, ``g`` gradient), its bias ``b``, its weighted
    input ``in`` and activation output ``out`` (with ``show_grad``, the gradient of each). The edge
    ``x_i -> neuron j`` ends at the row of ``neurons[j].w[i]`` and is coloured red (positive) or blue
    (negative) by that gradient, darker and wider the larger on a log scale (dashed grey: zero).

    With ``root`` (the loss, after ``backward()``) the values come from the forward pass found in its
    graph (:func:`nn.forward_graph.find_forward`) and a box for the loss is added if it is not a model
    output. When the graph holds several forward passes (a batch), the activations shown are the
    first sample's and the gradients the whole batch's: the picture says so. Without ``root`` only
    the parameters are shown.
    """
    layers = layers_of(model)
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {rankdir!r}")
    fmt = number_formatter(precision, number_format)
    forward = find_forward(model, root) if root is not None else None
    names = layer_names(len(layers))
    input_name = getattr(model, "input_name", "x")
    # Every Value is called by its one name (the same as in the graph pictures and the explorer).
    called = node_names(root, model_labels(model, root)) if root is not None and forward is not None else {}

    def name(v: Value, fallback: str) -> str:
        return called.get(v) or v.label or fallback
    weights = [w for layer in layers for n in layer.neurons for w in n.w]
    outputs = forward.out[-1] if forward is not None else ()
    into_loss = forward is not None and root is not None and not any(root is o for o in outputs)
    flows = [number(w.grad) for w in weights] + ([number(o.grad) for o in outputs] if into_loss else [])
    scale = FlowScale.of(flows) if show_grad else None

    graph = Picture(name="network")
    # Sized for a page column: the tutorial's view is under 1,000 pt wide, so shown 900 px wide its
    # text stays >= 9 px and its legend >= 11 px (tests/test_pictures.py measures the SVG).
    graph.attr(rankdir=rankdir, fontname=FONT, fontsize=LEGEND_SIZE, labelloc="t", labeljust="l")
    graph.attr(ranksep="0.35", nodesep="0.2")
    graph.attr("node", fontname=FONT, fontsize="11", shape="record", style="filled")
    graph.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")
    flip = rankdir in ("TB", "BT")  # a record's top level runs across the ranks: flip it there

    def value_rows(name: str, v: Value) -> list[str]:
        """A box's value and gradient on two rows: a narrow box where no edge needs a row of its own."""
        rows = [f"{name} {fmt(v.data)}"]
        return [*rows, f"g {fmt(number(v.grad))}"] if show_grad else rows

    def value(name: str, v: Value) -> str:
        """The same on one row: a neuron's row, which an edge ends at."""
        return " ".join(value_rows(name, v))

    def record(fields: list[str]) -> str:
        label = " | ".join(fields)
        return "{ " + label + " }" if flip else label

    # Column 0: the inputs.
    with graph.subgraph(name="inputs") as column:
        column.attr(rank="same")
        for i in range(layers[0].n_in):
            rows = [escape_field(name(forward.inputs[i], "") if forward is not None else f"{input_name}[{i}]")]
            if forward is not None:
                rows += [escape_field(text) for text in value_rows("data", forward.inputs[i])]
            column.node(f"x{i}", label=record(rows), fillcolor=STYLE_INPUT["fillcolor"])
    _order(graph, [f"x{i}" for i in range(layers[0].n_in)])

    for k, layer in enumerate(layers):
        style = STYLE_OUTPUT if k == len(layers) - 1 and layer.activation != "softmax" else STYLE_INTERMEDIATE
        heads = []
        with graph.subgraph(name=f"layer{k}") as column:
            column.attr(rank="same")
            for j, neuron in enumerate(layer.neurons):
                rows = [escape_field(f"{names[k]}[{j}] {layer.activation}")]
                for i, w in enumerate(neuron.w):
                    rows.append(f"<w{i}> " + escape_field(value(name(w, f"w[{i}]"), w)))
                rows.append(escape_field(value(name(neuron.b, "b"), neuron.b)))
                if forward is not None:
                    rows.append("<in> " + escape_field(value(name(forward.pre[k][j], "in"), forward.pre[k][j])))
                    if layer.activation != "softmax":
                        out = forward.out[k][j]
                        rows.append("<out> " + escape_field(value(name(out, "out"), out)))
                column.node(f"n{k}_{j}", label=record(rows), fillcolor=style["fillcolor"])
                heads.append(f"n{k}_{j}")
        _order(graph, heads)
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                tail = f"x{i}" if k == 0 else _output_port(layers, forward, k - 1, i)
                attrs: dict[str, str] = {}
                if scale is not None:
                    attrs.update(scale.edge_attrs(number(w.grad)))
                graph.edge(tail, f"n{k}_{j}:w{i}", **attrs)
        if layer.activation == "softmax" and forward is not None:
            _softmax_column(graph, forward, k, lambda o: value_rows(name(o, "out"), o), record, scale)

    notes: list[str] = []
    if title:
        notes.append(title)
    if into_loss and root is not None and forward is not None:
        rows = [escape_field(name(root, "loss")), *map(escape_field, value_rows("data", root))]
        graph.node("loss", label=record(rows), fillcolor=STYLE_OUTPUT["fillcolor"])
        for j, o in enumerate(outputs):
            tail = _output_port(layers, forward, len(layers) - 1, j)
            # No label: the output's box writes its g already, and a label beside the loss box collides.
            graph.edge(tail, "loss", **(scale.edge_attrs(number(o.grad)) if scale is not None else {}))
    notes.extend(_notes(forward, scale, show_grad, legend, into_loss, layers))
    if notes:
        graph.attr(label=legend_label(notes))
    return graph


def _output_port(layers: list[Layer], forward: LayerNodes | None, k: int, j: int) -> str:
    """Where neuron ``j`` of layer ``k``'s output is drawn: its softmax box, its ``out`` row, or
    (no forward pass shown) the neuron's box."""
    if forward is None:
        return f"n{k}_{j}"
    return f"s{k}_{j}:out" if layers[k].activation == "softmax" else f"n{k}_{j}:out"


def _order(graph: graphviz.Digraph, names: list[str]) -> None:
    """Keep nodes of one rank in this order (top to bottom in LR) with invisible flat edges."""
    for a, b in itertools.pairwise(names):
        graph.edge(a, b, style="invis")


def _softmax_column(
    graph: graphviz.Digraph,
    forward: LayerNodes,
    k: int,
    value: Callable[[Value], list[str]],
    record: Callable[[list[str]], str],
    scale: FlowScale | None,
) -> None:
    """Softmax outputs in a column of their own, each joined to every weighted input of layer ``k``:
    ``out[j]`` depends on all of them. Coupling edges are dotted and grey (they carry no weight)."""
    names = []
    with graph.subgraph(name=f"softmax{k}") as column:
        column.attr(rank="same")
        for j, o in enumerate(forward.out[k]):
            first, *rest = value(o)
            rows = [escape_field(f"softmax[{j}]"), "<out> " + escape_field(first), *map(escape_field, rest)]
            column.node(f"s{k}_{j}", label=record(rows), fillcolor=STYLE_OUTPUT["fillcolor"])
            names.append(f"s{k}_{j}")
    _order(graph, names)
    for i in range(len(forward.pre[k])):
        for j in range(len(forward.out[k])):
            graph.edge(f"n{k}_{i}:in", f"s{k}_{j}", style="dotted", color=COUPLING_COLOR, arrowsize="0.5")


def _notes(
    forward: LayerNodes | None,
    scale: FlowScale | None,
    show_grad: bool,
    legend: bool,
    into_loss: bool,
    layers: list[Layer],
) -> list[str]:
    notes = []
    if forward is not None and forward.passes > 1:
        notes.append(
            f"the graph holds {forward.passes} forward passes (a batch): data, in and out are sample 0's "
            f"(the first pass); every gradient g is the whole batch's"
        )
    if not legend:
        return notes
    if scale is not None:
        what = "|dE/dw| (on an edge into the loss: |dE/d out|)" if into_loss else "|dE/dw|"
        notes.append(scale.note(what))
    elif show_grad:
        notes.append("every weight gradient is zero: call backward() first")
    notes.append("each edge is one weight, ending at that weight's row in the receiving neuron (value, g gradient)")
    notes.append("a neuron: its weights, bias, weighted input (in) and output (out), each with g = dE/d it")
    if any(layer.activation == "softmax" for layer in layers) and forward is not None:
        notes.append("dotted grey: softmax couples each output to every weighted input of its layer")
    return notes
