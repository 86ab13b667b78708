"""Every example in a docstring of autograd/ and nn/ is a doctest: its printed result is checked.

A module with no example at all fails too (a run that checks nothing must not count as a pass),
unless :data:`NO_EXAMPLES` lists it with the reason it has none. Examples run with the option
flags the README's Development section states (see tests/test_readme.py).
"""

import doctest
import importlib
import pkgutil

import pytest
from test_readme import check_examples_ran, stated_option_flags

import autograd
import nn

MODULES = sorted(  # subpackages too (autograd.explorer.page, autograd.diagnose.report, ...)
    info.name
    for package in (autograd, nn)
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
)

_DIAGNOSE = "a stage inside diagnose; its examples are on autograd.diagnose, tests/test_diagnose.py checks it"
_REPLAY = "inside replay; the examples are in autograd.replay.source_map, tests/test_replay.py checks it"
_BATCH = "inside replay.batch, whose example shows its code; tests/test_replay_batch.py checks it"
_LESSON = "the lesson's printed output, checked line by line by tests/test_tutorial.py, test_demo.py, test_cli.py"

NO_EXAMPLES: dict[str, str] = {
    "autograd.diagnose.claims": _DIAGNOSE,
    "autograd.diagnose.derivation": _DIAGNOSE,
    "autograd.diagnose.mutations": _DIAGNOSE,
    "autograd.diagnose.report": _DIAGNOSE,
    "autograd.diagnose.search": _DIAGNOSE,
    "autograd.diagnose.verdicts": _DIAGNOSE,
    "autograd.layout": "what draw_graph decides before Graphviz; examples on autograd.draw",
    "autograd.replay": "the package re-exports trace and Replay; " + _REPLAY,
    "autograd.replay.arrays": _BATCH + " (needs numpy, an optional extra)",
    "autograd.replay.batch_code": _BATCH,
    "autograd.replay.codegen": _REPLAY,
    "autograd.replay.expr": _REPLAY,
    "autograd.replay.step": _REPLAY,
    "autograd.wasm": "runs a WebAssembly module; examples on autograd.render, which calls it",
    "nn.arguments": "checks of what modules are given; examples of the modules in nn.modules",
    "nn.forward_graph": "finds a model in a recorded graph for nn.draw; examples on nn.draw",
    "nn.losses": "checked against closed forms in tests/test_losses.py; used in nn's package examples",
    "nn.torch_bridge": "needs PyTorch, an optional extra; tests/test_torch_bridge.py runs it where installed",
    "nn.lesson.cli": _LESSON,
    "nn.lesson.demo": _LESSON,
    "nn.lesson.exercise": "worksheets, checked by tests/test_exercise.py",
    "nn.lesson.experiments": _LESSON,
    "nn.lesson.matrices": _LESSON,
    "nn.lesson.pictures": "writes the docs' pictures; tests/test_nn_draw.py checks them",
    "nn.lesson.text": _LESSON,
    "nn.lesson.tutorial": "the tutorial's numbers as data; tests/test_tutorial.py checks every one",
    "nn.lesson.walkthrough": _LESSON,
}


@pytest.mark.parametrize("name", ["autograd", "nn", *MODULES])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=stated_option_flags())
    check_examples_ran(name, result, NO_EXAMPLES, __file__)


def test_every_module_listed_without_examples_exists() -> None:
    assert sorted(set(NO_EXAMPLES) - set(MODULES)) == []
