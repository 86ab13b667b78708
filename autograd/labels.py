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
