"""The explorer page: the record as JSON, and the script that draws it and the styles, in one HTML file.

The script (``explorer.js``, with the panels' text in ``panels.js``), styles (``explorer.css``, its colours
the CSS variables of :func:`autograd.colors.css_variables`) and
skeleton (``template.html``) are package data files beside this module; :meth:`Explorer.html`
inlines them, so the page makes no request of any kind and works from ``file://``, offline, and
inside a notebook (through an iframe's ``srcdoc``).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..colors import PALETTE, css_variables
from ..value import Value, value_list
from .code import written_out
from .network import Network
from .record import DEFAULT_DIGITS, DEFAULT_FLOOR, build_record, check_digits
from .scale import check_floor

_PLACEHOLDER = re.compile(r"/\*@(\w+)@\*/|<!--@(\w+)@-->")


class Explorer:
    """A step-through page for one graph: ``save_html(path)``, or shown inline in Jupyter.

    Built by :func:`explore`. ``record`` is the page's data (nodes, where each view draws them,
    steps, legend, code), fixed when the explorer is made; the page's script draws from it alone.
    """

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record

    def __repr__(self) -> str:
        return f"Explorer({len(self.record['nodes'])} values, {len(self.record['steps'])} steps)"

    @property
    def n_steps(self) -> int:
        """How many steps the page has (forward, seed and backward): its ``step i of N``."""
        return len(self.record["steps"])

    def html(self) -> str:
        """The whole page as one self-contained HTML document."""
        data = script_json(self.record)
        parts = {
            "title": html.escape(self.record["title"] or f"chainrule explorer: {self.record['root']['name']}"),
            "palette": css_variables(),  # the one palette, before the sheet that reads it
            "css": _asset("explorer.css"),
            "data": data,
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
        style = f"width:100%;height:760px;border:1px solid {PALETTE['rule']}"
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
    labels: Mapping[Value, str] | None = None,
    notes: Mapping[Value, str] | None = None,
    network: Network | None = None,
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
        code: show the backward pass written out (:func:`autograd.replay.written`) below the picture.
        params: Values styled as parameters (``model.parameters()``).
        title: a heading for the page.
        labels: a name per Value, used everywhere on the page instead of the derived one.
        notes: a line of text per Value, shown in its record (the lesson's printed numbers).
        network: the units and weights of a network view (``nn.draw.explore`` gives one); the
            page then opens in that view, and ``v`` switches to the graph of Values.

    Raises TypeError or ValueError naming the option when one is not what it accepts, and
    ValueError when a gradient of the graph overflows (``backward()`` refuses such a graph too).

    >>> from autograd import Value
    >>> a, b = Value(2.0, "a"), Value(-3.0, "b")
    >>> c = a * b; c.label = "c"
    >>> page = explore(c)
    >>> page.n_steps                     # 1 operation, the seed, 2 chain-rule steps
    4
    >>> page.record["steps"][-1]["upstream"], page.record["steps"][-1]["local"]
    ('1', '2')
    """
    if not isinstance(root, Value):
        raise TypeError(f"explore takes the output Value of a graph, not {type(root).__name__}: {root!r}")
    check_digits(digits)  # every option is checked before any work: a bad one fails fast
    check_floor(floor)
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None (no cap), not {max_nodes!r}")
    if not isinstance(code, bool):
        raise TypeError(f"code must be True or False (show the code pane or not), not {code!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, not {type(title).__name__}: {title!r}")
    if network is not None and not isinstance(network, Network):
        raise TypeError(f"network must be an autograd.explorer.Network (nn.draw.explore makes one), not {network!r}")
    params = [params] if isinstance(params, Value) else value_list(params, "explore's params")
    labels = _text_per_value(labels, "labels")
    notes = _text_per_value(notes, "notes")
    record = build_record(
        root,
        max_nodes=max_nodes,
        digits=digits,
        floor=floor,
        params=params,
        labels=labels,
        notes=notes,
        network=network,
        code=(lambda names: written_out(root, names)) if code else None,
        title=title or "",
    )
    return Explorer(record)


def _text_per_value(given: Mapping[Value, str] | None, what: str) -> dict[Value, str]:
    """A copy of a Value -> str mapping, checked: what else was passed is named."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise TypeError(f"{what} must be a mapping from Values to str, not {type(given).__name__}")
    for key, text in given.items():
        if not isinstance(key, Value) or not isinstance(text, str):
            raise TypeError(f"{what} maps Values to str; got {key!r}: {text!r}")
    return dict(given)


# Characters that could change how the HTML parser reads a script element ("</script", "<!--"),
# or end a JavaScript string (U+2028/2029 in older engines): written as JSON escapes instead.
_UNSAFE_IN_SCRIPT = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data: Any) -> str:
    """``data`` as JSON that is inert inside an HTML ``<script>`` element, whatever its strings hold.

    >>> script_json({"label": "</script><!--"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _UNSAFE_IN_SCRIPT[m.group()], text)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
