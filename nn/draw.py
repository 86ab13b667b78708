"""Pictures of a network: the layered view the tutorial draws, and the scalar graph grouped by neuron.

* :func:`draw_network` (in :mod:`nn.network_view`) — inputs, hidden layers ``h1``, ``h2``, ...,
  outputs: one box per neuron with a row per weight; one edge per weight, ending at its row,
  coloured by the sign and size of its gradient like the flow view.
* :func:`model_options` — the options that lay the full scalar graph out by layer, left to right
  (for ``draw_graph``, ``draw_flow`` and the explorer); :func:`draw_clustered_graph` draws with them.

Both views find the model's forward pass in the graph behind ``root`` (the loss, usually) by
following the parameters: a neuron's weighted input is the ``dot`` node its weights feed, and so on.
They only read Values.

>>> import nn.lesson
>>> model = nn.lesson.tutorial.network()
>>> loss = nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)
>>> loss.backward()
>>> picture = draw_network(model, loss)     # picture.save_svg("network.svg")
>>> picture.source.count(":w")                 # one edge per weight, into its weight's row
27
>>> options = model_options(model, loss)       # draw_graph(loss, **options): layers as columns
>>> sorted(options)
['columns', 'labels', 'params']
>>> sorted(options["labels"].values())     # the tutorial's names for its inputs, and the loss's
['E', 'i1', 'i2', 'i3']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import Value, topological_order
from autograd.draw import draw_flow, draw_graph, op_param
from autograd.explorer import Explorer, Network, Unit
from autograd.explorer import explore as explore_graph
from autograd.render import Picture

from . import functional as F
from .forward_graph import find_forward, is_weighted_sum, layer_names, layers_of, model_labels
from .modules import MLP, Layer
from .network_view import draw_network

__all__ = [
    "draw_clustered_graph", "draw_network", "explore", "layer_columns", "model_options", "network_of",
    "neuron_clusters",
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
    parameters, the layers as columns left to right (inputs | h1 | h2 | out | loss), neurons in
    index order top to bottom, and the model's names (:func:`model_labels`).
    For :func:`autograd.draw.draw_graph`, ``draw_flow`` and the explorer
    alike: ``draw_graph(loss, **model_options(model, loss))``.

    Boxes per neuron (``cluster=neuron_clusters(model, root)``) can be added, but Graphviz then
    stacks the clusters instead of lining the columns up: the picture grows much taller.
    """
    return {"params": model.parameters(), "columns": layer_columns(model, root), "labels": model_labels(model, root)}


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


# --- helpers -----------------------------------------------------------------------------------------


def explore(model: MLP | Layer, loss: Value, **options: Any) -> Explorer:
    """The step-through page of ``loss``'s graph, opening in the network view of ``model`` (``v``
    switches to the graph of Values). ``options`` are those of :func:`autograd.explorer.explore`.

    >>> import nn.lesson
    >>> model = nn.lesson.tutorial.network()
    >>> loss = nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)
    >>> page = explore(model, loss)          # page.save_html("network.html")
    >>> [c["title"] for c in page.record["network"]["columns"]]
    ['inputs', 'h1', 'h2', 'out', 'loss']
    """
    network = network_of(model, loss)  # first: it refuses what is not a model or its graph
    options.setdefault("params", model.parameters())
    options.setdefault("labels", model_labels(model, loss))  # the model's notation: i1, W_i1j1, h1_in1, E
    return explore_graph(loss, network=network, **options)


def network_of(model: MLP | Layer, root: Value) -> Network:
    """``model``'s units and weights for the explorer's network view, with every forward pass in
    ``root``'s graph: a neuron stands for its bias and each sample's weighted input and output."""
    layers = layers_of(model)
    forward = find_forward(model, root)  # raises, in the user's words, when there is none
    owner = {id(n.w[0]): (k, j) for k, layer in enumerate(layers) for j, n in enumerate(layer.neurons)}
    pre: dict[tuple[int, int], list[Value]] = {}
    out: dict[tuple[int, int], list[Value]] = {}
    found: dict[int, tuple[int, int]] = {}
    for v in topological_order(root):  # every sample's weighted inputs, then their activations
        if is_weighted_sum(v) and id(v.inputs[0]) in owner:
            k, j = owner[id(v.inputs[0])]
            neuron = layers[k].neurons[j]
            if v.inputs[2 * neuron.n_in] is neuron.b:
                pre.setdefault((k, j), []).append(v)
                found[id(v)] = (k, j)
        elif v.inputs and id(v.inputs[0]) in found:
            k, j = found[id(v.inputs[0])]
            if F.made_by(layers[k].activation, v):
                out.setdefault((k, j), []).append(v)
            elif v._rule is not None and v._rule.coupled:  # a softmax component
                out.setdefault((k, op_param(v)), []).append(v)
    names = layer_names(len(layers))
    n_in = layers[0].n_in
    inputs = tuple(
        Unit(f"{getattr(model, 'input_name', 'x')}[{i}]", tuple(z.inputs[n_in + i] for z in pre[(0, 0)]))
        for i in range(n_in)
    )
    columns = [("inputs", inputs)]
    links = []
    for k, layer in enumerate(layers):
        units = []
        for j, neuron in enumerate(layer.neurons):
            outs, pres = out.get((k, j), []), pre[(k, j)]
            values = [*forward.out[k][j:j + 1], *pres, neuron.b, *outs]
            units.append(Unit(f"{names[k]}[{j}]", tuple(dict.fromkeys(values))))  # once each, in order
            links += [((k, i), (k + 1, j), w) for i, w in enumerate(neuron.w)]
        columns.append((names[k], tuple(units)))
    return Network(tuple(columns), tuple(links))
