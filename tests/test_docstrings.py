"""Every example in a docstring of autograd/ and nn/ is a doctest: its printed result is checked."""

import doctest
import importlib
import pkgutil

import pytest

import autograd
import nn

MODULES = sorted(  # subpackages too (autograd.explorer.page, autograd.diagnose.report, ...)
    info.name
    for package in (autograd, nn)
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
)


@pytest.mark.parametrize("name", ["autograd", "nn", *MODULES])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} printed something else"
