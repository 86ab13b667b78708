"""A traced step: :func:`trace` and :class:`Replay` (the fast call, the op-by-op path, the checks)."""

from __future__ import annotations

import linecache
import math
import weakref
from collections.abc import Iterable, Mapping, Sequence

from ..grad_mode import recording
from ..sweep import accumulate, grad, topological_order
from ..value import Value, apply, as_float, value_list
from .codegen import Lines, _generate, _GuardFailed


class ReplayMismatch(ValueError):
    """A replay was asked to compute something other than the graph it recorded."""


def _leaves(values: Iterable[Value], what: str) -> tuple[Value, ...]:
    if isinstance(values, Value):
        raise TypeError(f"trace's {what} takes a list of Values, not one Value; wrap it in [x]")
    items = tuple(value_list(values, f"trace's {what}"))
    for v in items:
        if not v.is_leaf:
            raise ValueError(
                f"trace's {what} must be leaves (Values you made, not results of operations); "
                f"{v!r} was computed by {v.op!r}"
            )
    if len({id(v) for v in items}) != len(items):
        raise ValueError(f"trace's {what} lists the same Value twice")
    return items


def trace(
    output: Value, params: Iterable[Value], inputs: Iterable[Value] = (), names: Mapping[Value, str] | None = None
) -> Replay:
    """Record ``output``'s graph once and return a :class:`Replay` that recomputes it from floats.

    ``params`` are the leaves whose gradients each call returns (in this order); ``inputs`` are
    leaves read afresh on each call without a gradient (data that changes between steps). Both are
    read from their current ``.data``. Every other leaf is a constant written into the code.
    ``names`` (optional, any text per Value) name the code's variables, by default the labels; text
    reaches the code only through :func:`~autograd.replay.identifier`.
    """
    if not isinstance(output, Value):
        raise TypeError(f"trace takes the output Value of a graph, not {type(output).__name__}: {output!r}")
    if not math.isfinite(output.data):
        raise ValueError(f"trace needs a finite output, got {output!r}")
    params = _leaves(params, "params")
    inputs = _leaves(inputs, "inputs")
    if {id(v) for v in params} & {id(v) for v in inputs}:
        raise ValueError("a Value cannot be both a param and an input of a trace")
    order = topological_order(output)
    for node in order:
        if node._hooks:
            raise ValueError(
                f"{node!r} has hooks; a replay does not run hooks: remove them (handle.remove()) "
                "or use backward() for this graph"
            )
    return Replay(output, order, params, inputs, names)


class Replay:
    """A traced step: ``replay()`` returns ``(output, gradients of params)`` computed from floats.

    Built by :func:`trace`. ``source`` is the generated code; ``params`` and ``inputs`` the leaves it
    reads; ``slow_calls`` counts calls that had to be computed op by op (a guard or a number that
    failed the checks; see the module docstring).
    """

    def __init__(
        self,
        output: Value,
        order: list[Value],
        params: tuple[Value, ...],
        inputs: tuple[Value, ...],
        names: Mapping[Value, str] | None = None,
    ) -> None:
        self.params = params
        self.inputs = inputs
        self.slow_calls = 0
        index = {id(node): k for k, node in enumerate(order)}
        self._n_params = len(params)
        # The recorded tape, for the op-by-op path and for check(): per node, its op and input indices.
        self._ops = [node._rule for node in order]
        self._wiring = [tuple(index[id(i)] for i in node.inputs) for node in order]
        slot = {id(v): k for k, v in enumerate(params + inputs)}
        self._slots = [slot.get(id(node), -1) for node in order]
        self._constants = [node for node in order if node.is_leaf and id(node) not in slot]
        self._constant_data = [node.data for node in self._constants]
        self._param_index = [index.get(id(p), -1) for p in params]
        self.n_nodes = len(order)
        self.source, self._function, lines = _generate(output, order, params, inputs, names)
        self.lines: Lines = lines  # where each node (by topological index) lives in ``source``
        # The source stays in linecache (for tracebacks through it) as long as this replay lives:
        # a loop that retraces would otherwise keep every generated source forever.
        weakref.finalize(self, linecache.cache.pop, self._function.__code__.co_filename, None)

    def __repr__(self) -> str:
        return f"Replay({self.n_nodes} nodes, {len(self.params)} params, {len(self.inputs)} inputs)"

    def __call__(self, inputs: Sequence[float] | None = None) -> tuple[float, list[float]]:
        """Compute the output and d(output)/d(param) for each param from the current numbers.

        ``inputs``, if given, replaces the input leaves' ``.data`` for this call (one float each).
        """
        if [c.data for c in self._constants] != self._constant_data:
            self._constant_changed()
        params = [p.data for p in self.params]
        if inputs is None:
            data = [x.data for x in self.inputs]
        else:
            data = [as_float(x, f"the replay's input {k}") for k, x in enumerate(inputs)]
            if len(data) != len(self.inputs):
                raise ValueError(f"this replay takes {len(self.inputs)} input numbers, got {len(data)}")
        try:
            value, grads = self._function(params, data)
        except (ArithmeticError, ValueError, _GuardFailed):
            # Rare: a number out of range or a guard that failed. The op-by-op path computes the
            # same result the engine would, or raises the engine's own error.
            self.slow_calls += 1
            return self._interpret(params, data)
        return value, list(grads)

    def backward(self, inputs: Sequence[float] | None = None) -> float:
        """Like ``output.backward()`` for the params: add each gradient to ``param.grad``; return the output.

        (The graph's other nodes are not touched: a replay keeps no Values for them.) As with
        ``backward()``, all or nothing: a sum that overflows raises and changes no ``.grad``.
        """
        value, grads = self(inputs)
        accumulate(self.params, grads)
        return value

    def check(self, output: Value, inputs: Iterable[Value] | None = None) -> None:
        """Raise :class:`ReplayMismatch` unless ``output``'s graph has the traced shape.

        Rebuild the step dynamically (the way it was first built, with the same params and with
        ``inputs``, by default the traced input leaves) and pass its output: every node must have
        the same op and wiring, every constant the same value.
        """
        inputs = self.inputs if inputs is None else _leaves(inputs, "inputs")
        if len(inputs) != len(self.inputs):
            raise ReplayMismatch(f"the trace has {len(self.inputs)} inputs, check got {len(inputs)}")
        order = topological_order(output)
        if len(order) != self.n_nodes:
            raise ReplayMismatch(f"the graph has {len(order)} nodes, the trace recorded {self.n_nodes}")
        index = {id(node): k for k, node in enumerate(order)}
        slot = {id(v): k for k, v in enumerate(self.params + tuple(inputs))}
        constants = iter(self._constant_data)
        for k, node in enumerate(order):
            wiring = tuple(index[id(i)] for i in node.inputs)
            where = f"node {k} of {self.n_nodes} ({node!r})"
            if node._rule is not self._ops[k] and node._rule != self._ops[k]:
                recorded = self._ops[k]
                was = recorded.name if recorded is not None else "a leaf"
                raise ReplayMismatch(f"{where} is {node.op or 'a leaf'!r}; the trace recorded {was!r} there")
            if wiring != self._wiring[k]:
                raise ReplayMismatch(f"{where} takes nodes {wiring}; the trace recorded {self._wiring[k]}")
            if slot.get(id(node), -1) != self._slots[k]:
                raise ReplayMismatch(f"{where} is not the param or input the trace recorded there")
            if node.is_leaf and self._slots[k] < 0 and node.data != next(constants):
                raise ReplayMismatch(f"{where} is a constant that differs from the traced one")

    # --- the op-by-op path -----------------------------------------------------------------------

    def _constant_changed(self) -> None:
        for node, old in zip(self._constants, self._constant_data):
            if node.data != old:
                raise ReplayMismatch(
                    f"the constant leaf {node!r} was {old!r} when traced; a replay keeps constants as they "
                    "were. Pass the leaves that change between calls as trace(..., inputs=[...])"
                )

    def _interpret(self, params: list[float], data: list[float]) -> tuple[float, list[float]]:
        """The step computed by the engine itself: the recorded tape rebuilt as Values, then grad()
        (the engine's one sweep): the same rules, order, numbers and errors as a dynamic step."""
        slots = params + data
        constants = iter(self._constant_data)
        nodes: list[Value] = []
        token = recording().set(True)  # rebuilt with its graph even when called inside no_grad
        try:
            for op, wiring, slot in zip(self._ops, self._wiring, self._slots):
                if op is not None:
                    nodes.append(apply(op, *[nodes[i] for i in wiring]))
                elif slot < 0:
                    nodes.append(Value(next(constants)))
                else:
                    n = self._n_params
                    what = f"param {slot} ({self.params[slot]!r})" if slot < n else f"input {slot - n}"
                    nodes.append(Value(as_float(slots[slot], f"the replay's {what}")))
        finally:
            recording().reset(token)
        found = iter(grad(nodes[-1], [nodes[k] for k in self._param_index if k >= 0]))
        return nodes[-1].data, [next(found) if k >= 0 else 0.0 for k in self._param_index]
