"""The engine's namespace: no surprises in names, tools loaded on first use (the import graph and what
`import autograd` loads: tests/test_architecture.py)."""

from __future__ import annotations

import builtins
import types
from pathlib import Path

import autograd

ROOT = Path(__file__).resolve().parent.parent


def test_tools_load_on_first_use_and_are_the_same_objects() -> None:
    from autograd.check import gradcheck
    from autograd.higher import hessian
    from autograd.steps import backward_steps

    assert autograd.gradcheck is gradcheck and autograd.hessian is hessian and autograd.backward_steps is backward_steps
    assert isinstance(autograd.diagnose, types.ModuleType) and autograd.diagnose.__name__ == "autograd.diagnose"
    for name in autograd.__all__:
        assert getattr(autograd, name) is not None


def test_no_function_shadows_a_submodule_and_nothing_in_all_shadows_a_builtin() -> None:
    submodules = {p.stem for p in (ROOT / "autograd").glob("*.py")} | {
        p.parent.name for p in (ROOT / "autograd").glob("*/__init__.py")
    }
    for name in submodules - {"__init__"}:
        found = getattr(autograd, name, None)
        assert found is None or isinstance(found, types.ModuleType), f"autograd.{name} is not the submodule"
    assert not set(autograd.__all__) & set(dir(builtins))
    namespace: dict[str, object] = {}
    exec("from autograd import *", namespace)  # what a user's star import binds
    assert namespace.get("sum", builtins.sum) is builtins.sum
