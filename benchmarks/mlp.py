"""Workload A: micrograd's demo step. ``MLP(2, [16, 16, 1])`` (ReLU, ReLU, linear) on 100 moons
points: SVM max-margin loss + L2 regularisation, forward + backward + SGD update, full batch.

Each engine below does exactly that, from the same data and initial weights, following the same
trajectory (its losses are compared before timing).
"""

from __future__ import annotations

from collections.abc import Callable

import autograd
import nn
from autograd import replay

from .data import Matrix, learning_rate, mlp_weights, moons
from .harness import Skipped

SIZES = [16, 16, 1]
ALPHA = 1e-4  # L2 weight, as in micrograd's demo

Init = tuple[list[tuple[float, float]], list[float], list[tuple[Matrix, list[float]]]]


def problem() -> Init:
    points, labels = moons(100)
    return points, labels, mlp_weights(2, SIZES)


class Micrograd:
    """micrograd 0.1.0 itself, its demo's step as written in its README notebook."""

    name = "micrograd 0.1.0"

    def __init__(self, init: Init) -> None:
        try:
            from micrograd.engine import Value
            from micrograd.nn import MLP
        except ImportError:
            raise Skipped("micrograd is not installed: pip install micrograd==0.1.0") from None
        points, self.labels, weights = init
        self.Value = Value
        self.model = MLP(2, SIZES)
        for layer, (W, b) in zip(self.model.layers, weights):
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    w.data = W[i][j]
                neuron.b.data = b[j]
        self.points = points
        self.k = 0

    def step(self) -> float:
        Value, model = self.Value, self.model
        inputs = [list(map(Value, row)) for row in self.points]
        scores = list(map(model, inputs))
        losses = [(1 + -y * s).relu() for y, s in zip(self.labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = learning_rate(self.k)
        for p in model.parameters():
            p.data -= lr * p.grad
        self.k += 1
        return total.data


def _chainrule_model(weights: list[tuple[Matrix, list[float]]]) -> nn.MLP:
    model = nn.MLP(2, SIZES, ["relu", "relu", "linear"])
    for layer, (W, b) in zip(model.layers, weights):
        layer.load_matrices(W, b)
    return model


def _chainrule_loss(model: nn.MLP, points: list[tuple[float, float]], labels: list[float]) -> autograd.Value:
    scores = [model(row)[0] for row in points]
    losses = [(1.0 + -y * s).relu() for y, s in zip(labels, scores)]
    data_loss = autograd.sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * autograd.sum([p * p for p in model.parameters()])
    return data_loss + reg_loss


class Chainrule:
    """chainrule's normal dynamic graph: rebuilt every step, ``backward()``, update from ``.grad``."""

    name = "chainrule"

    def __init__(self, init: Init) -> None:
        self.points, self.labels, weights = init
        self.model = _chainrule_model(weights)
        self.params = self.model.parameters()
        self.k = 0

    def step(self) -> float:
        total = _chainrule_loss(self.model, self.points, self.labels)
        self.model.zero_grad()
        total.backward()
        lr = learning_rate(self.k)
        for p in self.params:
            p.data -= lr * p.grad
        self.k += 1
        return total.data


class ChainruleAsUserWrites:
    """chainrule running micrograd's demo step as a user writes it: ``model(x)``, the hinge loss with ``+``
    and ``relu``, the builtin ``sum`` (a chain of ``+`` nodes), L2 with ``p * p``; no n-ary nodes."""

    name = "chainrule, micrograd's demo as written"

    def __init__(self, init: Init) -> None:
        self.points, self.labels, weights = init
        self.model = _chainrule_model(weights)
        self.k = 0

    def step(self) -> float:
        model, Value = self.model, autograd.Value
        inputs = [list(map(Value, row)) for row in self.points]
        scores = [model(x)[0] for x in inputs]
        losses = [(1 + -y * s).relu() for y, s in zip(self.labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = learning_rate(self.k)
        for p in model.parameters():
            p.data -= lr * p.grad
        self.k += 1
        return total.data


class ChainruleReplay:
    """chainrule's replay: the step traced once (not timed), then replayed from floats."""

    name = "chainrule replay"

    def __init__(self, init: Init) -> None:
        self.points, self.labels, weights = init
        self.model = _chainrule_model(weights)
        self.params = self.model.parameters()
        self.replay = replay.trace(_chainrule_loss(self.model, self.points, self.labels), self.params)
        self.k = 0

    def step(self) -> float:
        value, grads = self.replay()
        lr = learning_rate(self.k)
        for p, g in zip(self.params, grads):
            p.data -= lr * g
        self.k += 1
        return value


class Floor:
    """Plain Python floats, forward and backward written by hand: what any Python engine is bounded by."""

    name = "floats by hand (floor)"

    def __init__(self, init: Init) -> None:
        self.points, self.labels, weights = init
        # Per layer, one weight row per neuron (w[j][i]) and the biases.
        self.layers = [([[W[i][j] for i in range(len(W))] for j in range(len(b))], list(b)) for W, b in weights]
        self.k = 0

    def step(self) -> float:
        (w1, b1), (w2, b2), (w3, b3) = self.layers
        n = len(self.points)
        gw1 = [[0.0] * len(r) for r in w1]
        gw2 = [[0.0] * len(r) for r in w2]
        gw3 = [[0.0] * len(r) for r in w3]
        gb1, gb2, gb3 = [0.0] * len(b1), [0.0] * len(b2), [0.0] * len(b3)
        data_loss = 0.0
        for (x0, x1), y in zip(self.points, self.labels):
            z1 = [r[0] * x0 + r[1] * x1 + b for r, b in zip(w1, b1)]
            h1 = [z if z > 0.0 else 0.0 for z in z1]
            z2 = [sum([w * h for w, h in zip(r, h1)]) + b for r, b in zip(w2, b2)]
            h2 = [z if z > 0.0 else 0.0 for z in z2]
            score = sum([w * h for w, h in zip(w3[0], h2)]) + b3[0]
            margin = 1.0 - y * score
            if margin <= 0.0:
                continue  # the hinge is flat here: no loss, no gradient
            data_loss += margin
            g = -y / n  # d(loss)/d(score)
            gb3[0] += g
            row3 = gw3[0]
            for j, h in enumerate(h2):
                row3[j] += g * h
            g2 = [g * w if z > 0.0 else 0.0 for w, z in zip(w3[0], z2)]
            g1 = [0.0] * len(h1)
            for j, gj in enumerate(g2):
                if gj:
                    gb2[j] += gj
                    row, wrow = gw2[j], w2[j]
                    for i, h in enumerate(h1):
                        row[i] += gj * h
                        g1[i] += gj * wrow[i]
            for j, (gj, z) in enumerate(zip(g1, z1)):
                if z > 0.0:
                    gb1[j] += gj
                    gw1[j][0] += gj * x0
                    gw1[j][1] += gj * x1
        reg = 0.0
        lr = learning_rate(self.k)
        for (w, b), (gw, gb) in zip(self.layers, ((gw1, gb1), (gw2, gb2), (gw3, gb3))):
            for row, grow in zip(w, gw):
                for i, v in enumerate(row):
                    reg += v * v
                    row[i] = v - lr * (grow[i] + 2.0 * ALPHA * v)
            for j, v in enumerate(b):
                reg += v * v
                b[j] = v - lr * (gb[j] + 2.0 * ALPHA * v)
        self.k += 1
        return data_loss / n + ALPHA * reg


ENGINES: list[Callable[[Init], object]] = [Micrograd, Chainrule, ChainruleAsUserWrites, ChainruleReplay, Floor]
