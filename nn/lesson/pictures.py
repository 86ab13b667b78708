"""The lesson's pictures: the tutorial network drawn every way, and the pictures committed under docs/."""

from __future__ import annotations

import os
from pathlib import Path

from autograd import Value, topological_order
from autograd.diagnose.report import Report
from autograd.draw import draw_flow, draw_graph
from autograd.explorer import Explorer
from autograd.render import Picture

from .. import losses
from ..draw import draw_clustered_graph, draw_network, explore
from ..modules import MLP
from . import tutorial, walkthrough


def write_tutorial_pictures(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Build the tutorial's network, run its forward and backward pass (binary cross-entropy against
    ``nn.lesson.tutorial.TARGET``) and write its pictures into ``out_dir`` (created if missing):

    ``tutorial_graph.svg`` (every scalar Value, in layer columns), ``tutorial_flow.svg`` (the same
    graph coloured by the gradient flowing), ``tutorial_network.svg`` (the network view) and
    ``tutorial_explorer.html`` (the step-through page, :func:`tutorial_explorer`). Returns their paths.
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
    return [*written, tutorial_explorer().save_html(folder / "tutorial_explorer.html")]


def tutorial_explorer() -> Explorer:
    """The tutorial's step-through page (:func:`nn.draw.explore`): its network with the inputs named
    ``i1``..``i3``, and in the record of each quantity the tutorial printed, the printed number with
    diagnose's verdict and cause (:func:`nn.lesson.walkthrough.diagnosis`)."""
    model = tutorial.network()
    loss = losses.binary_cross_entropy(model([Value(x, f"i{k + 1}") for k, x in enumerate(tutorial.INPUT)]),
                                       tutorial.TARGET)
    loss.label = "E"
    notes = printed_notes(loss, walkthrough.diagnosis())
    return explore(model, loss, title="the tutorial's network", notes=notes)


def printed_notes(root: Value, report: Report) -> dict[Value, str]:
    """For each Value of ``root``'s graph that a claim of ``report`` is about (by label; a local
    derivative or a chain-rule term goes to the Value it is of): what was printed and the verdict."""
    by_label = {v.label: v for v in topological_order(root) if v.label}
    notes: dict[Value, list[str]] = {}
    for e in report:
        label = e.key if isinstance(e.key, str) else e.key[0]  # type: ignore[index]
        if label not in by_label:
            continue
        why = f": {e.explanation()}" if e.causes else ""
        notes.setdefault(by_label[label], []).append(
            f"the tutorial printed {e.name} = {e.claimed}; exact {e.exact:.7g}; {e.verdict}{why}"
        )
    return {v: " · ".join(texts) for v, texts in notes.items()}


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
        "neuron.svg": draw_graph(  # top to bottom: narrow enough for a page column (900 px)
            o, params=[w1, w2, b], rankdir="TB", fold_constants=True, title="a neuron: o = tanh(x1*w1 + x2*w2 + b)"
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
