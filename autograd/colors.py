"""How pictures write numbers and colour gradients: one implementation for every view.

* :func:`significant` — a number with significant digits, for tables and panels.
* :func:`number_formatter` — significant digits: ``2.0000`` for ordinary numbers, ``0.0003124`` or
  ``2e-18`` where a fixed format would print ``0.0000``; never ``-0.0000``.
* :class:`FlowScale` — a diverging scale for signed gradients: red for positive, blue for negative,
  darker and wider the larger ``|g|`` on a log scale. Its range runs from the largest magnitude down
  to at most :data:`FLOOR` times it, so one stray 2e-18 does not wash every other edge out.

>>> scale = FlowScale.of([0.5, -2.0, 2e-18])
>>> scale.lo, scale.hi                      # the floor, not 2e-18
(2e-06, 2.0)
>>> scale.color(2.0), scale.color(-2.0)     # same size, opposite signs: two hues
('#67001f', '#053061')
>>> fmt = number_formatter(4)
>>> fmt(2.0), fmt(0.0003124), fmt(-0.0), fmt(2e-18)
('2.0000', '0.0003124', '0.0000', '2e-18')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

FLOOR = 1e-6
"""Magnitudes below FLOOR x the largest are drawn like the floor itself (the legend says so)."""

# Diverging palettes (ColorBrewer RdBu ends): pale for the smallest magnitude to dark for the largest.
POSITIVE_PALETTE = ((244, 165, 130), (214, 96, 77), (178, 24, 43), (103, 0, 31))
NEGATIVE_PALETTE = ((146, 197, 222), (67, 147, 195), (33, 102, 172), (5, 48, 97))
ZERO_FLOW_COLOR = "#b0b0b0"
MIN_WIDTH, MAX_WIDTH = 0.75, 6.0


@dataclass(frozen=True)
class FlowScale:
    """A log scale of gradient magnitudes from ``lo`` to ``hi``, coloured by sign.

    ``position(g)`` is 0 at ``lo`` and 1 at ``hi`` (clamped: smaller magnitudes sit at 0); ``color``
    darkens and ``width`` grows with it, red for ``g > 0`` and blue for ``g < 0``. Exactly zero is
    dashed grey (``ZERO_FLOW_COLOR``).
    """

    lo: float
    hi: float

    @classmethod
    def of(cls, gradients: Iterable[float], floor: float = FLOOR) -> FlowScale | None:
        """The scale for these (signed) ``gradients``: from max(smallest, ``floor`` x largest) to the
        largest non-zero magnitude; None if every one is zero."""
        nonzero = [abs(g) for g in gradients if g != 0.0]
        if not nonzero:
            return None
        hi = max(nonzero)
        return cls(max(min(nonzero), hi * floor), hi)

    def position(self, gradient: float) -> float:
        """Where ``|gradient|`` sits between ``lo`` (0.0) and ``hi`` (1.0) on a log scale, clamped."""
        m = abs(gradient)
        if m == 0.0:
            return 0.0
        lo, hi = math.log10(self.lo), math.log10(self.hi)
        if hi <= lo:  # one magnitude only (or two a rounding apart: their logs can be equal)
            return 1.0
        return min(1.0, max(0.0, (math.log10(m) - lo) / (hi - lo)))

    def color(self, gradient: float) -> str:
        """``#rrggbb``: red shades for positive, blue for negative, darker when larger; grey for zero."""
        if gradient == 0.0:
            return ZERO_FLOW_COLOR
        palette = POSITIVE_PALETTE if gradient > 0 else NEGATIVE_PALETTE
        t = self.position(gradient) * (len(palette) - 1)
        k = min(int(t), len(palette) - 2)
        frac = t - k
        rgb = [round(a + (b - a) * frac) for a, b in zip(palette[k], palette[k + 1])]
        return "#{:02x}{:02x}{:02x}".format(*rgb)

    def width(self, gradient: float) -> float:
        """Pen width (points) for a gradient of this size, from MIN_WIDTH to MAX_WIDTH."""
        if gradient == 0.0:
            return MIN_WIDTH
        return round(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * self.position(gradient), 2)

    def edge_attrs(self, gradient: float) -> dict[str, str]:
        """Graphviz edge attributes (colour, width, dashed when zero) for this gradient; the label's
        font takes the edge's colour, so a label is matched to its edge where edges cross."""
        color = self.color(gradient)
        attrs = {"color": color, "fontcolor": color, "penwidth": f"{self.width(gradient):.2f}"}
        if gradient == 0.0:
            attrs["style"] = "dashed"
        return attrs

    def note(self, what: str = "|gradient flowing|") -> str:
        """Two lines for the legend: what colour and width mean, and the range of the scale."""
        fmt = number_formatter(3)
        return (
            f"edge colour: sign of the gradient, red + / blue -; darker and wider = larger {what};"
            f" dashed grey = exactly zero\n"
            f"  log scale from {fmt(self.lo)} to {fmt(self.hi)}; a magnitude below {FLOOR:g} x the largest "
            f"is drawn like {fmt(self.lo)}"
        )


def significant(x: float, digits: int = 7) -> str:
    """``x`` with ``digits`` significant digits (``0.05161977``, ``1.5e-18``), never ``-0``: how the
    explorer's panels, the walkthrough's tables and diagnose's reports write a number.

    >>> significant(0.051619771234), significant(-0.0), significant(2e-18, 4)
    ('0.05161977', '0', '2e-18')
    """
    return format(x + 0.0, f".{digits}g")  # + 0.0 turns -0.0 into 0.0


def number_formatter(
    precision: int = 4, number_format: str | Callable[[float], str] | None = None
) -> Callable[[float], str]:
    """The function that writes every number of a picture.

    ``number_format`` may be a format spec (``".3g"``, ``".2e"``) or a callable float -> str. Without
    it, numbers from 0.01 to 1e6 get ``precision`` digits after the point (``2.0000``) and the others
    ``precision`` significant digits (``0.0003124``, ``2e-18``), so no non-zero number prints as
    zero; an exact zero prints ``0.0000`` (``-0.0`` too).
    """
    if number_format is None:
        if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 17:
            raise ValueError(f"precision must be an int from 0 to 17, got {precision!r}")
        fixed, significant = f".{precision}f", f".{max(precision, 1)}g"
        small = 10.0 ** -max(precision - 2, 0)

        def default(x: float) -> str:
            m = abs(x)
            if m == 0.0 or small <= m < 1e6 or not math.isfinite(m):
                return format(x + 0.0, fixed)  # + 0.0 turns -0.0 into 0.0
            return format(x, significant)

        return default
    if isinstance(number_format, str):
        spec = number_format
        try:
            format(1.5, spec)
        except ValueError as err:
            raise ValueError(f"number_format {spec!r} is not a float format spec like '.4f' or '.3g': {err}") from None

        def fmt(x: float) -> str:
            return format(x + 0.0, spec)

        return fmt
    if callable(number_format):
        user = number_format

        def call(x: float) -> str:
            text = user(x)
            if not isinstance(text, str):
                raise TypeError(f"number_format must return a str, returned {type(text).__name__}: {text!r}")
            return text

        return call
    raise TypeError(f"number_format must be a format spec str or a callable, not {type(number_format).__name__}")
