"""The backward pass written out (:mod:`autograd.replay`), and where each chain-rule step sits in it.

The page shows the replay's generated code beside the picture. For each Value it needs the lines
computing its value and its gradient (:func:`autograd.replay.node_lines`), and for each backward
step the one term of the gradient's sum that step adds: ``d_h2_out1 = W_k1l3 * d_O_in3 + ...``
adds its terms in the order backward() does, one per consumer, so term k is the receiver's k-th step.

>>> gradient_terms(["d_x = a * d_y + (b + c) * d_z"], (1,))
[(1, 6, 13), (1, 16, 29)]
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import replay
from ..sweep import topological_order
from ..value import Value

Span = tuple[int, int, int]  # (1-based line, start column, end column) of one term


@dataclass(frozen=True)
class Code:
    """A replay's source; per node (topological order) its lines and the spans of its gradient's terms."""

    source: str
    lines: list[replay.NodeLines]
    terms: list[list[Span]]


def written_out(root: Value) -> tuple[Code | None, str]:
    """The backward pass of ``root``'s graph as code, or None and the reason it could not be written."""
    leaves = [v for v in topological_order(root) if v.is_leaf]
    # Named leaves are read as params (so each gets a gradient line); unnamed ones are constants
    # written into the code, as a reader would write them. No names at all: every leaf is a param.
    params = [v for v in leaves if v.label] or leaves
    try:
        step = replay.trace(root, params=params)
    except Exception as err:  # any failure only costs the code pane; the page says why
        return None, f"the backward pass could not be written out as code here ({type(err).__name__}: {err})"
    where = replay.node_lines(step)
    text = step.source.splitlines()
    return Code(step.source, where, [gradient_terms(text, w.gradient) for w in where]), ""


def gradient_terms(text: list[str], numbers: tuple[int, ...]) -> list[Span]:
    """The terms of a gradient's sum, in order, over its statements ``d_x = t1 + t2`` and
    ``d_x = d_x + t3 + ...`` (a long sum is split). Terms never hold a top-level `` + ``: a local
    derivative looser than ``*`` is parenthesised by the code writer."""
    spans: list[Span] = []
    for k, n in enumerate(numbers):
        line = text[n - 1]
        target, _, _ = line.strip().partition(" = ")
        start = line.index(" = ") + 3
        if k > 0 and line.startswith(f"{target} + ", start):  # a continuation: d_x = d_x + ...
            start += len(target) + 3
        depth, begin = 0, start
        for col in range(start, len(line) + 1):
            ch = line[col] if col < len(line) else "+"
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif depth == 0 and (col == len(line) or line.startswith(" + ", col - 1)) and ch == "+":
                spans.append((n, begin, col - 1 if col < len(line) else col))
                begin = col + 2
    return spans
