"""examples/tutorial.ipynb runs top to bottom in a real Jupyter kernel, and its outputs are right.

The kernel is this interpreter (a kernel spec written for the test points at sys.executable), so the
notebook sees the chainrule under test. The numbers it prints are checked against computations written
here: finite differences of a plain-float forward pass, and the moons accuracy against a bound.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from pathlib import Path

import pytest
from conftest import in_ci

import nn.lesson

try:
    import nbclient
    import nbformat
except ImportError:  # pragma: no cover
    if in_ci():
        raise  # make test installs the notebook tools; CI must run this
    pytest.skip("nbclient/nbformat are not installed: pip install -e '.[test]' runs the notebook test",
                allow_module_level=True)

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "tutorial.ipynb"
KERNEL = "chainrule-test"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after running every cell (once for all the tests below)."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "chainrule (test)",
        "language": "python",
    }))
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(home)
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=120,
                                         resources={"metadata": {"path": str(tmp_path_factory.mktemp("run"))}})
        client.execute()
    finally:
        if saved is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = saved
    return nb


def text_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def cell_with(nb, needle: str):
    matches = [c for c in nb.cells if c.cell_type == "code" and needle in c.source]
    assert len(matches) == 1, f"expected one cell containing {needle!r}"
    return matches[0]


def test_every_cell_ran_without_error(executed):
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:200]


def tutorial_loss(weights: list[list[list[float]]], x, target) -> float:
    """The tutorial's network and loss in plain floats, written here independently of nn."""
    h = list(x)
    for W, act in zip(weights, ("relu", "sigmoid", "softmax")):
        z = [sum(h[i] * W[i][j] for i in range(3)) + 1.0 for j in range(3)]
        if act == "relu":
            h = [max(0.0, t) for t in z]
        elif act == "sigmoid":
            h = [1 / (1 + math.exp(-t)) for t in z]
        else:
            e = [math.exp(t) for t in z]
            h = [t / sum(e) for t in e]
    return -sum(y * math.log(o) + (1 - y) * math.log(1 - o) for y, o in zip(target, h)) / 3


def test_the_printed_gradient_matches_finite_differences(executed):
    text = text_of(cell_with(executed, "dE_dW ="))
    printed = float(re.search(r"dE/dW_kl\[0\]\[0\] \(labelled \S+\) = (\S+)", text).group(1))
    t = nn.lesson.tutorial
    weights = [[list(r) for r in W] for W in (t.W_IJ, t.W_JK, t.W_KL)]
    h = 1e-6
    up = [[list(r) for r in W] for W in weights]
    down = [[list(r) for r in W] for W in weights]
    up[2][0][0] += h
    down[2][0][0] -= h
    x, t = nn.lesson.tutorial.INPUT, nn.lesson.tutorial.TARGET
    numeric = (tutorial_loss(up, x, t) - tutorial_loss(down, x, t)) / (2 * h)
    assert math.isclose(printed, numeric, rel_tol=1e-7)
    # and the loss printed in section 2
    loss = float(re.search(r"loss E = (\S+)", text_of(cell_with(executed, "loss E ="))).group(1))
    assert math.isclose(loss, tutorial_loss(weights, x, t), rel_tol=1e-12)


def test_the_walkthrough_sections_are_printed(executed):
    assert "== 1. Forward pass" in text_of(cell_with(executed, 'demo.main(["--only", "1"])'))
    assert "== 2a. Backward pass" in text_of(cell_with(executed, 'demo.main(["--only", "2"])'))


def test_the_pictures_are_inline(executed):
    for needle in ("draw_graph(L)", "draw_network(model, loss)", "draw_clustered_graph(model, loss)"):
        outputs = cell_with(executed, needle).outputs
        svg = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
        assert svg and "<svg" in svg[0]["data"]["image/svg+xml"], needle


def test_the_explorer_is_inline(executed):
    cell = cell_with(executed, "explore(model, loss")
    html = [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
    # the whole page, escaped into an iframe's srcdoc (a notebook runs no script put in its output directly)
    assert html and html[0].startswith("<iframe srcdoc=") and "explorer-data" in html[0] and "&lt;script" in html[0]


def test_one_sgd_step_lowers_the_loss(executed):
    m = re.search(r"loss before (\S+), after one step (\S+)", text_of(cell_with(executed, "loss before")))
    assert float(m.group(2)) < float(m.group(1))


def test_the_moons_demo_trains_and_draws_its_decision_boundary(executed):
    text = text_of(cell_with(executed, "optimizer = nn.SGD"))
    accuracy = int(re.search(r"after training: loss \S+, accuracy (\d+)%", text).group(1))
    assert accuracy >= 95
    first = int(re.search(r"step   0 .* accuracy (\d+)%", text).group(1))
    assert first < accuracy
    for needle in ("plt.scatter(X[:, 0], X[:, 1], c=y, s=20", "contourf"):
        pngs = [o for o in cell_with(executed, needle).outputs if "image/png" in o.get("data", {})]
        assert pngs, needle


def test_the_saved_model_reads_back_bit_for_bit(executed):
    assert "same weights, bit for bit: True" in text_of(cell_with(executed, "nn.save(moons, path)"))


def test_the_pytorch_copy_gives_the_same_scores(executed):
    text = text_of(cell_with(executed, "nn.to_torch(moons)"))
    if "PyTorch is not installed" in text:
        assert not in_ci(), "CI installs torch: the notebook's PyTorch section must run there"
        pytest.skip("PyTorch is not installed; the notebook skipped its last section")
    assert float(re.search(r"largest difference from chainrule's scores: (\S+)", text).group(1)) <= 1e-12


def test_the_batched_replay_trains_the_moons_model_on_1000_points(executed):
    text = text_of(cell_with(executed, "replay.batch(per_sample"))
    assert "Z1 = X @ W_ij + b_j" in text and "d_W_ij = X.T @ d_Z1" in text
    accuracy = float(re.search(r"1,000 points after training: loss \S+, accuracy ([\d.]+)%", text).group(1))
    assert accuracy >= 95
