"""A path to PyTorch: ``to_torch(model)`` and ``from_torch(module)``, with the same weights.

A chainrule :class:`~nn.Layer` becomes ``torch.nn.Linear`` (float64) followed by its activation
(``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax(dim=-1)``, nothing for ``linear``); an MLP becomes a
``torch.nn.Sequential`` of those. PyTorch stores a Linear's weight as ``(out, in)``, the transpose of
the tutorial's ``W[i][j]``: ``linear.weight[j][i]`` is ``layer.neurons[j].w[i]``.

PyTorch is optional: it is imported when one of these functions is called (``pip install
torch==2.13.0``, or ``pip install 'chainrule[torch]'``).
"""

from __future__ import annotations

from typing import Any

from .modules import MLP, Layer, Module, boundary_names

TORCH_PIN = "torch==2.13.0"

# chainrule activation name -> torch.nn class name (linear: no module at all)
_TO_TORCH = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax"}
_FROM_TORCH = {v: k for k, v in _TO_TORCH.items()}
# Softmax over the features: -1 always; 1 for the usual (batch, features) input; None is torch's
# implicit choice, which is the last dimension for 1-D and 2-D inputs.
_SOFTMAX_DIMS = (-1, 1, None)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"nn.to_torch / nn.from_torch need PyTorch, which is not installed: pip install {TORCH_PIN} "
            "(or pip install 'chainrule[torch]')"
        ) from None
    return torch


def to_torch(model: Module) -> Any:
    """A float64 ``torch.nn.Sequential`` computing what ``model`` (an MLP or a Layer) computes.

    The weights are copied (changing one model does not change the other). For a batch, pass a
    ``(batch, n_in)`` tensor; for one example, a ``(n_in,)`` tensor gives the same numbers as
    ``model(x)``.
    """
    torch = _torch()
    if isinstance(model, MLP):
        layers = model.layers
    elif isinstance(model, Layer):
        layers = [model]
    else:
        raise TypeError(f"nn.to_torch converts an nn.MLP or nn.Layer, not {type(model).__name__}")
    modules: list[Any] = []
    for layer in layers:
        linear = torch.nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
        with torch.no_grad():
            # W is n_in x n_out (input i -> neuron j); torch's weight is n_out x n_in.
            linear.weight.copy_(torch.tensor(layer.weights(), dtype=torch.float64).T)
            linear.bias.copy_(torch.tensor(layer.biases(), dtype=torch.float64))
        modules.append(linear)
        if layer.activation == "softmax":
            modules.append(torch.nn.Softmax(dim=-1))
        elif layer.activation != "linear":
            modules.append(getattr(torch.nn, _TO_TORCH[layer.activation])())
    return torch.nn.Sequential(*modules)


def from_torch(module: Any) -> MLP:
    """An :class:`~nn.MLP` with the weights of a ``torch.nn.Sequential`` of ``Linear`` layers and activations.

    Accepted: ``Linear`` (with or without bias; no bias becomes biases of 0.0), each optionally
    followed by one of ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax(dim=-1)`` (or dim 1 / None);
    ``Identity`` anywhere. A bare ``Linear`` is a one-layer model. Weights of any real float dtype
    are read as float64 (float32 values are exactly representable). Anything else: a ValueError or
    TypeError naming the first module that cannot be converted; a ValueError naming the Linear for
    weights that hold no real numbers: a complex dtype (its imaginary part would be lost), the
    ``meta`` device, or a lazy module's uninitialised parameters. Nothing changes the torch module.
    """
    torch = _torch()
    if isinstance(module, torch.nn.Linear):
        items: list[Any] = [module]
    elif isinstance(module, torch.nn.Sequential):
        items = list(module)
    else:
        raise TypeError(
            f"nn.from_torch converts a torch.nn.Sequential of Linear layers and activations (or one Linear), "
            f"not {type(module).__name__}"
        )
    specs: list[tuple[Any, str]] = []  # (Linear, activation name)
    for k, item in enumerate(items):
        name = type(item).__name__
        where = f"module {k} ({item!r})"
        if isinstance(item, torch.nn.Identity):
            continue
        if isinstance(item, torch.nn.Linear):
            _require_real_numbers(torch, item, where)
            specs.append((item, "linear"))
            continue
        if name not in _FROM_TORCH or type(item) is not getattr(torch.nn, name):
            accepted = ", ".join(["Linear", *_FROM_TORCH, "Identity"])
            raise ValueError(f"nn.from_torch cannot convert {where}; accepted modules: {accepted}")
        if not specs or specs[-1][1] != "linear":
            raise ValueError(f"{where}: an activation must follow a Linear layer (one activation per layer)")
        if name == "Softmax" and item.dim not in _SOFTMAX_DIMS:
            raise ValueError(f"{where}: softmax must act across a layer's outputs (dim=-1), not dim={item.dim}")
        specs[-1] = (specs[-1][0], _FROM_TORCH[name])
    if not specs:
        raise ValueError("nn.from_torch: the module holds no Linear layer")
    layers: list[Layer] = []
    for k, (linear, activation) in enumerate(specs):
        weight = linear.weight.detach().to(torch.float64)  # n_out x n_in
        bias = linear.bias.detach().to(torch.float64).tolist() if linear.bias is not None else [0.0] * len(weight)
        W = weight.T.tolist()
        if k and len(W) != len(layers[-1].biases()):
            raise ValueError(
                f"Linear layer {k} takes {len(W)} inputs but the layer before it gives {len(layers[-1].biases())}"
            )
        layers.append(Layer.from_matrices(W, bias, activation, names=boundary_names(k)))
    return MLP.from_layers(layers)


def _require_real_numbers(torch: Any, linear: Any, where: str) -> None:
    """Refuse a Linear whose parameters are not real numbers held in memory, before any is read."""
    for name, p in (("weight", linear.weight), ("bias", linear.bias)):
        if p is None:
            continue
        if isinstance(p, torch.nn.parameter.UninitializedParameter):
            raise ValueError(f"nn.from_torch: {where} has an uninitialised {name} (a lazy module): run it on an "
                             "input once, or give it its sizes, before converting")
        if p.is_meta:
            raise ValueError(f"nn.from_torch: {where} has its {name} on the 'meta' device, which holds no numbers: "
                             "load or initialise the weights (module.to_empty(device='cpu') and then set them) first")
        if not p.dtype.is_floating_point:
            raise ValueError(f"nn.from_torch: {where} has a {name} of dtype {p.dtype}; chainrule's numbers are real "
                             "floats (a complex weight would lose its imaginary part)")
