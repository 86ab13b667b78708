"""Neural-network building blocks on top of the engine: Neuron, Layer, MLP (their base, Module: nn.parameters).

Weight layout follows the tutorial: a layer's matrix ``W[i][j]`` connects input ``i`` to neuron ``j``
(row vector times matrix), so ``layer.neurons[j].w[i]`` *is* ``W[i][j]``. A neuron's weighted input
``sum_i W[i][j] * x[i] + b[j]`` is ONE graph node (``autograd.dot``): the tutorial's ``h1_in``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import autograd
from autograd import Value, apply, ops
from autograd.value import as_float, number

from . import functional as F
from . import init as _init
from .arguments import as_inputs, check_init_shape, check_shapes
from .init import WeightMatrix
from .parameters import Module

LabelStyle = Callable[[str, tuple[int, ...]], str]
"""``style(name, index) -> label`` for a layer's Values, e.g. ``("W_jk", (2, 1))``, ``("h1_in", (0,))``."""


def bracket_labels(name: str, index: tuple[int, ...]) -> str:
    """The default labels, 0-based: ``W_jk[2][1]``, ``b_k[1]``, ``h1_in[0]``."""
    return name + "".join(f"[{i}]" for i in index)

# Index letters for layer boundaries, as in the tutorial (inputs i, then j, k, l, ...); 'o' is skipped
# because the tutorial's O names the outputs.
_LETTERS = "ijklmnpqrstuvwxyz"


def boundary_names(layer_index: int) -> tuple[str, str]:
    """The index names of layer ``layer_index``'s input and output side: 0 -> ('i', 'j'), 1 -> ('j', 'k')."""
    if layer_index + 1 < len(_LETTERS):
        return _LETTERS[layer_index], _LETTERS[layer_index + 1]
    return f"L{layer_index}", f"L{layer_index + 1}"


def choose_activation(activation: str | None, nonlin: bool | None, default: str | None) -> tuple[str, bool]:
    """``(activation name, micrograd's form?)`` from a name or micrograd's ``nonlin`` flag (not both).

    With neither, ``default`` if given, else micrograd's own default: ReLU (``nonlin=True``).
    """
    if nonlin is not None:
        if not isinstance(nonlin, bool):
            raise TypeError(f"nonlin is micrograd's flag: True (ReLU) or False (linear), not {nonlin!r}")
        if activation is not None:
            raise TypeError(
                f"give an activation name or micrograd's nonlin flag, not both (got {activation!r} and nonlin={nonlin})"
            )
        return ("relu" if nonlin else "linear"), True
    if activation is not None:
        return F.check_activation(activation), False
    return (default, False) if default is not None else ("relu", True)


class Neuron(Module):
    """One neuron: weights ``w`` (one Value per input), bias ``b``, and an element-wise activation.

    ``Neuron(weights, bias, activation=...)`` takes its weights; ``Neuron(n_in, nonlin=True)`` is
    micrograd's: ``n_in`` weights drawn uniformly from [-1, 1] (Python's global ``random`` unless
    ``seed`` is given), bias 0, ReLU unless ``nonlin=False``. ``neuron(x)`` builds
    ``activation(dot(w, x, b))``, the ``dot`` one graph node. Softmax acts across a layer: use :class:`Layer`.

    >>> import random
    >>> random.seed(0); n = Neuron(2)
    >>> random.seed(0); [round(w.data, 12) for w in n.w] == [round(random.uniform(-1, 1), 12) for _ in "ab"]
    True
    """

    def __init__(
        self,
        weights: int | Sequence[float],
        bias: float = 0.0,
        *,
        activation: str | None = None,
        nonlin: bool | None = None,
        seed: int | random.Random | None = None,
        weight_labels: Sequence[str] | None = None,
        bias_label: str = "b",
    ) -> None:
        if isinstance(weights, int) and not isinstance(weights, bool):
            if weights < 1:
                raise ValueError(f"Neuron(n_in) needs n_in >= 1 inputs, got {weights}")
            activation, _ = choose_activation(activation, nonlin, None)
            weights = [row[0] for row in _init.micrograd_uniform(weights, 1, _init.make_rng(seed))]
        else:
            if isinstance(weights, bool | str | bytes | Value) or not isinstance(weights, Iterable):
                raise TypeError(
                    "Neuron takes its number of inputs (micrograd's Neuron(2)) or a list of weights "
                    f"(Neuron([0.5, -1.0])), not {type(weights).__name__}: {weights!r}"
                )
            if seed is not None:
                raise TypeError("seed draws the weights of Neuron(n_in); Neuron(weights) takes its weights as given")
            activation, _ = choose_activation(activation, nonlin, "linear")
            weights = list(weights)
        if not weights:
            raise ValueError("a Neuron needs at least one weight (one per input)")
        labels = list(weight_labels) if weight_labels is not None else [f"w[{i}]" for i in range(len(weights))]
        if len(labels) != len(weights):
            raise ValueError(f"got {len(labels)} weight labels for {len(weights)} weights")
        self.w: list[Value] = [Value(as_float(v, f"weight {lab}"), lab) for v, lab in zip(weights, labels)]
        self.b: Value = Value(as_float(bias, f"bias {bias_label}"), bias_label)
        self.activation = F.check_activation(activation)

    @property
    def n_in(self) -> int:
        """How many inputs the neuron takes."""
        return len(self.w)

    def pre_activation(self, x: Sequence[Value | float]) -> Value:
        """The weighted input ``sum_i w[i] * x[i] + b`` as one ``dot`` node."""
        return autograd.dot(self.w, as_inputs(x, self.n_in, "Neuron"), self.b)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if self.activation == "softmax":
            raise ValueError("softmax acts across a layer's outputs; a single Neuron cannot apply it (use Layer)")
        return F.activate(self.activation, [self.pre_activation(x)])[0]

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron(n_in={self.n_in}, activation={self.activation!r})"


class Layer(Module):
    """A layer of neurons sharing one activation (``relu``, ``sigmoid``, ``tanh``, ``linear``, ``softmax``).

    ``Layer(n_in, n_out, activation)`` initialises its weights from ``init`` (a scheme name, a number
    for constant init, or a callable ``(n_in, n_out, rng) -> W``) using ``seed`` (an int or a
    ``random.Random``; None: Python's global one); :meth:`from_matrices` builds one from given ``W``
    and ``b``. Without an activation name it is micrograd's ``Layer(n_in, n_out, nonlin=True)``: ReLU
    (linear for ``nonlin=False``), micrograd's init, and a one-neuron layer returns its Value, not a list.

    Parameters are labelled with the tutorial's index names, e.g. ``W_jk[2][1]`` and ``b_k[1]``
    for ``names=("j", "k")``. With ``node_names=("h1_in", "h1_out")`` the forward pass also labels
    the nodes it makes (``h1_in[0]``, ...), which the walkthrough and pictures use. ``labels`` writes
    the labels otherwise, e.g. 1-based as the tutorial does (``W_j3k2``, see ``nn.lesson.tutorial``).
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | None = None,
        *,
        nonlin: bool | None = None,
        init: str | float | _init.Initializer = "auto",
        bias: float = 0.0,
        seed: int | random.Random | None = None,
        names: tuple[str, str] = ("i", "j"),
        node_names: tuple[str, str] | None = None,
        labels: LabelStyle = bracket_labels,
    ) -> None:
        activation, micrograd = choose_activation(activation, nonlin, None)
        for what, n in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"Layer {what} must be a positive int, got {n!r}")
        scheme = "micrograd" if micrograd and isinstance(init, str) and init == "auto" else init
        W = _init.resolve(scheme, activation)(n_in, n_out, _init.make_rng(seed))
        check_init_shape(W, n_in, n_out)
        self._build(W, [bias] * n_out, activation, names, node_names, labels)
        self._unwrap = micrograd and n_out == 1  # micrograd's Layer returns out[0] when nout == 1

    @classmethod
    def from_matrices(
        cls,
        W: Sequence[Sequence[float]],
        b: Sequence[float],
        activation: str = "linear",
        *,
        names: tuple[str, str] = ("i", "j"),
        node_names: tuple[str, str] | None = None,
        labels: LabelStyle = bracket_labels,
    ) -> Layer:
        """A layer with weights ``W`` (``n_in`` rows, ``n_out`` columns; ``W[i][j]``: input i -> neuron j)
        and biases ``b`` (``n_out`` numbers)."""
        W_rows, b_list = check_shapes(W, b)
        layer = cls.__new__(cls)
        layer._build(W_rows, b_list, F.check_activation(activation), names, node_names, labels)
        return layer

    def _build(
        self,
        W: Sequence[Sequence[float]],
        b: Sequence[float],
        activation: str,
        names: tuple[str, str],
        node_names: tuple[str, str] | None,
        labels: LabelStyle = bracket_labels,
    ) -> None:
        W, b = check_shapes(W, b)
        if not callable(labels):
            raise TypeError(f"labels must be a function (name, index) -> str, like bracket_labels; got {labels!r}")
        if not (isinstance(names, tuple) and len(names) == 2 and all(isinstance(s, str) for s in names)):
            raise TypeError(f"names must be a pair of index names like ('i', 'j'), got {names!r}")
        if node_names is not None and not (
            isinstance(node_names, tuple) and len(node_names) == 2 and all(isinstance(s, str) for s in node_names)
        ):
            raise TypeError(f"node_names must be None or a pair like ('h1_in', 'h1_out'), got {node_names!r}")
        src, dst = names
        self._unwrap = False
        self._activation = activation
        self._activate = F.function(activation)
        self.names = names
        self.node_names = node_names
        # Made once here, not on every forward pass.
        self._n_in = len(W)
        self._dot = ops.op_dot(len(W))
        self._node_labels = (
            None if node_names is None else tuple([labels(name, (j,)) for j in range(len(b))] for name in node_names)
        )
        # A linear layer's outputs are its pre-activation nodes, which keep their own labels.
        self._out_labels = None if self._node_labels is None or activation == "linear" else self._node_labels[1]
        self.neurons: list[Neuron] = [
            Neuron(
                [W[i][j] for i in range(len(W))],
                b[j],
                activation="linear",
                weight_labels=[labels(f"W_{src}{dst}", (i, j)) for i in range(len(W))],
                bias_label=labels(f"b_{dst}", (j,)),
            )
            for j in range(len(b))
        ]

    def _set_node_labels(self, labels: tuple[list[str], list[str]]) -> None:
        """Label the pre-activation and output nodes the forward pass makes (``nn.load`` restores saved ones)."""
        self._node_labels = labels
        self._out_labels = None if self._activation == "linear" else labels[1]

    @property
    def activation(self) -> str:
        """The activation's name (fixed when the layer is made)."""
        return self._activation

    @property
    def n_in(self) -> int:
        """Inputs per neuron (rows of W)."""
        return self._n_in

    @property
    def n_out(self) -> int:
        """Number of neurons (columns of W)."""
        return len(self.neurons)

    def pre_activations(self, x: Sequence[Value | float]) -> list[Value]:
        """Each neuron's weighted input (one ``dot`` node per neuron): the tutorial's ``h1_in``."""
        xs = as_inputs(x, self._n_in, "Layer")
        # The node autograd.dot makes, made directly: weights, bias and (checked) inputs are Values
        # already, and dot's own checks and copies were a third of a layer's time.
        op = self._dot
        zs = [apply(op, *n.w, *xs, n.b) for n in self.neurons]
        if self._node_labels is not None:
            for z, label in zip(zs, self._node_labels[0]):
                z.label = label
        return zs

    def activate(self, zs: Sequence[Value]) -> list[Value]:
        """The layer's activation applied to its pre-activations: the tutorial's ``h1_out``."""
        outs = self._activate(zs)
        if self._out_labels is not None:
            for o, label in zip(outs, self._out_labels):
                o.label = label
        return outs

    def __call__(self, x: Sequence[Value | float]) -> list[Value] | Value:
        outs = self.activate(self.pre_activations(x))
        return outs[0] if self._unwrap else outs

    def parameters(self) -> list[Value]:
        # Weights first, row by row as in W, then the biases: the order of the tutorial's matrices.
        return [n.w[i] for i in range(self.n_in) for n in self.neurons] + [n.b for n in self.neurons]

    def weights(self) -> WeightMatrix:
        """The weight matrix ``W`` (``W[i][j]`` = ``neurons[j].w[i].data``)."""
        return [[n.w[i].data for n in self.neurons] for i in range(self.n_in)]

    def biases(self) -> list[float]:
        """The biases ``b[j]``."""
        return [n.b.data for n in self.neurons]

    def weight_grads(self) -> WeightMatrix:
        """``dE/dW[i][j]`` as a matrix shaped like :meth:`weights` (after a backward pass)."""
        return [[number(n.w[i].grad) for n in self.neurons] for i in range(self.n_in)]

    def bias_grads(self) -> list[float]:
        """``dE/db[j]`` (after a backward pass)."""
        return [number(n.b.grad) for n in self.neurons]

    def load_matrices(self, W: Sequence[Sequence[float]], b: Sequence[float]) -> None:
        """Overwrite the weights and biases in place (same shapes as this layer's)."""
        W, b = check_shapes(W, b)
        if (len(W), len(b)) != (self.n_in, self.n_out):
            raise ValueError(
                f"this layer's W is {self.n_in}x{self.n_out} with {self.n_out} biases; "
                f"got a {len(W)}x{len(b)} matrix and {len(b)} biases"
            )
        for j, n in enumerate(self.neurons):
            for i in range(self.n_in):
                n.w[i].data = W[i][j]
            n.b.data = b[j]

    def __repr__(self) -> str:
        return f"Layer({self.n_in}, {self.n_out}, {self.activation!r})"


class MLP(Module):
    """A stack of layers: ``MLP(n_in, sizes, activations)``, one activation name per layer.

    ``MLP(n_in, sizes)`` without activations is micrograd's ``MLP(nin, nouts)``: ReLU hidden layers,
    a linear last one, micrograd's init (uniform on [-1, 1] from Python's global ``random`` unless
    ``seed`` is given), and one output returned as its Value rather than a list of one.

    >>> model = MLP(2, [4, 1], ["relu", "linear"], seed=0)
    >>> [round(v.data, 6) for v in model([1.0, -2.0])] == [round(v.data, 6) for v in model([1, -2])]
    True
    >>> MLP(2, [16, 16, 1], seed=0)([1.0, -2.0]).op       # micrograd's form: one Value out
    'dot'
    """

    def __init__(
        self,
        n_in: int,
        sizes: Sequence[int],
        activations: Sequence[str] | None = None,
        *,
        init: str | float | _init.Initializer = "auto",
        bias: float = 0.0,
        seed: int | random.Random | None = None,
    ) -> None:
        if isinstance(sizes, int | str | bytes) or not isinstance(sizes, Iterable):
            raise TypeError(
                f"MLP takes its layer sizes as a list: MLP({n_in!r}, [16, 16, 1]) (micrograd's nouts), "
                f"or a list of one for one layer; got {type(sizes).__name__}: {sizes!r}"
            )
        if isinstance(activations, str):
            raise TypeError(f"activations takes one name per layer, e.g. [{activations!r}, ...]; got a single str")
        sizes = list(sizes)
        if not sizes:
            raise ValueError("an MLP needs at least one layer size")
        micrograd = activations is None
        if activations is None:  # micrograd's MLP: Layer(..., nonlin=i != len(nouts) - 1)
            activations = ["relu"] * (len(sizes) - 1) + ["linear"]
            init = "micrograd" if isinstance(init, str) and init == "auto" else init
        activations = list(activations)
        if len(sizes) != len(activations):
            raise ValueError(f"got {len(sizes)} layer sizes but {len(activations)} activations; give one per layer")
        rng = _init.make_rng(seed)
        fan_in = [n_in, *sizes[:-1]]
        self.layers: list[Layer] = [
            Layer(a, b, act, init=init, bias=bias, seed=rng, names=boundary_names(k))
            for k, (a, b, act) in enumerate(zip(fan_in, sizes, activations))
        ]
        self.input_name = "x"
        self._unwrap = micrograd and sizes[-1] == 1

    @classmethod
    def from_layers(cls, layers: Sequence[Layer], input_name: str = "x") -> MLP:
        """An MLP made of the given layers (each layer's ``n_in`` must equal the previous ``n_out``)."""
        layers = list(layers)
        if not layers:
            raise ValueError("an MLP needs at least one layer")
        for k in range(1, len(layers)):
            if layers[k].n_in != layers[k - 1].n_out:
                raise ValueError(
                    f"layer {k} takes {layers[k].n_in} inputs but layer {k - 1} gives {layers[k - 1].n_out} outputs"
                )
        model = cls.__new__(cls)
        model.layers = layers
        model.input_name = input_name
        model._unwrap = False
        return model

    @property
    def n_in(self) -> int:
        """Inputs the model takes."""
        return self.layers[0].n_in

    def trace(self, x: Sequence[Value | float]) -> list[tuple[list[Value], list[Value]]]:
        """The forward pass, keeping every layer's ``(pre_activations, outputs)`` for inspection."""
        h: list[Value] = as_inputs(x, self.n_in, "MLP", self.input_name)
        steps = []
        for layer in self.layers:
            zs = layer.pre_activations(h)
            h = layer.activate(zs)
            steps.append((zs, h))
        return steps

    # Any: a list of Values, or micrograd's form's one Value; typed callers of the named form index a list.
    def __call__(self, x: Sequence[Value | float]) -> Any:
        """The outputs as a list of Values (micrograd's form with one output: that Value)."""
        h: list[Value] = as_inputs(x, self.layers[0]._n_in, "MLP", self.input_name)
        for layer in self.layers:
            h = layer.activate(layer.pre_activations(h))
        return h[0] if self._unwrap else h

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        sizes = [layer.n_out for layer in self.layers]
        acts = [layer.activation for layer in self.layers]
        return f"MLP({self.n_in}, {sizes}, {acts})"
