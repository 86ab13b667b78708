"""The one rule for "running in CI" (tests/conftest.py), and what follows from it."""

from __future__ import annotations

import pytest
from conftest import in_ci, need, not_run


@pytest.mark.parametrize(("value", "ci"), [("true", True), ("TRUE", True), ("1", True), ("yes", True),
                                            ("", False), ("false", False), ("False", False), ("0", False),
                                            ("no", False)])
def test_ci_is_read_from_the_variable_now(monkeypatch: pytest.MonkeyPatch, value: str, ci: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci() is ci


def test_ci_unset_is_not_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert in_ci() is False


def test_an_unknown_ci_value_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "maybe")
    with pytest.raises(ValueError, match=r"CI='maybe': set it to one of 1, true, yes or 0, false, no"):
        in_ci()


@pytest.mark.parametrize(("value", "outcome"), [("true", pytest.fail.Exception), ("false", pytest.skip.Exception)])
def test_a_test_that_cannot_run_fails_in_ci_and_skips_elsewhere(monkeypatch, value, outcome) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(outcome, match="no frobnicator here"):
        not_run("no frobnicator here")


def test_need_imports_or_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import math

    assert need("math", "it is in the standard library") is math
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^no_such_module_here is not installed \(.*\); pip it$"):
        need("no_such_module_here", "pip it")
