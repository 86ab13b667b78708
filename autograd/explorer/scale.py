"""The explorer's colours: a diverging scale for gradients, by sign and by size.

Negative gradients are blue and positive ones red (the usual "RdBu" convention); the size sets
how deep the colour is and how wide an edge is drawn, on a log scale from the largest magnitude
down to ``floor`` times it. Magnitudes below that floor (a 2e-18 beside 0.3, say) are drawn at
the faintest step instead of stretching the scale until everything else looks the same; an exact
zero is grey. Colours are worked out here, in Python, and shipped to the page as strings.

>>> scale = DivergingScale.of([0.5, -2.0])
>>> scale.edge_color(-2.0), scale.width(-2.0), scale.width(0.5) < scale.width(2.0)
('#2166ac', 6.0, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..colors import FlowScale

# (faint, deep) ends of each hue: edges need strong colour (the faint end still clearly a colour, not
# the grey of "nothing sent"), node fills must keep black text readable.
_EDGE = {+1: ((240, 170, 145), (178, 24, 43)), -1: ((150, 190, 228), (33, 102, 172))}
_FILL = {+1: ((255, 240, 233), (244, 165, 130)), -1: ((236, 244, 251), (146, 197, 222))}
ZERO_COLOR = "#9a9a9a"
ZERO_FILL = "#f4f4f4"
MIN_WIDTH, MAX_WIDTH = 1.0, 6.0
DEFAULT_FLOOR = 1e-6


@dataclass(frozen=True)
class DivergingScale:
    """The pictures' :class:`~autograd.colors.FlowScale` (its log range and position, one
    implementation), with the page's own colours: edge strokes, and pale fills for node boxes."""

    flow: FlowScale
    floor: float
    below_floor: int  # how many of the magnitudes the scale was made from lie under the floor

    @classmethod
    def of(cls, values: Iterable[float], floor: float = DEFAULT_FLOOR) -> DivergingScale:
        """The scale for these gradients: from their largest magnitude down to ``floor`` x it."""
        check_floor(floor)
        mags = [abs(v) for v in values if v != 0.0]
        flow = FlowScale.of(mags, floor) or FlowScale(1.0, 1.0)
        return cls(flow, float(floor), sum(1 for m in mags if m < flow.hi * floor))

    @property
    def lo(self) -> float:
        return self.flow.lo

    @property
    def hi(self) -> float:
        return self.flow.hi

    def position(self, value: float) -> float:
        """0.0 (faintest) to 1.0 (deepest) for ``|value|``; below ``lo`` (the floor) counts as 0.0."""
        return self.flow.position(value)

    def edge_color(self, value: float) -> str:
        """Stroke colour of an edge carrying this gradient (grey for zero)."""
        return ZERO_COLOR if value == 0.0 else _mix(_EDGE[_sign(value)], self.position(value))

    def fill(self, value: float) -> str:
        """Fill colour of a node holding this gradient (pale grey for zero)."""
        return ZERO_FILL if value == 0.0 else _mix(_FILL[_sign(value)], self.position(value))

    def width(self, value: float) -> float:
        """Stroke width (CSS px) of an edge carrying this gradient."""
        return round(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * self.position(value), 2)

    def legend(self, fmt: Callable[[float], str]) -> dict[str, str]:
        """The colours and words the page's legend shows for this scale."""
        note = (
            f"|gradient| on a log scale from {fmt(self.lo)} (faint, thin) to {fmt(self.hi)} (deep, wide); "
            f"magnitudes below {self.floor:g} × the largest ({fmt(self.hi * self.floor)}) are drawn faintest"
        )
        if self.below_floor:
            note += f" ({self.below_floor} here)"
        return {
            "note": note,
            "negative": _mix(_EDGE[-1], 1.0),
            "negativeFaint": _mix(_EDGE[-1], 0.0),
            "positive": _mix(_EDGE[+1], 1.0),
            "positiveFaint": _mix(_EDGE[+1], 0.0),
            "zero": ZERO_COLOR,
        }


def check_floor(floor: float) -> None:
    """Raise unless ``floor`` is a fraction strictly between 0 and 1."""
    if not (isinstance(floor, float | int) and not isinstance(floor, bool) and 0.0 < floor < 1.0):
        raise ValueError(f"floor must be a number between 0 and 1 (a fraction of the largest gradient), not {floor!r}")


def _sign(value: float) -> int:
    return 1 if value > 0.0 else -1


def _mix(ends: tuple[tuple[int, int, int], tuple[int, int, int]], t: float) -> str:
    (a, b) = ends
    return "#{:02x}{:02x}{:02x}".format(*(round(x + (y - x) * t) for x, y in zip(a, b)))
