"""The explorer in a real browser (Debian's Chromium through Playwright): opened from file://, it makes
no request and logs no error; the keys step it; the numbers it writes are the engine's, multiply out
(upstream x local = contribution) and add up (the running sums); at the end every gradient is
autograd.grad's. On the tutorial's network and on hypothesis-generated graphs.

Without Chromium or Playwright these tests are skipped with a loud reason, and under CI=true they
fail instead (see tests/browser.py). Figures (page size, load time, text size) are printed: run with
``-s`` to see them. ``CHAINRULE_WRITE_DOCS=1`` also writes the screenshot to docs/explorer.png.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from browser import Watched, launch_or_explain
from hypothesis import given, settings
from strategies import Dag, dags
from test_explorer import tutorial_loss

import autograd
from autograd import Value, topological_order
from autograd.explorer import explore

DOCS = Path(__file__).resolve().parent.parent / "docs"
EQ = re.compile(r"^d(.+?)/d(.+?) \+= (\S+) × (\S+) = (\S+)$")
SUM = re.compile(r"^d(.+?)/d(.+?) (?:= (\S+) \+ (\S+) = (\S+)|stays (\S+))")
SEVEN = 5e-7  # the relative rounding of a number written with 7 significant digits


@pytest.fixture(scope="module")
def browser() -> Any:
    with launch_or_explain() as b:
        yield b


def near(shown: str, exact: float, rel: float = SEVEN) -> bool:
    """``shown`` is ``exact`` to within the rounding of its significant digits."""
    return abs(float(shown) - exact) <= rel * abs(exact) * 1.0000001 + 1e-300


def name_of(v: Value, order: list[Value], root: Value) -> str:
    """The page's name for a Value, written here independently of the builder."""
    if v is root:
        return v.label or "out"
    if v.label:
        return v.label
    op = f"softmax[{v._rule.param}]" if v.op == "softmax" else v.op  # type: ignore[union-attr]
    return f"({op}#{order.index(v)})" if v.inputs else f"(const#{order.index(v)})"


def counter(w: Watched) -> tuple[int, int]:
    m = re.fullmatch(r"step (\d+) of (\d+)", w.page.inner_text("#counter").strip())
    assert m, w.page.inner_text("#counter")
    return int(m.group(1)), int(m.group(2))


def walk_and_check(w: Watched, root: Value) -> None:
    """Press through every step; check each backward step's numbers against the engine's sweep.

    On a capped page only the Values it draws appear, and only the steps into them; the running
    sums are still the whole graph's, so they are added here over every step of the engine.
    """
    order = topological_order(root)
    engine = autograd.backward_steps(root)
    record = w.record  # type: ignore[attr-defined]
    drawn = {n["index"] for n in record["nodes"]}
    shown = [s for s in engine if order.index(s.receiver) in drawn]
    n_steps = len(drawn) + 1 + len(shown)
    w.page.keyboard.press("Home")
    assert counter(w) == (1, n_steps)
    for k in range(1, len(drawn)):  # the forward pass: one Value per step
        w.page.keyboard.press("ArrowRight")
        assert counter(w) == (k + 1, n_steps)
        assert w.page.inner_text("#phase") == "forward pass"
    w.page.keyboard.press("ArrowRight")  # the seed
    seed = w.page.inner_text("#eq")
    assert seed == f"d{name_of(root, order, root)}/d{name_of(root, order, root)} = 1"
    sums: dict[int, float] = {}
    k = 0
    for s in engine:
        before = sums.get(id(s.receiver), 0.0)
        if s.sent:
            sums[id(s.receiver)] = before + s.upstream * s.local  # the running sum, added here
        if order.index(s.receiver) not in drawn:
            continue
        w.page.keyboard.press("ArrowRight")
        assert counter(w) == (len(drawn) + 2 + k, n_steps)
        term = record["steps"][len(drawn) + 1 + k]["term"]
        k += 1
        if term is not None:  # the code pane marks this step's own term of the receiver's sum
            n, begin, end = term
            assert w.page.inner_text("#code mark") == record["code"]["lines"][n - 1][begin:end]
        m = EQ.match(w.page.inner_text("#eq"))
        assert m, w.page.inner_text("#eq")
        _, receiver, up, local, contribution = m.groups()
        assert receiver == name_of(s.receiver, order, root)
        # The same numbers on the picture, above the receiving box.
        assert w.page.text_content("#callout text") == f"+= {up} × {local} = {contribution}"
        # The page's three numbers multiply out (to the rounding of 7 significant digits) ...
        assert near(contribution, float(up) * float(local), 3 * SEVEN)
        # ... and are the engine's.
        assert near(up, s.upstream) and near(local, s.local) and near(contribution, s.contribution)
        m = SUM.match(w.page.inner_text("#sum"))
        assert m, w.page.inner_text("#sum")
        if s.sent:
            assert near(m.group(3), before) and float(m.group(4)) == float(contribution)
            assert near(m.group(5), sums[id(s.receiver)], 1e-6)
        else:
            assert float(up) == 0.0 and near(m.group(6), before)
    assert counter(w) == (n_steps, n_steps)
    w.page.keyboard.press("ArrowRight")  # nothing past the end
    assert counter(w) == (n_steps, n_steps)


def check_final_gradients(w: Watched, root: Value) -> None:
    """At End every node shows its final gradient: each box (4 digits), each record (7 digits)."""
    order = topological_order(root)
    grads = autograd.grad(root, order)
    w.page.keyboard.press("End")
    boxes = w.page.evaluate(
        "[...document.querySelectorAll('g.node[data-node]')].map(g => [Number(g.dataset.node),"
        " [...g.querySelectorAll('text')].map(t => t.textContent).filter(t => t.startsWith('grad ')).pop(),"
        " g.querySelector('polygon').getAttribute('fill')])"
    )
    drawn = {n["index"]: k for k, n in enumerate(w.record["nodes"])}
    assert len(boxes) == len(drawn)
    for k, text, fill in boxes:
        v_index = w.record["nodes"][k]["index"]
        g = grads[v_index]
        assert near(text.removeprefix("grad").strip(), g, 5e-4), (order[v_index], text)
        # Colour by sign: red for a positive gradient, blue for a negative one, grey for zero.
        red, blue = int(fill[1:3], 16), int(fill[5:7], 16)
        assert (red > blue) if g > 0 else (blue > red) if g < 0 else (red == blue), (order[v_index], g, fill)
    # Every number fits its box, and the padding that reserved the room is not shown.
    overflow = w.page.evaluate(
        "[...document.querySelectorAll('g.node[data-node]')].filter(g => {"
        " const box = g.querySelector('polygon').getBBox();"
        " return [...g.querySelectorAll('text')].some(t => t.getBBox().width > box.width); }).length"
    )
    assert overflow == 0
    assert "_" not in w.page.evaluate(
        "[...document.querySelectorAll('g.edge > text, g.node text')]"
        ".map(t => t.textContent).filter(t => /^(data |grad |[-0-9])/.test(t)).join('')"
    )
    # Edge width grows with |contribution| (the engine's numbers, sorted here).
    widths = w.page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('g.edge[data-edge]')]"
        ".map(g => [g.dataset.edge, parseFloat(g.querySelector('path').style.strokeWidth || '0')]))"
    )
    engine = [s for s in autograd.backward_steps(root) if order.index(s.receiver) in drawn]  # as shown
    page_steps = [r for r in w.record["steps"] if r["kind"] == "backward"]
    assert len(page_steps) == len(engine)
    sent = [
        (abs(s.contribution), widths[f"{r['consumer']}:{r['input']}"])
        for s, r in zip(engine, page_steps)
        if s.sent and r["consumer"] >= 0
    ]
    sent.sort()
    assert all(a[1] <= b[1] for a, b in pairwise(sent)), sent
    for v_index, k in drawn.items():
        w.page.locator(f"g.node[data-node='{k}']").dispatch_event("click")
        shown = w.page.inner_text("#record-grad")
        assert near(shown, grads[v_index]), (order[v_index], shown, grads[v_index])


def open_page(browser: Any, root: Value, path: Path, **options: Any) -> Watched:
    page = explore(root, **options)
    w = Watched(browser, page.save_html(path))
    w.record = page.record  # type: ignore[attr-defined]
    w.load_seconds = w.open()  # type: ignore[attr-defined]
    return w


def assert_quiet(w: Watched) -> None:
    assert w.requests == [], f"the page made requests: {w.requests}"
    assert w.errors == [], f"the page logged errors: {w.errors}"


# --- the tutorial's network -----------------------------------------------------------------------------


def test_tutorial_every_step_matches_the_engine(browser: Any, tmp_path: Path) -> None:
    loss, options = tutorial_loss()
    w = open_page(browser, loss, tmp_path / "tutorial.html", **options)
    walk_and_check(w, loss)
    check_final_gradients(w, loss)
    # The code pane points at the line computing the receiver's gradient.
    w.page.keyboard.press("End")
    line = w.page.inner_text("#code .ln.hl")
    assert re.match(r"\d+\s+d_\w+ = ", line), line
    assert_quiet(w)
    w.close()


def test_controls_slider_play_and_click(browser: Any, tmp_path: Path) -> None:
    x = Value(1.5, "x")
    y = x * x + x.tanh()
    y.label = "y"
    w = open_page(browser, y, tmp_path / "small.html")
    _, n = counter(w)
    w.page.locator("#slider").fill("3")
    assert counter(w) == (3, n)
    w.page.keyboard.press("End")
    w.page.keyboard.press("ArrowLeft")
    assert counter(w) == (n - 1, n)
    w.page.select_option("#speed", "20")
    w.page.click("#play")
    w.page.wait_for_function(f"window.chainruleExplorer.step === {n}", timeout=5000)
    assert w.page.inner_text("#play") == "play"  # stopped itself at the end
    w.page.locator("g.node[data-node='0']").dispatch_event("click")
    record = w.page.inner_text("#record")
    assert "x" in record and "parameter" not in record and "input" in record
    w.page.fill("#find", "y")  # find a value by name: its record opens
    w.page.press("#find", "Enter")
    assert w.page.inner_text("#record").startswith("y ")
    w.page.fill("#find", "no such value")
    w.page.press("#find", "Enter")
    assert w.page.get_attribute("#find", "class") == "miss"
    assert_quiet(w)
    w.close()


def _dead_relu() -> Value:
    x = Value(2.0, "x")
    return (x * -1.0).relu() + x  # the relu's gradient is 0: it sends nothing back


def _square() -> Value:
    x = Value(-1.5, "x")
    return x * x  # one op using one input twice: two edges between the same nodes


def _softmax() -> Value:
    zs = [Value(z, f"z[{i}]") for i, z in enumerate((0.5, -1.0, 2.0))]
    return autograd.softmax(zs)[0].log()  # a softmax output depends on every input


@pytest.mark.parametrize("build", [_dead_relu, _square, _softmax])
def test_special_graphs_every_step_matches_the_engine(browser: Any, tmp_path: Path, build: Any) -> None:
    root = build()
    w = open_page(browser, root, tmp_path / "special.html")
    walk_and_check(w, root)
    check_final_gradients(w, root)
    assert_quiet(w)
    w.close()


def test_a_capped_page_steps_through_what_it_shows(browser: Any, tmp_path: Path) -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(20):
        y = (y * 0.9 + x).tanh()  # x feeds every layer: its gradient sums over all of them
    y.label = "y"
    w = open_page(browser, y, tmp_path / "capped.html", max_nodes=25)
    assert "showing 25 of" in w.page.inner_text("#cap")
    walk_and_check(w, y)
    check_final_gradients(w, y)
    assert_quiet(w)
    w.close()


def test_without_code_the_pane_says_why_and_the_rest_works(browser: Any, tmp_path: Path) -> None:
    root = _square()
    w = open_page(browser, root, tmp_path / "nocode.html", code=False)
    assert "the code pane is off" in w.page.inner_text("#code")
    walk_and_check(w, root)
    assert_quiet(w)
    w.close()


def test_notebook_output_runs_in_its_iframe(browser: Any, tmp_path: Path) -> None:
    x = Value(0.5, "x")
    y = (x * 3.0).tanh()
    y.label = "y"
    # What Jupyter does with _repr_html_: the HTML put into the output area of a page.
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><html><body><p>Out[1]:</p>{explore(y)._repr_html_()}</body></html>")
    w = Watched(browser, host)
    w.page.goto(w.url)
    frame = w.page.frame_locator("iframe")
    frame.locator("body[data-ready='1']").wait_for(state="attached", timeout=15_000)
    n = len(topological_order(y)) + 1 + len(autograd.backward_steps(y))
    frame.locator("#next").click()
    assert frame.locator("#counter").inner_text() == f"step 2 of {n}"
    w.page.keyboard.press("End")  # the keys reach the page inside the output once it has focus
    assert frame.locator("#counter").inner_text() == f"step {n} of {n}"
    assert [r for r in w.requests if not r.startswith("about:srcdoc")] == [] and w.errors == []
    w.close()


# --- generated graphs -------------------------------------------------------------------------------------


@settings(max_examples=4, deadline=None)
@given(dags(max_steps=7))
def test_generated_graphs_every_step_matches_the_engine(browser: Any, tmp_path_factory: Any, dag: Dag) -> None:
    nodes = dag.build([Value(x, f"a{i}") for i, x in enumerate(dag.leaves)])
    root = nodes[-1]
    w = open_page(browser, root, tmp_path_factory.mktemp("dag") / "dag.html")
    walk_and_check(w, root)
    check_final_gradients(w, root)
    assert_quiet(w)
    w.close()


# --- figures: size, load time, text size, the screenshot ---------------------------------------------------


def test_page_size_and_load_time(browser: Any, tmp_path: Path) -> None:
    loss, options = tutorial_loss()
    x = Value(0.5, "x")
    y = x
    while len(topological_order(y)) < 2000:
        y = (y * 0.999 + 0.001).tanh()
    for name, root, opts in (("tutorial", loss, options), ("2,000-node chain", y, {})):
        start = time.perf_counter()
        w = open_page(browser, root, tmp_path / "page.html", **opts)
        built = time.perf_counter() - start - w.load_seconds  # type: ignore[attr-defined]
        size = (tmp_path / "page.html").stat().st_size
        print(
            f"\n{name}: {len(topological_order(root))} values, page {size:,} bytes, built in {built:.2f} s, "
            f"loaded and drawn (step 1) in {w.load_seconds:.2f} s"  # type: ignore[attr-defined]
        )
        assert size < 5_000_000  # the times above are figures to read, not asserted (issue 21)
        start = time.perf_counter()
        w.page.keyboard.press("End")
        w.page.keyboard.press("Home")
        print(f"{name}: End then Home in {time.perf_counter() - start:.3f} s")
        assert_quiet(w)
        w.close()


def _text_px(w: Watched) -> dict[str, float]:
    heights = w.page.evaluate(
        "[...document.querySelectorAll('#graph g.node text')].map(t => t.getBoundingClientRect().height)"
    )
    heights.sort()
    return {
        "min": heights[0],
        "median": heights[len(heights) // 2],
        "font": w.page.evaluate("chainruleExplorer.fittedTextPx()"),
    }


def test_tutorial_text_is_legible_fitted_to_a_1440_px_window(browser: Any, tmp_path: Path) -> None:
    loss, options = tutorial_loss()
    w = open_page(browser, loss, tmp_path / "tutorial.html", **options)
    w.page.click("#zoom-fit")
    px = _text_px(w)
    print(
        f"\ntutorial fitted to 1440 px: node text boxes {px['min']:.1f}-{px['median']:.1f} px tall, "
        f"font {px['font']:.1f} px"
    )
    assert_quiet(w)
    w.close()
    # The issue asks for node text of at least ~9 CSS px with the whole graph fitted to 1440 px.
    assert px["median"] >= 9.0 and px["font"] >= 9.0, px


def test_screenshot_mid_backward(browser: Any, tmp_path: Path) -> None:
    loss, options = tutorial_loss()
    w = open_page(browser, loss, tmp_path / "tutorial.html", **options, title="the tutorial's network")
    # The brief's example step: h2_out1 receiving from an output neuron, its sum still open.
    steps = w.record["steps"]  # type: ignore[attr-defined]
    target = next(
        i
        for i, s in enumerate(steps)
        if s["kind"] == "backward" and s["receiverName"] == "h2_out1" and not s["complete"]
    )
    w.page.keyboard.press("Home")
    for _ in range(target):
        w.page.keyboard.press("ArrowRight")
    assert counter(w)[0] == target + 1
    node = next(k for k, n in enumerate(w.record["nodes"]) if n["name"] == "h2_out1")  # type: ignore[attr-defined]
    w.page.locator(f"g.node[data-node='{node}']").dispatch_event("click")
    # Fitted to the width if its text is legible so; else zoomed in (around this step) until it is.
    px = w.page.evaluate("chainruleExplorer.fittedTextPx()")
    for _ in range(max(0, math.ceil(math.log(9.0 / px) / math.log(1.25)))):
        w.page.click("#zoom-in")
    shot = tmp_path / "explorer.png"
    w.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    print(f"\nscreenshot: {shot}")
    if os.environ.get("CHAINRULE_WRITE_DOCS") == "1":
        shutil.copyfile(shot, DOCS / "explorer.png")
    assert_quiet(w)
    w.close()
