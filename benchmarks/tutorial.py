"""Workload B: the tutorial network's full training step. The 3-3-3-3 network (ReLU, sigmoid,
softmax) on the tutorial's input: forward, categorical cross-entropy, backward, SGD on weights and
biases (learning rate 0.01). Every engine starts from the tutorial's weights and follows the same
trajectory.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import nn.lesson
from autograd import replay

from .harness import Skipped

Matrix = list[list[float]]
LR = nn.lesson.tutorial.LEARNING_RATE
X = list(nn.lesson.tutorial.INPUT)
Y = list(nn.lesson.tutorial.TARGET)


def _weights() -> list[tuple[Matrix, list[float]]]:
    t = nn.lesson.tutorial
    return [([list(r) for r in W], [t.BIAS] * 3) for W in (t.W_IJ, t.W_JK, t.W_KL)]


class Micrograd:
    """micrograd 0.1.0 plus exp/log/sigmoid (benchmarks/micrograd_ext.py), written micrograd's way."""

    name = "micrograd + exp/log/sigmoid"

    def __init__(self) -> None:
        try:
            from .micrograd_ext import patched_value_class

            Value = patched_value_class()
        except ImportError:
            raise Skipped("micrograd is not installed: pip install micrograd==0.1.0") from None
        self.Value = Value
        self.layers = [([[Value(w) for w in row] for row in W], [Value(v) for v in b]) for W, b in _weights()]
        self.params = [p for W, b in self.layers for row in W for p in row] + [p for _, b in self.layers for p in b]

    def step(self) -> float:
        h: list[Any] = [self.Value(v) for v in X]
        for k, (W, b) in enumerate(self.layers):
            z = [sum((W[i][j] * h[i] for i in range(len(h))), b[j]) for j in range(len(b))]
            if k == 0:
                h = [v.relu() for v in z]
            elif k == 1:
                h = [v.sigmoid() for v in z]
            else:
                e = [v.exp() for v in z]
                total = sum(e)
                h = [v / total for v in e]
        loss = -sum(y * o.log() for y, o in zip(Y, h) if y != 0.0)
        for p in self.params:
            p.grad = 0
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return loss.data


class Torch:
    """PyTorch, eagerly, with the layers as 3x3 tensors (one thread)."""

    def __init__(self, dtype_name: str) -> None:
        try:
            with warnings.catch_warnings():  # torch warns when numpy is absent; it is not needed here
                warnings.simplefilter("ignore")
                import torch
        except ImportError:
            raise Skipped("torch is not installed: pip install torch==2.13.0") from None
        torch.set_num_threads(1)
        self.torch = torch
        dtype = getattr(torch, dtype_name)
        self.name = f"PyTorch {torch.__version__.split('+')[0]} {dtype_name}"
        self.params = []
        for W, b in _weights():
            self.params.append(torch.tensor(W, dtype=dtype, requires_grad=True))
            self.params.append(torch.tensor(b, dtype=dtype, requires_grad=True))
        self.x = torch.tensor(X, dtype=dtype)
        self.y = torch.tensor(Y, dtype=dtype)

    def step(self) -> float:
        torch = self.torch
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = torch.relu(self.x @ W1 + b1)
        h2 = torch.sigmoid(h1 @ W2 + b2)
        o = torch.softmax(h2 @ W3 + b3, dim=0)
        loss = -(self.y * torch.log(o)).sum()
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= LR * p.grad  # type: ignore[operator]  # backward() has just set it
                p.grad = None
        return loss.item()


class Chainrule:
    """chainrule's dynamic graph: nn.lesson.tutorial.network(), nn.cross_entropy, backward(), nn.SGD."""

    name = "chainrule"

    def __init__(self) -> None:
        self.net = nn.lesson.tutorial.network()
        self.opt = nn.SGD(self.net.parameters(), lr=LR)

    def step(self) -> float:
        loss = nn.cross_entropy(self.net(X), Y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.data


class ChainruleReplay:
    """chainrule's replay of the same step (traced once, not timed)."""

    name = "chainrule replay"

    def __init__(self) -> None:
        self.net = nn.lesson.tutorial.network()
        self.params = self.net.parameters()
        self.replay = replay.trace(nn.cross_entropy(self.net(X), Y), self.params)

    def step(self) -> float:
        value, grads = self.replay()
        for p, g in zip(self.params, grads):
            p.data -= LR * g
        return value


class Floor:
    """Plain floats, forward and backward by hand (full softmax Jacobian)."""

    name = "floats by hand (floor)"

    def __init__(self) -> None:
        self.layers = _weights()

    def step(self) -> float:
        (W1, b1), (W2, b2), (W3, b3) = self.layers
        x, y = X, Y
        n = range(3)
        z1 = [x[0] * W1[0][j] + x[1] * W1[1][j] + x[2] * W1[2][j] + b1[j] for j in n]
        h1 = [z if z > 0.0 else 0.0 for z in z1]
        z2 = [h1[0] * W2[0][k] + h1[1] * W2[1][k] + h1[2] * W2[2][k] + b2[k] for k in n]
        h2 = [1.0 / (1.0 + math.exp(-z)) for z in z2]
        z3 = [h2[0] * W3[0][m] + h2[1] * W3[1][m] + h2[2] * W3[2][m] + b3[m] for m in n]
        top = max(z3)
        e = [math.exp(z - top) for z in z3]
        s = sum(e)
        o = [v / s for v in e]
        loss = -sum(yi * math.log(oi) for yi, oi in zip(y, o) if yi)
        # dE/dz3 = o - y for softmax + cross-entropy with a distribution as target.
        ysum = sum(y)
        g3 = [o[m] * ysum - y[m] for m in n]
        g2 = [sum(W3[k][m] * g3[m] for m in n) * h2[k] * (1.0 - h2[k]) for k in n]
        g1 = [sum(W2[j][k] * g2[k] for k in n) if z1[j] > 0.0 else 0.0 for j in n]
        for (W, b), g, a in (((W3, b3), g3, h2), ((W2, b2), g2, h1), ((W1, b1), g1, x)):
            for i in n:
                row = W[i]
                for j in n:
                    row[j] -= LR * a[i] * g[j]
            for j in n:
                b[j] -= LR * g[j]
        return loss


def torch_float64() -> Torch:
    return Torch("float64")


def torch_float32() -> Torch:
    return Torch("float32")


torch_float64.name = "PyTorch float64"  # type: ignore[attr-defined]  # for a 'skipped' row
torch_float32.name = "PyTorch float32"  # type: ignore[attr-defined]

ENGINES: list[Callable[[], object]] = [
    Micrograd,
    torch_float64,
    torch_float32,
    Chainrule,
    ChainruleReplay,
    Floor,
]
