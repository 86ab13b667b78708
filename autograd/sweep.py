"""The reverse sweep: the one place the chain rule runs over a recorded graph.

Two loops share one definition of the chain rule. :func:`backward` sums straight into ``.grad`` (its
measured fast path). :func:`gradients` is the generic sweep every other client calls: a float or a
Value accumulator, an optional override of local derivatives, optional callbacks per edge and per
hook. :func:`grad`, ``backward(create_graph=True)``, ``backward_steps``, diagnose and replay's
fallback are that sweep. Both run hooks through :func:`run_hooks`, so hooks mean one thing everywhere.

Threads: ``grad()`` sums in a dict of its own and never touches ``.grad``; ``backward()`` sums into
``.grad`` holding one lock for the whole pass, so passes into shared leaves run one at a time and
each adds exactly its own gradients. Grad mode (``no_grad``) is per thread and per asyncio task.

Accumulation: each ``backward()`` adds d(output)/d(node) to ``node.grad`` for *every* node of the
output's graph, intermediate nodes included: for ``b = a * a * a`` at ``a = 3``, ``a.grad`` is 27
after one call and 54 after two. A pass sends on its own contribution, never what is in ``.grad``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import value as _value
from .grad_mode import _recording, is_grad_enabled, no_grad
from .graph import sorted_graph
from .rules import VALUES
from .value import Value

__all__ = ["accumulate", "backward", "checked_order", "gradients", "grad", "is_grad_enabled", "no_grad",
           "run_hooks", "topological_order", "zero_grad"]

LocalOverride = Callable[[Value, int], Any]
"""``local(consumer, index) -> number``: the local derivative to use on that edge instead of the recorded one."""
EdgeCallback = Callable[[Value, int, Value, Any, Any, Any, Any, bool], None]
"""``on_edge(consumer, index, receiver, upstream, local, contribution, total, sent)``, once per input edge."""
HookCallback = Callable[[Value, Any, Any], None]
"""``on_hook(node, before, after)``, once per Value whose hooks ran."""


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
    order, operations, _ = checked_order(output, "backward")
    with _BACKWARD:
        if create_graph:
            acc = gradients(output, order, values=True)
            _add_to_grads(order, [acc.get(node, 0.0) for node in order])
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
                node.grad = run_hooks(node, node.grad)
            inputs = node.inputs
            if inputs:  # nor does a zero gradient (a dead relu, say) send anything on
                g = node.grad
                if g:
                    for inp, local in zip(inputs, node.local_grads):
                        inp.grad += local * g
        fresh = [node.grad for node in order]
        # A sum of finite grads may overflow on its own: put back (so the error shows each .grad as
        # the pass leaves it) only when some grad itself is not finite.
        if not math.isfinite(sum(fresh)) and not all(map(math.isfinite, fresh)):
            _restore(order, saved)
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
    order, _, _ = checked_order(output, "grad")
    if isinstance(inputs, Value):
        raise TypeError(f"grad takes a list of input Values, not one Value ({inputs!r}); wrap it in [x]")
    inputs = _value.value_list(inputs, "grad's inputs")
    by_node = gradients(output, order, values=create_graph)
    if not create_graph:
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


# --- the generic sweep ----------------------------------------------------------------------------


def gradients(
    output: Value,
    order: list[Value] | None = None,
    *,
    values: bool = False,
    local: LocalOverride | None = None,
    on_edge: EdgeCallback | None = None,
    on_hook: HookCallback | None = None,
    hooks: bool = True,
) -> dict[Value, Any]:
    """d(output)/d(node) for every node of ``output``'s graph reached by the sweep (others: absent).

    The chain rule as :func:`backward` runs it, bit for bit, with the accumulator in a dict of its
    own (no ``.grad`` is read or written). ``order`` is ``topological_order(output)`` if given.
    ``values=True`` evaluates each op's derivative rule on the node's Values, so every gradient is
    a differentiable Value (``create_graph``); it reads ``.data`` as it is now. ``local(consumer,
    index)`` replaces a recorded local derivative (diagnose's mutations). ``on_edge`` and
    ``on_hook`` see each step as it happens (``backward_steps``). ``hooks=False`` runs no hook.

    >>> from autograd import Value
    >>> x = Value(3.0); y = x * x
    >>> gradients(y)[x]
    6.0
    """
    if order is None:
        order = checked_order(output, "gradients")[0]
    hooked = hooks and _value.hooks_registered()
    if not values and local is None and on_edge is None and on_hook is None:
        return _float_sweep(output, order, hooked)
    token = _recording.set(True) if values else None  # a gradient graph is recorded even inside no_grad
    try:
        acc: dict[Value, Any] = {output: Value(1.0) if values else 1.0}
        for node in reversed(order):
            g = acc.get(node, 0.0)
            if hooked and node._hooks is not None:
                before, g = g, run_hooks(node, g, values)
                acc[node] = g
                if on_hook is not None:
                    on_hook(node, before, g)
            inputs = node.inputs
            if not inputs:
                continue
            if values:
                recorded = _local_values(node)
                sent = isinstance(g, Value) or g != 0.0  # a Value 0 still carries higher derivatives
            else:
                recorded = node.local_grads
                sent = bool(g)
            for index, inp in enumerate(inputs):
                d = recorded[index] if local is None else local(node, index)
                contribution: Any = 0.0
                total = acc.get(inp, 0.0)
                if sent:
                    if values:
                        contribution = _value_term(d, g)
                        if contribution is not None:
                            total = contribution if inp not in acc else total + contribution
                    else:
                        contribution = d * g
                        total = total + contribution
                    acc[inp] = total
                if on_edge is not None:
                    on_edge(node, index, inp, g, d, contribution, total, sent)
        return acc
    finally:
        if token is not None:
            _recording.reset(token)


def _float_sweep(output: Value, order: list[Value], hooked: bool) -> dict[Value, float]:
    """The generic sweep's fast case: floats, recorded derivatives, no callbacks (``grad()``)."""
    acc: dict[Value, float] = {output: 1.0}
    get = acc.get
    for node in reversed(order):
        if hooked and node._hooks is not None:
            acc[node] = run_hooks(node, get(node, 0.0))
        inputs = node.inputs
        if inputs:
            g = get(node, 0.0)
            if g:
                for inp, d in zip(inputs, node.local_grads):
                    acc[inp] = get(inp, 0.0) + d * g
    return acc


def _local_values(node: Value) -> tuple[Any, ...]:
    """The node's derivative rule evaluated on its Values, or an error naming the op that cannot be."""
    op = node._rule
    assert op is not None
    try:
        return tuple(op.local(VALUES, node, node.inputs, op.param))
    except TypeError as error:
        raise TypeError(
            f"the derivative rule of the op {op.name!r} cannot be evaluated on Values, which a second "
            f"derivative (create_graph=True) needs: {error}. Write the rule with the rule namespace "
            "(m.cos(x), m.log(x), ...) and arithmetic, not math functions; add a function to the "
            "namespace with autograd.extend.register_rule"
        ) from error


def _value_term(d: Any, g: Any) -> Any:
    """``d * g`` for the Value sweep, or None for an exact zero; ``1.0 * g`` is passed on as ``g`` itself."""
    if isinstance(d, Value):
        return d * g
    if d == 1.0:  # sums, biases, "+": no node for g * 1.0
        return g
    return d * g if d != 0.0 else None


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


def run_hooks(node: Value, g: Any, values: bool = False) -> Any:
    """Pass ``g`` through ``node``'s hooks in registration order; each may return a replacement.

    In a float pass (``values=False``) a replacement must be a number; in a ``create_graph`` pass
    it may also be a Value. Returned numbers are checked like any Value data (finite, no bool).
    """
    if node._hooks is None:
        return g
    running = _hooks_running()
    running.append(node)
    try:
        for handle in list(node._hooks):
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


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each one after all of its inputs (iterative DFS)."""
    require_value(root, "topological_order")
    return sorted_graph(root)[0]


def require_value(x: Any, where: str) -> None:
    """Raise a TypeError unless ``x`` is a Value, naming ``where`` and what was passed."""
    if not isinstance(x, Value):
        raise TypeError(f"{where} takes Values, not {type(x).__name__}: {x!r}")


def checked_order(output: Value, where: str) -> tuple[list[Value], list[Value], set[Value]]:
    """The output's sorted graph (see :func:`autograd.graph.sorted_graph`), after the checks every pass makes."""
    require_value(output, where)
    data = output.data
    if type(data) is not float or not math.isfinite(data):  # set by hand
        _value.check_data([output], f"{where}()'s output")
    order, operations, nodes = sorted_graph(output)
    if _value.hooks_registered():  # only a hook can call back in while a pass runs
        _refuse_reentry(nodes, where)
    return order, operations, nodes


_value._sweep.backward = backward  # type: ignore[method-assign]  # Value.backward calls it (see value._Sweep)
