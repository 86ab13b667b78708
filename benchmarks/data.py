"""The benchmarks' data and initial weights, made here from a seed (no downloads, no sklearn)."""

from __future__ import annotations

import math
import random

Matrix = list[list[float]]


def moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[list[tuple[float, float]], list[float]]:
    """Two interleaving half circles, like micrograd's demo data: points and labels -1.0 / +1.0."""
    rng = random.Random(seed)
    points, labels = [], []
    for k in range(n):
        t = rng.uniform(0.0, math.pi)
        if k % 2:
            x, y, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1.0
        else:
            x, y, label = math.cos(t), math.sin(t), -1.0
        points.append((x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)))
        labels.append(label)
    return points, labels


def mlp_weights(n_in: int, sizes: list[int], seed: int = 1337) -> list[tuple[Matrix, list[float]]]:
    """Per layer ``(W, b)`` with ``W[i][j]`` from input ``i`` to neuron ``j`` (the tutorial's layout):
    uniform in [-1, 1] as micrograd initialises, biases 0."""
    rng = random.Random(seed)
    layers = []
    for a, b in zip([n_in, *sizes[:-1]], sizes):
        W = [[rng.uniform(-1.0, 1.0) for _ in range(b)] for _ in range(a)]
        layers.append((W, [0.0] * b))
    return layers


def learning_rate(k: int) -> float:
    """micrograd's demo schedule: 1.0 decaying to 0.1 over 100 steps (kept >= 0.1 after)."""
    return max(0.1, 1.0 - 0.9 * k / 100)
