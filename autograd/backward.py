"""Reverse-mode differentiation over the recorded graph: topological order, backward(), grad().

Nothing here recurses over the graph, so a chain of a million operations is fine.

Accumulation (what a second ``backward()`` does): each call adds d(output)/d(node) to ``node.grad``
for *every* node of the output's graph, intermediate nodes included, and nothing else. Calling it
twice therefore leaves exactly twice the derivative everywhere: for ``b = a * a * a`` at ``a = 3``,
``a.grad`` is 27 after one call and 54 after two. The gradient a pass sends through a node is that
pass's own contribution, never what earlier passes left in ``.grad``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Sequence
from typing import Any

from . import value as _value
from .value import Value, _GradMode


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each one after all of its inputs (iterative DFS)."""
    _require_value(root, "topological_order")
    order: list[Value] = []
    seen = {id(root)}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def backward(output: Value, *, create_graph: bool = False) -> None:
    """Add d(output)/d(node) to ``node.grad`` for every node of ``output``'s graph.

    With ``create_graph=True`` the gradients added are Values, themselves differentiable (their
    graph is built from the same derivative rules), so after the call ``.grad`` holds a Value
    (a float plus a Value is a Value); take ``.grad.data`` for the number. ``zero_grad`` resets
    ``.grad`` to ``0.0``.
    """
    order = _checked_order(output, "backward")
    fresh = _value_gradients(output, order) if create_graph else _float_gradients(output, order)
    for node, g in zip(order, fresh):
        old = node.grad
        # 0.0 + g would wrap a Value gradient in a needless "+" node; the result is g either way.
        node.grad = g if type(old) is float and old == 0.0 else old + g


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """The gradients d(output)/d(x) for each ``x`` in ``inputs``, leaving every ``.grad`` as it was.

    Returns floats, or with ``create_graph=True`` Values that can be differentiated again (for
    second and higher derivatives). An input the output does not depend on gets 0.0.
    """
    order = _checked_order(output, "grad")
    if isinstance(inputs, Value) or not isinstance(inputs, Iterable):
        raise TypeError(f"grad takes a list of input Values, not {type(inputs).__name__}; wrap one in [x]")
    inputs = list(inputs)
    for x in inputs:
        _require_value(x, "grad's inputs")
    fresh = _value_gradients(output, order) if create_graph else _float_gradients(output, order)
    by_node = {id(node): g for node, g in zip(order, fresh)}
    return [by_node.get(id(x), 0.0) for x in inputs]


def zero_grad(target: Value | Iterable[Value]) -> None:
    """Set ``.grad`` to 0.0 on every node of a Value's graph, or on each Value of an iterable."""
    nodes = topological_order(target) if isinstance(target, Value) else list(target)
    for node in nodes:
        _require_value(node, "zero_grad")
        node.grad = 0.0


class no_grad(contextlib.ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``) operations record no graph:
    their results are leaves. Used for optimiser updates and evaluation."""

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> no_grad:
        self._saved.append(_GradMode.enabled)
        _GradMode.enabled = False
        return self

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self._saved.pop()


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph."""
    return _GradMode.enabled


# --- the two ways of running the chain rule ------------------------------------------------------


def _float_gradients(output: Value, order: list[Value]) -> list[float]:
    """This pass's d(output)/d(node) for each node of ``order``, as floats.

    ``.grad`` serves as the scratch accumulator (the fastest place to keep a per-node float) and is
    restored before returning, so callers decide what to do with the result.
    """
    saved = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    output.grad = 1.0
    for node in reversed(order):
        g = node.grad
        if node._hooks is not None:
            node.grad = g = _run_hooks(node, g)
        if g:  # a zero gradient (a dead relu, say) sends nothing on
            for inp, local in zip(node.inputs, node.local_grads):
                inp.grad += local * g
    fresh = [node.grad for node in order]
    for node, old in zip(order, saved):
        node.grad = old
    for node, g in zip(order, fresh):
        if not math.isfinite(g):
            raise ValueError(
                f"the gradient reaching {node!r} overflowed to {g}; the graph's derivatives multiply to "
                "more than a float holds (scale the inputs or the loss down)"
            )
    return fresh


class ValueMath:
    """The functions derivative rules may call, evaluated on Values (so the result has a graph)."""

    @staticmethod
    def log(x: Value) -> Value:
        return x.log()

    @staticmethod
    def step(x: Value) -> float:
        return 1.0 if x.data > 0.0 else 0.0

    @staticmethod
    def softmax(xs: Sequence[Value]) -> list[Value]:
        return _value.softmax(xs)


VALUES = ValueMath()


def _value_gradients(output: Value, order: list[Value]) -> list[Any]:
    """This pass's d(output)/d(node) for each node, as Values built from the ops' derivative rules."""
    previous, _GradMode.enabled = _GradMode.enabled, True  # the gradient graph must be recorded
    try:
        parts: dict[int, list[Any]] = {id(output): [Value(1.0)]}
        result: dict[int, Any] = {}
        for node in reversed(order):
            terms = parts.pop(id(node), None)
            if terms is None:
                continue
            g = terms[0] if len(terms) == 1 else _value.sum(terms)
            if node._hooks is not None:
                g = _run_hooks(node, g)
            result[id(node)] = g
            op = node._op
            if op is None:
                continue
            for inp, local in zip(node.inputs, op.local(VALUES, node, node.inputs, op.param)):
                if isinstance(local, Value) or local != 0.0:
                    parts.setdefault(id(inp), []).append(local * g)
        return [result.get(id(node), 0.0) for node in order]
    finally:
        _GradMode.enabled = previous


def _run_hooks(node: Value, g: Any) -> Any:
    for hook in list(node._hooks or ()):
        replaced = hook(g)
        if replaced is not None:
            g = replaced if isinstance(replaced, Value) else _value.as_float(replaced, "a hook's returned gradient")
    return g


def _require_value(x: Any, where: str) -> None:
    if not isinstance(x, Value):
        raise TypeError(f"{where} takes Values, not {type(x).__name__}: {x!r}")


def _checked_order(output: Value, where: str) -> list[Value]:
    _require_value(output, where)
    if not math.isfinite(output.data):
        raise ValueError(f"{where}() needs a finite output, got {output!r}; its derivatives are undefined")
    return topological_order(output)
