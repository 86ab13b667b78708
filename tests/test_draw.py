"""Pictures of computation graphs, checked on the rendered SVG: every Value's label, data and grad are
drawn, every edge is drawn once with the local derivative the engine recorded (checked against
independently known derivatives too), the flow view's colour and width grow with |gradient|, the size
cap says what it cut, and drawing never changes a Value."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import graphviz
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import autograd
from autograd import Value, topological_order
from autograd.colors import PALETTE
from autograd.draw import (
    MAX_WIDTH,
    MIN_WIDTH,
    FlowScale,
    draw_flow,
    draw_graph,
    flow_magnitudes,
    number_formatter,
    save_svg,
)
from autograd.render import Picture, to_svg

SVG = "{http://www.w3.org/2000/svg}"


# --- reading a rendered picture --------------------------------------------------------------------


@dataclass
class Edge:
    tail: str
    head: str
    texts: list[str]
    stroke: str
    width: float
    dashed: bool


@dataclass
class Drawn:
    """What an SVG shows: nodes (title -> text lines), their fill, edges, clusters and the notes."""

    nodes: dict[str, list[str]] = field(default_factory=dict)
    fill: dict[str, str] = field(default_factory=dict)
    node_xy: dict[str, tuple[float, float]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    clusters: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # label -> bbox
    notes: list[str] = field(default_factory=list)

    def text(self, title: str) -> str:
        return "\n".join(self.nodes[title])

    def by_first_line(self) -> dict[str, str]:
        """First text line (a Value's label) -> node title, for the Value nodes (those showing data)."""
        return {lines[0]: title for title, lines in self.nodes.items() if any(s.startswith("data ") for s in lines[1:])}

    def inside(self, title: str, cluster: str) -> bool:
        x, y = self.node_xy[title]
        x0, y0, x1, y1 = self.clusters[cluster]
        return x0 <= x <= x1 and y0 <= y <= y1


def parse_svg(svg: str) -> Drawn:
    root = ET.fromstring(svg)
    graph = next(g for g in root.iter(SVG + "g") if g.get("class") == "graph")
    drawn = Drawn(notes=[t.text or "" for t in graph.findall(SVG + "text")])
    for g in graph.iter(SVG + "g"):
        kind = g.get("class")
        title_el = g.find(SVG + "title")
        title = title_el.text if title_el is not None and title_el.text else ""
        texts = [t.text or "" for t in g.iter(SVG + "text")]
        if kind == "node":
            drawn.nodes[title] = texts
            shape = g.find(SVG + "polygon")
            if shape is None:
                shape = g.find(SVG + "path")
            if shape is None:
                shape = g.find(SVG + "ellipse")
            drawn.fill[title] = shape.get("fill", "") if shape is not None else ""
            first = g.find(SVG + "text")
            if first is not None:
                drawn.node_xy[title] = (float(first.get("x", "0")), float(first.get("y", "0")))
        elif kind == "edge":
            tail, head = title.split("->")
            path = g.find(SVG + "path")
            assert path is not None
            drawn.edges.append(
                Edge(
                    tail.split(":")[0],
                    head.split(":")[0],
                    texts,
                    path.get("stroke", ""),
                    float(path.get("stroke-width", "1")),
                    path.get("stroke-dasharray") is not None,
                )
            )
        elif kind == "cluster":
            outline = g.find(SVG + "path")
            if outline is None:
                outline = g.find(SVG + "polygon")
            assert outline is not None
            raw = outline.get("d") or outline.get("points") or ""
            nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", raw)]
            xs, ys = nums[0::2], nums[1::2]
            drawn.clusters[texts[0] if texts else title] = (min(xs), min(ys), max(xs), max(ys))
    return drawn


def rendered(picture: graphviz.Digraph) -> Drawn:
    return parse_svg(to_svg(picture))


def f4(x: float) -> str:
    """Independent formatting of a number the way the default pictures write it: 4 digits after the
    point from 0.01 up to a million (and for zero), 4 significant digits outside."""
    if x == 0 or 0.01 <= abs(x) < 1e6:
        return f"{x + 0.0:.4f}"
    return f"{x:.4g}"


def value_edges(drawn: Drawn) -> dict[tuple[str, str], list[list[str]]]:
    """(input node, result node) -> the text of each edge input -> op, through op -> result."""
    result_of = {e.tail: e.head for e in drawn.edges if e.tail.startswith("o")}
    out: dict[tuple[str, str], list[list[str]]] = {}
    for e in drawn.edges:
        if e.head in result_of and not e.tail.startswith("o"):
            out.setdefault((e.tail, result_of[e.head]), []).append(e.texts)
    return out


# --- graphs to draw ------------------------------------------------------------------------------


def every_op_graph() -> Value:
    """A graph using every kind of operation, each Value labelled, after backward()."""
    x, y, z = Value(0.7, "x"), Value(-1.3, "y"), Value(2.2, "z")
    names = iter(f"n{k}" for k in range(100))

    def lab(v: Value) -> Value:
        v.label = next(names)
        return v

    a = lab(x * y)
    b = lab(a + z)
    c = lab(b - x)
    d = lab(c / z)
    e = lab(d**3)
    f = lab(z ** lab(x * 0.5))
    g = lab((-f).exp())
    h = lab(lab(g + 1.0).log())
    t = lab(h.tanh())
    s = lab(y.sigmoid())
    r = lab(lab(x - 0.2).relu())
    q = lab(lab(y * 1.0).relu())  # a dead relu: zero gradient flows back through it
    dt = lab(autograd.dot([x, y], [z, s], bias=r))
    sm = [lab(v) for v in autograd.softmax([t, e, dt])]
    lse = lab(autograd.logsumexp([sm[0], q, c]))
    out = lab(autograd.sum([lse, sm[1] * sm[2], x * x]))
    for v in topological_order(out):
        if not v.label:
            v.label = next(names)
    out.backward()
    return out


def chain_of_values(n_values: int) -> Value:
    """A left-leaning sum chain with exactly ``n_values`` Values (built without recursion)."""
    v = Value(0.001, "start")
    count = 1
    k = 0
    while count + 2 <= n_values:
        v = v + Value(0.001 * (k % 7), f"c{k}")
        count += 2
        k += 1
    assert count == n_values
    return v


# --- a small hand-made graph, against numbers known without the engine --------------------------


def test_product_picture_shows_known_numbers() -> None:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    c.backward()
    drawn = rendered(draw_graph(c))
    node = drawn.by_first_line()
    assert drawn.nodes[node["a"]] == ["a", "data 2.0000", "grad -3.0000"]
    assert drawn.nodes[node["b"]] == ["b", "data -3.0000", "grad 2.0000"]
    assert drawn.nodes[node["c"]] == ["c", "data -6.0000", "grad 1.0000"]
    edges = value_edges(drawn)
    assert edges[(node["a"], node["c"])] == [["-3.0000"]]  # d(a*b)/da = b
    assert edges[(node["b"], node["c"])] == [["2.0000"]]  # d(a*b)/db = a
    ops = [t for t, lines in drawn.nodes.items() if not any(s.startswith("data ") for s in lines)]
    assert len(ops) == 1 and drawn.nodes[ops[0]] == ["*"]
    assert len(drawn.edges) == 3


def test_hand_derivatives_on_edges() -> None:
    x = Value(0.5, "x")
    w = Value(-1.5, "w")
    parts = {
        "tanh": x.tanh(),
        "cube": x**3,
        "ratio": x / w,
        "expo": x.exp(),
        "logx": x.log(),
        "sig": w.sigmoid(),
        "diff": x - w,
    }
    for name, v in parts.items():
        v.label = name
    out = autograd.sum(list(parts.values()))
    out.label = "out"
    out.backward()
    drawn = rendered(draw_graph(out, precision=6))
    node = drawn.by_first_line()
    edges = value_edges(drawn)

    def label(src: str, dst: str) -> list[str]:
        return [texts[0] for texts in edges[(node[src], node[dst])]]

    s = 1.0 / (1.0 + math.exp(1.5))
    assert label("x", "tanh") == [f"{1 - math.tanh(0.5) ** 2:.6f}"]
    assert label("x", "cube") == [f"{3 * 0.25:.6f}"]
    assert label("x", "ratio") == [f"{1 / -1.5:.6f}"]
    assert label("w", "ratio") == [f"{-0.5 / 1.5**2:.6f}"]
    assert label("x", "expo") == [f"{math.exp(0.5):.6f}"]
    assert label("x", "logx") == [f"{2.0:.6f}"]
    assert label("w", "sig") == [f"{s * (1 - s):.6f}"]
    assert label("x", "diff") == ["1.000000"] and label("w", "diff") == ["-1.000000"]
    for name in parts:
        assert label(name, "out") == ["1.000000"]  # a sum's local derivatives are all 1


def test_softmax_and_dot_edges_are_jacobian_rows_and_weights() -> None:
    zs = [Value(1.0, "z0"), Value(2.0, "z1"), Value(0.5, "z2")]
    probs = autograd.softmax(zs)
    for k, p in enumerate(probs):
        p.label = f"p{k}"
    ws = [Value(0.3, "w0"), Value(-0.2, "w1")]
    h = autograd.dot(ws, [probs[0], probs[1]], bias=probs[2])
    h.label = "h"
    h.backward()
    drawn = rendered(draw_graph(h, precision=6))
    node = drawn.by_first_line()
    edges = value_edges(drawn)
    e = [math.exp(1.0), math.exp(2.0), math.exp(0.5)]
    o = [v / sum(e) for v in e]
    for a in range(3):
        for b in range(3):
            want = o[a] * ((1.0 if a == b else 0.0) - o[b])
            assert edges[(node[f"z{b}"], node[f"p{a}"])] == [[f"{want + 0.0:.6f}"]]
    assert edges[(node["w0"], node["h"])] == [[f"{o[0]:.6f}"]]
    assert edges[(node["p1"], node["h"])] == [[f"{-0.2:.6f}"]]
    assert edges[(node["p2"], node["h"])] == [["1.000000"]]
    assert any(lines == [f"softmax[{a}]"] for a in range(3) for lines in drawn.nodes.values())


def test_repeated_input_gets_one_edge_per_use() -> None:
    a = Value(3.0, "a")
    b = a * a
    b.label = "b"
    b.backward()
    drawn = rendered(draw_graph(b))
    node = drawn.by_first_line()
    assert value_edges(drawn)[(node["a"], node["b"])] == [["3.0000"], ["3.0000"]]
    assert drawn.nodes[node["a"]][2] == "grad 6.0000"


# --- every Value and every edge of a bigger graph ------------------------------------------------


def test_every_value_and_edge_is_drawn_with_its_recorded_derivative() -> None:
    out = every_op_graph()
    order = topological_order(out)
    drawn = rendered(draw_graph(out))
    node = drawn.by_first_line()
    assert len(node) == len(order)
    for v in order:
        lines = drawn.nodes[node[v.label]]
        assert lines == [v.label, f"data {f4(v.data)}", f"grad {f4(v.grad)}"]
    n_ops = sum(1 for v in order if not v.is_leaf)
    assert len(drawn.nodes) == len(order) + n_ops
    assert len(drawn.edges) == sum(len(v.inputs) for v in order) + n_ops
    edges = value_edges(drawn)
    for v in order:
        want: dict[str, list[str]] = {}
        for inp, local in zip(v.inputs, v.local_grads):
            want.setdefault(inp.label, []).append(f4(local))
        for src, labels in want.items():
            got = [texts[0] for texts in edges[(node[src], node[v.label])]]
            assert Counter(got) == Counter(labels)


def test_drawing_only_reads() -> None:
    out = every_op_graph()

    def snapshot() -> list[tuple[object, ...]]:
        return [(v.data, v.grad, v.label, tuple(map(id, v.inputs)), v.local_grads) for v in topological_order(out)]

    before = snapshot()
    draw_graph(out, params=[out.inputs[0]], cluster=lambda v: "g" if v.is_leaf else None)
    draw_flow(out, max_nodes=5)
    flow_magnitudes(out)
    assert snapshot() == before


def test_same_graph_same_picture() -> None:
    first, second = every_op_graph(), every_op_graph()
    assert draw_graph(first).source == draw_graph(second).source
    assert draw_flow(first).source == draw_flow(second).source


def test_no_recursion_on_a_deep_graph() -> None:
    v = Value(0.5, "x")
    for _ in range(20_000):
        v = v * 1.0
    picture = draw_graph(v, max_nodes=None, max_edges=None, show_grad=False, legend=False, fold_constants=False)
    assert picture.source.count("shape=record") == 40_001
    folded = draw_graph(v, max_nodes=None, max_edges=None, show_grad=False, legend=False, fold_constants=True)
    assert folded.source.count("shape=record") == 20_001 and folded.source.count('label="* 1"') == 20_000


# --- the gradient-flow view ----------------------------------------------------------------------


def spread_graph() -> tuple[Value, list[Value]]:
    """dot(w, x) with weights 10**k: the gradient reaching x_k is 10**k, spread over 7 decades."""
    xs = [Value(1.0, f"x{k}") for k in range(7)]
    ws = [Value(10.0 ** (k - 3), f"w{k}") for k in range(7)]
    dead = Value(-1.0, "dead").relu()
    dead.label = "relu"
    out = autograd.dot(ws, xs, bias=dead)
    out.label = "out"
    out.backward()
    return out, xs


def test_flow_colour_and_width_grow_with_the_gradient() -> None:
    out, xs = spread_graph()
    drawn = rendered(draw_flow(out))
    node = drawn.by_first_line()
    by_tail = {e.tail: e for e in drawn.edges}
    edges = [by_tail[node[x.label]] for x in xs]
    assert [e.texts[1] for e in edges] == [f"g {f4(10.0 ** (k - 3))}" for k in range(7)]
    widths = [e.width for e in edges]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    assert widths[0] == pytest.approx(MIN_WIDTH) and widths[-1] == pytest.approx(MAX_WIDTH)
    rgb = [rgb_of(e.stroke) for e in edges]
    assert all(r > b for r, _, b in rgb)  # every gradient here is positive: red shades
    for channel in range(3):  # darker as the gradient grows
        assert [c[channel] for c in rgb] == sorted((c[channel] for c in rgb), reverse=True)
    assert sum(rgb[0]) > sum(rgb[-1])
    # The dead relu passes no gradient: its input edge is dashed grey.
    dead_edge = next(e for e in drawn.edges if e.tail == node["dead"])
    assert dead_edge.dashed and dead_edge.stroke == PALETTE["zero"]
    assert dead_edge.texts == ["d 0.0000", "g 0.0000"]
    note = " ".join(drawn.notes)
    assert "log scale from 0.001 (faintest, thinnest) to 1000.000" in note and "1e-06 x the largest" in note


def rgb_of(color: str) -> tuple[int, int, int]:
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))


def test_flow_colour_shows_the_sign() -> None:
    # out = 2*p - 3*q: the gradient flowing to p is +2, to q is -3.
    p, q = Value(1.0, "p"), Value(1.0, "q")
    out = autograd.dot([p, q], [2.0, -3.0])
    out.label = "out"
    out.backward()
    drawn = rendered(draw_flow(out))
    node = drawn.by_first_line()
    to_p = next(e for e in drawn.edges if e.tail == node["p"])
    to_q = next(e for e in drawn.edges if e.tail == node["q"])
    assert to_p.texts[-1] == "g 2.0000" and to_q.texts[-1] == "g -3.0000"
    r, _, b = rgb_of(to_p.stroke)
    assert r > b  # positive: red
    r, _, b = rgb_of(to_q.stroke)
    assert b > r  # negative: blue
    assert to_q.width > to_p.width  # |-3| > |2|


def test_one_tiny_gradient_does_not_wash_the_scale_out() -> None:
    # The case: one gradient of 2e-18 among ordinary ones made every edge the darkest colour.
    grads = [0.5, -0.25, 0.125, 2e-18]
    scale = FlowScale.of(grads)
    assert scale is not None and scale.lo == pytest.approx(0.5e-6) and scale.hi == 0.5
    colours = {scale.color(g) for g in grads[:3]}
    assert len(colours) == 3  # ordinary gradients stay apart
    assert scale.position(0.125) < 1.0 and scale.position(2e-18) == 0.0
    assert "below 1e-06 x the largest" in scale.note()


def test_flow_labels_are_local_times_output_grad() -> None:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    d = c * 4.0
    d.label = "d"
    d.backward()
    drawn = rendered(draw_flow(d))
    node = drawn.by_first_line()
    edges = value_edges(drawn)
    assert edges[(node["a"], node["c"])] == [["d -3.0000", "g -12.0000"]]  # dc/da = b; dd/dc = 4
    assert edges[(node["b"], node["c"])] == [["d 2.0000", "g 8.0000"]]
    # |d x out.grad| per edge, and each op -> result edge carries the result's grad:
    # a: 3*4, b: 2*4, (op -> c): 4, c: 4*1, (op -> d): 1; the constant 4 (|c| = 6) is off the scale.
    assert flow_magnitudes(d) == [12.0, 8.0, 4.0, 4.0, 1.0]


def test_flow_before_backward_says_so() -> None:
    a = Value(2.0, "a")
    picture = draw_flow(a * a)
    assert "call backward() first" in picture.source
    assert FlowScale.of([0.0, 0.0]) is None


@given(
    st.lists(st.floats(min_value=1e-12, max_value=1e12), min_size=2, max_size=30),
)
@example([1.0000000000000002e-12, 1e-12])  # found by hypothesis: two magnitudes whose log10 are equal
def test_flow_scale_is_monotone(magnitudes: list[float]) -> None:
    scale = FlowScale.of(magnitudes)
    assert scale is not None
    ordered = sorted(magnitudes)
    widths = [scale.width(m) for m in ordered]
    assert widths == sorted(widths)
    for sign in (1.0, -1.0):
        rgb = [rgb_of(scale.color(sign * m)) for m in ordered]
        for channel in range(3):
            assert [c[channel] for c in rgb] == sorted((c[channel] for c in rgb), reverse=True)
        assert all((r > b) == (sign > 0) for r, _, b in rgb)
        assert [scale.width(sign * m) for m in ordered] == widths
    assert widths[0] >= MIN_WIDTH and widths[-1] == pytest.approx(MAX_WIDTH)


# --- the size cap --------------------------------------------------------------------------------


def test_ten_thousand_nodes_with_a_cap() -> None:
    root = chain_of_values(10_001)
    assert len(topological_order(root)) == 10_001
    picture = draw_graph(root, max_nodes=150)
    drawn = rendered(picture)
    values = [t for t, lines in drawn.nodes.items() if any(s.startswith("data ") for s in lines)]
    assert len(values) == 150
    note = " ".join(drawn.notes)
    assert "drawing 150 of 10001 values" in note
    assert "9851 values" in note
    # The root and its nearest inputs are the ones kept.
    node = drawn.by_first_line()
    assert "c4999" in node and "c4930" in node and "c10" not in node
    assert any("not drawn" in " ".join(lines) for lines in drawn.nodes.values())


def test_default_cap_applies_to_huge_graphs() -> None:
    root = chain_of_values(10_001)
    source = draw_graph(root).source
    assert source.count("shape=record") == 500
    assert "drawing 500 of 10001 values" in source
    assert draw_graph(root, max_nodes=None, max_edges=None).source.count("shape=record") == 10_001


# --- options -------------------------------------------------------------------------------------


def test_rankdir_precision_format_and_hidden_grads() -> None:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    c.backward()
    tb = rendered(draw_graph(c, rankdir="TB", precision=2))
    node = tb.by_first_line()
    assert tb.nodes[node["a"]] == ["a", "data 2.00", "grad -3.00"]
    assert "rankdir=TB" in draw_graph(c, rankdir="TB").source
    sci = rendered(draw_graph(c, number_format=".2e"))
    assert sci.nodes[sci.by_first_line()["b"]] == ["b", "data -3.00e+00", "grad 2.00e+00"]
    fn = rendered(draw_graph(c, number_format=lambda x: f"<{x:g}>"))
    assert fn.nodes[fn.by_first_line()["c"]] == ["c", "data <-6>", "grad <1>"]
    hidden = rendered(draw_graph(c, show_grad=False, edge_labels="none", legend=False))
    assert all(not any(s.startswith("grad") for s in lines) for lines in hidden.nodes.values())
    assert all(e.texts == [] for e in hidden.edges)
    assert hidden.notes == []


def test_styles_for_output_parameters_inputs_and_constants() -> None:
    w, x = Value(0.5, "w"), Value(2.0, "x")
    y = w * x + 1.0
    y.label = "y"
    y.backward()
    drawn = rendered(draw_graph(y, params=[w], fold_constants=False))
    node = drawn.by_first_line()
    fills = {name: drawn.fill[node[name]] for name in ("w", "x", "y")}
    assert len(set(fills.values())) == 3
    constant = next(t for t, lines in drawn.nodes.items() if lines[0] == "data 1.0000")
    assert drawn.fill[constant] not in fills.values()


def test_clusters_nest_and_hold_their_nodes() -> None:
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    ab = a * b
    ab.label = "ab"
    out = ab + c
    out.label = "out"
    out.backward()

    def group(v: Value) -> tuple[str, ...] | None:
        return {"a": ("outer", "inner"), "b": ("outer", "inner"), "ab": ("outer",)}.get(v.label)

    drawn = rendered(draw_graph(out, cluster=group))
    node = drawn.by_first_line()
    assert set(drawn.clusters) == {"outer", "inner"}
    assert drawn.inside(node["a"], "inner") and drawn.inside(node["b"], "inner")
    assert drawn.inside(node["ab"], "outer") and not drawn.inside(node["ab"], "inner")
    assert not drawn.inside(node["out"], "outer") and not drawn.inside(node["c"], "outer")


def test_awkward_labels_are_shown_verbatim() -> None:
    a = Value(1.0, 'x{1}|<y>"z"\\w')
    b = a.exp()
    b.label = "back\\slash"
    b.backward()
    lines = [ln for lines in rendered(draw_graph(b)).nodes.values() for ln in lines]
    assert 'x{1}|<y>"z"\\w' in lines and "back\\slash" in lines


def test_unlabelled_values_and_create_graph_grads() -> None:
    x = Value(3.0)
    y = x * x * x
    y.backward(create_graph=True)  # grads are Values now
    drawn = rendered(draw_graph(y))
    assert ["data 3.0000", "grad 27.0000"] in drawn.nodes.values()


def test_bad_options_are_refused() -> None:
    v = Value(1.0) * 2.0
    with pytest.raises(TypeError, match="output Value"):
        draw_graph(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(v, rankdir="up")
    with pytest.raises(ValueError, match="edge_labels"):
        draw_graph(v, edge_labels="all")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes"):
            draw_graph(v, max_nodes=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="max_edges"):
            draw_graph(v, max_edges=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="precision"):
        draw_graph(v, precision=-1)
    with pytest.raises(ValueError, match="number_format"):
        draw_graph(v, number_format="%d")
    with pytest.raises(TypeError, match="return a str"):
        number_formatter(number_format=lambda x: x)(1.0)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="params"):
        draw_graph(v, params=[1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="cluster"):
        draw_graph(v, cluster=lambda _: 3)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="columns must return an int"):
        draw_graph(v, columns=lambda _: "left")  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="columns must be a function"):
        draw_graph(v, columns=3)  # type: ignore[arg-type]


def test_one_call_svg_and_jupyter(tmp_path: Path) -> None:
    a = Value(2.0, "a")
    b = a.tanh()
    b.label = "b"
    b.backward()
    picture = draw_graph(b)
    assert isinstance(picture, graphviz.Digraph) and isinstance(picture, Picture)
    assert "svg" in picture._repr_mimebundle_()["image/svg+xml"]
    path = save_svg(b, tmp_path / "b.svg")
    flow_path = save_svg(b, tmp_path / "b_flow.svg", flow=True)
    node = parse_svg(path.read_text(encoding="utf-8")).by_first_line()
    assert {"a", "b"} <= set(node)
    assert "log scale" in " ".join(parse_svg(flow_path.read_text(encoding="utf-8")).notes)
