"""Pictures of a network: the layered view the tutorial draws, and the scalar graph grouped by neuron.

* :func:`draw_network` (in :mod:`nn.network_view`) — inputs, hidden layers ``h1``, ``h2``, ...,
  outputs: one box per neuron with a row per weight; one edge per weight, ending at its row,
  coloured by the sign and size of its gradient like the flow view.
* :func:`model_options` — the options that lay the full scalar graph out by layer, left to right
  (for ``draw_graph``, ``draw_flow`` and the explorer); :func:`draw_clustered_graph` draws with them.
* :func:`write_tutorial_pictures` — the tutorial network after its backward pass, drawn all three ways.

Both views find the model's forward pass in the graph behind ``root`` (the loss, usually) by
following the parameters: a neuron's weighted input is the ``dot`` node its weights feed, and so on.
They only read Values.

>>> import nn
>>> model = nn.tutorial.network()
>>> loss = nn.binary_cross_entropy(model(nn.tutorial.INPUT), nn.tutorial.TARGET)
>>> loss.backward()
>>> picture = draw_network(model, loss)     # picture.save_svg("network.svg")
>>> picture.source.count(":w")                 # one edge per weight, into its weight's row
27
>>> options = model_options(model, loss)       # draw_graph(loss, **options): layers as columns
>>> sorted(options)
['columns', 'params']
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograd import Value
from autograd.draw import draw_flow, draw_graph, explore
from autograd.render import Picture

from . import losses, tutorial
from .forward_graph import Forward, find_forward, layer_names, layers_of
from .modules import MLP, Layer
from .network_view import draw_network

__all__ = [
    "Forward", "draw_clustered_graph", "draw_network", "example_pictures", "find_forward", "layer_columns",
    "layer_names", "model_options", "neuron_clusters", "write_tutorial_pictures",
]


def neuron_clusters(model: MLP | Layer, root: Value) -> Callable[[Value], tuple[str, ...] | None]:
    """A ``cluster`` function for :func:`autograd.draw.draw_graph`: each neuron's parameters,
    weighted input and output go in a box named after the neuron, inside a box per layer; the inputs
    in a box of their own; everything else (the loss) stays outside."""
    layers = layers_of(model)
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
    layers = layers_of(model)
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


def write_tutorial_pictures(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Build the tutorial's network, run its forward and backward pass (binary cross-entropy against
    ``nn.tutorial.TARGET``) and write its pictures into ``out_dir`` (created if missing):

    ``tutorial_graph.svg`` (every scalar Value, in layer columns), ``tutorial_flow.svg`` (the same
    graph coloured by the gradient flowing), ``tutorial_network.svg`` (the network view) and
    ``tutorial_explorer.html`` (the step-through page, :func:`autograd.draw.explore`). Returns their paths.
    """
    folder = Path(out_dir)
    model, loss = _tutorial_after_backward()
    pictures = [
        ("tutorial_graph.svg", draw_clustered_graph(model, loss, title="the tutorial's network: computation graph")),
        (
            "tutorial_flow.svg",
            draw_clustered_graph(
                model, loss, flow=True, edge_labels="flow", title="the tutorial's network: gradient flow"
            ),
        ),
        ("tutorial_network.svg", draw_network(model, loss, title="the tutorial's 3-3-3-3 network after backward()")),
    ]
    written = [picture.save_svg(folder / name) for name, picture in pictures]
    page = explore(loss, **model_options(model, loss), title="the tutorial's network")
    return [*written, page.save_html(folder / "tutorial_explorer.html")]


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


