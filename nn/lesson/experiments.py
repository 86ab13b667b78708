"""The questions the tutorial's "Important Notes" leave open, answered by running the engine, and a
short training run on the tutorial's example (demo sections 4 and 5).

- :func:`batch_experiment`: a batch's mean loss has the mean of the per-example gradients;
- :func:`symmetry_experiment`: with every weight equal, a hidden layer's neurons stay copies;
- :func:`vanishing_experiment`: a deep sigmoid net's first layers get tiny gradients;
- :func:`train`: the loss step by step from the tutorial's weights (or a seeded random init).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import autograd

from .. import losses, optim
from ..modules import MLP, Layer
from . import tutorial

LOSS_NAMES = ("tutorial", "categorical")
"""The two losses the walkthrough and the demo offer: the tutorial's own, and categorical cross-entropy."""


def loss_function(loss: str) -> losses.Loss:
    """The loss called ``loss`` (one of :data:`LOSS_NAMES`)."""
    if loss not in LOSS_NAMES:
        raise ValueError(f"unknown loss {loss!r}; accepted: {', '.join(LOSS_NAMES)}")
    return losses.binary_cross_entropy if loss == "tutorial" else losses.cross_entropy




BATCH_INPUTS: tuple[tuple[float, ...], ...] = (tutorial.INPUT, (0.5, 0.1, 0.3), (0.9, 0.8, 0.1))
BATCH_TARGETS: tuple[tuple[float, ...], ...] = (tutorial.TARGET, (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
"""A small batch: the tutorial's example plus two more of our own making."""

BATCH_PARAMS = ("W_i3j3", "W_j1k1", "W_k1l1", "b_l1")


@dataclass
class BatchResult:
    """Per-example losses and gradients of a few parameters, and the same for the batch's mean loss."""

    losses: list[float]
    mean_loss: float
    params: tuple[str, ...]
    per_example: list[list[float]]  # [example][param]
    batch: list[float]  # d(mean loss)/d(param), from one backward of the batch loss


def batch_experiment(loss: str = "tutorial") -> BatchResult:
    """One backward per example, then one backward of the batch's mean loss: its gradient is their mean."""
    fn = loss_function(loss)
    per_example, example_losses = [], []
    for x, y in zip(BATCH_INPUTS, BATCH_TARGETS):
        model = tutorial.network()
        E = fn(model(x), y)
        E.backward()
        named = dict(model.named_parameters())
        per_example.append([named[p].grad for p in BATCH_PARAMS])
        example_losses.append(E.data)
    model = tutorial.network()
    E = losses.batch_mean(fn, [model(x) for x in BATCH_INPUTS], list(BATCH_TARGETS))
    E.backward()
    named = dict(model.named_parameters())
    return BatchResult(example_losses, E.data, BATCH_PARAMS, per_example, [named[p].grad for p in BATCH_PARAMS])


@dataclass
class SymmetryResult:
    """How far apart a layer's neurons are (largest weight or bias difference) before and after training."""

    steps: int
    lr: float
    constant: float
    spread_before: list[float]
    spread_after: list[float]
    tutorial_spread_after: list[float]
    W_ij_after: list[list[float]]


def neuron_spread(layer: Layer) -> float:
    """The largest difference between two neurons of ``layer`` in any weight or in the bias."""
    cols = [[*(w.data for w in n.w), n.b.data] for n in layer.neurons]
    return max((abs(a - b) for c1 in cols for c2 in cols for a, b in zip(c1, c2)), default=0.0)


def _train_steps(model: MLP, fn: losses.Loss, steps: int, lr: float) -> None:
    opt = optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        fn(model(tutorial.INPUT), tutorial.TARGET).backward()
        opt.step()


def symmetry_experiment(
    loss: str = "tutorial", steps: int = 50, lr: float = 0.5, constant: float = 0.5
) -> SymmetryResult:
    """Every weight ``constant`` (biases too), trained on the tutorial example: hidden neurons stay copies."""
    fn = loss_function(loss)
    model = MLP(3, [3, 3, 3], list(tutorial.ACTIVATIONS), init=constant, bias=constant)
    before = [neuron_spread(layer) for layer in model.layers]
    _train_steps(model, fn, steps, lr)
    reference = tutorial.network()
    _train_steps(reference, fn, steps, lr)
    return SymmetryResult(
        steps, lr, constant, before, [neuron_spread(layer) for layer in model.layers],
        [neuron_spread(layer) for layer in reference.layers], model.layers[0].weights(),
    )


@dataclass
class VanishingResult:
    """Mean |dE/dW| per layer (input side first) for the same deep shape with sigmoid vs ReLU hidden layers."""

    depth: int
    width: int
    sigmoid: list[float]
    relu: list[float]


def layer_grad_sizes(model: MLP) -> list[float]:
    """Mean absolute weight gradient of each layer (after a backward pass)."""
    return [math.fsum(abs(g) for row in layer.weight_grads() for g in row) / (layer.n_in * layer.n_out)
            for layer in model.layers]


def vanishing_experiment(seed: int = 0, depth: int = 8, width: int = 8, loss: str = "tutorial") -> VanishingResult:
    """``depth`` hidden layers of ``width`` neurons then a softmax layer of 3, on the tutorial example.

    Both nets use the usual init for their activation (Xavier for sigmoid, He for ReLU) from the
    same seed. Sigmoid's derivative is at most 1/4, so each layer back shrinks the gradient.
    """
    fn = loss_function(loss)
    sizes = {}
    for act in ("sigmoid", "relu"):
        model = MLP(3, [width] * depth + [3], [act] * depth + ["softmax"], seed=random.Random(seed))
        fn(model(tutorial.INPUT), tutorial.TARGET).backward()
        sizes[act] = layer_grad_sizes(model)
    return VanishingResult(depth, width, sizes["sigmoid"], sizes["relu"])


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """Loss at logged steps (step 0 is before any update) and the final outputs."""

    history: list[tuple[int, float]]
    outputs: list[float]


def train(
    loss: str = "tutorial",
    steps: int = 100,
    lr: float = 0.1,
    optimizer: str = "sgd",
    seed: int | None = None,
    init: str = "tutorial",
    log_every: int | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainResult:
    """Train on the tutorial's single example; ``init='tutorial'`` starts from its weights, ``'random'``
    from a seeded random init of the same 3-3-3-3 shape."""
    fn = loss_function(loss)
    if optimizer not in optim.OPTIMIZERS:
        raise ValueError(f"unknown optimiser {optimizer!r}; accepted: {', '.join(optim.OPTIMIZERS)}")
    if init == "tutorial":
        model = tutorial.network()
    elif init == "random":
        model = MLP(3, [3, 3, 3], list(tutorial.ACTIVATIONS), seed=seed)
    else:
        raise ValueError(f"unknown init {init!r}; accepted: tutorial, random")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    every = log_every or max(1, steps // 10)
    opt = optim.OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    history = []
    for step in range(steps + 1):
        opt.zero_grad()
        E = fn(model(tutorial.INPUT), tutorial.TARGET)
        if step % every == 0 or step == steps:
            history.append((step, E.data))
        if progress is not None:
            progress(step, steps, E.data)
        if step == steps:
            break
        E.backward()
        opt.step()
    with autograd.no_grad():
        outputs = [o.data for o in model(tutorial.INPUT)]
    return TrainResult(history, outputs)

