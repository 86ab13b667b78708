"""Where each box of the explorer's graph view goes: ranks left to right, rows top to bottom.

The page draws the graph itself (no Graphviz: a 500-Value picture is placed here in milliseconds),
from boxes given in abstract units where the page's text is :data:`FONT` units high. The page
scales the whole drawing to its pane, so the units only fix proportions.

* rank: an operation one right of its rightmost input; a leaf one left of its leftmost consumer
  (weights sit beside the neuron they feed, not in a column of their own);
* row: rank by rank, sorted by the mean row of the neighbours already placed (a few sweeps each
  way, the usual barycentre heuristic), ties kept in topological order, so the same graph is
  always placed the same way;
* a box is three lines (name, data, gradient), as wide as its longest line;
* a rank taller than the rest is staggered into ``lanes`` side by side (box ``m`` of the rank in
  lane ``m mod lanes``, half a pitch lower than the one before it), the number of lanes chosen so
  the whole drawing fits a pane of :data:`ASPECT` (width / height) at the largest scale.

>>> from autograd import Value
>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b
>>> boxes = place([a, b, c], {a: 0, b: 1, c: 2}, lambda k: (f"v{k}", "2", "0"))
>>> [(box["rank"], box["row"]) for box in boxes]
[(0, 0), (0, 1), (1, 0)]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..value import Value

FONT = 12.0  # text height, in the drawing's units
CHAR = 0.62 * FONT  # a monospace character's advance
LINE = 1.3 * FONT
PAD = 0.5 * FONT
RANK_GAP = 2.0 * FONT  # room between ranks for the edges (narrow enough for the tutorial's graph at >= 9 px)
ROW_GAP = 0.7 * FONT
SWEEPS = 4
ASPECT = 1.6  # the picture's pane on a 1440x900 or 1280x720 screen, beside the docked panel
MAX_LANES = 8


def place(
    values: Sequence[Value], index: Mapping[Value, int], texts: Callable[[int], tuple[str, ...]]
) -> list[dict[str, Any]]:
    """A box per Value of ``values`` (topological order; edges only among them): its rank, row and
    ``x, y, w, h`` in drawing units. ``index[v]`` is v's position in ``values``; ``texts(k)`` the
    lines box ``k`` shows (for its width)."""
    n = len(values)
    rank = [0] * n
    for k, v in enumerate(values):  # inputs come first in topological order
        rank[k] = max((rank[index[i]] + 1 for i in v.inputs if i in index), default=0)
    users: list[list[int]] = [[] for _ in range(n)]
    for k, v in enumerate(values):
        for i in v.inputs:
            if i in index and (not users[index[i]] or users[index[i]][-1] != k):
                users[index[i]].append(k)
    for k in reversed(range(n)):  # a leaf moves right, next to its first consumer
        if not values[k].inputs and users[k]:
            rank[k] = max(rank[k], min(rank[u] for u in users[k]) - 1)
    ranks: list[list[int]] = [[] for _ in range(max(rank, default=0) + 1)]
    for k in range(n):
        ranks[rank[k]].append(k)
    feeds = [[index[i] for i in v.inputs if i in index] for v in values]
    _order(ranks, feeds, users)
    width = [CHAR * max(len(t) for t in texts(k)) + 2 * PAD for k in range(n)]
    height = 3 * LINE + PAD
    pitch = height + ROW_GAP
    rank_width = [max((width[k] for k in members), default=0.0) for members in ranks]

    def extent(most: int) -> tuple[float, float, list[int]]:
        """Width, height and lanes per rank when no lane holds more than ``most`` boxes."""
        lanes = [min(MAX_LANES, -(-len(m) // most)) for m in ranks]
        w = sum(rw * c + RANK_GAP * c for rw, c in zip(rank_width, lanes)) - RANK_GAP
        h = max(len(m) / c for m, c in zip(ranks, lanes)) * pitch
        return w, h, lanes

    def scale(most: int) -> float:
        w, h, _ = extent(most)
        return min(ASPECT / w, 1.0 / h)

    tallest = max((len(m) for m in ranks), default=1)
    _, total_height, lanes = extent(max(range(1, tallest + 1), key=lambda m: (scale(m), m)))
    boxes: list[dict[str, Any]] = [{} for _ in range(n)]
    x = 0.0
    for r, members in enumerate(ranks):
        c = lanes[r]
        top = (total_height - len(members) / c * pitch) / 2  # each rank centred vertically
        for m, k in enumerate(members):
            boxes[k] = {
                "rank": r,
                "row": m,
                "x": round(x + (m % c) * (rank_width[r] + RANK_GAP) + (rank_width[r] - width[k]) / 2, 1),
                "y": round(top + m * pitch / c, 1),
                "w": round(width[k], 1),
                "h": round(height, 1),
            }
        x += c * (rank_width[r] + RANK_GAP)
    return boxes


def _order(ranks: list[list[int]], feeds: list[list[int]], users: list[list[int]]) -> None:
    """Sort each rank in place by the mean row of its neighbours in the rank just placed."""
    row = {k: r for members in ranks for r, k in enumerate(members)}

    def sweep(sequence: Sequence[list[int]], neighbours: list[list[int]]) -> None:
        for members in sequence:
            def key(k: int) -> tuple[float, int]:
                near = [row[j] for j in neighbours[k]]
                return (sum(near) / len(near) if near else row[k], k)

            members.sort(key=key)
            row.update({k: r for r, k in enumerate(members)})

    for _ in range(SWEEPS):
        sweep(ranks[1:], feeds)
        sweep(list(reversed(ranks[:-1])), users)
