"""The network view and the clustered graph of nn models, checked on the rendered SVG against the
tutorial's weights and an independent plain-float forward pass (gradients by central differences)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from test_draw import Drawn, parse_svg, rendered

import autograd
import nn.lesson
from autograd import Value, topological_order
from autograd.draw import draw_graph
from nn.draw import draw_clustered_graph, draw_network, model_options, neuron_clusters
from nn.forward_graph import find_forward, layer_names
from nn.lesson.pictures import example_pictures, write_tutorial_pictures

W = (nn.lesson.tutorial.W_IJ, nn.lesson.tutorial.W_JK, nn.lesson.tutorial.W_KL)
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
    h = list(nn.lesson.tutorial.INPUT)
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
    y = nn.lesson.tutorial.TARGET
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
    model = nn.lesson.tutorial.network()
    loss = nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)
    loss.label = "E"
    loss.backward()
    return model, loss


ROW = re.compile(r"^(\S+)\s+(\S+)(?:\s+g (\S+))?$")
EDGE = re.compile(r"<title>(\w+)(?::(\w+))?&#45;&gt;(\w+)(?::(\w+))?</title>")


def rows(lines: list[str]) -> list[tuple[str, float, float | None]]:
    """The rows of a network-view box after its heading: 'W_ij[0][0] 0.1 g 0.003' -> (name, 0.1, 0.003);
    a narrow box (an input, a softmax output, the loss) writes 'g 0.003' on a row of its own."""
    out: list[tuple[str, float, float | None]] = []
    for line in lines[1:]:
        if line.startswith("g ") and out and out[-1][2] is None:
            name, value, _ = out.pop()
            out.append((name, value, float(line.removeprefix("g "))))
            continue
        m = ROW.match(line)
        assert m, line
        out.append((m[1], float(m[2]), float(m[3]) if m[3] is not None else None))
    return out


def named_rows(lines: list[str]) -> dict[str, tuple[float, float | None]]:
    return {name: (value, grad) for name, value, grad in rows(lines)}


def boxes(drawn: Drawn) -> dict[str, str]:
    """First line of each box ('x[0]', 'h1[2] relu', 'E') -> node title."""
    return {lines[0]: title for title, lines in drawn.nodes.items() if lines}


def edge_ports(svg: str) -> list[tuple[str, str, str, str]]:
    """(tail node, tail port, head node, head port) of every drawn edge, from the SVG titles."""
    return [(m[1], m[2] or "", m[3], m[4] or "") for m in EDGE.finditer(svg)]


# --- the network view ----------------------------------------------------------------------------


def test_network_view_of_the_tutorial() -> None:
    model, loss = tutorial()
    svg = draw_network(model, loss, number_format=".9f").svg()
    drawn = parse_svg(svg)
    box = boxes(drawn)
    title_of = {title: first for first, title in box.items()}

    # Inputs: value and gradient.
    for i, x in enumerate(nn.lesson.tutorial.INPUT):
        (value, grad) = named_rows(drawn.nodes[box[f"i{i + 1}"]])["data"]  # the tutorial's names
        assert value == pytest.approx(x, abs=1e-9)
        # dE/dx_i = sum_j W[i][j] dE/dz_j, the z's derivatives by differences of the plain-float pass
        assert grad == pytest.approx(sum(W[0][i][j] * d_node(0, "z", j) for j in range(3)), abs=1e-6)

    # Every neuron: a row per weight (in order), the bias, weighted input and output with gradients.
    for k in range(3):
        z, a = STEPS[k]
        for j in range(3):
            r = rows(drawn.nodes[box[f"{NAMES[k]}[{j}] {ACTS[k]}"]])
            for i in range(3):  # rows 0-2: the weights into neuron j, with dE/dw
                assert r[i][1] == pytest.approx(W[k][i][j])
                assert r[i][2] == pytest.approx(d_weight(k, i, j), abs=1e-6)
            assert r[3][1] == pytest.approx(1.0)  # the bias
            assert r[3][2] == pytest.approx(d_node(k, "z", j), abs=1e-6)  # dE/db = dE/dz
            pre_name, out_name = nn.lesson.tutorial.NODE_NAMES[k]
            assert r[4][0] == f"{pre_name}{j + 1}" and r[4][1] == pytest.approx(z[j], abs=1e-8)
            assert r[4][2] == pytest.approx(d_node(k, "z", j), abs=1e-6)
            out_row = r[5] if ACTS[k] != "softmax" else rows(drawn.nodes[box[f"softmax[{j}]"]])[0]
            assert out_row[0] == f"{out_name}{j + 1}" and out_row[1] == pytest.approx(a[j], abs=1e-8)
            assert out_row[2] == pytest.approx(d_node(k, "a", j), abs=1e-6)

    # One edge per weight, from the source's output into that weight's own row of the neuron.
    ports = edge_ports(svg)
    weight_edges = [e for e in ports if e[3].startswith("w")]
    assert len(weight_edges) == 27
    seen = set()
    for tail, tail_port, head, head_port in weight_edges:
        k = NAMES.index(title_of[head].split("[")[0])
        j = int(title_of[head].split("[")[1].split("]")[0])
        i = int(head_port.removeprefix("w"))
        want_tail = f"i{i + 1}" if k == 0 else f"{NAMES[k - 1]}[{i}] {ACTS[k - 1]}"
        assert title_of[tail] == want_tail and tail_port == ("" if k == 0 else "out")
        seen.add((k, i, j))
    assert len(seen) == 27
    # The softmax coupling: every weighted input of the output layer feeds every softmax output.
    coupling = {(title_of[t], title_of[h]) for t, tp, h, _ in ports if tp == "in"}
    assert coupling == {(f"out[{i}] softmax", f"softmax[{j}]") for i in range(3) for j in range(3)}
    into_loss = [e for e in ports if title_of[e[2]] == "E"]
    assert len(into_loss) == 3 and len(ports) == 27 + 9 + 3

    # Colour by sign, darker and wider with |dE/dw|: compare each weight edge with its gradient.
    grads = {(k, i, j): d_weight(k, i, j) for k, i, j in seen}
    by_order = [e for e in drawn.edges if title_of[e.head] != "E" and not title_of[e.head].startswith("softmax")]
    assert len(by_order) == 27
    signed = []
    for e, (_, _, head, head_port) in zip(by_order, weight_edges):
        k = NAMES.index(title_of[head].split("[")[0])
        j = int(title_of[head].split("[")[1].split("]")[0])
        g = grads[(k, int(head_port.removeprefix("w")), j)]
        red, _, blue = (int(e.stroke[n : n + 2], 16) for n in (1, 3, 5))
        assert (red > blue) == (g > 0)
        signed.append((abs(g), e.width))
    widths = [w for _, w in sorted(signed)]
    assert widths == sorted(widths) and widths[0] < widths[-1]

    # The loss box, and neurons drawn in index order down each column.
    assert named_rows(drawn.nodes[box["E"]])["data"][0] == pytest.approx(LOSS, abs=1e-9)
    for k in range(3):
        ys = [drawn.node_xy[box[f"{NAMES[k]}[{j}] {ACTS[k]}"]][1] for j in range(3)]
        assert ys == sorted(ys)
    # The legend is true for the edges into the loss: coloured by dE/d out on the same scale (red:
    # positive), a number the output's own box writes (no label repeats it beside the loss box).
    for e in drawn.edges:
        if title_of[e.head] == "E":
            tail = rows(drawn.nodes[e.tail])[0]
            assert tail[2] is not None and not e.dashed and e.texts == []
            red, _, blue = (int(e.stroke[n : n + 2], 16) for n in (1, 3, 5))
            assert (red > blue) == (tail[2] > 0)
    assert any("dotted grey: softmax couples" in n for n in drawn.notes)


def test_network_view_numbers_have_significant_digits() -> None:
    model, loss = tutorial()
    texts = [t for lines in rendered(draw_network(model, loss)).nodes.values() for t in lines]
    numbers = [n for t in texts for n in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", t)]
    assert numbers
    assert "-0.0000" not in numbers
    assert all(float(n) != 0.0 or n == "0.0000" for n in numbers)
    # Every printed gradient that is not exactly zero reads as non-zero.
    assert not any(re.search(r"g -?0\.0000\b", t) for t in texts)


def test_network_view_options_and_without_a_graph() -> None:
    model, loss = tutorial()
    plain = rendered(draw_network(model, show_grad=False, legend=False, rankdir="TB"))
    box = boxes(plain)
    assert "x[0]" in box and "E" not in box
    assert all(" g " not in line for lines in plain.nodes.values() for line in lines)
    assert len(plain.edges) == 27
    assert plain.notes == []
    assert named_rows(plain.nodes[box["h2[1] sigmoid"]])["b_k2"] == (1.0, None)
    assert "rankdir=TB" in draw_network(model, loss, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir"):
        draw_network(model, loss, rankdir="sideways")


def test_network_view_before_backward_says_so() -> None:
    model = nn.lesson.tutorial.network()
    out = model(nn.lesson.tutorial.INPUT)
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
    notes = " ".join(rendered(draw_network(model, loss)).notes)
    assert "2 forward passes" in notes and "sample 0" in notes and "whole batch" in notes


def test_a_single_layer_and_bad_inputs() -> None:
    layer = nn.Layer.from_matrices([[0.5, -0.5], [1.0, 2.0]], [0.0, 0.1], "sigmoid")
    out = layer([1.0, 2.0])
    total = out[0] + out[1]
    total.backward()
    drawn = rendered(draw_network(layer, total))
    assert len(drawn.edges) == 4 + 2  # the weights, and each output into the total
    assert layer_names(1) == ["out"] and layer_names(3) == ["h1", "h2", "out"]
    with pytest.raises(TypeError, match=r"nn\.MLP or nn\.Layer"):
        draw_network("model", total)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no forward pass of this model"):
        find_forward(nn.lesson.tutorial.network(), total)
    with pytest.raises(TypeError, match="root must be the Value"):
        find_forward(layer, 3.0)  # type: ignore[arg-type]


# --- the scalar graph grouped per neuron and layer -----------------------------------------------


def test_clusters_group_each_neuron_inside_its_layer() -> None:
    model, loss = tutorial()
    cluster = neuron_clusters(model, loss)
    layer0 = model.layers[0]
    assert cluster(layer0.neurons[2].w[1]) == ("h1 (relu)", "h1[2]")
    assert cluster(loss) is None
    drawn = rendered(draw_clustered_graph(model, loss, cluster=cluster))
    order = topological_order(loss)
    values = {title for title, lines in drawn.nodes.items() if any(s.startswith("data ") for s in lines)}
    assert len(values) == len(order)  # columned: constants are not folded (it would widen the loss column)
    expected = {"inputs", "h1 (relu)", "h2 (sigmoid)", "out (softmax)"} | {f"{n}[{j}]" for n in NAMES for j in range(3)}
    assert set(drawn.clusters) == expected
    by_label = {lines[0]: title for title, lines in drawn.nodes.items() if lines}
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for p in (*neuron.w, neuron.b):
                assert drawn.inside(by_label[p.label], f"{NAMES[k]}[{j}]")
                assert drawn.inside(by_label[p.label], f"{NAMES[k]} ({ACTS[k]})")
    assert drawn.inside(by_label["i2"], "inputs")  # the tutorial's name for x[1]
    assert not drawn.inside(by_label["E"], "out (softmax)")


def test_write_tutorial_pictures(tmp_path: Path) -> None:
    paths = write_tutorial_pictures(tmp_path / "pictures")
    names = ["tutorial_graph.svg", "tutorial_flow.svg", "tutorial_network.svg", "tutorial_explorer.html"]
    assert [p.name for p in paths] == names
    page = paths[3].read_text(encoding="utf-8")
    assert page.count("<svg") >= 1 and "src=" not in page.split("<svg", 1)[0]  # self-contained
    graph, flow, network = (parse_svg(p.read_text(encoding="utf-8")) for p in paths[:3])
    _, loss = tutorial()
    n_values = len(topological_order(loss))
    for drawn in (graph, flow):
        assert sum(1 for lines in drawn.nodes.values() if any(s.startswith("data ") for s in lines)) == n_values
    assert any("log scale" in note for note in flow.notes)
    assert ["E", f"data {LOSS:.4f}", "grad 1.0000"] in graph.nodes.values()
    box = boxes(network)
    assert {f"{n}[{j}] {a}" for n, a in zip(NAMES, ACTS) for j in range(3)} <= set(box)
    assert len(network.edges) == 27 + 9 + 3


def test_docs_pictures_are_current() -> None:
    """docs/*.svg are example_pictures() drawn by the WebAssembly Graphviz (deterministic); redraw
    them as docs/pictures.md says when the drawing code changes."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    for name, picture in example_pictures().items():
        committed = (docs / name).read_text(encoding="utf-8")
        assert picture.svg(renderer="wasm") == committed, f"docs/{name} is out of date; see docs/pictures.md"


# --- the scalar graph laid out by layer ----------------------------------------------------------


def test_model_options_lay_the_graph_out_in_layer_columns() -> None:
    model, loss = tutorial()
    options = model_options(model, loss)
    svg = draw_graph(loss, **options).svg()
    drawn = parse_svg(svg)
    order = topological_order(loss)
    name = {id(v): f"v{i}" for i, v in enumerate(order)}
    forward_pass = find_forward(model, loss)
    column = options["columns"]
    assert column(forward_pass.inputs[0]) == 0 and column(loss) == 4

    # Every Value of a column lies left of every Value of a later column (params excepted: they
    # share the rank of the previous column's outputs, right before their own layer's operations).
    def x_of(v: Value) -> float:
        return drawn.node_xy[name[id(v)]][0]

    for k in range(3):
        outs = [x_of(v) for v in forward_pass.out[k]]
        pres = [x_of(v) for v in forward_pass.pre[k]]
        before = [x_of(v) for v in (forward_pass.out[k - 1] if k else forward_pass.inputs)]
        assert max(before) < min(pres) <= max(pres) < min(outs)
        params = [x_of(p) for n in model.layers[k].neurons for p in (*n.w, n.b)]
        assert max(params) < min(pres)
    assert x_of(loss) > max(x_of(v) for v in forward_pass.out[2])

    # Neurons in index order, top to bottom, in every layer; parameters in order within a neuron.
    for k in range(3):
        for values in (forward_pass.pre[k], forward_pass.out[k]):
            ys = [drawn.node_xy[name[id(v)]][1] for v in values]
            assert ys == sorted(ys)
        ys = [drawn.node_xy[name[id(p)]][1] for n in model.layers[k].neurons for p in (*n.w, n.b)]
        assert ys == sorted(ys)


def svg_size(svg: str) -> tuple[float, float]:
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert m
    return float(m[1]), float(m[2])


def test_the_tutorial_graph_is_wider_than_tall_and_legible_at_1440_px() -> None:
    """Node text size when the whole picture is fitted to a 1440-px-wide screen: font size (pt) x
    1440 / picture width (pt) must reach the issue's 9 CSS px (edge labels: 8)."""
    model, loss = tutorial()
    for picture in (draw_clustered_graph(model, loss), draw_clustered_graph(model, loss, flow=True)):
        svg = picture.svg()
        width, height = svg_size(svg)
        assert width > height
        nodes = re.findall(r'<g id="[vo]\d+" class="node">(.*?)</g>', svg, flags=re.S)
        edges = re.findall(r'<g id="e[\d_]+" class="edge">(.*?)</g>', svg, flags=re.S)
        node_font = min(float(f) for body in nodes for f in re.findall(r'font-size="([\d.]+)"', body))
        edge_font = min(float(f) for body in edges for f in re.findall(r'font-size="([\d.]+)"', body))
        assert node_font * 1440 / width >= 9.0
        assert edge_font * 1440 / width >= 8.0


def test_softmax_edges_keep_a_colour_per_source_and_only_labels_that_fit() -> None:
    """Edges from a Value several operations use (the softmax's inputs) cross: each source's edges
    share one colour, so a reader can tell them apart. Operations of more than two inputs (the
    softmax, a neuron's dot) carry no edge labels in the columned picture: they would pile up."""
    model, loss = tutorial()
    svg = draw_clustered_graph(model, loss).svg()
    forward_pass = find_forward(model, loss)
    order = topological_order(loss)
    name = {id(v): f"v{i}" for i, v in enumerate(order)}
    colours = set()
    for z in forward_pass.pre[2]:
        groups = re.findall(rf"<title>{name[id(z)]}&#45;&gt;(o\d+)</title>(.*?)</g>", svg, flags=re.S)
        assert len(groups) == 3  # into each of the three softmax operations
        strokes = set()
        for _, body in groups:
            stroke = re.search(r'<path fill="none" stroke="([^"]+)"', body)
            assert stroke and "<text" not in body
            strokes.add(stroke[1])
        assert len(strokes) == 1
        colours |= strokes
    assert len(colours) == 3  # the three sources look different
    for v in forward_pass.pre[0]:  # a dot's nine edges: no labels either
        i = order.index(v)
        bodies = re.findall(rf"<title>v\d+&#45;&gt;o{i}</title>(.*?)</g>", svg, flags=re.S)
        assert len(bodies) == 7 and not any("<text" in body for body in bodies)


def test_the_layout_keeps_the_names_the_explorer_reads() -> None:
    """Laid out by layer, the SVG still names Values v{i}, operations o{i}, and only edges
    v{j} -> o{i} and o{i} -> v{i}, one per recorded input and one per operation (the layout's
    helpers are invisible and not drawn)."""
    model, loss = tutorial()
    order = topological_order(loss)
    for flow in (False, True):
        svg = draw_clustered_graph(model, loss, flow=flow).svg()
        titles = re.findall(r"<title>([^<]*)</title>", svg)
        edges = [t.replace("&#45;&gt;", "->") for t in titles if "&gt;" in t]
        nodes = [t for t in titles if "&gt;" not in t and t != "computation_graph"]
        want_nodes = {f"v{i}" for i in range(len(order))} | {f"o{i}" for i, v in enumerate(order) if not v.is_leaf}
        assert set(nodes) == want_nodes and len(nodes) == len(want_nodes)
        index = {id(v): i for i, v in enumerate(order)}
        want_edges = Counter(f"v{index[id(inp)]}->o{i}" for i, v in enumerate(order) for inp in v.inputs)
        want_edges.update(f"o{i}->v{i}" for i, v in enumerate(order) if not v.is_leaf)
        assert Counter(edges) == want_edges
