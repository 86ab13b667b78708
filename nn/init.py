"""Weight initialisation schemes, seedable through a :class:`random.Random`.

An initialiser is a callable ``(n_in, n_out, rng) -> W`` returning an ``n_in x n_out`` matrix of
floats, laid out like the tutorial: ``W[i][j]`` connects input ``i`` to neuron ``j``.

>>> import random
>>> W = xavier_uniform(3, 2, random.Random(0))
>>> len(W), len(W[0])
(3, 2)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

WeightMatrix = list[list[float]]
"""A layer's weights as floats, ``W[i][j]`` connecting input ``i`` to neuron ``j`` (``n_in`` rows)."""

Initializer = Callable[[int, int, random.Random], WeightMatrix]


def _matrix(n_in: int, n_out: int, draw: Callable[[], float]) -> WeightMatrix:
    # Row by row, so the same seed gives the same W whatever the caller does with it.
    return [[draw() for _ in range(n_out)] for _ in range(n_in)]


def uniform(low: float = -1.0, high: float = 1.0) -> Initializer:
    """Weights drawn uniformly from ``[low, high]``."""
    if not low <= high:
        raise ValueError(f"uniform init needs low <= high, got low={low!r}, high={high!r}")

    def init(n_in: int, n_out: int, rng: random.Random) -> WeightMatrix:
        return _matrix(n_in, n_out, lambda: rng.uniform(low, high))

    return init


def xavier_uniform(n_in: int, n_out: int, rng: random.Random) -> WeightMatrix:
    """Glorot/Xavier: uniform on ``±sqrt(6 / (n_in + n_out))``; keeps variance steady for tanh/sigmoid."""
    bound = math.sqrt(6.0 / (n_in + n_out))
    return _matrix(n_in, n_out, lambda: rng.uniform(-bound, bound))


def he_normal(n_in: int, n_out: int, rng: random.Random) -> WeightMatrix:
    """He/Kaiming: normal with standard deviation ``sqrt(2 / n_in)``; keeps variance steady for relu."""
    std = math.sqrt(2.0 / n_in)
    return _matrix(n_in, n_out, lambda: rng.gauss(0.0, std))


def he_uniform(n_in: int, n_out: int, rng: random.Random) -> WeightMatrix:
    """He/Kaiming, uniform version: uniform on ``±sqrt(6 / n_in)``."""
    bound = math.sqrt(6.0 / n_in)
    return _matrix(n_in, n_out, lambda: rng.uniform(-bound, bound))


def micrograd_uniform(n_in: int, n_out: int, rng: random.Random) -> WeightMatrix:
    """micrograd's init: each neuron's weights uniform on ``[-1, 1]``, drawn neuron by neuron.

    With the same generator state it draws the same numbers as micrograd's ``Layer(n_in, n_out)``.
    """
    # micrograd draws neuron j's weights one after the other; W is laid out input by input.
    columns = [[rng.uniform(-1.0, 1.0) for _ in range(n_in)] for _ in range(n_out)]
    return [[columns[j][i] for j in range(n_out)] for i in range(n_in)]


def constant(value: float) -> Initializer:
    """Every weight equal to ``value`` (the tutorial's 'what if all weights are the same?')."""
    value = float(value)

    def init(n_in: int, n_out: int, rng: random.Random) -> WeightMatrix:
        return [[value] * n_out for _ in range(n_in)]

    return init


SCHEMES: dict[str, Initializer] = {
    "xavier": xavier_uniform,
    "he": he_normal,
    "he_uniform": he_uniform,
    "uniform": uniform(),
    "micrograd": micrograd_uniform,
}
"""Initialisers by name. ``"auto"`` (see :func:`for_activation`) picks He for relu, else Xavier."""


def for_activation(activation: str) -> Initializer:
    """The usual choice for a layer: He for relu layers, Xavier for everything else."""
    return he_normal if activation == "relu" else xavier_uniform


def resolve(init: str | float | Initializer, activation: str) -> Initializer:
    """Turn what a user passed as ``init`` (a name, a number for constant init, a callable) into an initialiser."""
    if isinstance(init, str):
        if init == "auto":
            return for_activation(activation)
        if init not in SCHEMES:
            raise ValueError(
                f"unknown init scheme {init!r}; accepted: 'auto', {', '.join(map(repr, SCHEMES))}, "
                "a number (constant init) or a callable (n_in, n_out, rng) -> matrix"
            )
        return SCHEMES[init]
    if isinstance(init, bool):
        raise TypeError(f"init must be a scheme name, a number or a callable, not a bool ({init!r})")
    if isinstance(init, int | float):
        return constant(init)
    if callable(init):
        return init
    raise TypeError(f"init must be a scheme name, a number or a callable, not {type(init).__name__}: {init!r}")


def make_rng(seed: int | random.Random | None) -> random.Random:
    """A ``random.Random``: the one given, one seeded with an int, or Python's global one for None.

    The global generator for None is micrograd's (and PyTorch's) habit: ``random.seed(k)`` before
    building a model makes it reproducible.
    """
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random._inst  # the generator behind random.uniform, random.seed, ...
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a random.Random or None, not {type(seed).__name__}: {seed!r}")
    return random.Random(seed)
