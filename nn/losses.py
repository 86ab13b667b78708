"""Losses built from engine ops, so their derivatives appear in the graph.

``binary_cross_entropy`` (the tutorial's), ``cross_entropy`` (on probabilities),
``cross_entropy_with_logits`` (stable, from logits), ``mse``, and ``batch_mean`` over examples.
Each takes lists of outputs and targets, or one output and one target number. A term whose target
coefficient is exactly 0 is left out (``0*log(0)`` is 0 and cannot raise).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, TypeGuard

import autograd
from autograd import Value
from autograd.value import as_float

Loss = Callable[[Sequence[Any], Sequence[Any]], Value]


def _pair(
    outputs: Sequence[Any], targets: Sequence[float], who: str, *, unit: bool = False
) -> tuple[Sequence[Value], Sequence[float]]:
    """Check both sequences and their lengths, and with ``unit=True`` that every target is in [0, 1].

    Returns the outputs as Values (numbers wrapped as leaves) and the targets as floats; sequences
    that already are so are returned as they are (read-only here). Never mutates the inputs.
    """
    # Lists and tuples are tested first: the Sequence check costs as much as the rest of a loss.
    if type(outputs) is not list and type(outputs) is not tuple and _is_output(outputs) and _is_target(targets):
        outputs, targets = [outputs], [targets]  # one prediction, one target: how micrograd-style code calls it
    for what, seq in (("outputs", outputs), ("targets", targets)):
        if (
            type(seq) is not list
            and type(seq) is not tuple
            and (isinstance(seq, Value | str | bytes) or not isinstance(seq, Sequence))
        ):
            raise TypeError(
                f"{who} takes {what} as a list, not {type(seq).__name__}: {seq!r} "
                "(or one output Value with one target number)"
            )
    if len(outputs) != len(targets):
        raise ValueError(f"{who}: got {len(outputs)} outputs but {len(targets)} targets; they must match one to one")
    if not outputs:
        raise ValueError(f"{who} needs at least one output")
    os = outputs
    for o in outputs:
        if type(o) is not Value:
            os = [o if isinstance(o, Value) else Value(as_float(o, f"{who} outputs[{a}]")) for a, o in enumerate(os)]
            break
    # Plain floats in range pass as they are; anything else is converted (or refused, by name).
    for y in targets:
        if type(y) is not float or not (0.0 <= y <= 1.0 if unit else math.isfinite(y)):
            return os, _checked_targets(targets, who, unit)
    return os, targets


def _is_output(x: Any) -> TypeGuard[Value | float]:
    """One output: a Value or a real number (a bool is left to as_float's own message)."""
    return isinstance(x, Value) or _is_target(x)


def _is_target(x: Any) -> TypeGuard[float]:
    """One target: a real number (int, float, numpy scalar)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _checked_targets(targets: Sequence[Any], who: str, unit: bool) -> list[float]:
    ys = [as_float(y, f"{who} targets[{a}]") for a, y in enumerate(targets)]
    for a, y in enumerate(ys):
        if unit and not 0.0 <= y <= 1.0:
            raise ValueError(f"{who}: targets[{a}] = {y!r} is outside [0, 1]; targets are probabilities")
    return ys


def _check_prob(o: Value, y: float, a: int, who: str, *, logs_one_minus: bool) -> None:
    """``o`` must be a probability whose logs in the loss exist: o > 0 where the loss takes log(o)
    (y > 0), and o < 1 where it takes log(1 - o) (``logs_one_minus`` and y < 1)."""
    low_ok = o.data > 0.0 if y > 0.0 else o.data >= 0.0
    high_ok = o.data < 1.0 if logs_one_minus and y < 1.0 else o.data <= 1.0
    if not (low_ok and high_ok):
        raise ValueError(
            f"{who}: outputs[{a}] = {o.data!r} (target {y!r}) must be a probability in [0, 1], and strictly "
            "inside wherever a log of it is taken; use a sigmoid/softmax output (or cross_entropy_with_logits "
            "on the raw scores)"
        )


def _probabilities(
    outputs: Sequence[Any], targets: Sequence[float], who: str, *, logs_one_minus: bool
) -> tuple[Sequence[Value], Sequence[float]]:
    """:func:`_pair` for outputs that are probabilities: every target in [0, 1], every output a
    probability whose logs in the loss exist (see :func:`_check_prob`)."""
    os, ys = _pair(outputs, targets, who, unit=True)
    for a, o in enumerate(os):
        if not 0.0 < o.data < 1.0:  # strictly inside is always fine; the edges depend on y
            _check_prob(o, ys[a], a, who, logs_one_minus=logs_one_minus)
    return os, ys


def binary_cross_entropy(outputs: Sequence[Any], targets: Sequence[float]) -> Value:
    """The tutorial's loss: ``E = -(1/n) * sum_a (y_a*log(o_a) + (1-y_a)*log(1-o_a))``.

    ``outputs`` are probabilities (Values or numbers) and ``targets`` numbers in ``[0, 1]``, one per
    output. Each output's term is one ``+`` of ``y*log(o)`` and ``(1-y)*log(1-o)`` (a zero-coefficient
    half is omitted), the terms are one ``sum`` node, and ``E`` is that times ``-1/n``.
    """
    os, ys = _probabilities(outputs, targets, "binary_cross_entropy", logs_one_minus=True)
    terms = []
    for o, y in zip(os, ys):
        parts = []
        if y != 0.0:
            parts.append(o.log() if y == 1.0 else y * o.log())
        if y != 1.0:
            parts.append((1.0 - o).log() if y == 0.0 else (1.0 - y) * (1.0 - o).log())
        terms.append(parts[0] if len(parts) == 1 else parts[0] + parts[1])
    return autograd.sum(terms) * (-1.0 / len(terms))


def cross_entropy(outputs: Sequence[Any], targets: Sequence[float]) -> Value:
    """Categorical cross-entropy on probabilities: ``E = -sum_a y_a*log(o_a)``.

    ``targets`` is a distribution over the classes (one-hot for a single label); each entry must be
    in ``[0, 1]``. Only classes with ``y_a > 0`` enter the graph.
    """
    who = "cross_entropy"
    os, ys = _probabilities(outputs, targets, who, logs_one_minus=False)
    terms = []
    for o, y in zip(os, ys):
        if y != 0.0:
            terms.append(o.log() if y == 1.0 else y * o.log())
    if not terms:
        raise ValueError(f"{who}: every target is 0; a categorical target needs some probability mass")
    return -(terms[0] if len(terms) == 1 else autograd.sum(terms))


def cross_entropy_with_logits(logits: Sequence[Any], targets: Sequence[float]) -> Value:
    """Categorical cross-entropy of ``softmax(logits)``, computed stably from the logits.

    ``-sum_a y_a*log(softmax(z)_a) = sum(y)*logsumexp(z) - sum_a y_a*z_a``; ``logsumexp`` subtracts
    the maximum, so logits of 1000 are fine. Equals ``cross_entropy(softmax(z), y)`` where that exists.
    """
    who = "cross_entropy_with_logits"
    zs, ys = _pair(logits, targets, who, unit=True)
    mass = math.fsum(ys)
    if mass == 0.0:
        raise ValueError(f"{who}: every target is 0; a categorical target needs some probability mass")
    lse = autograd.logsumexp(zs)
    lead = lse if mass == 1.0 else lse * mass
    return lead - autograd.dot(ys, zs)


def mse(outputs: Sequence[Any], targets: Sequence[float]) -> Value:
    """Mean squared error ``(1/n) * sum_a (o_a - y_a)**2`` (targets may be any finite numbers)."""
    os, ys = _pair(outputs, targets, "mse")
    return autograd.sum([(o - y) ** 2 for o, y in zip(os, ys)]) * (1.0 / len(os))


def batch_mean(loss: Loss, outputs: Sequence[Sequence[Any]], targets: Sequence[Sequence[float]]) -> Value:
    """``loss`` averaged over a batch: ``(1/m) * sum_e loss(outputs[e], targets[e])`` for ``m`` examples.

    Its gradient is the mean of the per-example gradients (the tutorial's "just average everything").
    """
    if isinstance(outputs, Value | str) or not isinstance(outputs, Sequence):
        raise TypeError(f"batch_mean takes a list of per-example outputs, not {type(outputs).__name__}")
    if isinstance(targets, str) or not isinstance(targets, Sequence):
        raise TypeError(f"batch_mean takes a list of per-example targets, not {type(targets).__name__}")
    if len(outputs) != len(targets):
        raise ValueError(f"batch_mean: got {len(outputs)} examples' outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError("batch_mean needs at least one example")
    losses = [loss(o, y) for o, y in zip(outputs, targets)]
    if len(losses) == 1:
        return losses[0]
    return autograd.sum(losses) * (1.0 / len(losses))

