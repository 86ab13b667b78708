"""The backward pass written out, one chain-rule step at a time: what the explorer plays back and
what ``autograd.diagnose`` re-runs with mutated local derivatives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .sweep import _checked_order
from .value import Value


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
    _, operations, _ = _checked_order(output, "backward_steps")
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
