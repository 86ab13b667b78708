"""The static pictures as a reader sees them: the README's SVGs shown in its 900-px column have a
legend of at least 11 px and the network view text of at least 9 px; no edge label covers a box or
another label in the tutorial's graph and flow pictures (nor in docs/).

Sizes are computed from each SVG's own width, viewBox and font sizes (a ``width="Wpt"`` picture is
W x 4/3 CSS px wide, shrunk to the column when wider); collisions from the boxes Chromium measures
for the drawn text and shapes. Neither uses the drawing code's constants.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from browser import launch_or_explain

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
COLUMN = 900.0  # CSS px: the README's column (a wider picture is shown this wide)


def readme_svgs() -> list[Path]:
    """Every docs/*.svg the README shows or links to."""
    names = re.findall(r"\((docs/[\w.-]+\.svg)\)", (ROOT / "README.md").read_text(encoding="utf-8"))
    return [ROOT / n for n in dict.fromkeys(names)]


def px_per_unit(svg: ET.Element) -> float:
    """CSS px per SVG user unit when the picture is shown at its width, at most COLUMN px."""
    width = svg.get("width", "")
    assert width.endswith("pt"), width
    natural = float(width.removesuffix("pt")) * 4 / 3
    view_width = float((svg.get("viewBox") or "").split()[2])
    return min(natural, COLUMN) / view_width


def text_sizes(path: Path) -> dict[str, list[float]]:
    """Shown font sizes (CSS px) of the legend (the graph's own text), the boxes and the edge labels."""
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    k = px_per_unit(root)
    graph = next(g for g in root.iter(SVG + "g") if g.get("class") == "graph")
    sizes: dict[str, list[float]] = {"legend": [], "node": [], "edge": []}
    sizes["legend"] = [float(t.get("font-size", "nan")) * k for t in graph.findall(SVG + "text")]
    for g in graph.iter(SVG + "g"):
        if g.get("class") in ("node", "edge"):
            sizes[g.get("class", "")] += [float(t.get("font-size", "nan")) * k for t in g.iter(SVG + "text")]
    return sizes


def test_the_readme_shows_its_pictures() -> None:
    assert {p.name for p in readme_svgs()} >= {"tutorial_network.svg", "neuron.svg", "flow.svg"}
    assert all(p.is_file() for p in readme_svgs())


@pytest.mark.parametrize("path", readme_svgs(), ids=lambda p: p.name)
def test_each_readme_picture_has_a_legend_of_at_least_11_px_in_the_column(path: Path) -> None:
    sizes = text_sizes(path)
    assert sizes["legend"], f"{path.name} has no legend"
    print(f"\n{path.name}: legend {min(sizes['legend']):.1f} px, boxes {min(sizes['node']):.1f} px at the column")
    assert min(sizes["legend"]) >= 11.0, (path.name, min(sizes["legend"]))


def test_the_network_view_is_legible_900_px_wide() -> None:
    sizes = text_sizes(ROOT / "docs" / "tutorial_network.svg")
    every = sizes["legend"] + sizes["node"] + sizes["edge"]
    assert sizes["node"] and min(every) >= 9.0, min(every)


# --- only labels that fit: measured in Chromium -------------------------------------------------------

COLLISIONS = """() => {
  const box = (e) => { const b = e.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; };
  const hit = (a, b) => a[0] < b[2] - 0.5 && b[0] < a[2] - 0.5 && a[1] < b[3] - 0.5 && b[1] < a[3] - 0.5;
  const shapes = [...document.querySelectorAll('g.node')].map((g) => [g.querySelector('title').textContent,
    box(g.querySelector('polygon, ellipse, path'))]);
  const labels = [...document.querySelectorAll('g.edge')].flatMap((g) => [...g.querySelectorAll('text')]
    .map((t) => [g.querySelector('title').textContent + ' ' + t.textContent, box(t)]));
  const found = [];
  labels.forEach(([name, b], i) => {
    shapes.forEach(([node, s]) => { if (hit(b, s)) found.push(name + ' covers ' + node); });
    labels.slice(i + 1).forEach(([other, c]) => { if (hit(b, c)) found.push(name + ' covers ' + other); });
  });
  return { found, labels: labels.length, nodes: shapes.length };
}"""


@pytest.fixture(scope="module")
def browser() -> Any:
    with launch_or_explain() as b:
        yield b


@pytest.fixture(scope="module")
def tutorial_pictures(tmp_path_factory: Any) -> list[Path]:
    from nn.lesson.pictures import write_tutorial_pictures

    return [p for p in write_tutorial_pictures(tmp_path_factory.mktemp("pictures")) if p.suffix == ".svg"]


def test_no_edge_label_covers_a_box_or_another_label(browser: Any, tutorial_pictures: list[Path]) -> None:
    for path in [*tutorial_pictures, *readme_svgs()]:
        page = browser.new_page()
        page.goto(path.resolve().as_uri())
        result = page.evaluate(COLLISIONS)
        page.close()
        print(f"\n{path.name}: {result['labels']} edge labels beside {result['nodes']} boxes")
        assert result["nodes"] and result["found"] == [], (path.name, result["found"][:10])
