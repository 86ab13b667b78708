"""What every test file shares: the one rule for "running in CI", and the Hypothesis profiles.

``in_ci()`` is the only place that reads the ``CI`` variable: ``CI=true`` (or ``1``, ``yes``, any case)
means CI; unset, empty, ``false``, ``0`` or ``no`` mean a developer's machine. Under CI the ``ci``
Hypothesis profile is loaded (derandomized), and a test that cannot run for want of a tool fails
(:func:`not_run`) instead of skipping, because CI installs every tool the tests need.
Import them as ``from conftest import in_ci, not_run`` (pytest puts ``tests/`` on the path).
"""

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest
from hypothesis import HealthCheck, settings

_TRUE = ("1", "true", "yes")
_FALSE = ("", "0", "false", "no")


def in_ci() -> bool:
    """Whether the tests run in CI (the ``CI`` environment variable, read now, not at import)."""
    value = os.environ.get("CI", "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise ValueError(f"CI={os.environ['CI']!r}: set it to one of {', '.join(_TRUE)} or {', '.join(_FALSE[1:])}")
    return value in _TRUE


def not_run(message: str) -> NoReturn:
    """A test that cannot run here: a failure in CI (which must run it), a loud skip elsewhere."""
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def need(module: str, how: str) -> ModuleType:
    """``import module``, or :func:`not_run` saying ``how`` to install it (pytest.importorskip never fails)."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        not_run(f"{module} is not installed ({err}); {how}")


settings.register_profile(
    "ci", derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
# tests/mutants.py: every mutant runs the tests again, so fewer examples (still derandomized).
settings.register_profile(
    "mutants", derandomize=True, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if in_ci() else "dev"))
