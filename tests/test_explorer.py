"""The explorer's builder: the page's data against independent numbers, the page self-contained, the
size cap honest, the colour scale by sign and size, the replay's lines pointing at the right code,
and nothing the user passed in changed. (The page in a real browser: test_explorer_browser.py.)"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from strategies import Dag, close, dags, fd_derivative

import autograd
from autograd import Value, replay, topological_order
from autograd.explorer import Explorer, explore
from autograd.explorer.record import build_record, significant
from autograd.explorer.scale import DivergingScale


def tutorial_loss() -> tuple[Value, dict[str, Any]]:
    """The tutorial's loss, and the options that lay its graph out as the network is built."""
    from nn import losses
    from nn.draw import model_options
    from nn.lesson import tutorial

    net = tutorial.network()
    loss = losses.binary_cross_entropy(net(tutorial.INPUT), tutorial.TARGET)
    loss.label = "E"
    return loss, model_options(net, loss)


# --- the steps are the engine's sweep, and their numbers check out independently --------------------


@settings(max_examples=15)
@given(dags(max_steps=8))
def test_backward_steps_multiply_out_and_sum_to_the_finite_difference_gradient(dag: Dag) -> None:
    nodes = dag.build()
    root = nodes[-1]
    record = build_record(root)
    order = topological_order(root)
    n = len(order)
    steps = record["steps"]
    assert [s["kind"] for s in steps] == ["forward"] * n + ["seed"] + ["backward"] * (len(steps) - n - 1)
    assert [s["node"] for s in steps[:n]] == list(range(n))  # topological order
    running: dict[int, float] = {}
    for s in steps[n + 1 :]:
        # upstream x local = contribution, multiplied here; the running sum added here.
        up, local = s["upstreamValue"], s["localValue"]
        if s["sent"]:
            assert s["contributionValue"] == up * local
            running[s["node"]] = running.get(s["node"], 0.0) + up * local
        else:
            assert up == 0.0 and s["contributionValue"] == 0.0
        assert s["totalValue"] == running.get(s["node"], 0.0)
        assert s["beforeValue"] + (s["contributionValue"] if s["sent"] else 0.0) == s["totalValue"]
        for key in ("upstream", "local", "contribution", "total", "before"):
            assert s[key] == f"{s[key + 'Value'] + 0.0:.7g}"
    # Every final gradient against central differences of the recipe's float evaluation.
    by_node = {id(v): k for k, v in enumerate(order)}
    for i, v in enumerate(nodes):
        k = by_node[id(v)]
        want = fd_derivative(lambda d, i=i: dag.evaluate(dag.leaves, bump=(i, d[0]))[-1], [0.0], 0)
        got = record["nodes"][k]["gradValue"]
        assert close(got, want, rtol=1e-6, atol=1e-7), (v, got, want)
        assert record["nodes"][k]["grad"] == f"{got + 0.0:.7g}"


def test_the_tutorial_network_is_shown_whole_with_every_step() -> None:
    loss, options = tutorial_loss()
    page = explore(loss, **options)
    order = topological_order(loss)
    engine = autograd.backward_steps(loss)
    assert len(page.record["nodes"]) == len(order)  # no cap on the tutorial
    assert page.n_steps == len(order) + 1 + len(engine)
    assert page.record["cap"] == ""
    assert {n["kind"] for n in page.record["nodes"]} == {"output", "parameter", "input", "constant", "operation"}
    # Named in the tutorial's own 1-based names.
    names = [n["name"] for n in page.record["nodes"]]
    assert "h2_out1" in names and "W_k1l1" in names
    finals = autograd.grad(loss, order)
    for node, g in zip(page.record["nodes"], finals):
        assert node["gradValue"] == g


# --- formatting -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [(0.0, "0"), (-0.0, "0"), (0.05161977123, "0.05161977"), (-2e-18, "-2e-18"), (1234567.8, "1234568"), (0.3, "0.3")],
)
def test_numbers_have_significant_digits_never_minus_zero(x: float, text: str) -> None:
    assert significant(x) == text


def test_a_zero_in_a_box_keeps_room_for_the_running_sums() -> None:
    a = Value(2.0, "a")
    b = a * a * -3e-7
    page = explore(b)  # no backward() yet: every .grad is 0, so every grad field is a zero
    fields = [html.unescape(m) for m in re.findall(r">grad ([^<]*)<", page.svg)]
    assert fields and set(fields) == {"___0___"}  # seven characters; the page strips the "_"
    assert "_" not in "".join(re.findall(r">data ([^<]*)<", page.svg))  # other numbers as they are


# --- the page: one file, no requests -----------------------------------------------------------------


def test_the_page_is_one_self_contained_file(tmp_path) -> None:
    loss, options = tutorial_loss()
    path = explore(loss, **options).save_html(tmp_path / "sub" / "e.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 1
    # Nothing that loads: no src, no external href, no url(), no import, no fetch.
    assert not re.search(r"\ssrc\s*=", text)
    assert re.findall(r"href=\"([^\"]*)\"", text) == ["data:,"]
    assert not re.search(r"https?://(?!www\.w3\.org/)", text)  # only XML namespace names
    assert "url(" not in text and "fetch(" not in text and "import(" not in text
    data = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', text, re.S)
    assert data is not None
    record = json.loads(data.group(1))
    assert len(record["steps"]) == len(topological_order(loss)) + 1 + len(autograd.backward_steps(loss))
    assert "/*@" not in text and "<!--@" not in text  # every placeholder filled


def test_notebook_html_is_an_iframe_running_the_page() -> None:
    x = Value(1.5, "x")
    page = explore(x.tanh())
    out = page._repr_html_()
    assert out.startswith("<iframe srcdoc=") and "<script" not in out  # the page is escaped inside srcdoc
    assert "&lt;svg" in out


def test_json_cannot_close_its_script_early() -> None:
    x = Value(1.0, "</script><b>x")
    text = explore(x * 2.0, title="</script>").html()
    assert text.count("</script>") == 2  # the data's and the code's own end tags


# --- the size cap ----------------------------------------------------------------------------------------


def test_a_large_graph_is_capped_and_says_what_was_left_out() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(300):
        y = y * 0.999 + 0.001
    page = explore(y, max_nodes=40)
    record = page.record
    total = len(topological_order(y))
    assert len(record["nodes"]) == 40
    assert f"showing 40 of {total:,} values" in record["cap"]
    # Only steps into drawn Values are kept, and their totals are still the whole graph's.
    order = topological_order(y)
    drawn = {n["index"] for n in record["nodes"]}
    engine = [s for s in autograd.backward_steps(y) if order.index(s.receiver) in drawn]
    shown = [s for s in record["steps"] if s["kind"] == "backward"]
    assert [s["totalValue"] for s in shown] == [s.total for s in engine]
    assert f"{len(autograd.backward_steps(y)) - len(engine):,} backward steps" in record["cap"]


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
    with pytest.raises(TypeError, match="explore sets edge_labels itself"):
        explore(x * x, edge_labels="flow")
    with pytest.raises(ValueError, match="digits must be an int from 1 to 17"):
        explore(x * x, digits=0)
    with pytest.raises(ValueError, match="floor must be a number between 0 and 1"):
        explore(x * x, floor=0.0)
    with pytest.raises(ValueError, match="rankdir"):
        explore(x * x, rankdir="sideways")


def test_exploring_changes_no_value() -> None:
    loss, options = tutorial_loss()
    order = topological_order(loss)
    before = [(v.data, v.grad, v.label, v.inputs, v.local_grads) for v in order]
    page = explore(loss, **options)
    assert isinstance(page, Explorer)
    assert [(v.data, v.grad, v.label, v.inputs, v.local_grads) for v in order] == before


def test_a_step_the_engine_does_not_send_is_marked_so() -> None:
    x = Value(2.0, "x")
    dead = (x * -1.0).relu()  # relu of -2: its gradient is 0, so it sends nothing back to x * -1
    y = dead + x
    y.label = "y"
    steps = [s for s in explore(y).record["steps"] if s["kind"] == "backward"]
    unsent = [s for s in steps if not s["sent"]]
    assert unsent and all(s["upstream"] == "0" and s["contribution"] == "0" for s in unsent)
    assert all(s["total"] == s["before"] for s in unsent)  # the running sum is unchanged
    into_x = [s for s in steps if s["receiverName"] == "x"]
    assert into_x[-1]["total"] == "1" and into_x[-1]["complete"]  # dy/dx = 1 (the relu path is dead), by hand


def test_a_single_value_is_a_page_too() -> None:
    x = Value(3.0, "x")
    page = explore(x)
    assert page.n_steps == 2 and [s["kind"] for s in page.record["steps"]] == ["forward", "seed"]
    assert repr(page) == "Explorer(1 values, 2 steps)"


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_browser_fails_under_ci_and_skips_loudly_elsewhere(monkeypatch, ci, outcome) -> None:
    import browser

    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    expected = pytest.raises(outcome, match=r"apt-get install -y chromium.*pip install playwright")
    with expected, browser.launch_or_explain():
        pass


@pytest.mark.parametrize("name", ["page", "record", "scale", "code"])
def test_docstring_examples_of_the_explorer_modules(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"autograd.explorer.{name}"))
    assert result.failed == 0


def test_each_steps_code_term_is_its_consumers_gradient_times_the_local_derivative() -> None:
    loss, options = tutorial_loss()
    record = explore(loss, **options).record
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
    # Every step has its term, but those into constants (written into the code, no gradient asked).
    backward = [s for s in record["steps"] if s["kind"] == "backward"]
    constants = [s for s in backward if nodes[s["node"]]["kind"] == "constant"]
    assert marked == len(backward) - len(constants) and all(s["term"] is None for s in constants)
