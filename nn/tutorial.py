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

from dataclasses import dataclass
from typing import Literal

from .modules import MLP, Layer

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


def network() -> MLP:
    """A fresh copy of the tutorial's network: parameters labelled ``W_ij[i][j]``, ``b_j[j]``, ``W_jk``,
    ``b_k``, ``W_kl``, ``b_l``; forward nodes labelled ``h1_in[j]``, ``h1_out[j]``, ..., ``O_out[l]``."""
    layers = [
        Layer.from_matrices(W, [BIAS] * 3, act, names=(src, dst), node_names=nodes)
        for W, act, (src, dst), nodes in zip(
            (W_IJ, W_JK, W_KL), ACTIVATIONS, (("i", "j"), ("j", "k"), ("k", "l")), NODE_NAMES
        )
    ]
    return MLP.from_layers(layers, input_name="x")


# --------------------------------------------------------------------------------------------------
# What the tutorial printed
# --------------------------------------------------------------------------------------------------

Vector = tuple[str, ...]
Matrix = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Printed:
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


PRINTED: dict[str, Printed] = {
    "h1_in": Printed(("1.35", "1.27", "1.8"), "layer-1 Example (Input x W_ij + b)"),
    "h1_out": Printed(("1.35", "1.27", "1.8"), "layer-1 Example (ReLU)"),
    "h2_in": Printed(("2.73", "2.76", "4.001"), "layer-2 Example (h1_out x W_jk + b)"),
    "h2_out": Printed(("0.938", "0.94", "0.98"), "layer-2 Example (sigmoid)"),
    "O_in": Printed(("1.8658", "2.2292", "2.8204"), "layer-3 Example (h2_out x W_kl + b)"),
    "O_out": Printed(("0.19858", "0.28559", "0.51583"), "layer-3 Example (softmax)"),
    "dE/dO_out": Printed(
        ("-3.70644", "-1.4755", "-1.6886"),
        "Hidden Layer2 - Output Layer: 'In our Example The values will be' (dE_1/dO_out1 ...)",
        loss_dependent=True,
    ),
    "dO_out/dO_in": Printed(
        _diag(("0.15911", "0.2040", "0.3685")),
        "Hidden Layer2 - Output Layer: dO_out/dO_in, diagonal only",
    ),
    "dO_in/dW_kl": Printed(_rows(("0.938", "0.94", "0.98")), "Hidden Layer2 - Output Layer: dO_in/dW_kl = h2_out"),
    "dE/dW_kl": Printed(
        (
            ("-0.5531", "-0.0576", "-0.5836"),
            ("-0.554347", "-0.0577", "-0.5849"),
            ("-0.577937", "-0.06017", "-0.6098"),
        ),
        "Hidden Layer2 - Output Layer: delta W_kl",
        loss_dependent=True,
    ),
    "W_kl'": Printed(
        (
            ("0.105531", "0.400576", "0.805836"),
            ("0.30055", "0.700577", "0.2005849"),
            ("0.5005779", "0.2006017", "0.9006098"),
        ),
        "Hidden Layer2 - Output Layer: final W_kl (repeated under 'Our final weights')",
        loss_dependent=True,
    ),
    "dh2_out/dh2_in": Printed(
        ("0.058156", "0.0564", "0.0196"), "Hidden Layer1 - Hidden Layer2: sigmoid derivatives 'In our example'"
    ),
    "dh2_in/dW_jk": Printed(_rows(("1.35", "1.27", "1.8")), "Hidden Layer1 - Hidden Layer2: dh2_in/dW_jk = h1_out"),
    "dE/dh2_out paths": Printed(
        (
            ("-0.0589", "-0.2383", "-0.5931"),
            ("-0.1769", "-0.417", "-0.14828"),
            ("-0.2948", "-0.119", "-0.667"),
        ),
        "Hidden Layer1 - Hidden Layer2: the three terms of each dE_total/dh2_out",
        loss_dependent=True,
    ),
    "dE/dh2_out": Printed(
        ("-0.8903", "-0.74218", "-1.0810"), "Hidden Layer1 - Hidden Layer2: dE_total/dh2_out", loss_dependent=True
    ),
    "dE/dW_jk": Printed(
        (
            ("-0.06989", "-0.0565", "-0.0286"),
            ("-0.06575", "-0.05316", "-0.0269"),
            ("-0.0932", "-0.0753", "-0.03813"),
        ),
        "Hidden Layer1 - Hidden Layer2: delta W_jk",
        loss_dependent=True,
    ),
    "W_jk'": Printed(
        (
            ("0.2006989", "0.300565", "0.500286"),
            ("0.3006575", "0.5005316", "0.700269"),
            ("0.600932", "0.400753", "0.803813"),
        ),
        "Hidden Layer1 - Hidden Layer2: final W_jk (repeated under 'Our final weights')",
        loss_dependent=True,
    ),
    "dh1_out/dh1_in": Printed(("1.0", "1.0", "1.0"), "Input Layer - Hidden Layer1: ReLU derivatives"),
    "dh1_in/dW_ij": Printed(_rows(("0.1", "0.2", "0.7")), "Input Layer - Hidden Layer1: dh1_in/dW_ij = input"),
    "dE/dh1_out paths": Printed(
        _diag(("-0.01035", "-0.0209", "-0.0169")),
        "Input Layer - Hidden Layer1: dE_total/dh1_out, one path per neuron (k = j) only",
        loss_dependent=True,
    ),
    "dE/dh1_out": Printed(
        ("-0.01035", "-0.0209", "-0.0169"), "Input Layer - Hidden Layer1: dE_total/dh1_out", loss_dependent=True
    ),
    "dE/dW_ij": Printed(
        (
            ("-0.001035", "-0.00209", "-0.00169"),
            ("-0.00207", "-0.00418", "-0.00338"),
            ("-0.007245", "-0.01463", "-0.01183"),
        ),
        "Input Layer - Hidden Layer1: delta W_ij",
        loss_dependent=True,
    ),
    "W_ij'": Printed(
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
# Why printed numbers differ from the exact ones
# --------------------------------------------------------------------------------------------------

Kind = Literal["rounding", "error"]


@dataclass(frozen=True)
class Reason:
    """Why a printed number is off. ``rounding``: a rounded (or truncated) value carried forward;
    ``error``: a mistake in the method or the arithmetic."""

    kind: Kind
    text: str


REASONS: dict[str, Reason] = {
    "truncated": Reason("rounding", "0.93883 is cut to 0.938 instead of rounded to 0.939"),
    "carried_h2_out": Reason(
        "rounding",
        "computed from its rounded h2_out [0.938, 0.94, 0.98]: 0.938*0.1 + 0.94*0.3 + 0.98*0.5 + 1 = 1.8658",
    ),
    "carried_O_in": Reason("rounding", "softmax of its rounded O_in [1.8658, 2.2292, 2.8204]"),
    "carried_O_out": Reason(
        "rounding",
        "rounding-level: its rounded O_out gives o*(1-o) = 0.19858*0.80142 = 0.15915, 0.28559*0.71441 = 0.20403",
    ),
    "carried_sigmoid": Reason(
        "rounding",
        "h2_out*(1-h2_out) from its rounded h2_out: 0.938*0.062, 0.94*0.06, 0.98*0.02 (0.98208 -> 0.98 "
        "changes 1-h2_out by 11%)",
    ),
    "h2_in_slip": Reason(
        "error",
        "arithmetic slip: 1.35*0.5 + 1.27*0.7 + 1.8*0.8 + 1 = 4.004, not 4.001 (harmless: sigmoid of either "
        "rounds to the 0.98 it uses next)",
    ),
    "bce_sign": Reason(
        "error",
        "sign error: d/do (1-y)*log(1-o) = -(1-y)/(1-o), so dE_a/do = -(y/o - (1-y)/(1-o)); it writes "
        "-(y/o + (1-y)/(1-o)) (matters where y = 0)",
    ),
    "no_1_over_n": Reason(
        "error",
        "the loss's 1/n (n = 3) is dropped: it differentiates one output's term E_a = -[y*log(o) + "
        "(1-y)*log(1-o)], not E = (1/3)*sum(E_a)",
    ),
    "not_reproducible": Reason(
        "error",
        "not reproducible from its own O_out: its own formula gives [-5.036, -1.400, -2.065]; the printed "
        "values are -1/o, -1/(1-o), -1/(1-o) for o = [0.270, 0.322, 0.408], a different output vector",
    ),
    "softmax_index_slip": Reason(
        "error",
        "0.3685 = O_out[2]*(1-O_out[1]) = 0.51583*0.71441 (wrong index); o*(1-o) can never exceed 0.25 - "
        "the right value is 0.51583*0.48417 = 0.2497",
    ),
    "diag_jacobian": Reason(
        "error",
        "keeps only the diagonal of softmax's Jacobian: O_in[l] moves every output (dO_out[a]/dO_in[l] = "
        "-o_a*o_l for a != l), so dE/dO_in[l] = sum over a of dE/dO_out[a]*dO_out[a]/dO_in[l]",
    ),
    "per_output": Reason(
        "error",
        "it computes dE_l/dW_kl[k][l]: output l's own term E_l through its own output only (E_1, E_2, E_3 "
        "per column). Done right that is (O_out[l]-y_l)*h2_out[k], the gradient of categorical "
        "cross-entropy, not of its loss: dE/dW_kl[k][l] = h2_out[k]*dE/dO_in[l]",
    ),
    "double_factor": Reason(
        "error",
        "column l=1 uses -0.301 = -1.4755*0.2040 (already dE/dO_out[1]*dO_out[1]/dO_in[1]) in place of "
        "-1.4755, and multiplies by 0.204 again",
    ),
    "terms_mismatch": Reason(
        "error",
        "the printed terms are not the products of the factors it lists: -1.4755*0.2040*0.4 = -0.1204 "
        "(printed -0.2383), -1.6886*0.3685*0.8 = -0.4978 (printed -0.5931)",
    ),
    "upstream": Reason(
        "error",
        "inherits the errors above: wrong dE/dO_out (sign, no 1/n, other o) and the diagonal-only softmax",
    ),
    "diag_weights": Reason(
        "error",
        "keeps one path per neuron, W_jk[j][j] (W_j1k1, W_j2k2, W_j3k3); h1_out[j] feeds every h2_in[k], "
        "so dE/dh1_out[j] = sum over k of W_jk[j][k]*dE/dh2_in[k]",
    ),
    "follows": Reason("error", "W - 0.01*dW with its wrong dW above (most weights then move the wrong way)"),
    "update_slip": Reason(
        "error",
        "mis-copied even from its own numbers (a digit shifted): 0.3 + 0.00554347 = 0.30554, printed 0.30055; "
        "0.8 + 0.0003813 = 0.8003813, printed 0.803813",
    ),
}

Index = tuple[int, ...]
_ALL: tuple[Index, ...] = ()


def _cells(*indices: Index) -> tuple[Index, ...]:
    return indices


def _column(c: int) -> tuple[Index, ...]:
    return tuple((r, c) for r in range(3))


EXPLAINED: dict[str, list[tuple[tuple[Index, ...], str]]] = {
    # quantity -> [(cells the reason applies to; () = every cell that differs), reason key]
    "h2_in": [(_cells((2,)), "h2_in_slip")],
    "h2_out": [(_cells((0,)), "truncated")],
    "O_in": [(_ALL, "carried_h2_out")],
    "O_out": [(_ALL, "carried_O_in")],
    "dE/dO_out": [
        (_cells((1,), (2,)), "bce_sign"),
        (_ALL, "no_1_over_n"),
        (_ALL, "not_reproducible"),
    ],
    "dO_out/dO_in": [(_cells((0, 0), (1, 1)), "carried_O_out"), (_cells((2, 2)), "softmax_index_slip")],
    "dO_in/dW_kl": [(_cells((0, 0), (0, 1), (0, 2)), "truncated")],
    "dE/dW_kl": [
        (_ALL, "per_output"),
        (_ALL, "upstream"),
        (_column(1), "double_factor"),
        (_column(2), "softmax_index_slip"),
    ],
    "W_kl'": [(_ALL, "follows"), (_cells((1, 0), (2, 0), (1, 2), (2, 2)), "update_slip")],
    "dh2_out/dh2_in": [(_ALL, "carried_sigmoid")],
    "dE/dh2_out paths": [(_ALL, "upstream"), (_column(1) + _column(2), "terms_mismatch")],
    "dE/dh2_out": [(_ALL, "upstream"), (_ALL, "terms_mismatch")],
    "dE/dW_jk": [(_ALL, "upstream"), (_ALL, "carried_sigmoid")],
    "W_jk'": [(_ALL, "follows"), (_cells((2, 2)), "update_slip")],
    "dE/dh1_out paths": [(_ALL, "upstream")],
    "dE/dh1_out": [(_ALL, "upstream"), (_ALL, "diag_weights")],
    "dE/dW_ij": [(_ALL, "upstream"), (_ALL, "diag_weights")],
    "W_ij'": [(_ALL, "follows")],
}
"""For each quantity, which reasons explain which of its printed cells."""


def reasons_for(quantity: str, index: Index) -> list[str]:
    """The reason keys that :data:`EXPLAINED` attaches to one printed cell (``()``-entries apply to all)."""
    return [key for cells, key in EXPLAINED.get(quantity, []) if not cells or index in cells]
