"""Activations that act on a whole layer's pre-activations, by name.

Every function here builds graph nodes with the engine's ops, so the recorded local derivatives are
exactly what the walkthrough and the pictures show: ``relu``/``sigmoid``/``tanh`` make one node per
neuron, ``softmax`` makes one node per output whose inputs are *all* the pre-activations (the full
Jacobian row), and ``linear`` adds no node at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import autograd
from autograd import Value, ops

ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "tanh", "linear", "softmax")
"""The activation names a :class:`nn.Layer` accepts."""


def relu(zs: Sequence[Value]) -> list[Value]:
    """``max(0, z)`` for each pre-activation."""
    return [z.relu() for z in zs]


def sigmoid(zs: Sequence[Value]) -> list[Value]:
    """``1 / (1 + e**-z)`` for each pre-activation (the engine's op is stable for large ``|z|``)."""
    return [z.sigmoid() for z in zs]


def tanh(zs: Sequence[Value]) -> list[Value]:
    """``tanh(z)`` for each pre-activation."""
    return [z.tanh() for z in zs]


def linear(zs: Sequence[Value]) -> list[Value]:
    """The identity: the outputs *are* the pre-activation nodes (no extra node in the graph)."""
    return list(zs)


def softmax(zs: Sequence[Value]) -> list[Value]:
    """Softmax across the layer: output ``a`` is one node with all ``zs`` as inputs (full Jacobian)."""
    return autograd.softmax(zs)


def log_softmax(zs: Sequence[Value]) -> list[Value]:
    """``z_a - logsumexp(z)`` for each ``a``: stable for logits of any finite size."""
    lse = autograd.logsumexp(zs)
    return [z - lse for z in zs]


_BY_NAME: dict[str, Callable[[Sequence[Value]], list[Value]]] = {
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "linear": linear,
    "softmax": softmax,
}


# The op each element-wise activation applies: how a graph's node is recognised as one (by op, not name).
_ELEMENTWISE_OPS = {"relu": ops.OP_RELU, "sigmoid": ops.OP_SIGMOID, "tanh": ops.OP_TANH}
ELEMENTWISE: tuple[str, ...] = tuple(_ELEMENTWISE_OPS)
"""The activations that act on each pre-activation alone (one node per neuron)."""


def made_by(activation: str, v: Value) -> bool:
    """Whether ``v`` is a node the element-wise activation called ``activation`` makes.

    >>> z = Value(-1.5)
    >>> made_by("relu", z.relu()), made_by("tanh", z.relu()), made_by("softmax", z)
    (True, False, False)
    """
    op = _ELEMENTWISE_OPS.get(activation)
    return op is not None and v._rule == op


def check_activation(name: object) -> str:
    """Return ``name`` if it is a known activation, else raise naming the accepted ones."""
    if not isinstance(name, str):
        raise TypeError(f"an activation is given by name (one of {', '.join(ACTIVATIONS)}), not {name!r}")
    if name not in _BY_NAME:
        raise ValueError(f"unknown activation {name!r}; accepted: {', '.join(ACTIVATIONS)}")
    return name


def function(name: str) -> Callable[[Sequence[Value]], list[Value]]:
    """The activation called ``name`` as a function of a layer's pre-activations."""
    return _BY_NAME[check_activation(name)]


def activate(name: str, zs: Sequence[Value]) -> list[Value]:
    """Apply the activation called ``name`` to a layer's pre-activations ``zs``."""
    return function(name)(zs)
