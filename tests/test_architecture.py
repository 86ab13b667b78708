"""The import graph against docs/architecture.md: layers import only downwards, no file imports itself
back through others, and ``import autograd`` / ``import nn`` load only their own layer."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("engine", "tools", "library", "lesson")  # bottom to top, as docs/architecture.md states them


def layer_table() -> dict[str, list[str]]:
    """The layers as docs/architecture.md lists them: a table row `| layer | `module`, ... |` each."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table: dict[str, list[str]] = {}
    for row in re.findall(r"^\| \*\*(\w+)\*\* \|([^|]*)\|", text, flags=re.M):
        table[row[0]] = re.findall(r"`([\w.*]+)`", row[1])
    return table


def layer_of(module: str, table: dict[str, list[str]]) -> str:
    """The layer a module belongs to: the most specific pattern that matches it wins."""
    best, best_len = "", -1
    for layer, patterns in table.items():
        for pattern in patterns:
            prefix = pattern.removesuffix(".*")
            matches = module == prefix or (pattern.endswith(".*") and module.startswith(prefix + "."))
            if matches and len(prefix) > best_len:
                best, best_len = layer, len(prefix)
    if not best:
        raise AssertionError(f"{module} is in no layer of docs/architecture.md")
    return best


def modules() -> dict[str, Path]:
    found = {}
    for package in ("autograd", "nn"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every chainrule module ``name`` imports at run time, at the top or inside a function (late imports count)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    # Imports under `if TYPE_CHECKING:` are for the type checker only: they load nothing at run time.
    typing_only = {
        id(inner)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import autograd.sweep as x` names the module itself
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_the_document_names_every_layer() -> None:
    assert tuple(layer_table()) == LAYERS


def test_each_module_imports_only_its_own_layer_or_below() -> None:
    table = layer_table()
    rank = {layer: k for k, layer in enumerate(LAYERS)}
    upward = [
        f"{src} ({layer_of(src, table)}) imports {dst} ({layer_of(dst, table)})"
        for src, targets in graph().items()
        for dst in sorted(targets)
        if rank[layer_of(dst, table)] > rank[layer_of(src, table)]
    ]
    assert upward == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_between_files() -> None:
    assert cycles(graph()) == []


@pytest.mark.parametrize(
    ("package", "allowed"),
    [("autograd", ("engine",)), ("nn", ("engine", "library"))],
)
def test_importing_a_package_loads_only_its_layer_and_below(package: str, allowed: tuple[str, ...]) -> None:
    code = f"import sys, {package}; print(' '.join(m for m in sys.modules if m.split('.')[0] in ('autograd', 'nn')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    table = layer_table()
    outside = sorted(m for m in loaded.stdout.split() if layer_of(m, table) not in allowed)
    assert outside == []
