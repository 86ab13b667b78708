"""One palette: every colour of the explorer page is a CSS variable written from autograd.colors.PALETTE.

The page's sheet, script and skeleton carry no colour of their own (a literal is allowed only if it is
listed below with why); every ``var(--name)`` they use is a palette name (or a non-colour variable
listed below); the page injects the palette once, before the sheet. The browser test
``test_the_page_draws_in_the_palettes_colours`` checks the computed colours in Chromium.
"""

from __future__ import annotations

import re
from importlib import resources

import pytest

from autograd import Value
from autograd.colors import PALETTE, css_variables
from autograd.explorer import explore

ASSETS = ("explorer.css", "explorer.js", "panels.js", "template.html")
# Colour literals left in the assets, each with why it is not a palette colour (none today).
LAYOUT_COLOURS: dict[str, str] = {}
# CSS variables the sheet defines itself that are not colours.
NOT_COLOURS = {"mono"}
HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b(?![-\w])")
FUNCTIONS = re.compile(r"\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\(", re.IGNORECASE)
NAMED = re.compile(r":\s*(?:white|black|red|green|blue|gray|grey|orange|purple|yellow|silver)\b", re.IGNORECASE)


def _text(name: str) -> str:
    return resources.files("autograd.explorer").joinpath(name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ASSETS)
def test_no_colour_literal_is_left_in_the_pages_assets(name: str) -> None:
    text = _text(name)
    if name.endswith(".js") or name.endswith(".html"):  # ids in selectors (#graph) are not colours
        text = re.sub(r"[\"'`]#[a-z][\w-]*", "", text)
    found = HEX.findall(text) + FUNCTIONS.findall(text) + NAMED.findall(text)
    assert [c for c in found if c not in LAYOUT_COLOURS] == [], f"{name} has colours of its own: {found}"


@pytest.mark.parametrize("name", ASSETS)
def test_every_variable_the_page_reads_is_a_palette_name(name: str) -> None:
    used = set(re.findall(r"var\(--([\w-]+)\)", _text(name)))
    unknown = used - set(PALETTE) - NOT_COLOURS
    assert unknown == set(), f"{name} reads CSS variables the palette does not name: {sorted(unknown)}"


def test_the_sheet_defines_no_colour_variable_of_its_own() -> None:
    defined = set(re.findall(r"--([\w-]+)\s*:", _text("explorer.css")))
    assert defined <= NOT_COLOURS, defined - NOT_COLOURS


def test_the_page_injects_the_palette_once_before_the_sheet() -> None:
    page = explore(Value(2.0, "a") * Value(3.0, "b")).html()
    block = css_variables()
    assert page.count(block) == 1
    assert page.index(block) < page.index("#graph {")
    # Each palette entry reaches the page as written there, by its name (independent of css_variables).
    for name, colour in PALETTE.items():
        assert re.fullmatch(r"#[0-9a-f]{6}", colour), (name, colour)
        assert f"--{name}:{colour};" in page, name


def test_the_pages_scale_is_the_pictures_scale() -> None:
    from autograd.colors import FlowScale

    page = explore((Value(2.0, "a") * Value(-3.0, "b") + Value(0.5, "c")).tanh())
    backward = [s for s in page.record["steps"] if s["kind"] == "backward"]
    scale = FlowScale.of([1.0] + [s[k] for s in backward for k in ("totalValue", "contributionValue")], 1e-6)
    assert scale is not None and backward
    for step in backward:
        assert step["edgeColor"] == scale.color(step["contributionValue"])
        assert step["fill"] == scale.fill(step["totalValue"])
