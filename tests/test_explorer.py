"""The explorer's builder: the page's data against independent numbers, the page self-contained, the
size cap honest, the colour scale by sign and size, the replay's lines pointing at the right code,
and nothing the user passed in changed. (The page in a real browser: test_explorer_browser.py.)"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import OPS, Dag, close, dags, fd_derivative

import autograd
from autograd import Value, replay, topological_order
from autograd.colors import PALETTE
from autograd.explorer import Explorer, explore
from autograd.explorer.page import script_json
from autograd.explorer.record import build_record, significant
from autograd.explorer.scale import DivergingScale
from nn.draw import explore as nn_explore


def tutorial_loss() -> tuple[Value, Any]:
    """The tutorial's loss, and its model."""
    from nn import losses
    from nn.lesson import tutorial

    net = tutorial.network()
    loss = losses.binary_cross_entropy(net(tutorial.INPUT), tutorial.TARGET)
    loss.label = "E"
    return loss, net


# --- the steps are the engine's sweep, and their numbers check out independently --------------------


def _fd_local(case: str, args: list[float], param: Any, position: int) -> float:
    """d op / d arg[position] by central differences of the op's float reference (strategies.OPS)."""
    return fd_derivative(lambda xs: OPS[case].ref(xs, param), args, position)


@settings(max_examples=15)
@given(dags(max_steps=8))
def test_steps_multiply_out_and_sum_to_the_finite_difference_gradient(dag: Dag) -> None:
    nodes = dag.build()
    root = nodes[-1]
    record = build_record(root)
    order = topological_order(root)
    index = {v: k for k, v in enumerate(order)}
    steps = record["steps"]
    f = record["forwardSteps"]
    assert [s["kind"] for s in steps] == ["forward"] * f + ["seed"] + ["backward"] * (len(steps) - f - 1)
    # The forward pass: each operation once, after every operation it reads (from the inputs on).
    computed = [s["node"] for s in steps[:f]]
    operations = [k for k, v in enumerate(order) if v.inputs and record["nodes"][k]["kind"] != "constant"]
    assert sorted(computed) == operations or (not operations and computed == [len(order) - 1])
    for n, k in enumerate(computed):
        assert all(index[i] not in computed[n:] for i in order[k].inputs)
    running: dict[int, float] = {}
    for s in steps[f + 1 :]:
        # local x upstream = contribution, multiplied here; the running sum added here.
        up, local = s["upstreamValue"], s["localValue"]
        assert s["contributionValue"] == local * up != 0.0  # zero steps are skipped
        assert record["nodes"][s["node"]]["kind"] != "constant"  # so are steps into constants
        running[s["node"]] = running.get(s["node"], 0.0) + local * up
        assert s["totalValue"] == running[s["node"]] == s["beforeValue"] + s["contributionValue"]
        for key in ("upstream", "local", "contribution", "total", "before"):
            assert s[key] == f"{s[key + 'Value'] + 0.0:.7g}"
    # Every final gradient against central differences of the recipe's float evaluation.
    for i, v in enumerate(nodes):
        want = fd_derivative(lambda d, i=i: dag.evaluate(dag.leaves, bump=(i, d[0]))[-1], [0.0], 0)
        got = record["nodes"][index[v]]["gradValue"]
        assert close(got, want, rtol=1e-6, atol=1e-7), (v, got, want)
        assert record["nodes"][index[v]]["grad"] == f"{got + 0.0:.7g}"


@settings(max_examples=15)
@given(dags(max_steps=8))
def test_each_records_local_derivatives_are_the_central_differences_of_its_op(dag: Dag) -> None:
    nodes = dag.build()
    record = build_record(nodes[-1])
    index = {v: k for k, v in enumerate(topological_order(nodes[-1]))}
    values = dag.evaluate(dag.leaves)
    for j, step in enumerate(dag.steps):
        v = nodes[len(dag.leaves) + j]
        inputs = record["nodes"][index[v]]["inputs"]
        args = [values[a] for a in step.args]
        # An op with a parameter (x + c, c + x) also has the constant as an input: leave it out.
        made = {id(n) for n in nodes}
        inputs = [i for i, u in zip(inputs, v.inputs) if id(u) in made]
        assert [i["node"] for i in inputs] == [index[nodes[a]] for a in step.args]
        for position, entry in enumerate(inputs):  # in order: swapping two inputs' derivatives fails
            want = _fd_local(step.case, args, step.param, position)
            assert close(entry["localValue"], want, rtol=1e-6, atol=1e-7), (step, position, entry, want)


def test_the_tutorial_network_is_shown_whole_with_the_steps_worth_taking() -> None:
    loss, model = tutorial_loss()
    page = nn_explore(model, loss)
    order = topological_order(loss)
    engine = autograd.backward_steps(loss)
    nodes = page.record["nodes"]
    assert len(nodes) == len(order) and page.record["cap"] == ""
    constants = {k for k, n in enumerate(nodes) if n["kind"] == "constant"}
    assert constants and all(nodes[k]["box"] is None for k in constants)  # folded into their users
    operations = [k for k, v in enumerate(order) if v.inputs]
    worth = [s for s in engine if s.contribution != 0.0 and order.index(s.receiver) not in constants]
    assert page.n_steps == len(operations) + 1 + len(worth)
    assert page.record["skipped"]["zero"] == sum(1 for s in engine if s.contribution == 0.0)
    # The forward pass starts at the inputs: the first operation reads leaves only.
    first = order[page.record["steps"][0]["node"]]
    assert all(i.is_leaf for i in first.inputs)
    assert {n["kind"] for n in nodes} == {"output", "parameter", "input", "constant", "operation"}


def test_the_network_view_has_a_unit_per_neuron_and_an_edge_per_weight() -> None:
    loss, model = tutorial_loss()
    net = nn_explore(model, loss).record["network"]
    assert [c["title"] for c in net["columns"]] == ["inputs", "h1", "h2", "out", "loss"]
    by_column = [sum(1 for u in net["units"] if u["column"] == c) for c in range(5)]
    assert by_column == [3, 3, 3, 3, 1]
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    order = topological_order(loss)
    assert [link["node"] for link in net["links"] if link["node"] >= 0] == [order.index(w) for w in weights]
    assert sum(1 for link in net["links"] if link["node"] < 0) == 3  # each output into the loss
    # Every Value that is no constant is drawn somewhere: a unit holds it or it is a weight.
    held = {k for u in net["units"] for k in u["nodes"]} | {link["node"] for link in net["links"]}
    kinds = [n["kind"] for n in nn_explore(model, loss).record["nodes"]]
    assert {k for k in range(len(order)) if kinds[k] != "constant"} <= held


def test_a_models_output_as_the_root_has_no_loss_column_and_a_non_model_is_refused() -> None:
    import nn

    model = nn.MLP(2, [3, 1], ["tanh", "sigmoid"], seed=0)
    out = model([0.5, -1.0])[0]
    net = nn_explore(model, out).record["network"]
    assert [c["title"] for c in net["columns"]] == ["inputs", "h1", "out"]
    assert all(link["node"] >= 0 for link in net["links"])  # every edge a weight: nothing into a loss
    with pytest.raises(TypeError, match="root must be the Value computed from the model"):
        nn_explore(model, 3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"expected an nn\.MLP or nn\.Layer"):
        nn_explore("model", out)  # type: ignore[arg-type]


def test_boxes_never_overlap_and_every_edge_runs_left_to_right() -> None:
    loss, model = tutorial_loss()
    record = nn_explore(model, loss).record
    boxes = [(k, n["box"]) for k, n in enumerate(record["nodes"]) if n["box"]]
    for (i, a), (j, b) in itertools.combinations(boxes, 2):
        side = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
        apart = side or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]
        assert apart, (record["nodes"][i]["name"], record["nodes"][j]["name"])
    for k, b in boxes:
        for inp in record["nodes"][k]["inputs"]:
            source = record["nodes"][inp["node"]]["box"]
            assert source is None or source["x"] + source["w"] < b["x"]


# --- the page: one file, no requests, nothing in it read as markup --------------------------------


def test_the_page_is_one_self_contained_file(tmp_path) -> None:
    loss, model = tutorial_loss()
    page = nn_explore(model, loss)
    path = page.save_html(tmp_path / "sub" / "e.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # Nothing that loads: no src, no external href, no url(), no import, no fetch.
    assert not re.search(r"\ssrc\s*=", text)
    assert re.findall(r"href=\"([^\"]*)\"", text) == ["data:,"]
    assert not re.search(r"https?://(?!www\.w3\.org/)", text)  # only XML namespace names
    assert "url(" not in text and "fetch(" not in text and "import(" not in text
    data = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', text, re.S)
    assert data is not None
    assert json.loads(data.group(1)) == json.loads(json.dumps(page.record))
    assert "/*@" not in text and "<!--@" not in text  # every placeholder filled


def test_notebook_html_is_an_iframe_running_the_page() -> None:
    x = Value(1.5, "x")
    page = explore(x.tanh())
    out = page._repr_html_()
    assert out.startswith("<iframe srcdoc=") and "<script" not in out  # the page is escaped inside srcdoc
    assert "&lt;script" in out


HOSTILE = ["<!--<script>", "</script>", "<!-- a note", "see <script> tags", "a & b", "x\u2028y\u2029z", "]]>"]


def test_embedded_data_holds_no_character_the_html_parser_reads() -> None:
    xs = [Value(float(k + 1), label) for k, label in enumerate(HOSTILE)]
    y = xs[0]
    for x in xs[1:]:
        y = y * x
    y.label = "<b>y</b>"
    text = explore(y, title="</title><script>alert(1)</script>").html()
    data = re.search(r'id="explorer-data">(.*?)</script>', text, re.S)
    assert data is not None
    assert not re.search("[<>&\u2028\u2029]", data.group(1))
    assert json.loads(data.group(1))["nodes"][0]["name"] == HOSTILE[0]  # the same strings, escaped
    assert text.count("</script>") == 2 and text.count("<script") == 2  # the data's and the code's own
    assert "<title>&lt;/title&gt;&lt;script&gt;" in text


@settings(max_examples=60)
@given(st.text(), st.text())
def test_any_label_and_title_embed_as_inert_json_that_reads_back_the_same(label: str, title: str) -> None:
    x = Value(1.5, label)
    y = x * x
    y.label = label + "!"
    page = explore(y, title=title, code=False)
    data = script_json(page.record)
    assert not re.search("[<>&\u2028\u2029]", data)
    assert json.loads(data) == json.loads(json.dumps(page.record))
    assert json.loads(data)["nodes"][0]["label"] == label and json.loads(data)["title"] == title


# --- the size cap ----------------------------------------------------------------------------------------


def test_a_large_graph_is_capped_and_says_what_was_left_out() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(300):
        y = y * 0.999 + 0.001
    page = explore(y, max_nodes=40)
    record = page.record
    total = len(topological_order(y))
    assert sum(1 for n in record["nodes"] if n["box"]) <= 40
    assert f"showing 40 of {total:,} values" in record["cap"]
    # Only steps into drawn Values are kept, and their totals are still the whole graph's.
    order = topological_order(y)
    drawn = {n["index"] for n in record["nodes"] if n["box"]}
    engine = [s for s in autograd.backward_steps(y) if order.index(s.receiver) in drawn and s.contribution]
    shown = [s for s in record["steps"] if s["kind"] == "backward"]
    assert [s["totalValue"] for s in shown] == [s.total for s in engine]
    # The page lists what it draws, their inputs and the steps' senders: not the other 500 Values.
    assert len(record["nodes"]) <= 2 * 40 + 2
    assert record["code"] is None and "capped" in record["codeNote"]  # the code pane is bounded too


def test_the_page_of_a_long_chain_is_bounded_by_the_cap() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(5000):
        y = y * 0.9999
    size = len(explore(y, max_nodes=200).html())
    small = len(explore(y, max_nodes=100).html())
    assert size - small < 120_000  # about a kilobyte a value drawn: the 4,800 others cost nothing


# --- colours ------------------------------------------------------------------------------------------------


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def test_colour_shows_the_sign_and_width_the_size_on_a_floored_log_scale() -> None:
    scale = DivergingScale.of([0.3, -0.02, 2e-18, 0.0], floor=1e-6)
    # The pictures' range: from the largest down to floor x it; 2e-18 does not stretch the scale.
    assert (scale.hi, scale.lo, scale.below_floor) == (0.3, 0.3 * 1e-6, 1)
    r, _, b = _rgb(scale.edge_color(0.1))
    assert r > b  # positive: red
    r, _, b = _rgb(scale.edge_color(-0.1))
    assert b > r  # negative: blue
    assert scale.edge_color(0.0) != scale.edge_color(1e-9)
    assert scale.width(2e-18) == scale.width(0.3 * 1e-6) < scale.width(0.02) < scale.width(0.1) < scale.width(-0.3)
    assert scale.width(0.1) == scale.width(-0.1)
    note = scale.legend(significant)["note"]
    assert "1e-06 × the largest" in note and "(1 here)" in note


def test_each_edge_is_as_wide_as_its_contribution_on_the_log_scale() -> None:
    loss, model = tutorial_loss()
    record = nn_explore(model, loss).record
    backward = [s for s in record["steps"] if s["kind"] == "backward"]
    magnitudes = [1.0] + [abs(s[k]) for s in backward for k in ("totalValue", "contributionValue")]
    hi = max(magnitudes)
    lo = max(min(m for m in magnitudes if m), hi * 1e-6)
    for s in backward:  # 1 px at the floor to 6 px at the largest, by log |contribution|, written here
        t = min(1.0, max(0.0, math.log(abs(s["contributionValue"]) / lo) / math.log(hi / lo)))
        assert s["edgeWidth"] == pytest.approx(1.0 + 5.0 * t, abs=0.006), s
        assert s["edgeColor"] != PALETTE["zero"]  # a sent edge is never drawn like "nothing"


def test_the_faint_end_of_the_scale_is_clearly_not_grey() -> None:
    scale = DivergingScale.of([1.0, 1e-6])
    for faint in (scale.edge_color(1e-6), scale.edge_color(-1e-6)):
        r, g, b = _rgb(faint)
        assert max(r, g, b) - min(r, g, b) >= 60  # a colour, not a grey like the zero edges'


def test_a_bad_floor_is_refused() -> None:
    with pytest.raises(ValueError, match="floor must be a number between 0 and 1"):
        DivergingScale.of([1.0], floor=2.0)


# --- the replay's lines --------------------------------------------------------------------------------------


@settings(max_examples=10)
@given(dags(max_steps=8))
def test_each_nodes_gradient_line_assigns_the_gradient_of_its_forward_name(dag: Dag) -> None:
    nodes = dag.build([Value(x, f"leaf{i}") for i, x in enumerate(dag.leaves)])
    root = nodes[-1]
    step = replay.trace(root, params=nodes[: len(dag.leaves)])
    lines = step.source.splitlines()
    for node, where in zip(topological_order(root), replay.node_lines(step)):
        if node.is_leaf and not node.label:  # a constant, written into the code: no line of its own
            assert where == ((), ())
            continue
        assert where.forward, node  # every other node is a param or computed from one
        forward = lines[where.forward[0] - 1].strip()
        if node.is_leaf:  # a param's line unpacks it from params
            assert re.search(rf"\b{node.label}\b", forward), (node, forward)
        else:
            name = forward.partition(" = ")[0]
            for n in where.gradient:
                assert lines[n - 1].strip().startswith(f"d_{name} = ")
    # The output's gradient line seeds the sweep.
    out = replay.node_lines(step)[-1]
    assert lines[out.gradient[0] - 1].strip().endswith(" = 1.0")


def test_without_code_the_page_says_why() -> None:
    x = Value(2.0, "x")
    y = x * x
    handle = x.register_hook(lambda g: g)
    try:
        page = explore(y)
    finally:
        handle.remove()
    assert page.record["code"] is None and "hooks" in page.record["codeNote"]
    assert explore(y, code=False).record["codeNote"].startswith("the code pane is off")


# --- errors and purity -----------------------------------------------------------------------------------


def test_bad_input_is_refused_in_the_users_words() -> None:
    with pytest.raises(TypeError, match="explore takes the output Value"):
        explore(3.0)  # type: ignore[arg-type]
    x = Value(1.0, "x")
    with pytest.raises(TypeError, match="edge_labels"):
        explore(x * x, edge_labels="flow")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="digits must be an int from 1 to 17"):
        explore(x * x, digits=0)
    with pytest.raises(ValueError, match="floor must be a number between 0 and 1"):
        explore(x * x, floor=0.0)
    with pytest.raises(TypeError, match="title must be a str or None, not int: 123"):
        explore(x * x, title=123)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_nodes must be a positive int or None"):
        explore(x * x, max_nodes=0)
    with pytest.raises(TypeError, match="code must be True or False"):
        explore(x * x, code="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="labels maps Values to str"):
        explore(x * x, labels={x: 3})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"network must be an autograd\.explorer\.Network"):
        explore(x * x, network=[1])  # type: ignore[arg-type]


def test_a_graph_whose_gradient_overflows_is_refused_at_explore() -> None:
    x = Value(1e-308, "x")
    y = x.log() * 1e10  # d/dx = 1e10 / 1e-308: more than a float holds
    with pytest.raises(ValueError, match=r"explore: the gradient reaching .* overflowed to inf"):
        explore(y)
    with pytest.raises(ValueError, match="overflowed"):
        y.backward()  # refused the same way


def test_exploring_changes_no_value() -> None:
    loss, model = tutorial_loss()
    order = topological_order(loss)
    before = [(v.data, v.grad, v.label, v.inputs, v.local_grads) for v in order]
    page = nn_explore(model, loss)
    assert isinstance(page, Explorer)
    assert [(v.data, v.grad, v.label, v.inputs, v.local_grads) for v in order] == before


def test_zero_steps_are_skipped_and_counted() -> None:
    x = Value(2.0, "x")
    dead = (x * -1.0).relu()  # relu of -2: its gradient is 0, so it sends nothing back to x * -1
    y = dead + x
    y.label = "y"
    record = explore(y).record
    steps = [s for s in record["steps"] if s["kind"] == "backward"]
    assert all(s["contributionValue"] != 0.0 for s in steps)
    # By hand: relu -> x*-1 (local 0); x*-1 -> x and x*-1 -> -1 (upstream 0).
    assert record["skipped"]["zero"] == 3
    into_x = [s for s in steps if s["receiverName"] == "x"]
    assert into_x[-1]["total"] == "1" and into_x[-1]["complete"]  # dy/dx = 1 (the relu path is dead), by hand


def test_a_graph_with_no_label_at_all_draws_its_leaves() -> None:
    a, b = Value(2.0), Value(-3.0)  # micrograd-style: nothing labelled
    record = explore(a * b + 1.0).record
    kinds = [n["kind"] for n in record["nodes"]]
    assert kinds.count("input") == 3 and "constant" not in kinds  # the 1.0 too: nothing tells it apart
    assert sum(1 for s in record["steps"] if s["kind"] == "backward") == 4


def test_a_single_value_is_a_page_too() -> None:
    x = Value(3.0, "x")
    page = explore(x)
    assert page.n_steps == 2 and [s["kind"] for s in page.record["steps"]] == ["forward", "seed"]
    assert repr(page) == "Explorer(1 values, 2 steps)"


def test_notes_are_shown_in_their_values_record() -> None:
    x = Value(3.0, "x")
    y = x * x
    record = explore(y, notes={x: "the tutorial printed 3.1 here"}).record
    assert record["nodes"][0]["note"] == "the tutorial printed 3.1 here" and record["nodes"][1]["note"] == ""


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_browser_fails_under_ci_and_skips_loudly_elsewhere(monkeypatch, ci, outcome) -> None:
    import browser

    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    expected = pytest.raises(outcome, match=r"apt-get install -y chromium.*pip install playwright")
    with expected, browser.launch_or_explain():
        pass


@pytest.mark.parametrize("name", ["page", "record", "scale", "code", "placement", "network"])
def test_docstring_examples_of_the_explorer_modules(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"autograd.explorer.{name}"))
    assert result.failed == 0 and result.attempted > 0  # a module without examples fails too


def test_each_steps_code_term_is_its_consumers_gradient_times_the_local_derivative() -> None:
    loss, model = tutorial_loss()
    record = nn_explore(model, loss).record
    lines = record["code"]["lines"]
    nodes = record["nodes"]
    marked = 0
    for s in record["steps"]:
        if s["kind"] != "backward" or s["term"] is None:
            continue
        n, begin, end = s["term"]
        term = lines[n - 1][begin:end]
        assert n in nodes[s["node"]]["gradientLines"]  # a term of the receiver's gradient
        (upstream_line,) = nodes[s["consumer"]]["gradientLines"]
        upstream = lines[upstream_line - 1].strip().partition(" = ")[0]  # d_<consumer>
        assert re.fullmatch(rf"(-?|.+ \* ){upstream}", term), (term, upstream)
        marked += 1
    # Every step has its term (steps into constants, which have no gradient line, are not taken).
    assert marked == sum(1 for s in record["steps"] if s["kind"] == "backward")
