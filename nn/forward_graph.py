"""Where a model's forward pass sits in a recorded graph: found by following the parameters (a
neuron's weighted input is the ``dot`` node its weights and bias feed, its output the activation
applied to that). Used by the network view and by :func:`nn.draw.model_options`, with the names of the model's
Values (:func:`model_labels`); it only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value, topological_order
from autograd.draw import op_param

from . import functional as F
from .modules import MLP, Layer, Neuron


@dataclass(frozen=True)
class LayerNodes:
    """One forward pass of a model as recorded in a graph: the input Values, and per layer the
    pre-activations (``dot`` nodes) and outputs. ``passes`` counts the forward passes the graph holds
    (a batch loss holds several); this is the first."""

    inputs: tuple[Value, ...]
    pre: tuple[tuple[Value, ...], ...]
    out: tuple[tuple[Value, ...], ...]
    passes: int


def layer_names(n_layers: int) -> list[str]:
    """Display names of the layers: ``h1``, ``h2``, ... for hidden layers and ``out`` for the last."""
    return [f"h{k + 1}" for k in range(n_layers - 1)] + ["out"]


def find_forward(model: MLP | Layer, root: Value) -> LayerNodes:
    """Locate ``model``'s forward pass in the graph that produced ``root``.

    Raises ValueError if the graph does not contain one (``root`` was not computed from the model's
    outputs, or the model was changed since).
    """
    layers = layers_of(model)
    if not isinstance(root, Value):
        raise TypeError(f"root must be the Value computed from the model (its loss or an output), not {root!r}")
    consumers: dict[int, list[Value]] = {}
    for v in topological_order(root):
        for inp in v.inputs:
            users = consumers.setdefault(id(inp), [])
            if not users or users[-1] is not v:
                users.append(v)

    first = layers[0].neurons[0]
    candidates = [c for c in consumers.get(id(first.w[0]), ()) if _is_pre_activation(c, first, None)]
    if not candidates:
        raise ValueError(
            "the graph behind root holds no forward pass of this model: compute root from model(x) "
            "(e.g. loss = nn.binary_cross_entropy(model(x), y)) and draw that"
        )
    n_in = first.n_in
    xs: tuple[Value, ...] = tuple(candidates[0].inputs[n_in : 2 * n_in])
    inputs = xs
    pre: list[tuple[Value, ...]] = []
    out: list[tuple[Value, ...]] = []
    for k, layer in enumerate(layers):
        zs = []
        for j, neuron in enumerate(layer.neurons):
            found = [c for c in consumers.get(id(neuron.w[0]), ()) if _is_pre_activation(c, neuron, xs)]
            if not found:
                raise ValueError(f"the graph behind root has no weighted input for layer {k}, neuron {j}")
            zs.append(found[0])
        zs_t = tuple(zs)
        outs = _activation_outputs(layer.activation, zs_t, consumers, k)
        pre.append(zs_t)
        out.append(outs)
        xs = outs
    return LayerNodes(inputs, tuple(pre), tuple(out), len(candidates))




def model_labels(model: MLP | Layer, root: Value) -> dict[Value, str]:
    """Names for the model's Values in ``root``'s graph, in the model's own notation, for
    :func:`autograd.names.node_names` (every picture and the explorer take them as ``labels=``).

    The inputs are called as the first layer's weights call them: ``i1, i2, ...`` when the weights
    are the tutorial's ``W_i1j1`` (1-based), else by their own labels (``x[0]``). Pre-activations and
    outputs the model left unlabelled get ``h1_in[0]``, ``h1_out[0]``, ..., ``O_in[0]``, ``O_out[0]``
    (the tutorial's labels them itself: ``h1_in1``, ``O_out3``), and an unlabelled loss ``E``.
    """
    layers = layers_of(model)
    forward = find_forward(model, root)
    first = layers[0]
    src, dst = first.names
    one_based = all(n.w[i].label == f"W_{src}{i + 1}{dst}{j + 1}" for j, n in enumerate(first.neurons)
                    for i in range(first.n_in))
    labels: dict[Value, str] = {}
    for i, x in enumerate(forward.inputs):
        if one_based:
            labels[x] = f"{src}{i + 1}"
    stems = [f"h{k + 1}" for k in range(len(layers) - 1)] + ["O"]
    for k, stem in enumerate(stems):
        for j, (z, o) in enumerate(zip(forward.pre[k], forward.out[k])):
            if not z.label:
                labels[z] = f"{stem}_in[{j}]"
            if not o.label and o is not z:
                labels[o] = f"{stem}_out[{j}]"
    if not root.label and not any(root is o for o in forward.out[-1]):
        labels[root] = "E"
    return labels


# --- helpers ---

def is_weighted_sum(v: Value) -> bool:
    """Whether ``v`` is a dot node: an op whose inputs have roles (weights, inputs, bias)."""
    return v._rule is not None and v._rule.roles is not None


def layers_of(model: Any) -> list[Layer]:
    if isinstance(model, MLP):
        return list(model.layers)
    if isinstance(model, Layer):
        return [model]
    raise TypeError(f"expected an nn.MLP or nn.Layer, not {type(model).__name__}: {model!r}")


def _is_pre_activation(c: Value, neuron: Neuron, xs: Sequence[Value] | None) -> bool:
    """Whether ``c`` is ``dot(neuron.w, xs, neuron.b)`` (any ``xs`` when None)."""
    n = neuron.n_in
    if not is_weighted_sum(c) or len(c.inputs) != 2 * n + 1 or c.inputs[2 * n] is not neuron.b:
        return False
    if any(a is not b for a, b in zip(c.inputs[:n], neuron.w)):
        return False
    return xs is None or all(a is b for a, b in zip(c.inputs[n : 2 * n], xs))


def _activation_outputs(
    activation: str, zs: tuple[Value, ...], consumers: dict[int, list[Value]], k: int
) -> tuple[Value, ...]:
    if activation == "linear":
        return zs
    outs: list[Value] = []
    for j, z in enumerate(zs):
        if activation in F.ELEMENTWISE:
            found = [c for c in consumers.get(id(z), ()) if F.made_by(activation, c) and c.inputs[0] is z]
        elif activation == "softmax":
            found = [
                c
                for c in consumers.get(id(zs[0]), ())
                if c._rule is not None and c._rule.coupled
                and op_param(c) == j
                and len(c.inputs) == len(zs)
                and all(a is b for a, b in zip(c.inputs, zs))
            ]
        else:
            raise ValueError(f"layer {k}: cannot draw activation {activation!r}")
        if not found:
            raise ValueError(
                f"the graph behind root has no {activation} output for layer {k}, neuron {j}: root must "
                "depend on every output of the model (draw from the loss, not from one output)"
            )
        outs.append(found[0])
    return tuple(outs)
