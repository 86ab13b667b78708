"""Pictures of a network: the layered view the tutorial draws, and the scalar graph grouped by neuron.

* :func:`draw_network` — inputs, hidden layers ``h1``, ``h2``, ..., outputs: one box per neuron with
  its weighted input, its activation's output and their gradients; one edge per weight, labelled with
  the weight and its gradient, coloured and widened by ``|gradient|`` like the flow view.
* :func:`draw_clustered_graph` — the full scalar computation graph (every Value, every local
  derivative) with each neuron's Values boxed together, inside a box per layer.
* :func:`write_tutorial_pictures` — the tutorial network after its backward pass, drawn all three ways.

Both views find the model's forward pass in the graph behind ``root`` (the loss, usually) by
following the parameters: a neuron's weighted input is the ``dot`` node its weights feed, and so on.
They only read Values.

>>> import nn
>>> model = nn.tutorial.network()
>>> loss = nn.binary_cross_entropy(model(nn.tutorial.INPUT), nn.tutorial.TARGET)
>>> loss.backward()
>>> picture = draw_network(model, loss)     # picture.save_svg("network.svg")
>>> picture.source.count('label="w ')        # one edge per weight
27
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd import Value, topological_order
from autograd.draw import (
    FONT,
    RANKDIRS,
    STYLE_INPUT,
    STYLE_INTERMEDIATE,
    STYLE_OUTPUT,
    FlowScale,
    draw_flow,
    draw_graph,
    escape_label,
    number_formatter,
    op_param,
)
from autograd.render import Picture
from autograd.value import number

from . import losses, tutorial
from .modules import MLP, Layer, Neuron

ELEMENTWISE: tuple[str, ...] = ("relu", "sigmoid", "tanh")


@dataclass(frozen=True)
class Forward:
    """One forward pass of a model as recorded in a graph: the input Values, and per layer the
    pre-activations (``dot`` nodes) and outputs. ``passes`` counts the forward passes the graph holds
    (a batch loss holds several); this is the first."""

    inputs: tuple[Value, ...]
    pre: tuple[tuple[Value, ...], ...]
    out: tuple[tuple[Value, ...], ...]
    passes: int


def layer_names(n_layers: int) -> list[str]:
    """Display names of the layers: ``h1``, ``h2``, ... for hidden layers and ``out`` for the last."""
    return [f"h{k + 1}" for k in range(n_layers - 1)] + ["out"]


def find_forward(model: MLP | Layer, root: Value) -> Forward:
    """Locate ``model``'s forward pass in the graph that produced ``root``.

    Raises ValueError if the graph does not contain one (``root`` was not computed from the model's
    outputs, or the model was changed since).
    """
    layers = _layers(model)
    if not isinstance(root, Value):
        raise TypeError(f"root must be the Value computed from the model (its loss or an output), not {root!r}")
    consumers: dict[int, list[Value]] = {}
    for v in topological_order(root):
        for inp in v.inputs:
            users = consumers.setdefault(id(inp), [])
            if not users or users[-1] is not v:
                users.append(v)

    first = layers[0].neurons[0]
    candidates = [c for c in consumers.get(id(first.w[0]), ()) if _is_pre_activation(c, first, None)]
    if not candidates:
        raise ValueError(
            "the graph behind root holds no forward pass of this model: compute root from model(x) "
            "(e.g. loss = nn.binary_cross_entropy(model(x), y)) and draw that"
        )
    n_in = first.n_in
    xs: tuple[Value, ...] = tuple(candidates[0].inputs[n_in : 2 * n_in])
    inputs = xs
    pre: list[tuple[Value, ...]] = []
    out: list[tuple[Value, ...]] = []
    for k, layer in enumerate(layers):
        zs = []
        for j, neuron in enumerate(layer.neurons):
            found = [c for c in consumers.get(id(neuron.w[0]), ()) if _is_pre_activation(c, neuron, xs)]
            if not found:
                raise ValueError(f"the graph behind root has no weighted input for layer {k}, neuron {j}")
            zs.append(found[0])
        zs_t = tuple(zs)
        outs = _activation_outputs(layer.activation, zs_t, consumers, k)
        pre.append(zs_t)
        out.append(outs)
        xs = outs
    return Forward(inputs, tuple(pre), tuple(out), len(candidates))


def neuron_clusters(model: MLP | Layer, root: Value) -> Callable[[Value], tuple[str, ...] | None]:
    """A ``cluster`` function for :func:`autograd.draw.draw_graph`: each neuron's parameters,
    weighted input and output go in a box named after the neuron, inside a box per layer; the inputs
    in a box of their own; everything else (the loss) stays outside."""
    layers = _layers(model)
    forward = find_forward(model, root)
    names = layer_names(len(layers))
    groups: dict[int, tuple[str, ...]] = {}
    for x in forward.inputs:
        groups[id(x)] = ("inputs",)
    for k, layer in enumerate(layers):
        title = f"{names[k]} ({layer.activation})"
        for j, neuron in enumerate(layer.neurons):
            where = (title, f"{names[k]}[{j}]")
            for v in (*neuron.w, neuron.b, forward.pre[k][j], forward.out[k][j]):
                groups[id(v)] = where

    def cluster(v: Value) -> tuple[str, ...] | None:
        return groups.get(id(v))

    return cluster


def layer_columns(model: MLP | Layer, root: Value) -> Callable[[Value], int]:
    """A ``columns`` function for :func:`autograd.draw.draw_graph`: the inputs in column 0, layer
    ``k``'s parameters, weighted inputs and outputs in column ``k + 1``, everything else (the loss)
    in the last column, so the graph reads left to right like the network view."""
    layers = _layers(model)
    forward = find_forward(model, root)
    columns: dict[int, int] = {id(x): 0 for x in forward.inputs}
    for k, layer in enumerate(layers):
        for j, neuron in enumerate(layer.neurons):
            for v in (*neuron.w, neuron.b, forward.pre[k][j], forward.out[k][j]):
                columns[id(v)] = k + 1
    rest = len(layers) + 1

    def column(v: Value) -> int:
        return columns.get(id(v), rest)

    return column


def model_options(model: MLP | Layer, root: Value) -> dict[str, Any]:
    """The options that draw ``root``'s graph the way the model is built: parameters styled as
    parameters, and the layers as columns left to right (inputs | h1 | h2 | out | loss), neurons in
    index order top to bottom. For :func:`autograd.draw.draw_graph`, ``draw_flow`` and the explorer
    alike: ``draw_graph(loss, **model_options(model, loss))``.

    Boxes per neuron (``cluster=neuron_clusters(model, root)``) can be added, but Graphviz then
    stacks the clusters instead of lining the columns up: the picture grows much taller.
    """
    return {"params": model.parameters(), "columns": layer_columns(model, root)}


def draw_clustered_graph(model: MLP | Layer, root: Value, **options: Any) -> Picture:
    """The full computation graph of ``root`` laid out by the model: each layer a column, each
    neuron's Values in index order (see :func:`model_options`).

    ``options`` are those of :func:`autograd.draw.draw_graph` (they override the model's);
    ``flow=True`` gives the flow view.
    """
    for key, value in model_options(model, root).items():
        options.setdefault(key, value)
    if options.pop("flow", False):
        return draw_flow(root, **options)
    return draw_graph(root, **options)


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

    Each neuron shows its weighted input (``in``), its activation's output (``out``), its bias, and
    with ``show_grad`` the gradient of each. Each edge ``x_i -> neuron j`` is the weight
    ``neurons[j].w[i]``, labelled ``w`` (its value) and ``g`` (its gradient), coloured and widened by
    ``|g|`` on a log scale (:class:`autograd.draw.FlowScale`; dashed when zero).

    With ``root`` (the loss, after ``backward()``) the values come from the forward pass found in its
    graph (see :func:`find_forward`) and a box for the loss is added if it is not a model output.
    Without it only the parameters are shown.
    """
    layers = _layers(model)
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {rankdir!r}")
    fmt = number_formatter(precision, number_format)
    forward = find_forward(model, root) if root is not None else None
    names = layer_names(len(layers))
    input_name = getattr(model, "input_name", "x")

    weights = [n.w[i] for layer in layers for n in layer.neurons for i in range(n.n_in)]
    scale = FlowScale.of(number(w.grad) for w in weights) if show_grad else None

    graph = Picture(name="network")
    graph.attr(rankdir=rankdir, fontname=FONT, fontsize="11", labelloc="t", labeljust="l")
    graph.attr(ranksep="1.2")
    graph.attr("node", fontname=FONT, fontsize="11", shape="box", style="filled")
    graph.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")

    shown = [v for layer in layers for n in layer.neurons for v in (*n.w, n.b)]
    if forward is not None:
        shown += [*forward.inputs, *(v for zs in forward.pre for v in zs), *(v for a in forward.out for v in a)]
    width = max(len(fmt(v.data)) for v in shown)

    def line(name: str, v: Value) -> str:
        # Courier is monospace, so padded columns line up from row to row.
        text = f"{name:<5}{fmt(v.data):>{width}}"
        return f"{text}  grad {fmt(number(v.grad))}" if show_grad else text

    def box(lines: list[str]) -> str:
        return "".join(escape_label(t) + "\\l" for t in lines)

    columns: list[tuple[str, str, list[tuple[str, str, dict[str, str]]]]] = []  # (name, heading, nodes)
    inputs = []
    for i in range(layers[0].n_in):
        lines = [f"{input_name}[{i}]"]
        if forward is not None:
            lines.append(line("data", forward.inputs[i]))
        inputs.append((f"x{i}", box(lines), STYLE_INPUT))
    columns.append(("inputs", "inputs", inputs))
    for k, layer in enumerate(layers):
        style = STYLE_OUTPUT if k == len(layers) - 1 else STYLE_INTERMEDIATE
        neurons = []
        for j, neuron in enumerate(layer.neurons):
            lines = [f"{names[k]}[{j}] {layer.activation}"]
            if forward is not None:
                lines += [line("in", forward.pre[k][j]), line("out", forward.out[k][j])]
            lines.append(line("b", neuron.b))
            neurons.append((f"n{k}_{j}", box(lines), style))
        columns.append((f"layer{k}", f"{names[k]} ({layer.activation})", neurons))

    # A column per layer: a plain (not cluster) subgraph of rank "same", headed by the layer's name
    # and kept in index order by invisible edges. Graphviz ignores that order inside clusters.
    for column, (subgraph_name, heading, nodes) in enumerate(columns):
        with graph.subgraph(name=subgraph_name) as sub:
            sub.attr(rank="same")
            sub.node(f"head{column}", label=escape_label(heading), shape="plaintext", style="")
            for name, node_label, style in nodes:
                sub.node(name, label=node_label, fillcolor=style["fillcolor"])
            chain = [f"head{column}", *(name for name, _, _ in nodes)]
            for a, b in itertools.pairwise(chain):
                sub.edge(a, b, style="invis")

    # One edge per weight.
    for k, layer in enumerate(layers):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                tail = f"x{i}" if k == 0 else f"n{k - 1}_{i}"
                g = number(w.grad)
                attrs: dict[str, str] = {"label": escape_label(f"w {fmt(w.data)}")}
                if show_grad:
                    attrs["label"] += "\\n" + escape_label(f"g {fmt(g)}")
                if scale is not None:
                    attrs.update(scale.edge_attrs(g))
                graph.edge(tail, f"n{k}_{j}", **attrs)

    notes: list[str] = []
    if title:
        notes.append(title)
    outputs = forward.out[-1] if forward is not None else ()
    if forward is not None and root is not None and not any(root is o for o in outputs):
        graph.node("loss", label=box([root.label or "loss", line("data", root)]), **STYLE_OUTPUT)
        last = len(layers) - 1
        for j in range(len(outputs)):
            graph.edge(f"n{last}_{j}", "loss", style="dashed", color="#777777")
    if forward is not None and forward.passes > 1:
        notes.append(f"the graph holds {forward.passes} forward passes of this model; drawing the first")
    if legend:
        if scale is not None:
            notes.append(scale.note().replace("|gradient flowing|", "|dE/dw|"))
        elif show_grad:
            notes.append("every weight gradient is zero: call backward() first")
        notes.append("boxes: a neuron's weighted input (in), activation output (out) and bias (b), each with its grad")
        notes.append("edge x -> neuron: that weight, w = value, g = gradient")
    if notes:
        graph.attr(label="".join(escape_label(n) + "\\l" for n in notes))
    return graph


def write_tutorial_pictures(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Build the tutorial's network, run its forward and backward pass (binary cross-entropy against
    ``nn.tutorial.TARGET``) and write three SVG pictures into ``out_dir`` (created if missing):

    ``tutorial_graph.svg`` (every scalar Value, grouped per neuron and layer), ``tutorial_flow.svg``
    (the same graph coloured by the gradient flowing) and ``tutorial_network.svg`` (the network view).
    Returns their paths.
    """
    folder = Path(out_dir)
    model, loss = _tutorial_after_backward()
    pictures = [
        ("tutorial_graph.svg", draw_clustered_graph(model, loss, title="the tutorial's network: computation graph")),
        (
            "tutorial_flow.svg",
            draw_clustered_graph(model, loss, flow=True, title="the tutorial's network: gradient flow"),
        ),
        ("tutorial_network.svg", draw_network(model, loss, title="the tutorial's 3-3-3-3 network after backward()")),
    ]
    return [picture.save_svg(folder / name) for name, picture in pictures]


def example_pictures() -> dict[str, Picture]:
    """The pictures committed under ``docs/`` (file name -> picture), built here so they can be redrawn:

    ``neuron.svg``: ``tanh(x1*w1 + x2*w2 + b)`` after backward, every local derivative on its edge;
    ``flow.svg``: the gradient flow through five sigmoid layers and a skip connection around them;
    ``tutorial_network.svg``: the tutorial's network view after its backward pass.
    """
    x1, x2 = Value(1.5, "x1"), Value(-0.5, "x2")
    w1, w2, b = Value(0.8, "w1"), Value(-1.2, "w2"), Value(0.1, "b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()

    x = Value(0.5, "x")
    h, weights = x, []
    for k in range(1, 6):
        weights.append(Value(2.0, f"w{k}"))
        h = (weights[-1] * h).sigmoid()
        h.label = f"h{k}"
    y = h + 0.1 * x
    y.label = "y"
    y.backward()

    model, loss = _tutorial_after_backward()
    return {
        "neuron.svg": draw_graph(o, params=[w1, w2, b], title="a neuron: o = tanh(x1*w1 + x2*w2 + b)"),
        "flow.svg": draw_flow(
            y,
            params=weights,
            rankdir="TB",
            title="gradient flow: five sigmoid layers (vanishing) and a skip connection",
        ),
        "tutorial_network.svg": draw_network(model, loss, title="the tutorial's 3-3-3-3 network after backward()"),
    }


# --- helpers -----------------------------------------------------------------------------------------


def _tutorial_after_backward() -> tuple[MLP, Value]:
    """The tutorial's network and its loss ``E`` (binary cross-entropy), after ``E.backward()``."""
    model = tutorial.network()
    loss = losses.binary_cross_entropy(model(tutorial.INPUT), tutorial.TARGET)
    loss.label = "E"
    loss.backward()
    return model, loss


def _layers(model: Any) -> list[Layer]:
    if isinstance(model, MLP):
        return list(model.layers)
    if isinstance(model, Layer):
        return [model]
    raise TypeError(f"expected an nn.MLP or nn.Layer, not {type(model).__name__}: {model!r}")


def _is_pre_activation(c: Value, neuron: Neuron, xs: Sequence[Value] | None) -> bool:
    """Whether ``c`` is ``dot(neuron.w, xs, neuron.b)`` (any ``xs`` when None)."""
    n = neuron.n_in
    if c.op != "dot" or len(c.inputs) != 2 * n + 1 or c.inputs[2 * n] is not neuron.b:
        return False
    if any(a is not b for a, b in zip(c.inputs[:n], neuron.w)):
        return False
    return xs is None or all(a is b for a, b in zip(c.inputs[n : 2 * n], xs))


def _activation_outputs(
    activation: str, zs: tuple[Value, ...], consumers: dict[int, list[Value]], k: int
) -> tuple[Value, ...]:
    if activation == "linear":
        return zs
    outs: list[Value] = []
    for j, z in enumerate(zs):
        if activation in ELEMENTWISE:
            found = [c for c in consumers.get(id(z), ()) if c.op == activation and c.inputs[0] is z]
        elif activation == "softmax":
            found = [
                c
                for c in consumers.get(id(zs[0]), ())
                if c.op == "softmax"
                and op_param(c) == j
                and len(c.inputs) == len(zs)
                and all(a is b for a, b in zip(c.inputs, zs))
            ]
        else:
            raise ValueError(f"layer {k}: cannot draw activation {activation!r}")
        if not found:
            raise ValueError(
                f"the graph behind root has no {activation} output for layer {k}, neuron {j}: root must "
                "depend on every output of the model (draw from the loss, not from one output)"
            )
        outs.append(found[0])
    return tuple(outs)
