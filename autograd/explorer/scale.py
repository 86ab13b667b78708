"""The explorer's colours: a diverging scale for gradients, by sign and by size.

Negative gradients are blue and positive ones red (the usual "RdBu" convention); the size sets
how deep the colour is and how wide an edge is drawn, on a log scale from the largest magnitude
down to ``floor`` times it. Magnitudes below that floor (a 2e-18 beside 0.3, say) are drawn at
the faintest step instead of stretching the scale until everything else looks the same; an exact
zero is grey. Colours come from :mod:`autograd.colors` (the pictures' palette), worked out in Python
and shipped to the page as strings.

>>> from autograd.colors import PALETTE
>>> scale = DivergingScale.of([0.5, -2.0])
>>> scale.edge_color(-2.0) == PALETTE["neg"], scale.width(-2.0), scale.width(0.5) < scale.width(2.0)
(True, 6.0, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..colors import FlowScale

DEFAULT_FLOOR = 1e-6


@dataclass(frozen=True)
class DivergingScale:
    """The pictures' :class:`~autograd.colors.FlowScale` (its log range, position and colours: one
    implementation, one palette), with what the page adds: the floor and its count, CSS widths."""

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
        return self.flow.color(value)

    def fill(self, value: float) -> str:
        """Fill colour of a node holding this gradient (pale grey for zero)."""
        return self.flow.fill(value)

    def width(self, value: float) -> float:
        """Stroke width (CSS px) of an edge carrying this gradient."""
        return self.flow.width(value)

    def legend(self, fmt: Callable[[float], str]) -> dict[str, str]:
        """The words the page's legend shows for this scale (its colours are the palette's CSS variables)."""
        note = (
            f"|gradient| on a log scale from {fmt(self.lo)} (faint, thin) to {fmt(self.hi)} (deep, wide); "
            f"magnitudes below {self.floor:g} × the largest ({fmt(self.hi * self.floor)}) are drawn faintest"
        )
        if self.below_floor:
            note += f" ({self.below_floor} here)"
        return {"note": note}


def check_floor(floor: float) -> None:
    """Raise unless ``floor`` is a fraction strictly between 0 and 1."""
    if not (isinstance(floor, float | int) and not isinstance(floor, bool) and 0.0 < floor < 1.0):
        raise ValueError(f"floor must be a number between 0 and 1 (a fraction of the largest gradient), not {floor!r}")
