"""The backward pass written out, one chain-rule step at a time: what the explorer plays back and
what ``autograd.diagnose`` re-runs with mutated local derivatives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from .sweep import checked_order, gradients
from .value import Value


@dataclass(frozen=True, slots=True)
class Step:
    """One chain-rule contribution of a backward pass: ``upstream x local = contribution``.

    ``consumer`` sends its gradient back along its input edge number ``index`` to ``receiver``;
    ``total`` is the receiver's running sum after this step. ``sent`` is False where the engine
    sends nothing (the consumer's gradient is zero, behind a dead relu, say): then ``total`` is
    unchanged. ``complete`` is True on the receiver's last incoming step (its hooks, if any, run next).
    """

    kind: ClassVar[str] = "edge"

    consumer: Value
    index: int
    receiver: Value
    upstream: float
    local: float
    contribution: float
    total: float
    sent: bool
    complete: bool


@dataclass(frozen=True, slots=True)
class HookStep:
    """A Value's hooks ran: its gradient was ``before`` and is ``after`` from here on (the total it ends with)."""

    kind: ClassVar[str] = "hook"

    node: Value
    before: float
    after: float


LocalOverride = Callable[[Value, int], float]


def backward_steps(output: Value, local: LocalOverride | None = None, *, hooks: bool = True) -> list[Step | HookStep]:
    """The backward pass from ``output``: one :class:`Step` per input edge and one :class:`HookStep`
    per Value whose hooks ran, in the engine's order.

    It is the engine's own sweep (:func:`autograd.sweep.gradients`) recorded as it runs, so each
    Value's final total (its last step, or its hook step) is bit for bit what ``backward()`` adds to
    its ``.grad``. ``local(consumer, index)``, if given, replaces the recorded local derivative of
    that edge (a mutated derivation, used by ``autograd.diagnose``); ``hooks=False`` runs no hook.
    Touches no ``.grad``.

    >>> x = Value(3.0, "x"); h = x * x; y = h * 2
    >>> _ = h.register_hook(lambda g: g * 10)
    >>> [(s.kind, s.total if s.kind == "edge" else (s.before, s.after)) for s in backward_steps(y)]
    [('edge', 2.0), ('edge', 9.0), ('hook', (2.0, 20.0)), ('edge', 60.0), ('edge', 120.0)]
    """
    order = checked_order(output, "backward_steps")[0]
    steps: list[Step | HookStep] = []

    def on_edge(consumer: Value, index: int, receiver: Value, g: Any, d: Any, c: Any, total: Any, sent: bool) -> None:
        steps.append(Step(consumer, index, receiver, g, d, c, total, sent, False))

    def on_hook(node: Value, before: Any, after: Any) -> None:
        steps.append(HookStep(node, before, after))

    gradients(output, order, local=local, on_edge=on_edge, on_hook=on_hook, hooks=hooks)
    # A receiver's gradient is complete at its last incoming edge.
    last = {s.receiver: k for k, s in enumerate(steps) if isinstance(s, Step)}
    return [
        replace(s, complete=True) if isinstance(s, Step) and last[s.receiver] == k else s for k, s in enumerate(steps)
    ]
