"""Reverse-mode differentiation over the recorded graph: topological order, backward(), grad().

Nothing here recurses over the graph, so a chain of a million operations is fine.

Threads: ``grad()`` sums its gradients in a scratch dict of its own and never touches ``.grad``;
``backward()`` sums into ``.grad`` itself (the fastest place, and no copy to write back), holding one
lock for the whole pass, so passes into shared leaves run one at a time and each adds exactly its
own gradients (no update is lost). So any number of threads may build graphs and differentiate them
concurrently, sharing leaves. Grad mode (``no_grad``) is per thread and per asyncio task.

Accumulation (what a second ``backward()`` does): each call adds d(output)/d(node) to ``node.grad``
for *every* node of the output's graph, intermediate nodes included, and nothing else. Calling it
twice therefore leaves exactly twice the derivative everywhere: for ``b = a * a * a`` at ``a = 3``,
``a.grad`` is 27 after one call and 54 after two. The gradient a pass sends through a node is that
pass's own contribution, never what earlier passes left in ``.grad``.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from . import value as _value
from .value import Value, _GradMode, _recording


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each one after all of its inputs (iterative DFS)."""
    _require_value(root, "topological_order")
    return _sorted(root)[0]


def _sorted(root: Value) -> tuple[list[Value], list[Value], set[Value]]:
    """The topological order, the operation nodes (non-leaves) of it in the same order, and the
    set of every node (for membership tests).

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
    return order, operations, seen


def backward(output: Value, *, create_graph: bool = False) -> None:
    """Add d(output)/d(node) to ``node.grad`` for every node of ``output``'s graph.

    With ``create_graph=True`` the gradients added are Values, themselves differentiable (their
    graph is built from the same derivative rules), so after the call ``.grad`` holds a Value
    (a float plus a Value is a Value); take ``.grad.data`` for the number. A node whose gradient
    is structurally zero (behind a dead relu, say) keeps a float. Accumulation is unchanged: a
    second call adds a second Value, ``old + new``. ``zero_grad`` resets ``.grad`` to ``0.0``.

    All or nothing: if anything fails (a hook raises, a sum overflows) no ``.grad`` changes.

    A Value gradient usually refers back to the graph it differentiates (d(x*x)/dx = 2*x holds
    ``x``), so ``x.grad`` makes a reference cycle ``x -> x.grad -> ... -> x`` that only the cyclic
    garbage collector frees; ``zero_grad`` breaks it. Prefer :func:`grad` for higher-order work:
    it returns the gradients and stores nothing.
    """
    order, operations, _ = _checked_order(output, "backward")
    with _BACKWARD:
        if create_graph:
            fresh = _value_gradients(output, order)
            _add_to_grads(order, fresh)
        else:
            _sweep_into_grads(output, order, operations)


# Held by a backward() for its whole pass: two passes summing into the .grad of shared leaves must
# not interleave (one's read-add-write would lose the other's update). Re-entrant, so that a hook
# may run backward() on another graph. grad() needs no lock: it writes no .grad.
_BACKWARD = threading.RLock()


def _sweep_into_grads(output: Value, order: list[Value], operations: list[Value]) -> None:
    """The float pass of backward(): this pass's gradients added to ``.grad``, all or nothing.

    ``.grad`` is the scratch accumulator. On a fresh graph (every ``.grad`` 0.0, as in a training
    step) the sums it ends with are the result; otherwise the old values are put aside, the pass
    runs from zero, and old + new is written once both are known to be finite.
    """
    saved = [node.grad for node in order]
    dirty = saved.count(0.0) != len(saved)  # a Value .grad counts as dirty (== is identity)
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
        _check_finite(order, fresh, "the gradient reaching")
    except BaseException:
        _restore(order, saved)
        raise
    if dirty:
        _restore(order, saved)
        _add_to_grads(order, fresh)


def _add_to_grads(nodes: list[Value], fresh: list[Any]) -> None:
    """``node.grad += g`` for each pair, all or nothing: every sum is made and checked before any is written."""
    totals = [
        # 0.0 + g would wrap a Value g in a needless "+" node; the result is g either way.
        g if type(old) is float and old == 0.0 else old + g
        for old, g in zip([node.grad for node in nodes], fresh)
    ]
    numbers = [_value.number(t) for t in totals]
    _check_finite(nodes, numbers, "the sum in .grad of")
    for node, total in zip(nodes, totals):
        node.grad = total


def accumulate(nodes: Sequence[Value], grads: Sequence[Any]) -> None:
    """Add ``grads`` to the nodes' ``.grad`` as a backward() does: under its lock, all or nothing."""
    with _BACKWARD:
        _add_to_grads(list(nodes), list(grads))


def _restore(order: list[Value], saved: list[Any]) -> None:
    for node, old in zip(order, saved):
        node.grad = old


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """The gradients d(output)/d(x) for each ``x`` in ``inputs``, leaving every ``.grad`` as it was.

    Returns floats, or with ``create_graph=True`` Values that can be differentiated again (for
    second and higher derivatives). An input the output does not depend on gets 0.0 (a constant
    ``Value(0.0)`` with ``create_graph=True``, so every result can be passed to ``grad`` again).
    Hooks registered on the graph's Values run, as in :func:`backward`.

    Which numbers: the float pass multiplies the local derivatives recorded when each node was
    made; ``create_graph=True`` evaluates the same rules again on the Values, so it reads their
    ``.data`` as it is now. The two agree unless a ``.data`` in the graph was changed after the graph
    was built; build the graph again after changing ``.data`` (as every training step does).

    >>> x = Value(3.0)
    >>> (dy,) = grad(x ** 3, [x], create_graph=True)   # 3 x^2, as a Value
    >>> (d2y,) = grad(dy, [x]); dy.data, d2y            # 6 x
    (27.0, 18.0)
    """
    order, operations, _ = _checked_order(output, "grad")
    if isinstance(inputs, Value):
        raise TypeError(f"grad takes a list of input Values, not one Value ({inputs!r}); wrap it in [x]")
    inputs = _value.value_list(inputs, "grad's inputs")
    if create_graph:
        by_node = dict(zip(order, _value_gradients(output, order)))
    else:
        by_node = _float_gradients(output, order, operations)
        _check_finite(by_node, by_node.values(), "the gradient reaching")
    found = [by_node.get(x, 0.0) for x in inputs]
    if create_graph:
        # A float here is a structural zero (or a hook's number): make it a constant Value.
        found = [g if isinstance(g, Value) else Value(g) for g in found]
    return found


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
    their results are leaves. Used for evaluation. Per thread and per asyncio task: another thread
    training meanwhile keeps recording."""

    def __init__(self, *args: object) -> None:
        if args:  # @no_grad without parentheses passes the function here
            raise TypeError("no_grad takes no arguments; as a decorator write @no_grad() with parentheses")

    def __enter__(self) -> no_grad:
        # The previous mode is saved in the context too, so one no_grad object may be entered by
        # several threads (a decorated function) without mixing up what each restores.
        _saved.set((*_saved.get(), _recording.get()))
        _recording.set(False)
        with _GradMode.lock:
            _GradMode.disabled += 1
        return self

    def __exit__(self, *exc: object) -> None:
        *rest, previous = _saved.get()
        _saved.set(tuple(rest))
        _recording.set(previous)
        with _GradMode.lock:
            _GradMode.disabled -= 1


_saved: contextvars.ContextVar[tuple[bool, ...]] = contextvars.ContextVar("chainrule_no_grad_saved", default=())


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph (in this thread or task)."""
    return _recording.get()


# --- the two ways of running the chain rule ------------------------------------------------------


def _float_gradients(output: Value, order: list[Value], operations: list[Value]) -> dict[Value, float]:
    """grad()'s pass: d(output)/d(node) for every node, as floats, summed in a dict of its own,
    never in ``.grad``, so it needs no lock. The same sweep as :func:`_sweep_into_grads`, with
    ``acc[x]`` for ``x.grad``. The caller checks that the result is finite.
    """
    acc = dict.fromkeys(order, 0.0)  # every entry there up front: the sweep adds with acc[x] += ...
    acc[output] = 1.0
    hooked = _value.hooks_registered()
    for node in reversed(order if hooked else operations):
        if hooked and node._hooks is not None:
            acc[node] = _run_hooks(node, acc[node])
        inputs = node.inputs
        if inputs:
            g = acc[node]
            if g:
                for inp, local in zip(inputs, node.local_grads):
                    acc[inp] += local * g
    return acc


def _check_finite(nodes: Iterable[Value], grads: Iterable[float], what: str) -> None:
    """Raise naming the first node whose number is not finite: ``{what} <node> overflowed``."""
    # One C-level sum finds out whether anything is inf or NaN (either makes the sum so); only then
    # look for the node to name. A finite sum that overflows just costs the slow look.
    if math.isfinite(sum(grads)):
        return
    for node, g in zip(nodes, grads):
        if not math.isfinite(g):
            raise ValueError(
                f"{what} {node!r} overflowed to {g}; the graph's derivatives multiply to more than a "
                "float holds (scale the inputs or the loss down); no .grad was changed"
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
    token = _recording.set(True)  # the gradient graph must be recorded, even inside no_grad
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
        _recording.reset(token)


def _run_hooks(node: Value, g: Any, values: bool = False) -> Any:
    """Pass ``g`` through ``node``'s hooks in registration order; each may return a replacement.

    In a float pass (``values=False``) a replacement must be a number; in a ``create_graph`` pass
    it may also be a Value. Returned numbers are checked like any Value data (finite, no bool).
    """
    running = _hooks_running()
    running.append(node)
    try:
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
    finally:
        running.pop()
    return g


# The Values whose hooks this thread is running, innermost last.
_thread = threading.local()


def _hooks_running() -> list[Value]:
    running: list[Value] | None = getattr(_thread, "hooks_running", None)
    if running is None:
        running = _thread.hooks_running = []
    return running


def _refuse_reentry(nodes: set[Value], where: str) -> None:
    """A hook may differentiate other graphs, but not one through its own Value: that pass would
    run the same hook again, and again, without end."""
    running = _hooks_running()
    if not running:
        return
    for node in running:
        if node in nodes:
            raise RuntimeError(
                f"{where}() was called from a hook on {node!r} for a graph that contains that Value; "
                "it would run the same hook again without end. A hook may read and replace the "
                "gradient it is given, or differentiate a graph that does not contain its Value"
            )


def _require_value(x: Any, where: str) -> None:
    if not isinstance(x, Value):
        raise TypeError(f"{where} takes Values, not {type(x).__name__}: {x!r}")


def _checked_order(output: Value, where: str) -> tuple[list[Value], list[Value], set[Value]]:
    _require_value(output, where)
    data = output.data
    if type(data) is not float or not math.isfinite(data):  # set by hand
        _value.check_data([output], f"{where}()'s output")
    order, operations, nodes = _sorted(output)
    if _value.hooks_registered():  # only a hook can call back in while a pass runs
        _refuse_reentry(nodes, where)
    return order, operations, nodes
