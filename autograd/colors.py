"""The one palette of every picture and of the explorer page, the gradient colour scale, and how numbers are written.

* :data:`PALETTE` — every colour the pictures and the page use, by name; :func:`css_variables`
  writes it as the page's ``:root`` block (``var(--pos)`` in CSS is ``PALETTE["pos"]`` here).
* :class:`FlowScale` — a diverging scale for signed gradients: red for positive, blue for negative,
  darker and wider the larger ``|g|`` on a log scale. Its range runs from the largest magnitude down
  to at most :data:`FLOOR` times it, so one stray 2e-18 does not wash every other edge out. Its
  faintest colour is still clearly a hue (non-zero); exactly zero is dashed grey (``zero``), and
  marks that are not on the scale (constants, edges not sent yet) are ``neutral``.
* :func:`significant` and :func:`number_formatter` — how numbers are written.

>>> scale = FlowScale.of([0.5, -2.0, 2e-18])
>>> scale.lo, scale.hi                      # the floor, not 2e-18
(2e-06, 2.0)
>>> scale.color(2.0), scale.color(-2.0)     # same size, opposite signs: two hues
('#67001f', '#053061')
>>> scale.color(0.0) == PALETTE["zero"]
True
>>> fmt = number_formatter(4)
>>> fmt(2.0), fmt(0.0003124), fmt(-0.0), fmt(2e-18)
('2.0000', '0.0003124', '0.0000', '2e-18')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

FLOOR = 1e-6
"""Magnitudes below FLOOR x the largest are drawn like the floor itself (the legend says so)."""

RGB = tuple[int, int, int]

# Gradient ramps, faintest to deepest (ColorBrewer RdBu). The faint ends are a clear red and a clear
# blue, not near-white: the smallest non-zero gradient must not read as "no gradient".
POSITIVE_RAMP: tuple[RGB, ...] = ((239, 138, 98), (214, 96, 77), (178, 24, 43), (103, 0, 31))
NEGATIVE_RAMP: tuple[RGB, ...] = ((103, 169, 207), (67, 147, 195), (33, 102, 172), (5, 48, 97))
# Pale ramps for filling a box by its gradient (black text stays readable on the deep end).
POSITIVE_FILL_RAMP: tuple[RGB, ...] = ((253, 224, 210), (244, 165, 130))
NEGATIVE_FILL_RAMP: tuple[RGB, ...] = ((214, 232, 244), (146, 197, 222))
MIN_WIDTH, MAX_WIDTH = 1.0, 6.0

# Colours of edges leaving a Value that several operations use (where edges fan out and cross):
# one per source, dark enough for label text (Okabe-Ito, darkened where needed).
SOURCE_COLORS: tuple[str, ...] = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8c6d00", "#3a8fc4", "#444444")


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


PALETTE: dict[str, str] = {
    # text and page furniture (text colours reach 4.5:1 on white and on the panel)
    "ink": "#1d1d1f",
    "muted": "#595960",
    "rule": "#dedee3",
    "panel": "#fafafb",
    "background": "#ffffff",
    "control": "#8d8d95",
    "hover": "#f1f1f4",
    "outline": "#6e6e76",
    # what the current step touches (the page's highlight, 3:1 on white), and a node picked by the reader
    "hot": "#c77700",
    "highlight": "#fff0c2",
    "highlight-soft": "#eef4ff",
    "mark": "#ffd36b",
    "halo": "#ffd67a",
    "selected": "#7b2cbf",
    "miss": "#fff3f3",
    "note-bg": "#fff7e0",
    "note-rule": "#e7cf86",
    "forward-bg": "#e6f1e1",
    "forward-ink": "#245a17",
    "backward-bg": "#fde9d9",
    "backward-ink": "#7a3400",
    # the chain rule's terms, in the equation and on the picture: upstream (on the consumer), local
    # (on the edge), contribution (on the receiver); terms already summed and terms still to come
    "upstream": "#6a3d9a",
    "local": "#8a5200",
    "contribution": "#00696b",
    "done": "#111111",
    "done-bg": "#f6f6f8",
    "pending": "#555555",
    # boxes by kind of node
    "fill-output": "#d9f0d3",
    "fill-parameter": "#fff2cc",
    "fill-input": "#deebf7",
    "fill-constant": "#f0f0f0",
    "fill-intermediate": "#ffffff",
    "fill-operation": "#eeeeee",
    "text-constant": "#555555",
    "cluster": "#999999",
    "coupling": "#777777",
    # the gradient scale: its deep and faint ends, exactly zero, and marks not on the scale
    "pos": _hex(POSITIVE_RAMP[-1]),
    "pos-faint": _hex(POSITIVE_RAMP[0]),
    "neg": _hex(NEGATIVE_RAMP[-1]),
    "neg-faint": _hex(NEGATIVE_RAMP[0]),
    "zero": "#9a9a9a",
    "neutral": "#bdbdbd",
    "fill-pos": _hex(POSITIVE_FILL_RAMP[-1]),
    "fill-pos-faint": _hex(POSITIVE_FILL_RAMP[0]),
    "fill-neg": _hex(NEGATIVE_FILL_RAMP[-1]),
    "fill-neg-faint": _hex(NEGATIVE_FILL_RAMP[0]),
    "fill-zero": "#f4f4f4",
    **{f"source-{k + 1}": c for k, c in enumerate(SOURCE_COLORS)},
}
"""Every colour of the pictures and the page, by name (the CSS variable without its ``--``)."""


def css_variables() -> str:
    """The palette as the page's CSS ``:root`` block: ``:root{--ink:#1d1d1f;...}``.

    >>> css_variables().startswith(":root{--ink:#1d1d1f;")
    True
    """
    return ":root{" + "".join(f"--{name}:{color};" for name, color in PALETTE.items()) + "}"


def ramp_color(ramp: Sequence[RGB], t: float) -> str:
    """``#rrggbb`` at ``t`` (0.0 = first stop, 1.0 = last, clamped) along a ramp of colour stops.

    >>> ramp_color(((0, 0, 0), (255, 255, 255)), 0.5)
    '#808080'
    """
    t = min(1.0, max(0.0, t)) * (len(ramp) - 1)
    k = min(int(t), len(ramp) - 2)
    frac = t - k
    return _hex([round(a + (b - a) * frac) for a, b in zip(ramp[k], ramp[k + 1])])


@dataclass(frozen=True)
class FlowScale:
    """A log scale of gradient magnitudes from ``lo`` to ``hi``, coloured by sign.

    ``position(g)`` is 0 at ``lo`` and 1 at ``hi`` (clamped: smaller magnitudes sit at 0); ``color``
    darkens and ``width`` grows with it, red for ``g > 0`` and blue for ``g < 0``. Exactly zero is
    dashed grey (``PALETTE["zero"]``).
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
            return PALETTE["zero"]
        return ramp_color(POSITIVE_RAMP if gradient > 0 else NEGATIVE_RAMP, self.position(gradient))

    def fill(self, gradient: float) -> str:
        """A pale ``#rrggbb`` for a box holding this gradient: deeper when larger; pale grey for zero."""
        if gradient == 0.0:
            return PALETTE["fill-zero"]
        return ramp_color(POSITIVE_FILL_RAMP if gradient > 0 else NEGATIVE_FILL_RAMP, self.position(gradient))

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
            f"  log scale from {fmt(self.lo)} (faintest, thinnest) to {fmt(self.hi)}; a magnitude below "
            f"{FLOOR:g} x the largest is drawn like {fmt(self.lo)}"
        )


NEUTRAL_EDGE: dict[str, str] = {"color": PALETTE["neutral"], "fontcolor": PALETTE["text-constant"], "penwidth": "1"}
"""An edge that is not on the gradient scale (into a constant): light grey, thin, solid."""


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
