"""The network view and the clustered graph of nn models, checked on the rendered SVG against the
tutorial's weights and an independent plain-float forward pass (gradients by central differences)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from test_draw import Drawn, parse_svg, rendered

import autograd
import nn
from autograd import Value, topological_order
from nn.draw import (
    draw_clustered_graph,
    draw_network,
    example_pictures,
    find_forward,
    layer_names,
    neuron_clusters,
    write_tutorial_pictures,
)

W = (nn.tutorial.W_IJ, nn.tutorial.W_JK, nn.tutorial.W_KL)
ACTS = ("relu", "sigmoid", "softmax")
NAMES = ("h1", "h2", "out")
Bumps = dict[tuple[int, str, int], float]


# --- the tutorial network in plain floats, written independently of the library ------------------


def forward(
    weights: Sequence[Sequence[Sequence[float]]], biases: Sequence[Sequence[float]], bump: Bumps | None = None
) -> tuple[list[tuple[list[float], list[float]]], float]:
    """Each layer's (z, a) and the loss E = -(1/3) sum(y log o + (1-y) log(1-o)).

    ``bump[(layer, "z" or "a", j)]`` is added to that node, to take derivatives by differences."""
    bump = bump or {}
    h = list(nn.tutorial.INPUT)
    steps = []
    for k, (Wk, bk) in enumerate(zip(weights, biases)):
        z = [sum(h[i] * Wk[i][j] for i in range(len(h))) + bk[j] + bump.get((k, "z", j), 0.0) for j in range(3)]
        if ACTS[k] == "relu":
            a = [max(0.0, v) for v in z]
        elif ACTS[k] == "sigmoid":
            a = [1.0 / (1.0 + math.exp(-v)) for v in z]
        else:
            top = max(z)
            e = [math.exp(v - top) for v in z]
            a = [v / sum(e) for v in e]
        a = [v + bump.get((k, "a", j), 0.0) for j, v in enumerate(a)]
        steps.append((z, a))
        h = a
    y = nn.tutorial.TARGET
    loss = -sum(t * math.log(o) + (1 - t) * math.log(1 - o) for t, o in zip(y, h)) / 3
    return steps, loss


BIASES = [[1.0] * 3 for _ in range(3)]
STEPS, LOSS = forward(W, BIASES)
H = 1e-6


def d_weight(k: int, i: int, j: int) -> float:
    def at(delta: float) -> float:
        ws = [[list(row) for row in Wk] for Wk in W]
        ws[k][i][j] += delta
        return forward(ws, BIASES)[1]

    return (at(H) - at(-H)) / (2 * H)


def d_node(k: int, kind: str, j: int) -> float:
    return (forward(W, BIASES, {(k, kind, j): H})[1] - forward(W, BIASES, {(k, kind, j): -H})[1]) / (2 * H)


# --- helpers -------------------------------------------------------------------------------------


def tutorial() -> tuple[nn.MLP, Value]:
    model = nn.tutorial.network()
    loss = nn.binary_cross_entropy(model(nn.tutorial.INPUT), nn.tutorial.TARGET)
    loss.label = "E"
    loss.backward()
    return model, loss


ROW = re.compile(r"^(data|in|out|b)\s+(\S+)(?:\s+grad (\S+))?$")


def rows(lines: list[str]) -> dict[str, tuple[float, float | None]]:
    """'in   1.35  grad 0.003' lines of a network-view box -> {'in': (1.35, 0.003)}."""
    out = {}
    for line in lines[1:]:
        m = ROW.match(line)
        assert m, line
        out[m[1]] = (float(m[2]), float(m[3]) if m[3] is not None else None)
    return out


def boxes(drawn: Drawn) -> dict[str, str]:
    """First line of each box ('x[0]', 'h1[2] relu', 'E') -> node title."""
    return {lines[0]: title for title, lines in drawn.nodes.items() if lines}


# --- the network view ----------------------------------------------------------------------------


def test_network_view_of_the_tutorial() -> None:
    model, loss = tutorial()
    drawn = rendered(draw_network(model, loss, number_format=".9f"))
    box = boxes(drawn)
    title_of = {title: first for first, title in box.items()}

    # Inputs: value and gradient.
    for i, x in enumerate(nn.tutorial.INPUT):
        (value, grad) = rows(drawn.nodes[box[f"x[{i}]"]])["data"]
        assert value == pytest.approx(x, abs=1e-9)
        assert grad is not None

    # Every neuron: weighted input, output, bias and their gradients.
    for k in range(3):
        z, a = STEPS[k]
        for j in range(3):
            r = rows(drawn.nodes[box[f"{NAMES[k]}[{j}] {ACTS[k]}"]])
            assert r["in"][0] == pytest.approx(z[j], abs=1e-8)
            assert r["out"][0] == pytest.approx(a[j], abs=1e-8)
            assert r["b"][0] == pytest.approx(1.0)
            assert r["in"][1] == pytest.approx(d_node(k, "z", j), abs=1e-6)
            assert r["out"][1] == pytest.approx(d_node(k, "a", j), abs=1e-6)
            assert r["b"][1] == pytest.approx(d_node(k, "z", j), abs=1e-6)  # dE/db = dE/dz

    # One edge per weight, labelled with the tutorial's weight and dE/dw; plus each output -> E.
    weight_edges = [e for e in drawn.edges if title_of[e.head] != "E"]
    assert len(weight_edges) == 27
    assert len(drawn.edges) == 30
    seen = set()
    for e in weight_edges:
        head = title_of[e.head]
        k = NAMES.index(head.split("[")[0])
        j = int(head.split("[")[1].split("]")[0])
        tail = title_of[e.tail]
        i = int(tail.split("[")[1].split("]")[0])
        assert tail == (f"x[{i}]" if k == 0 else f"{NAMES[k - 1]}[{i}] {ACTS[k - 1]}")
        w_text, g_text = e.texts
        assert float(w_text.removeprefix("w ")) == pytest.approx(W[k][i][j])
        assert float(g_text.removeprefix("g ")) == pytest.approx(d_weight(k, i, j), abs=1e-6)
        seen.add((k, i, j))
    assert len(seen) == 27

    # Colour and width grow with |dE/dw|.
    ordered = sorted(weight_edges, key=lambda e: abs(float(e.texts[1].removeprefix("g "))))
    widths = [e.width for e in ordered]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    greens = [int(e.stroke[3:5], 16) for e in ordered]
    assert greens == sorted(greens, reverse=True)

    # The loss box, and neurons drawn in index order down each column.
    assert rows(drawn.nodes[box["E"]])["data"][0] == pytest.approx(LOSS, abs=1e-9)
    for k in range(3):
        ys = [drawn.node_xy[box[f"{NAMES[k]}[{j}] {ACTS[k]}"]][1] for j in range(3)]
        assert ys == sorted(ys)


def test_network_view_options_and_without_a_graph() -> None:
    model, loss = tutorial()
    plain = rendered(draw_network(model, show_grad=False, legend=False, rankdir="TB"))
    box = boxes(plain)
    assert "x[0]" in box and "E" not in box
    assert all("grad" not in line for lines in plain.nodes.values() for line in lines)
    assert len(plain.edges) == 27
    assert plain.notes == []
    assert rows(plain.nodes[box["h2[1] sigmoid"]]) == {"b": (1.0, None)}
    assert "rankdir=TB" in draw_network(model, loss, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir"):
        draw_network(model, loss, rankdir="sideways")


def test_network_view_before_backward_says_so() -> None:
    model = nn.tutorial.network()
    out = model(nn.tutorial.INPUT)
    total = autograd.sum(out)
    picture = draw_network(model, total)
    assert "call backward() first" in picture.source
    with pytest.raises(ValueError, match="depend on every output"):
        draw_network(model, out[0])  # softmax[1] and [2] are not in out[0]'s graph


def test_batch_graph_draws_the_first_pass() -> None:
    model = nn.MLP(2, [3, 1], ["tanh", "linear"], seed=1)
    xs = [[0.5, -1.0], [2.0, 0.25]]
    loss = nn.mse(model(xs[0]), [1.0]) + nn.mse(model(xs[1]), [0.0])
    loss.backward()
    forward_pass = find_forward(model, loss)
    assert forward_pass.passes == 2
    assert [v.data for v in forward_pass.inputs] == [0.5, -1.0]
    z0 = sum(w.data * x for w, x in zip(model.layers[0].neurons[0].w, xs[0])) + model.layers[0].neurons[0].b.data
    assert forward_pass.pre[0][0].data == pytest.approx(z0)
    assert forward_pass.out[0][0].data == pytest.approx(math.tanh(z0))
    assert forward_pass.out[1] == forward_pass.pre[1]  # linear: the output is the weighted input
    assert "2 forward passes" in draw_network(model, loss).source


def test_a_single_layer_and_bad_inputs() -> None:
    layer = nn.Layer.from_matrices([[0.5, -0.5], [1.0, 2.0]], [0.0, 0.1], "sigmoid")
    out = layer([1.0, 2.0])
    total = out[0] + out[1]
    total.backward()
    drawn = rendered(draw_network(layer, total))
    assert len([e for e in drawn.edges if not e.dashed]) == 4
    assert layer_names(1) == ["out"] and layer_names(3) == ["h1", "h2", "out"]
    with pytest.raises(TypeError, match=r"nn\.MLP or nn\.Layer"):
        draw_network("model", total)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no forward pass of this model"):
        find_forward(nn.tutorial.network(), total)
    with pytest.raises(TypeError, match="root must be the Value"):
        find_forward(layer, 3.0)  # type: ignore[arg-type]


# --- the scalar graph grouped per neuron and layer -----------------------------------------------


def test_clusters_group_each_neuron_inside_its_layer() -> None:
    model, loss = tutorial()
    cluster = neuron_clusters(model, loss)
    layer0 = model.layers[0]
    assert cluster(layer0.neurons[2].w[1]) == ("h1 (relu)", "h1[2]")
    assert cluster(loss) is None
    drawn = rendered(draw_clustered_graph(model, loss))
    order = topological_order(loss)
    values = {title for title, lines in drawn.nodes.items() if any(s.startswith("data ") for s in lines)}
    assert len(values) == len(order)
    expected = {"inputs", "h1 (relu)", "h2 (sigmoid)", "out (softmax)"} | {f"{n}[{j}]" for n in NAMES for j in range(3)}
    assert set(drawn.clusters) == expected
    by_label = {lines[0]: title for title, lines in drawn.nodes.items() if lines}
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for p in (*neuron.w, neuron.b):
                assert drawn.inside(by_label[p.label], f"{NAMES[k]}[{j}]")
                assert drawn.inside(by_label[p.label], f"{NAMES[k]} ({ACTS[k]})")
    assert drawn.inside(by_label["x[1]"], "inputs")
    assert not drawn.inside(by_label["E"], "out (softmax)")


def test_write_tutorial_pictures(tmp_path: Path) -> None:
    paths = write_tutorial_pictures(tmp_path / "pictures")
    assert [p.name for p in paths] == ["tutorial_graph.svg", "tutorial_flow.svg", "tutorial_network.svg"]
    graph, flow, network = (parse_svg(p.read_text(encoding="utf-8")) for p in paths)
    _, loss = tutorial()
    n_values = len(topological_order(loss))
    for drawn in (graph, flow):
        assert sum(1 for lines in drawn.nodes.values() if any(s.startswith("data ") for s in lines)) == n_values
        assert len(drawn.clusters) == 13
    assert any("log scale" in note for note in flow.notes)
    assert ["E", f"data {LOSS:.4f}", "grad 1.0000"] in graph.nodes.values()
    box = boxes(network)
    assert {f"{n}[{j}] {a}" for n, a in zip(NAMES, ACTS) for j in range(3)} <= set(box)
    assert len(network.edges) == 30


def test_docs_pictures_are_current() -> None:
    """docs/*.svg are example_pictures() drawn by the WebAssembly Graphviz (deterministic); redraw
    them as docs/pictures.md says when the drawing code changes."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    for name, picture in example_pictures().items():
        committed = (docs / name).read_text(encoding="utf-8")
        assert picture.svg(renderer="wasm") == committed, f"docs/{name} is out of date; see docs/pictures.md"
