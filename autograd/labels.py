r"""The text of pictures: Graphviz escaping, record labels, and where an edge's label goes.

Every piece of text a picture shows (labels, names, op names, titles) goes through :func:`escape_label`
or :func:`escape_field`: it is drawn as the literal text, never read as Graphviz markup. Characters
Graphviz cannot take or would not show (NUL and other control characters, lone surrogates) are
drawn as their escapes (``\x00``, ``\udc80``).

>>> print(escape_field("x{1}|y"))
x\{1\}\|y
>>> print(escape_label("line1\nline2"))
line1\nline2
>>> print(escape_label("a\x00b"))
a\\x00b
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

import graphviz


def visible(text: str) -> str:
    """``text`` with each character that is neither printable nor a line break written as its
    Python escape (``\x00``, ``\udc80``): Graphviz refuses NUL and lone surrogates and shows no
    other control character."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\r\n" else ascii(ch)[1:-1] for ch in text)


def escape_label(text: str, newline: str = "\\n") -> graphviz.quoting.NoHtml:
    """Text for a Graphviz label, shown as is: a backslash starts an escape there, so it is doubled,
    and a line break becomes ``newline`` (Graphviz's ``\\n``, centred; ``\\l`` left-justifies).
    Marked as not HTML, so ``<b>x</b>`` is drawn as those characters."""
    out = visible(text).replace("\\", "\\\\")
    return graphviz.nohtml(out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline))


def wrapped(name: str, width: int) -> str:
    r"""``name`` broken into lines of about ``width`` characters after a top-level ``+`` (outside
    parentheses), for a narrow box: ``log(a)+log(b)`` -> ``log(a)+`` / ``log(b)``.

    >>> wrapped("log(O_out1)+log(1−O_out2)+log(1−O_out3)", 14)
    'log(O_out1)+\nlog(1−O_out2)+\nlog(1−O_out3)'
    """
    lines, line, depth = [], "", 0
    for ch in name:
        line += ch
        depth += (ch == "(") - (ch == ")")
        if ch == "+" and depth == 0 and len(line) >= width // 2:
            lines.append(line)
            line = ""
    return "\n".join([*lines, line] if line else lines)


LEGEND_WIDTH = 96
"""Characters per line of a picture's legend: at the legend's 12 pt, under 700 pt wide (a page column)."""


def legend_label(notes: Sequence[str], width: int = LEGEND_WIDTH) -> graphviz.quoting.NoHtml:
    r"""A picture's legend: each line of each note left-justified, broken between words into lines of
    at most ``width`` characters (a continuation indented by two spaces), escaped.

    >>> print(legend_label(["colour: the sign of the gradient", "  width: its size"], width=20))
    colour: the sign of\l  the gradient\l  width: its size\l
    """
    lines = []
    for note in notes:
        for line in note.splitlines():
            indent = line[: len(line) - len(line.lstrip(" "))]
            lines += textwrap.wrap(line, width, subsequent_indent=indent + "  ", break_on_hyphens=False) or [""]
    return graphviz.nohtml("".join(escape_label(line, "\\l") + "\\l" for line in lines))


def escape_field(text: str) -> str:
    """Text for one field of a record label, where ``{ } | < >`` are structure and must be escaped."""
    out = str(escape_label(text))
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out


def record_label(rows: Sequence[str | Sequence[str]], rankdir: str) -> graphviz.quoting.NoHtml:
    """A record label whose ``rows`` (escaped fields) stack one above the other; a row that is a
    sequence of fields has them side by side (``[["a", "data 1", "grad 0"]]`` is micrograd's
    one-row box). The same in every ``rankdir``: a record's top level runs across the rank
    direction, so top-bottom layouts need the outer braces that flip it."""
    parts = [r if isinstance(r, str) else "{ " + " | ".join(r) + " }" for r in rows]
    label = " | ".join(parts)
    return graphviz.nohtml("{ " + label + " }" if rankdir in ("TB", "BT") else label)


def edge_label(local: float, flowing: float, mode: str, fmt: Callable[[float], str]) -> dict[str, str]:
    if mode == "local":
        return {"label": escape_label(fmt(local))}
    if mode == "flow":
        return {"label": escape_label(f"g {fmt(flowing)}")}
    if mode == "both":
        return {"label": escape_label(f"d {fmt(local)}") + "\\n" + escape_label(f"g {fmt(flowing)}")}
    return {}


def placed_label(attrs: dict[str, str], source_color: str | None, compact: bool, downward: bool) -> dict[str, str]:
    """Where an input edge's label goes. An edge from a Value that several operations use (it fans
    out and crosses others) takes its source's colour; in a compact (columned) picture its label is
    an ``xlabel`` and any other label sits at the edge's tail, where only that edge starts, so that
    labels take no rank of their own. The tail label is turned towards the operation (``downward``:
    the edge runs down to it), away from the neighbouring boxes. No ports: edge names stay
    ``v{j} -> o{i}``."""
    if "label" not in attrs:
        return {"color": source_color} if source_color is not None else attrs
    if source_color is not None:
        placed = {"xlabel": attrs["label"]} if compact else dict(attrs)
        placed["color"] = placed["fontcolor"] = source_color
        return placed
    if compact:
        angle = "25" if downward else "-25"
        return {"taillabel": attrs["label"], "labeldistance": "2.8", "labelangle": angle}
    return attrs


# --- only labels that fit ----------------------------------------------------------------------------

_SVG = "{http://www.w3.org/2000/svg}"
Box = tuple[float, float, float, float]


def fit_edge_labels(svg: str) -> tuple[str, int]:
    """Graphviz's ``svg`` without the edge labels that would cover a node or a label kept before them
    (in drawing order), and how many edges lost their label: only labels that fit are drawn. The
    rest of the text is left byte for byte as Graphviz wrote it.

    >>> svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g class="node"><title>a</title>'
    ...        '<polygon points="0,0 40,0 40,-20 0,-20"/></g><g id="e1" class="edge"><title>a->b</title>'
    ...        '<text text-anchor="start" x="10" y="-5" font-size="10.00">1.5</text></g></svg>')
    >>> fit_edge_labels(svg)[1], "1.5" in fit_edge_labels(svg)[0]
    (1, False)
    """
    root = ET.fromstring(svg)
    groups = [g for g in root.iter(_SVG + "g") if g.get("class") in ("node", "edge")]
    nodes = [_shape_box(g) for g in groups if g.get("class") == "node"]
    kept: list[Box] = []
    dropped = []
    for g in groups:
        texts = g.findall(_SVG + "text") if g.get("class") == "edge" else []
        boxes = [_text_box(t) for t in texts]
        if any(_overlap(b, other) for b in boxes for other in (*nodes, *kept) if other is not None):
            dropped.append(g.get("id", ""))
        else:
            kept += boxes
    if not dropped:
        return svg, 0
    gone = set(dropped)

    def strip(m: re.Match[str]) -> str:
        return re.sub(r"<text\b[^>]*>.*?</text>\n?", "", m.group(0), flags=re.S) if m.group(1) in gone else m.group(0)

    return re.sub(r'<g id="([^"]*)" class="edge">.*?</g>', strip, svg, flags=re.S), len(dropped)


def _text_box(t: ET.Element) -> Box:
    # Courier, the pictures' font, advances 0.6 em a character; the box runs from ascender to descender.
    size, x, y = float(t.get("font-size", "14")), float(t.get("x", "0")), float(t.get("y", "0"))
    width = len(t.text or "") * 0.6 * size
    anchor = t.get("text-anchor", "start")
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return (left, y - 0.8 * size, left + width, y + 0.25 * size)


def _shape_box(g: ET.Element) -> Box | None:
    points: list[float] = []
    for shape in g:
        if shape.tag == _SVG + "ellipse":
            cx, cy, rx, ry = (float(shape.get(k, "0")) for k in ("cx", "cy", "rx", "ry"))
            points += [cx - rx, cy - ry, cx + rx, cy + ry]
        elif shape.tag in (_SVG + "polygon", _SVG + "path"):
            points += [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points") or shape.get("d") or "")]
    if not points:
        return None
    xs, ys = points[0::2], points[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
