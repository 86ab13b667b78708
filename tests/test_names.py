"""The engine's namespace: no surprises in names, no import circles, and `import autograd` loads the engine only."""

from __future__ import annotations

import ast
import builtins
import importlib
import json
import subprocess
import sys
import types
from pathlib import Path

import autograd

ROOT = Path(__file__).resolve().parent.parent
ENGINE = {"autograd", "autograd.grad_mode", "autograd.graph", "autograd.ops", "autograd.rules", "autograd.sweep",
          "autograd.value"}  # fmt: skip
# The engine and the small tools beside it, whose imports must form no circle.
MODULES = sorted(ENGINE | {"autograd.check", "autograd.extend", "autograd.higher", "autograd.steps"})


def test_import_autograd_loads_the_engine_only() -> None:
    code = "import json, sys, autograd; print(json.dumps([m for m in sys.modules if m.split('.')[0] == 'autograd']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert set(json.loads(out)) == ENGINE


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


def _imports(module: str) -> set[str]:
    """The autograd modules ``module`` imports anywhere in its source (top level or inside functions),
    leaving out imports for type checkers only (``if TYPE_CHECKING:``), which never run."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    package = module if spec.origin.endswith("__init__.py") else module.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(Path(spec.origin).read_text())
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for inner in node.body
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m in MODULES and m != module}


def test_no_import_circles_among_the_engine_modules() -> None:
    graph = {m: _imports(m) for m in MODULES}
    graph["autograd"] = set()  # the package only re-exports; its lazy names load on first use
    # Kahn's algorithm: every module gets placed exactly when the graph has no circle.
    placed: list[str] = []
    waiting = {m: set(deps) for m, deps in graph.items()}
    while True:
        ready = sorted(m for m, deps in waiting.items() if not deps)
        if not ready:
            break
        placed += ready
        for m in ready:
            del waiting[m]
        for deps in waiting.values():
            deps.difference_update(ready)
    assert not waiting, f"import circle among {sorted(waiting)}"
