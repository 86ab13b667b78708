"""demo.py runs as a program: exits 0, documents its options, honours them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "demo.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_demo_runs_and_prints_every_section(tmp_path):
    res = run("--out", str(tmp_path / "pics"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for title in ("== 1. Forward pass", "== 2a.", "== 2b.", "== 2c.", "== 2d.", "== 4.", "== 5.", "== 6."):
        assert title in out
    assert "4.004" in out and "4.001" in out  # the h2_in slip, side by side
    assert "Why the tutorial's numbers differ" in out
    # the causes come from autograd.diagnose, in the tutorial's own 1-based names
    for cause in ("slip", "truncated", "rounded-input", "sign", "factor", "wrong-index", "diagonal-jacobian",
                  "single-path", "upstream"):
        assert f" {cause}: " in out, cause
    flat = " ".join(out.split())  # the notes are wrapped at 100 columns
    assert "h2_in3 = 4.001 where its own numbers give 4.004" in flat
    assert "h1_out1, h1_out2, h1_out3: the path with the same index" in flat
    assert "W_k1l2 connects h2_out1 to O_in2" in out and "W_kl[0][1]" not in out
    assert "Traceback" not in res.stderr
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "\n    pics/tutorial_explorer.html\n" in out  # the page's path as typed from where the demo ran


def test_help_documents_the_options(tmp_path):
    res = run("--help", cwd=tmp_path)
    assert res.returncode == 0
    for option in ("--loss", "--steps", "--lr", "--optimizer", "--seed", "--out", "--only", "--init"):
        assert option in res.stdout


def test_options(tmp_path):
    res = run("--loss", "categorical", "--only", "1,5", "--steps", "20", "--optimizer", "adam", "--lr", "0.1",
              "--init", "random", "--seed", "3", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "== 1. Forward pass" in res.stdout and "== 5." in res.stdout
    assert "== 2a." not in res.stdout and "== 4." not in res.stdout
    assert "adam, lr 0.1, categorical loss, random init" in res.stdout


@pytest.mark.parametrize("bad", [["--loss", "mse"], ["--only", "9"], ["--steps", "-1"], ["--lr", "0"]])
def test_bad_options_are_usage_errors(tmp_path, bad):
    res = run(*bad, cwd=tmp_path)
    assert res.returncode == 2 and "usage:" in res.stderr


def test_only_the_backward_pass(tmp_path):
    res = run("--only", "2", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "== 2a." in res.stdout and "== 1. Forward pass" not in res.stdout and "== 5." not in res.stdout


def test_progress_bar_for_long_runs_goes_to_stderr(monkeypatch, capsys):
    sys.path.insert(0, str(ROOT))
    try:
        import demo
    finally:
        sys.path.remove(str(ROOT))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    bar = demo.Progress(enabled=True)
    for step in range(0, 1001):
        bar(step, 1000, 0.5)
    err = capsys.readouterr().err
    assert "1000/1000" in err and err.endswith("\n") and err.count("\r") == 101
    short = demo.Progress(enabled=True)
    short(5, 100, 0.5)  # short runs need no bar
    assert capsys.readouterr().err == ""


def test_output_is_deterministic(tmp_path):
    outs = []
    for seed in ("1", "2"):
        res = subprocess.run(
            [sys.executable, str(ROOT / "demo.py"), "--only", "1,2,4,5"], cwd=tmp_path, capture_output=True,
            text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outs.append(res.stdout)
    assert outs[0] == outs[1] and outs[0]
