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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import value as _value
from .value import Value, _GradMode


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each one after all of its inputs (iterative DFS)."""
    _require_value(root, "topological_order")
    return _sorted(root)[0]


def _sorted(root: Value) -> tuple[list[Value], list[Value]]:
    """The topological order, and the operation nodes (non-leaves) of it in the same order.

    The backward sweep walks only the second list: most nodes of a network are leaves (weights,
    biases, inputs), which receive gradients but have nothing to send on.
    """
    # The same post-order as a recursive DFS (inputs in order, first visit wins), kept on a flat
    # stack of Values: a node is pushed back, then a None marker, then its inputs (reversed, so the
    # first input is visited first); popping the marker means every input is placed, so the node
    # under it follows. No per-node tuple or iterator is allocated, so a 10^6-node chain does not
    # pile up objects for the cyclic GC to scan (that made the sort ~8x slower). Values hash by
    # identity, so the set needs no id() calls. A node popped again after its first visit is
    # already placed: in a DAG it cannot be still waiting for its own inputs.
    order: list[Value] = []
    operations: list[Value] = []
    seen: set[Value] = set()
    stack: list[Value | None] = [root]
    pop, push, place, place_operation = stack.pop, stack.append, order.append, operations.append
    while stack:
        node = pop()
        if node is None:
            node = pop()
            place(node)  # type: ignore[arg-type]  # the marker always sits on its node
            place_operation(node)  # type: ignore[arg-type]
        elif node not in seen:
            seen.add(node)
            inputs = node.inputs
            if inputs:
                push(node)
                push(None)
                stack.extend(inputs[::-1])
            else:
                place(node)
    return order, operations


def backward(output: Value, *, create_graph: bool = False) -> None:
    """Add d(output)/d(node) to ``node.grad`` for every node of ``output``'s graph.

    With ``create_graph=True`` the gradients added are Values, themselves differentiable (their
    graph is built from the same derivative rules), so after the call ``.grad`` holds a Value
    (a float plus a Value is a Value); take ``.grad.data`` for the number. A node whose gradient
    is structurally zero (behind a dead relu, say) keeps a float. Accumulation is unchanged: a
    second call adds a second Value, ``old + new``. ``zero_grad`` resets ``.grad`` to ``0.0``.

    A Value gradient usually refers back to the graph it differentiates (d(x*x)/dx = 2*x holds
    ``x``), so ``x.grad`` makes a reference cycle ``x -> x.grad -> ... -> x`` that only the cyclic
    garbage collector frees; ``zero_grad`` breaks it. Prefer :func:`grad` for higher-order work:
    it returns the gradients and stores nothing.
    """
    order, operations = _checked_order(output, "backward")
    if create_graph:
        for node, g in zip(order, _value_gradients(output, order)):
            if isinstance(g, Value) or g != 0.0:  # adding a float 0.0 to a Value .grad would add a node
                old = node.grad
                node.grad = g if type(old) is float and old == 0.0 else old + g
        return
    _float_gradients(output, order, operations, keep=True)


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """The gradients d(output)/d(x) for each ``x`` in ``inputs``, leaving every ``.grad`` as it was.

    Returns floats, or with ``create_graph=True`` Values that can be differentiated again (for
    second and higher derivatives). An input the output does not depend on gets 0.0 (a constant
    ``Value(0.0)`` with ``create_graph=True``, so every result can be passed to ``grad`` again).
    Hooks registered on the graph's Values run, as in :func:`backward`.

    >>> x = Value(3.0)
    >>> (dy,) = grad(x ** 3, [x], create_graph=True)   # 3 x^2, as a Value
    >>> (d2y,) = grad(dy, [x]); dy.data, d2y            # 6 x
    (27.0, 18.0)
    """
    order, operations = _checked_order(output, "grad")
    if isinstance(inputs, Value):
        raise TypeError(f"grad takes a list of input Values, not one Value ({inputs!r}); wrap it in [x]")
    inputs = _value.value_list(inputs, "grad's inputs")
    fresh = _value_gradients(output, order) if create_graph else _float_gradients(output, order, operations)
    by_node = {id(node): g for node, g in zip(order, fresh)}
    found = [by_node.get(id(x), 0.0) for x in inputs]
    if create_graph:
        # A float here is a structural zero (or a hook's number): make it a constant Value.
        found = [g if isinstance(g, Value) else Value(g) for g in found]
    return found


@dataclass(frozen=True, slots=True)
class Step:
    """One chain-rule contribution of a backward pass: ``upstream x local = contribution``.

    ``consumer`` sends its gradient back along its input edge number ``index`` to ``receiver``;
    ``total`` is the receiver's running sum after this step. ``sent`` is False where the engine
    sends nothing (the consumer's gradient is zero, behind a dead relu, say): then ``total`` is
    unchanged. ``complete`` is True on the receiver's last step: its gradient is final.
    """

    consumer: Value
    index: int
    receiver: Value
    upstream: float
    local: float
    contribution: float
    total: float
    sent: bool
    complete: bool


LocalRule = Callable[[Value, int], float]


def backward_steps(output: Value, local: LocalRule | None = None) -> list[Step]:
    """The backward pass from ``output``, one :class:`Step` per input edge, in the engine's order.

    The engine's own sweep written out: consumers in reverse topological order, each one's inputs
    in order, the same float operations in the same order, so each receiver's final ``total`` is
    bit for bit what :func:`grad` returns (hooks are not run). ``local(consumer, index)``, if
    given, replaces the recorded local derivative of that edge: the sweep of a mutated derivation
    (a dropped Jacobian entry, a flipped sign), used by ``autograd.diagnose``. Touches no ``.grad``.

    >>> x = Value(3.0, "x"); y = x * x
    >>> [(s.upstream, s.local, s.contribution, s.total) for s in backward_steps(y)]
    [(1.0, 3.0, 3.0, 3.0), (1.0, 3.0, 3.0, 6.0)]
    """
    _, operations = _checked_order(output, "backward_steps")
    acc: dict[Value, float] = {output: 1.0}
    steps: list[Step] = []
    for node in reversed(operations):
        g = acc.get(node, 0.0)
        for index, (inp, recorded) in enumerate(zip(node.inputs, node.local_grads)):
            d = recorded if local is None else local(node, index)
            if g:
                contribution = d * g
                acc[inp] = total = acc.get(inp, 0.0) + contribution
            else:
                contribution, total = 0.0, acc.get(inp, 0.0)
            steps.append(Step(node, index, inp, g, d, contribution, total, bool(g), False))
    # A receiver's gradient is complete at its last incoming edge.
    last: dict[Value, int] = {s.receiver: k for k, s in enumerate(steps)}
    return [replace(s, complete=True) if last[s.receiver] == k else s for k, s in enumerate(steps)]


def zero_grad(target: Value | Iterable[Value]) -> None:
    """Set ``.grad`` to 0.0 on every node of a Value's graph, or on each Value of an iterable."""
    if isinstance(target, Value):
        nodes = topological_order(target)
    elif isinstance(target, Iterable):  # checked whole first, so a bad item leaves every .grad as it was
        nodes = _value.value_list(target, "zero_grad")
    else:
        raise TypeError(f"zero_grad takes a Value or an iterable of Values, not {type(target).__name__}: {target!r}")
    for node in nodes:
        node.grad = 0.0


class no_grad(contextlib.ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``) operations record no graph:
    their results are leaves. Used for optimiser updates and evaluation."""

    def __init__(self, *args: object) -> None:
        if args:  # @no_grad without parentheses passes the function here
            raise TypeError("no_grad takes no arguments; as a decorator write @no_grad() with parentheses")
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


def _float_gradients(output: Value, order: list[Value], operations: list[Value], *, keep: bool = False) -> list[float]:
    """This pass's d(output)/d(node) for each node of ``order`` (``operations``: its non-leaves), as floats.

    ``.grad`` serves as the scratch accumulator (the fastest place to keep a per-node float). With
    ``keep=False`` every ``.grad`` is restored before returning; with ``keep=True`` (``backward``)
    each ends as its old value plus this pass's. If anything fails (a hook raises, a gradient
    overflows) every ``.grad`` is left as it was.
    """
    saved = [node.grad for node in order]
    # On a fresh graph every .grad is 0.0, so the scratch needs no clearing and, for backward, the
    # result needs no adding back: the common case skips two passes over the nodes.
    dirty = any(saved)
    if dirty:
        for node in order:
            node.grad = 0.0
    try:
        output.grad = 1.0
        # A leaf has nothing to send on, so the sweep visits leaves only to run hooks on them.
        hooked = _value.hooks_registered()
        for node in reversed(order if hooked else operations):
            if hooked and node._hooks is not None:
                node.grad = _run_hooks(node, node.grad)
            inputs = node.inputs
            if inputs:  # nor does a zero gradient (a dead relu, say) send anything on
                g = node.grad
                if g:
                    for inp, local in zip(inputs, node.local_grads):
                        inp.grad += local * g
        fresh = [node.grad for node in order]
        _check_finite(order, fresh)
    except BaseException:
        _restore(order, saved)
        raise
    if not keep:
        _restore(order, saved)
    elif dirty:
        for node, old, new in zip(order, saved, fresh):
            # 0.0 + g would wrap a Value gradient in a needless "+" node; the result is g either way.
            node.grad = new if type(old) is float and old == 0.0 else old + new
    return fresh


def _restore(order: list[Value], saved: list[Any]) -> None:
    for node, old in zip(order, saved):
        node.grad = old


def _check_finite(order: list[Value], grads: list[float]) -> None:
    # One C-level sum finds out whether anything is inf or NaN (either makes the sum so); only then
    # look for the node to name. A finite sum that overflows just costs the slow look.
    if math.isfinite(sum(grads)):
        return
    for node, g in zip(order, grads):
        if not math.isfinite(g):
            raise ValueError(
                f"the gradient reaching {node!r} overflowed to {g}; the graph's derivatives multiply to "
                "more than a float holds (scale the inputs or the loss down)"
            )


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
    """This pass's d(output)/d(node) for each node, as Values built from the ops' derivative rules.

    The same reverse sweep as the float pass, but each op's ``local`` rule is re-evaluated on the
    node's Values (through :data:`VALUES`), so every product ``local * g`` is itself recorded.
    A node nothing reaches gets the float 0.0 (its hooks still see that 0.0, as in the float pass).
    """
    previous, _GradMode.enabled = _GradMode.enabled, True  # the gradient graph must be recorded
    try:
        parts: dict[int, list[Any]] = {id(output): [Value(1.0)]}
        result: list[Any] = []
        for node in reversed(order):
            terms = parts.pop(id(node), None)
            if terms is None:
                g: Any = 0.0
            else:
                g = terms[0] if len(terms) == 1 else _value.sum(terms)
            if node._hooks is not None:
                g = _run_hooks(node, g, values=True)
            result.append(g)
            op = node._rule
            if op is None or (not isinstance(g, Value) and g == 0.0):
                continue
            for inp, local in zip(node.inputs, op.local(VALUES, node, node.inputs, op.param)):
                if isinstance(local, Value):
                    parts.setdefault(id(inp), []).append(local * g)
                elif local == 1.0:  # sums, biases, "+": pass g on instead of recording g * 1.0
                    parts.setdefault(id(inp), []).append(g)
                elif local != 0.0:
                    parts.setdefault(id(inp), []).append(local * g)
        result.reverse()
        return result
    finally:
        _GradMode.enabled = previous


def _run_hooks(node: Value, g: Any, values: bool = False) -> Any:
    """Pass ``g`` through ``node``'s hooks in registration order; each may return a replacement.

    In a float pass (``values=False``) a replacement must be a number; in a ``create_graph`` pass
    it may also be a Value. Returned numbers are checked like any Value data (finite, no bool).
    """
    for handle in list(node._hooks or ()):
        replaced = handle.hook(g)
        if replaced is None:
            continue
        if isinstance(replaced, Value):
            if not values:
                raise TypeError(
                    f"a hook on {node!r} returned a Value ({replaced!r}) during a float backward pass; "
                    "there the gradient is a float and a replacement must be a number (Values are "
                    "accepted only with create_graph=True)"
                )
            g = replaced
        else:
            g = _value.as_float(replaced, f"the gradient returned by the hook {handle.hook!r}")
    return g


def _require_value(x: Any, where: str) -> None:
    if not isinstance(x, Value):
        raise TypeError(f"{where} takes Values, not {type(x).__name__}: {x!r}")


def _checked_order(output: Value, where: str) -> tuple[list[Value], list[Value]]:
    _require_value(output, where)
    if not math.isfinite(output.data):
        raise ValueError(f"{where}() needs a finite output, got {output!r}; its derivatives are undefined")
    return _sorted(output)
