"""The explorer page: the graph's SVG, the record as JSON, and the script and styles, in one HTML file.

The script (``explorer.js``, with the panels' text in ``panels.js``), styles (``explorer.css``) and
skeleton (``template.html``) are package data files beside this module; :meth:`Explorer.html`
inlines them, so the page makes no request of any kind and works from ``file://``, offline, and
inside a notebook (through an iframe's ``srcdoc``).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from ..steps import backward_steps
from ..value import Value, value_list
from .code import written_out
from .record import BOX_DIGITS, DEFAULT_DIGITS, DEFAULT_FLOOR, build_record, check_digits, significant
from .scale import check_floor

# draw_graph options the explorer sets itself: the page rewrites those parts of the picture per step.
_OWN_OPTIONS = ("show_grad", "edge_labels", "flow", "legend", "precision", "number_format")
_ZERO_WIDTH = 7  # characters a zero takes in a box: room for a running sum like -0.3642
_PLACEHOLDER = re.compile(r"/\*@(\w+)@\*/|<!--@(\w+)@-->")


class Explorer:
    """A step-through page for one graph: ``save_html(path)``, or shown inline in Jupyter.

    Built by :func:`explore`. ``record`` is the page's data (nodes, steps, legend, code) and
    ``svg`` the picture it animates; both are fixed when the explorer is made.
    """

    def __init__(self, record: dict[str, Any], svg: str) -> None:
        self.record = record
        self.svg = svg

    def __repr__(self) -> str:
        return f"Explorer({len(self.record['nodes'])} values, {len(self.record['steps'])} steps)"

    @property
    def n_steps(self) -> int:
        """How many steps the page has (forward, seed and backward): its ``step i of N``."""
        return len(self.record["steps"])

    def html(self) -> str:
        """The whole page as one self-contained HTML document."""
        data = json.dumps(self.record, separators=(",", ":"), allow_nan=False)
        parts = {
            "title": html.escape(self.record["title"] or f"chainrule explorer: {self.record['root']['name']}"),
            "css": _asset("explorer.css"),
            "svg": self.svg,
            # "</" would end the script element early; "<\/" is the same JSON string.
            "data": data.replace("</", "<\\/"),
            "panels": _asset("panels.js"),
            "js": _asset("explorer.js"),
        }
        return _PLACEHOLDER.sub(lambda m: parts[m.group(1) or m.group(2)], _asset("template.html"))

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (parent folders created) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.html(), encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        # A notebook runs no script placed in its output directly; an iframe's srcdoc does.
        doc = html.escape(self.html(), quote=True)
        style = "width:100%;height:760px;border:1px solid #ddd"
        return f'<iframe srcdoc="{doc}" style="{style}" title="chainrule explorer"></iframe>'


def explore(
    root: Value,
    *,
    max_nodes: int | None = 500,
    digits: int = DEFAULT_DIGITS,
    floor: float = DEFAULT_FLOOR,
    code: bool = True,
    params: Iterable[Value] = (),
    title: str | None = None,
    **options: Any,
) -> Explorer:
    """A step-through page for the graph that produced ``root``: forward, then backward one
    chain-rule contribution at a time, in the engine's order.

    Args:
        root: the output Value. Its graph is read, never changed (``.grad`` is not touched: the
            page shows the sweep of :func:`autograd.backward_steps`).
        max_nodes: show at most this many Values (those nearest the output; 500, as
            ``draw_graph``); the page says what was left out. None shows everything.
        digits: significant digits of every number in the page's panels (boxes show 4).
        floor: magnitudes below ``floor`` x the largest gradient are drawn at the faintest colour.
        code: show the backward pass written out (:func:`autograd.replay.trace`) beside the steps.
        params: Values styled as parameters (``model.parameters()``).
        title: a heading for the page.
        **options: passed on to :func:`autograd.draw.draw_graph` (``rankdir``, ``cluster``, ...).

    >>> from autograd import Value
    >>> a, b = Value(2.0, "a"), Value(-3.0, "b")
    >>> c = a * b; c.label = "c"
    >>> page = explore(c)
    >>> page.n_steps                     # 3 values appear, the seed, 2 chain-rule steps
    6
    >>> page.record["steps"][-1]["upstream"], page.record["steps"][-1]["local"]
    ('1', '2')
    """
    # Imported here, not at the top: autograd.draw re-exports explore, so either module may be
    # imported first without a circular import.
    from ..draw import draw_graph

    if not isinstance(root, Value):
        raise TypeError(f"explore takes the output Value of a graph, not {type(root).__name__}: {root!r}")
    check_digits(digits)  # before the picture is drawn: a bad option fails fast
    check_floor(floor)
    clash = sorted(set(options) & set(_OWN_OPTIONS))
    if clash:
        raise TypeError(
            f"explore sets {', '.join(clash)} itself (the page draws numbers and colours per step); "
            "other draw_graph options (rankdir, cluster, ...) are passed on"
        )
    params = [params] if isinstance(params, Value) else value_list(params, "explore's params")
    steps = backward_steps(root)
    picture = draw_graph(
        root,
        max_nodes=max_nodes,
        params=params,
        show_grad=True,
        edge_labels="local",
        legend=False,
        number_format=_box_number,
        **options,
    )
    svg = picture.svg()
    drawn = {int(i) for i in re.findall(r"<title>v(\d+)</title>", svg)}
    traced, note = written_out(root) if code else (None, "the code pane is off (explore(..., code=False))")
    record = build_record(
        root,
        drawn=drawn,
        digits=digits,
        floor=floor,
        params={id(p) for p in params},
        steps=steps,
        code=traced,
        code_note=note,
        title=title or "",
        max_nodes=max_nodes,
    )
    return Explorer(record, _inline_svg(svg))


def _box_number(x: float) -> str:
    # Graphviz sizes each box for the text drawn now, and before backward() every grad is 0: a
    # zero is padded (with "_", which the page's script strips; Graphviz measures a no-break
    # space as two characters) so the running sums the page writes there later fit. A rarer
    # wider number is narrowed by the script to its box.
    text = significant(x, BOX_DIGITS)
    return text.center(_ZERO_WIDTH, "_") if x == 0.0 else text


def _inline_svg(svg: str) -> str:
    """The SVG element alone (no XML declaration, doctype or comments), ready to sit in HTML."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    return re.sub(r"<!--.*?-->\n?", "", body, flags=re.S)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
