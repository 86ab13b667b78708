"""chainrule's neural-network layer on top of the engine: modules, losses, optimisers, save/load.

>>> import nn.lesson
>>> model = nn.lesson.tutorial.network()
>>> out = model(nn.lesson.tutorial.INPUT)
>>> loss = nn.binary_cross_entropy(out, nn.lesson.tutorial.TARGET)
>>> loss.backward()
>>> round(model.layers[2].neurons[0].w[0].grad, 6)     # dE/dW_kl[0][0]
-0.3419
"""

from . import functional, init, io, losses, optim
from .functional import ACTIVATIONS, log_softmax, softmax
from .io import load, save
from .losses import batch_mean, binary_cross_entropy, cross_entropy, cross_entropy_with_logits, mse
from .modules import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer
from .torch_bridge import from_torch, to_torch

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "batch_mean",
    "binary_cross_entropy",
    "cross_entropy",
    "cross_entropy_with_logits",
    "from_torch",
    "functional",
    "init",
    "io",
    "load",
    "log_softmax",
    "losses",
    "mse",
    "optim",
    "save",
    "softmax",
    "to_torch",
]
