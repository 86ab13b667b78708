"""The tutorial's 3-3-3-3 network (ReLU, sigmoid, softmax), its example, and the numbers it printed.

Source: "Back propagation" (after https://medium.com/@14prakash/back-propagation-is-very-simple-who-
made-it-complicated-97b794c97e5c), kept as ``shared/seeds/000_3da3704454622fc6.txt``.

:func:`network` builds the network with the tutorial's weights (biases 1.0). ``PRINTED`` holds every
number the tutorial printed, transcribed *as printed* (strings, so the number of digits - and thus
the tutorial's rounding - is kept), with where it appears. ``REASONS`` and ``EXPLAINED`` say why a
printed number differs from the exact one. Indices are 0-based everywhere: ``W_kl[0][1]`` is the
tutorial's ``W_k1l2``, ``O_out[2]`` its ``O_out3``.

Nothing in the library is tuned to these numbers: the walkthrough computes its own and only
compares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from autograd import Value

from ..modules import MLP, Layer

INPUT: tuple[float, ...] = (0.1, 0.2, 0.7)
"""The tutorial's input row vector."""

TARGET: tuple[float, ...] = (1.0, 0.0, 0.0)
"""The tutorial's desired output."""

LEARNING_RATE = 0.01
"""The tutorial's learning rate for its one SGD step."""

BIAS = 1.0
"""Every bias in the tutorial's network."""

W_IJ: tuple[tuple[float, ...], ...] = ((0.1, 0.2, 0.3), (0.3, 0.2, 0.7), (0.4, 0.3, 0.9))
"""Input -> hidden layer 1 (ReLU). ``W_IJ[i][j]`` connects input i to neuron j."""

W_JK: tuple[tuple[float, ...], ...] = ((0.2, 0.3, 0.5), (0.3, 0.5, 0.7), (0.6, 0.4, 0.8))
"""Hidden layer 1 -> hidden layer 2 (sigmoid)."""

W_KL: tuple[tuple[float, ...], ...] = ((0.1, 0.4, 0.8), (0.3, 0.7, 0.2), (0.5, 0.2, 0.9))
"""Hidden layer 2 -> output layer (softmax)."""

ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "softmax")

NODE_NAMES: tuple[tuple[str, str], ...] = (("h1_in", "h1_out"), ("h2_in", "h2_out"), ("O_in", "O_out"))
"""The tutorial's names for each layer's pre-activations and outputs."""


def tutorial_labels(name: str, index: tuple[int, ...]) -> str:
    """The tutorial's own 1-based names: ``("W_kl", (0, 1))`` -> ``W_k1l2``, ``("b_j", (0,))`` -> ``b_j1``,
    ``("h1_in", (2,))`` -> ``h1_in3``. A name ``X_ab`` with one letter per index gets the index after each
    letter; any other name gets the index appended."""
    stem, _, letters = name.rpartition("_")
    if stem and letters.isalpha() and len(letters) == len(index):
        return f"{stem}_" + "".join(f"{a}{i + 1}" for a, i in zip(letters, index))
    return name + "".join(str(i + 1) for i in index)


def network(weights: Sequence[Sequence[Sequence[float]]] = (W_IJ, W_JK, W_KL)) -> MLP:
    """A fresh copy of the tutorial's network, labelled with the tutorial's 1-based names: parameters
    ``W_i1j1`` ... ``W_k3l3`` and ``b_j1`` ... ``b_l3``, forward nodes ``h1_in1``, ``h1_out1``, ...,
    ``O_out3`` (see docs/diagnose.md for the mapping to 0-based indices: ``W_k1l2`` is ``W_kl[0][1]``).
    ``weights`` replaces the three 3x3 matrices (the exercise's seeded variants); biases stay 1.0."""
    layers = [
        Layer.from_matrices(W, [BIAS] * 3, act, names=(src, dst), node_names=nodes, labels=tutorial_labels)
        for W, act, (src, dst), nodes in zip(weights, ACTIVATIONS, (("i", "j"), ("j", "k"), ("k", "l")), NODE_NAMES)
    ]
    return MLP.from_layers(layers, input_name="x")


def inputs() -> list[Value]:
    """The tutorial's input as fresh leaves with its own names ``i1``, ``i2``, ``i3``."""
    return [Value(v, tutorial_labels("i", (k,))) for k, v in enumerate(INPUT)]


# --------------------------------------------------------------------------------------------------
# What the tutorial printed
# --------------------------------------------------------------------------------------------------

Vector = tuple[str, ...]
Matrix = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PrintedTable:
    """Numbers as the tutorial printed them, and where.

    ``values`` is a vector (index ``[a]``) or a matrix (index ``[row][col]``, laid out as the tutorial
    lays it out). ``None`` in a slot means the tutorial printed nothing there (e.g. the off-diagonal
    softmax derivatives it dropped). ``loss_dependent`` marks gradients, which only compare with the
    tutorial's loss (not with categorical cross-entropy).
    """

    values: Vector | Matrix | tuple[tuple[str | None, ...], ...]
    where: str
    loss_dependent: bool = False


def _diag(values: Vector) -> tuple[tuple[str | None, ...], ...]:
    return tuple(tuple(v if r == c else None for c in range(len(values))) for r, v in enumerate(values))


def _rows(values: Vector) -> Matrix:
    # dO_in[l]/dW[k][l] = h2_out[k] for every l: the tutorial prints the same column three times.
    return tuple((v, v, v) for v in values)


PRINTED: dict[str, PrintedTable] = {
    "h1_in": PrintedTable(("1.35", "1.27", "1.8"), "layer-1 Example (Input x W_ij + b)"),
    "h1_out": PrintedTable(("1.35", "1.27", "1.8"), "layer-1 Example (ReLU)"),
    "h2_in": PrintedTable(("2.73", "2.76", "4.001"), "layer-2 Example (h1_out x W_jk + b)"),
    "h2_out": PrintedTable(("0.938", "0.94", "0.98"), "layer-2 Example (sigmoid)"),
    "O_in": PrintedTable(("1.8658", "2.2292", "2.8204"), "layer-3 Example (h2_out x W_kl + b)"),
    "O_out": PrintedTable(("0.19858", "0.28559", "0.51583"), "layer-3 Example (softmax)"),
    "dE/dO_out": PrintedTable(
        ("-3.70644", "-1.4755", "-1.6886"),
        "Hidden Layer2 - Output Layer: 'In our Example The values will be' (dE_1/dO_out1 ...)",
        loss_dependent=True,
    ),
    "dO_out/dO_in": PrintedTable(
        _diag(("0.15911", "0.2040", "0.3685")),
        "Hidden Layer2 - Output Layer: dO_out/dO_in, diagonal only",
    ),
    "dO_in/dW_kl": PrintedTable(_rows(("0.938", "0.94", "0.98")), "Hidden Layer2 - Output Layer: dO_in/dW_kl = h2_out"),
    "dE/dW_kl": PrintedTable(
        (
            ("-0.5531", "-0.0576", "-0.5836"),
            ("-0.554347", "-0.0577", "-0.5849"),
            ("-0.577937", "-0.06017", "-0.6098"),
        ),
        "Hidden Layer2 - Output Layer: delta W_kl",
        loss_dependent=True,
    ),
    "W_kl'": PrintedTable(
        (
            ("0.105531", "0.400576", "0.805836"),
            ("0.30055", "0.700577", "0.2005849"),
            ("0.5005779", "0.2006017", "0.9006098"),
        ),
        "Hidden Layer2 - Output Layer: final W_kl (repeated under 'Our final weights')",
        loss_dependent=True,
    ),
    "dh2_out/dh2_in": PrintedTable(
        ("0.058156", "0.0564", "0.0196"), "Hidden Layer1 - Hidden Layer2: sigmoid derivatives 'In our example'"
    ),
    "dh2_in/dW_jk": PrintedTable(
        _rows(("1.35", "1.27", "1.8")), "Hidden Layer1 - Hidden Layer2: dh2_in/dW_jk = h1_out"
    ),
    "dE/dh2_out paths": PrintedTable(
        (
            ("-0.0589", "-0.2383", "-0.5931"),
            ("-0.1769", "-0.417", "-0.14828"),
            ("-0.2948", "-0.119", "-0.667"),
        ),
        "Hidden Layer1 - Hidden Layer2: the three terms of each dE_total/dh2_out",
        loss_dependent=True,
    ),
    "dE/dh2_out": PrintedTable(
        ("-0.8903", "-0.74218", "-1.0810"), "Hidden Layer1 - Hidden Layer2: dE_total/dh2_out", loss_dependent=True
    ),
    "dE/dW_jk": PrintedTable(
        (
            ("-0.06989", "-0.0565", "-0.0286"),
            ("-0.06575", "-0.05316", "-0.0269"),
            ("-0.0932", "-0.0753", "-0.03813"),
        ),
        "Hidden Layer1 - Hidden Layer2: delta W_jk",
        loss_dependent=True,
    ),
    "W_jk'": PrintedTable(
        (
            ("0.2006989", "0.300565", "0.500286"),
            ("0.3006575", "0.5005316", "0.700269"),
            ("0.600932", "0.400753", "0.803813"),
        ),
        "Hidden Layer1 - Hidden Layer2: final W_jk (repeated under 'Our final weights')",
        loss_dependent=True,
    ),
    "dh1_out/dh1_in": PrintedTable(("1.0", "1.0", "1.0"), "Input Layer - Hidden Layer1: ReLU derivatives"),
    "dh1_in/dW_ij": PrintedTable(_rows(("0.1", "0.2", "0.7")), "Input Layer - Hidden Layer1: dh1_in/dW_ij = input"),
    "dE/dh1_out paths": PrintedTable(
        _diag(("-0.01035", "-0.0209", "-0.0169")),
        "Input Layer - Hidden Layer1: dE_total/dh1_out, one path per neuron (k = j) only",
        loss_dependent=True,
    ),
    "dE/dh1_out": PrintedTable(
        ("-0.01035", "-0.0209", "-0.0169"), "Input Layer - Hidden Layer1: dE_total/dh1_out", loss_dependent=True
    ),
    "dE/dW_ij": PrintedTable(
        (
            ("-0.001035", "-0.00209", "-0.00169"),
            ("-0.00207", "-0.00418", "-0.00338"),
            ("-0.007245", "-0.01463", "-0.01183"),
        ),
        "Input Layer - Hidden Layer1: delta W_ij",
        loss_dependent=True,
    ),
    "W_ij'": PrintedTable(
        (
            ("0.10001035", "0.2000209", "0.3000169"),
            ("0.3000207", "0.2000418", "0.7000338"),
            ("0.40007245", "0.3001463", "0.9001183"),
        ),
        "Input Layer - Hidden Layer1: final W_ij (repeated under 'Our final weights')",
        loss_dependent=True,
    ),
}


# --------------------------------------------------------------------------------------------------
# The printed numbers as claims for autograd.diagnose
# --------------------------------------------------------------------------------------------------

ClaimKind = Literal["data", "grads", "partials", "terms", "updates"]
Key = str | tuple[str, str]

_L = tutorial_labels

# For each printed quantity: the diagnose argument it goes to, and the claim's key for a cell.
_CLAIMS: dict[str, tuple[ClaimKind, Callable[..., Key]]] = {
    "h1_in": ("data", lambda j: _L("h1_in", (j,))),
    "h1_out": ("data", lambda j: _L("h1_out", (j,))),
    "h2_in": ("data", lambda k: _L("h2_in", (k,))),
    "h2_out": ("data", lambda k: _L("h2_out", (k,))),
    "O_in": ("data", lambda m: _L("O_in", (m,))),
    "O_out": ("data", lambda m: _L("O_out", (m,))),
    "dE/dO_out": ("grads", lambda a: _L("O_out", (a,))),
    "dO_out/dO_in": ("partials", lambda a, b: (_L("O_out", (a,)), _L("O_in", (b,)))),
    "dO_in/dW_kl": ("partials", lambda k, m: (_L("O_in", (m,)), _L("W_kl", (k, m)))),
    "dE/dW_kl": ("grads", lambda k, m: _L("W_kl", (k, m))),
    "W_kl'": ("updates", lambda k, m: _L("W_kl", (k, m))),
    "dh2_out/dh2_in": ("partials", lambda k: (_L("h2_out", (k,)), _L("h2_in", (k,)))),
    "dh2_in/dW_jk": ("partials", lambda j, k: (_L("h2_in", (k,)), _L("W_jk", (j, k)))),
    "dE/dh2_out paths": ("terms", lambda k, m: (_L("O_in", (m,)), _L("h2_out", (k,)))),
    "dE/dh2_out": ("grads", lambda k: _L("h2_out", (k,))),
    "dE/dW_jk": ("grads", lambda j, k: _L("W_jk", (j, k))),
    "W_jk'": ("updates", lambda j, k: _L("W_jk", (j, k))),
    "dh1_out/dh1_in": ("partials", lambda j: (_L("h1_out", (j,)), _L("h1_in", (j,)))),
    "dh1_in/dW_ij": ("partials", lambda i, j: (_L("h1_in", (j,)), _L("W_ij", (i, j)))),
    "dE/dh1_out paths": ("terms", lambda j, k: (_L("h2_in", (k,)), _L("h1_out", (j,)))),
    "dE/dh1_out": ("grads", lambda j: _L("h1_out", (j,))),
    "dE/dW_ij": ("grads", lambda i, j: _L("W_ij", (i, j))),
    "W_ij'": ("updates", lambda i, j: _L("W_ij", (i, j))),
}


def printed_cells(quantity: str) -> list[tuple[tuple[int, ...], str]]:
    """Every printed cell of a quantity: ``(index, text)``, skipping the slots it left empty."""
    values = PRINTED[quantity].values
    if values and isinstance(values[0], tuple):
        return [((r, c), t) for r, row in enumerate(values) for c, t in enumerate(row) if t is not None]
    return [((a,), t) for a, t in enumerate(values) if isinstance(t, str)]


def claim_key(quantity: str, index: tuple[int, ...]) -> tuple[ClaimKind, Key]:
    """Where one printed cell goes in :func:`autograd.diagnose`: the argument and the key."""
    kind, key = _CLAIMS[quantity]
    return kind, key(*index)


def claims(loss_dependent: bool = True) -> dict[ClaimKind, dict[Key, str]]:
    """Every printed number as keyword arguments for ``autograd.diagnose`` (1-based labels): ``data``,
    ``grads``, ``partials``, ``terms`` and ``updates``. The updates need the learning rate, which is
    not in the dict: ``diagnose(E, **claims(), lr=LEARNING_RATE)``. ``loss_dependent=False`` leaves
    out the gradients (they are for the tutorial's loss only)."""
    out: dict[ClaimKind, dict[Key, str]] = {"data": {}, "grads": {}, "partials": {}, "terms": {}, "updates": {}}
    for quantity, p in PRINTED.items():
        if p.loss_dependent and not loss_dependent:
            continue
        for index, text in printed_cells(quantity):
            kind, key = claim_key(quantity, index)
            out[kind][key] = text
    return out
