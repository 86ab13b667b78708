"""The lesson's pictures: the tutorial network drawn every way, and the pictures committed under docs/."""

from __future__ import annotations

import os
from pathlib import Path

from autograd import Value
from autograd.draw import draw_flow, draw_graph, explore
from autograd.render import Picture

from .. import losses
from ..draw import draw_clustered_graph, draw_network, model_options
from ..modules import MLP
from . import tutorial


def write_tutorial_pictures(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Build the tutorial's network, run its forward and backward pass (binary cross-entropy against
    ``nn.lesson.tutorial.TARGET``) and write its pictures into ``out_dir`` (created if missing):

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
        "neuron.svg": draw_graph(
            o, params=[w1, w2, b], fold_constants=True, title="a neuron: o = tanh(x1*w1 + x2*w2 + b)"
        ),
        "flow.svg": draw_flow(
            y,
            params=weights,
            rankdir="TB",
            fold_constants=True,
            title="gradient flow: five sigmoid layers (vanishing) and a skip connection",
        ),
        "tutorial_network.svg": draw_network(model, loss, title="the tutorial's 3-3-3-3 network after backward()"),
    }


def _tutorial_after_backward() -> tuple[MLP, Value]:
    """The tutorial's network and its loss ``E`` (binary cross-entropy), after ``E.backward()``."""
    model = tutorial.network()
    loss = losses.binary_cross_entropy(model(tutorial.INPUT), tutorial.TARGET)
    loss.label = "E"
    loss.backward()
    return model, loss
