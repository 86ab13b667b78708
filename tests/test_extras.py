"""The extras install what the docs say they do."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_notebook_extra_installs_jupyter_to_open_the_notebook():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0].lower() for req in extras["notebook"]}
    assert {"jupyterlab", "ipykernel", "matplotlib"} <= names  # `jupyter lab` opens it; a kernel runs it
    assert "jupyter lab" in (ROOT / "docs" / "ecosystem.md").read_text()
