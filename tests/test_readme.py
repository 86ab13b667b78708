"""The README's examples are doctests: each printed result is checked, so the README stays true.

So is every docs/*.md, with the doctest option flags the README's Development section states. A
file with no example fails (a run that checks nothing must not count as a pass), unless
:data:`NO_EXAMPLES` lists it with the reason it has none.
"""

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

NO_EXAMPLES: dict[str, str] = {
    "architecture.md": "the layers and the path of the data in prose; tests/test_architecture.py checks the layers",
    "mutants.md": "the mutation check's figures and the survivors it explains; tests/mutants.py makes them",
    "performance.md": "measured figures and how they were measured; the benchmarks/ package runs them",
    "tutorial-differences.md": "prose and tables comparing the tutorial's numbers; tests/test_tutorial.py checks them",
}

# "Doctest option flags: `ELLIPSIS`, `NORMALIZE_WHITESPACE`." in the README's Development section
_STATED = re.compile(r"[Dd]octest option flags:\s+((?:`[A-Z_]+`(?:,\s+)?)+)")


def stated_option_flags() -> int:
    """The doctest option flags the README states, OR-ed together (the one place they are chosen)."""
    found = _STATED.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 1, f"the README must state its doctest option flags once, found {found}"
    flags = 0
    for name in re.findall(r"`([A-Z_]+)`", found[0]):
        assert name in doctest.OPTIONFLAGS_BY_NAME, f"the README states {name!r}, not a doctest option flag"
        flags |= doctest.OPTIONFLAGS_BY_NAME[name]
    return flags


def check_examples_ran(name: str, result: doctest.TestResults, no_examples: dict[str, str], where: str) -> None:
    """No failure, and some example run unless ``no_examples`` (defined in file ``where``) lists ``name``."""
    assert result.failed == 0, f"{result.failed} example(s) in {name} printed something else"
    if name in no_examples:
        assert result.attempted == 0, f"{name} has examples now: take it out of NO_EXAMPLES in {where}"
    else:
        assert result.attempted > 0, (
            f"{name} has no example, so this test checked nothing: add one, or list it in NO_EXAMPLES in "
            f"{where} with the reason it has none"
        )


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_markdown_examples(path: Path) -> None:
    result = doctest.testfile(str(path), module_relative=False, optionflags=stated_option_flags())
    check_examples_ran(path.name, result, NO_EXAMPLES, __file__)


def test_every_file_listed_without_examples_exists() -> None:
    assert sorted(set(NO_EXAMPLES) - {p.name for p in DOCS}) == []


def test_the_stated_flags_are_read() -> None:
    assert stated_option_flags() & doctest.ELLIPSIS  # what the examples' "..." lines rely on
