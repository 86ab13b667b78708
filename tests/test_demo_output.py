"""docs/demo-output.txt is what `chainrule demo` prints today, with whole sections cut where it says so.

Nothing in the output varies between runs (no times, no absolute paths), so the comparison is exact.
After a change to the demo's text, regenerate the file: `python tests/test_demo_output.py`.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "demo-output.txt"
CUT = ("2b", "2d")
"""Sections left out of the file (each replaced by one ``[...]`` line): the same kind of table as 2a and 2c."""

HEADER = (
    "$ chainrule demo        (abridged: sections 2b and 2d cut, marked [...]; run it for the whole walkthrough)\n\n"
)


def demo_output() -> str:
    """What `chainrule demo` prints, run in a fresh folder (its pictures go to out/ there)."""
    from nn.lesson import cli

    text = io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            with contextlib.redirect_stdout(text):
                assert cli.main(["demo"]) == 0
        finally:
            os.chdir(cwd)
    return text.getvalue()


def abridged(output: str) -> str:
    """``output`` with each section in CUT (from its ``== <name>.`` heading to the next) as ``[...]``."""
    kept, cutting = [HEADER], False
    for line in output.splitlines(keepends=True):
        if line.startswith("== "):
            cutting = line[3:].split(".")[0] in CUT
            if cutting:
                kept.append("[...]\n\n")
        if not cutting:
            kept.append(line)
    return "".join(kept)


def test_the_demo_output_file_is_what_the_demo_prints():
    expected = abridged(demo_output())
    assert expected.count("\n[...]\n") == len(CUT)
    stale = "docs/demo-output.txt is stale: regenerate it with python tests/test_demo_output.py"
    assert DOC.read_text(encoding="utf-8") == expected, stale


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    DOC.write_text(abridged(demo_output()), encoding="utf-8")
