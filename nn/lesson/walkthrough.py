"""The tutorial worked by the engine: every number read off the recorded graph, beside the tutorial's.

:func:`build` runs the tutorial's example once (forward, one backward, one SGD step) and returns a
:class:`Walkthrough`: sections of :class:`Quantity` tables whose cells hold *our* number (taken from
a node's ``.data``, ``.grad`` or ``local_grads`` - never from a separate formula), the tutorial's
printed text, and what :func:`autograd.diagnose` makes of it: a verdict and its causes, found from
the tutorial's printed numbers alone (:func:`diagnosis`). Names are the tutorial's own, 1-based
(``W_k1l2``, ``h1_in1``, ``O_out3``). The experiments live in :mod:`nn.lesson.experiments`, the text in
:mod:`nn.lesson.text`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from autograd import Value
from autograd.diagnose import Entry, Report, diagnose

from .. import optim
from ..modules import MLP, Layer
from . import tutorial
from .experiments import LOSS_NAMES, loss_function

Status = Literal["match", "rounding", "error", "absent", "n/a"]
"""``match``: agrees to the digits the tutorial printed; ``rounding``/``error``: differs, for the
causes diagnose found (rounded values only / a mistake); ``absent``: the tutorial printed nothing
here; ``n/a``: not comparable (a loss the tutorial did not use)."""

MARKS: dict[str, str] = {"match": "=", "rounding": "~", "error": "X", "absent": " ", "n/a": " "}

_STATUS: dict[str, Status] = {"agrees": "match", "rounding": "rounding", "wrong": "error"}

__all__ = ["LOSS_NAMES", "MARKS", "Cell", "Quantity", "Section", "Walkthrough", "build", "diagnosis", "local"]


@dataclass(frozen=True)
class Cell:
    """One number: ours, the tutorial's printed text (or None), and how they compare: the status and
    the causes diagnose named (``reasons``, most likely first; ``details`` says what exactly)."""

    ours: float
    printed: str | None
    status: Status
    reasons: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass
class Quantity:
    """A vector (one row) or matrix of cells, with the tutorial's name and where our numbers come from."""

    key: str
    title: str
    source: str
    rows: list[list[Cell]]
    matrix: bool
    note: str = ""

    def cell(self, *index: int) -> Cell:
        """``cell(a)`` for a vector, ``cell(r, c)`` for a matrix."""
        if self.matrix:
            r, c = index
            return self.rows[r][c]
        (a,) = index
        return self.rows[0][a]

    def values(self) -> list[list[float]]:
        """Our numbers, row by row (a vector is one row)."""
        return [[c.ours for c in row] for row in self.rows]

    def cells(self) -> list[tuple[tuple[int, ...], Cell]]:
        """Every cell with its index (``(a,)`` or ``(r, c)``)."""
        if self.matrix:
            return [((r, c), cell) for r, row in enumerate(self.rows) for c, cell in enumerate(row)]
        return [((a,), cell) for a, cell in enumerate(self.rows[0])]


@dataclass
class Section:
    """A titled group of quantities, with a few lines of explanation."""

    title: str
    intro: list[str]
    quantities: list[Quantity] = field(default_factory=list)


@dataclass
class Walkthrough:
    """The tutorial's example run once by the engine, ready to print or to test."""

    loss: str
    E: float
    E_other: float
    sections: list[Section]
    bias: list[Quantity]
    variant: list[Quantity]

    def quantity(self, key: str) -> Quantity:
        """The quantity called ``key`` (a key of :data:`nn.lesson.tutorial.PRINTED` or one of ours, e.g. 'dE/dO_in')."""
        for q in self.all_quantities():
            if q.key == key:
                return q
        raise KeyError(f"no quantity {key!r} in the walkthrough")

    def all_quantities(self) -> list[Quantity]:
        """Every quantity of every section, then the bias tables."""
        return [q for s in self.sections for q in s.quantities] + self.bias


# --------------------------------------------------------------------------------------------------
# Reading numbers off the graph
# --------------------------------------------------------------------------------------------------


def local(node: Value, inp: Value) -> float:
    """d(node)/d(inp) as recorded in ``node.local_grads`` (summed if ``inp`` feeds ``node`` twice)."""
    hits = [g for x, g in zip(node.inputs, node.local_grads) if x is inp]
    if not hits:
        raise ValueError(f"{inp!r} is not an input of {node!r}")
    return math.fsum(hits)


def _compare(key: str, index: tuple[int, ...], ours: float, printed: str | None, comparable: bool) -> Cell:
    if printed is None:
        return Cell(ours, None, "absent")
    if not comparable:
        return Cell(ours, printed, "n/a")
    entry = _entries()[tutorial.claim_key(key, index)]
    return Cell(ours, printed, _STATUS[entry.verdict], entry.causes, entry.details)


def quantity(
    key: str, title: str, source: str, ours: Sequence[float] | Sequence[Sequence[float]], *, loss: str = "tutorial",
    note: str = "",
) -> Quantity:
    """Wrap our numbers (a vector or a matrix) with the tutorial's printed ones for ``key``, if any."""
    matrix = bool(ours) and isinstance(ours[0], Sequence)
    grid: list[list[float]] = [list(r) for r in ours] if matrix else [list(ours)]  # type: ignore[arg-type]
    printed = tutorial.PRINTED.get(key)
    comparable = printed is not None and (loss == "tutorial" or not printed.loss_dependent)
    rows = []
    for r, row in enumerate(grid):
        cells = []
        for c, v in enumerate(row):
            text: str | None = None
            if printed is not None:
                text = printed.values[r][c] if matrix else printed.values[c]  # type: ignore[assignment]
            index = (r, c) if matrix else (c,)
            cells.append(_compare(key, index, v, text, comparable))
        rows.append(cells)
    return Quantity(key, title, source, rows, matrix, note)


# --------------------------------------------------------------------------------------------------
# The tutorial's printed numbers, diagnosed
# --------------------------------------------------------------------------------------------------

_KINDS = {"data": "data", "grad": "grads", "local": "partials", "term": "terms", "update": "updates"}


@lru_cache(maxsize=1)
def diagnosis() -> Report:
    """``autograd.diagnose`` run on every number the tutorial printed, against its own loss."""
    model = tutorial.network()
    E = loss_function("tutorial")(model(tutorial.inputs()), tutorial.TARGET)
    E.label = "E"
    return diagnose(E, **tutorial.claims(), lr=tutorial.LEARNING_RATE)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def _entries() -> dict[tuple[str, object], Entry]:
    return {(_KINDS[e.kind], e.key): e for e in diagnosis()}


def _run(loss: str) -> tuple[MLP, list[tuple[list[Value], list[Value]]], Value]:
    model = tutorial.network()
    steps = model.trace(tutorial.inputs())
    E = loss_function(loss)(steps[-1][1], tutorial.TARGET)
    E.label = "E"
    E.backward()
    return model, steps, E


def _grid(f: Callable[[int, int], float], n: int = 3) -> list[list[float]]:
    """``[[f(r, c) for c in range(n)] for r in range(n)]``."""
    return [[f(r, c) for c in range(n)] for r in range(n)]


def build(loss: str = "tutorial") -> Walkthrough:
    """Run the tutorial's example (forward, backward of ``loss``, one SGD step at the tutorial's rate)."""
    model, steps, E = _run(loss)
    (h1_in, h1_out), (h2_in, h2_out), (O_in, O_out) = steps
    L1, L2, L3 = model.layers
    other = "categorical" if loss == "tutorial" else "tutorial"
    E_other = loss_function(other)(O_out, tutorial.TARGET)  # a second graph on the same outputs; E's grads stay

    def Q(key: str, title: str, source: str, ours: Any, note: str = "") -> Quantity:
        return quantity(key, title, source, ours, loss=loss, note=note)

    def W(layer: Layer, i: int, j: int) -> Value:
        return layer.neurons[j].w[i]

    # Index names as in the tutorial: a/b for softmax outputs/inputs, then l (outputs), k, j, i.
    forward = Section(
        "1. Forward pass",
        [
            "Each neuron's weighted input is ONE dot node: h1_in<j> = sum over i of i<i>*W_i<i>j<j> + b_j<j>.",
            "Names are the tutorial's, 1-based: <j> stands for 1, 2, 3; W_k1l2 connects h2_out1 to O_in2.",
        ],
        [
            Q("h1_in", "h1_in<j>", "dot(i, W_i*j<j>, b_j<j>)", [z.data for z in h1_in]),
            Q("h1_out", "h1_out<j>", "relu(h1_in<j>)", [o.data for o in h1_out]),
            Q("h2_in", "h2_in<k>", "dot(h1_out, W_j*k<k>, b_k<k>)", [z.data for z in h2_in]),
            Q("h2_out", "h2_out<k>", "sigmoid(h2_in<k>)", [o.data for o in h2_out]),
            Q("O_in", "O_in<l>", "dot(h2_out, W_k*l<l>, b_l<l>)", [z.data for z in O_in]),
            Q("O_out", "O_out<l>", "softmax(O_in)<l>", [o.data for o in O_out]),
        ],
    )
    out_layer = Section(
        "2a. Backward pass, output layer (softmax) - W_kl",
        [
            "Gradients are node.grad after one E.backward(); local derivatives are node.local_grads, recorded",
            "when the forward pass ran. The softmax output O_out<a> has ALL of O_in as inputs: its local grads",
            "are the full Jacobian row o_a*(delta_ab - o_b); the tutorial keeps only the diagonal.",
        ],
        [
            Q("dE/dO_out", "dE/dO_out<a>", "O_out<a>.grad", [o.grad for o in O_out]),
            Q("dO_out/dO_in", "dO_out<a>/dO_in<b>", "O_out<a>.local_grads",
              _grid(lambda a, b: local(O_out[a], O_in[b])),
              note="rows a, columns b; the tutorial: diagonal only"),
            Q("dE/dO_in paths", "dE/dO_out<a>*dO_out<a>/dO_in<l>", "O_out<a>.grad * local grad",
              _grid(lambda a, m: O_out[a].grad * local(O_out[a], O_in[m])),
              note="rows a, columns l; a column adds up to dE/dO_in<l>"),
            Q("dE/dO_in", "dE/dO_in<l>", "O_in<l>.grad", [z.grad for z in O_in]),
            Q("dO_in/dW_kl", "dO_in<l>/dW_k<k>l<l>", "O_in<l>.local_grads",
              _grid(lambda k, m: local(O_in[m], W(L3, k, m))), note="rows k, columns l"),
            Q("dE/dW_kl", "dE/dW_k<k>l<l>", "W_k<k>l<l>.grad", L3.weight_grads()),
        ],
    )
    hidden2 = Section(
        "2b. Backward pass, hidden layer 2 (sigmoid) - W_jk",
        ["dE/dh2_out<k> gathers one path through every O_in<l>: dO_in<l>/dh2_out<k> = W_k<k>l<l>."],
        [
            Q("dE/dh2_out paths", "dO_in<l>/dh2_out<k>*dE/dO_in<l>", "local grad * O_in<l>.grad",
              _grid(lambda k, m: local(O_in[m], h2_out[k]) * O_in[m].grad), note="rows k, columns l"),
            Q("dE/dh2_out", "dE/dh2_out<k>", "h2_out<k>.grad", [h.grad for h in h2_out]),
            Q("dh2_out/dh2_in", "dh2_out<k>/dh2_in<k>", "h2_out<k>.local_grads",
              [local(h, z) for h, z in zip(h2_out, h2_in)]),
            Q("dE/dh2_in", "dE/dh2_in<k>", "h2_in<k>.grad", [z.grad for z in h2_in]),
            Q("dh2_in/dW_jk", "dh2_in<k>/dW_j<j>k<k>", "h2_in<k>.local_grads",
              _grid(lambda j, k: local(h2_in[k], W(L2, j, k))), note="rows j, columns k"),
            Q("dE/dW_jk", "dE/dW_j<j>k<k>", "W_j<j>k<k>.grad", L2.weight_grads()),
        ],
    )
    hidden1 = Section(
        "2c. Backward pass, hidden layer 1 (ReLU) - W_ij",
        ["dE/dh1_out<j> gathers one path through every h2_in<k>: dh2_in<k>/dh1_out<j> = W_j<j>k<k>."],
        [
            Q("dE/dh1_out paths", "dh2_in<k>/dh1_out<j>*dE/dh2_in<k>", "local grad * h2_in<k>.grad",
              _grid(lambda j, k: local(h2_in[k], h1_out[j]) * h2_in[k].grad),
              note="rows j, columns k; the tutorial: k = j only"),
            Q("dE/dh1_out", "dE/dh1_out<j>", "h1_out<j>.grad", [h.grad for h in h1_out]),
            Q("dh1_out/dh1_in", "dh1_out<j>/dh1_in<j>", "h1_out<j>.local_grads",
              [local(h, z) for h, z in zip(h1_out, h1_in)]),
            Q("dE/dh1_in", "dE/dh1_in<j>", "h1_in<j>.grad", [z.grad for z in h1_in]),
            Q("dh1_in/dW_ij", "dh1_in<j>/dW_i<i>j<j>", "h1_in<j>.local_grads",
              _grid(lambda i, j: local(h1_in[j], W(L1, i, j))), note="rows i, columns j"),
            Q("dE/dW_ij", "dE/dW_i<i>j<j>", "W_i<i>j<j>.grad", L1.weight_grads()),
        ],
    )
    bias_grads = [layer.bias_grads() for layer in model.layers]
    bias_local = [[local(z, n.b) for z, n in zip(zs, layer.neurons)] for layer, (zs, _) in zip(model.layers, steps)]

    # One SGD step at the tutorial's learning rate, on every parameter (weights and biases).
    optim.SGD(model.parameters(), lr=tutorial.LEARNING_RATE).step()
    update = Section(
        "2d. One SGD step, lr = 0.01: W' = W - lr * dE/dW",
        ["The updated matrices are the parameters' .data after nn.SGD(model.parameters(), lr=0.01).step()."],
        [
            Q("W_kl'", "W_k<k>l<l>'", "W_k<k>l<l>.data", L3.weights()),
            Q("W_jk'", "W_j<j>k<k>'", "W_j<j>k<k>.data", L2.weights()),
            Q("W_ij'", "W_i<i>j<j>'", "W_i<i>j<j>.data", L1.weights()),
        ],
    )
    names = ("j", "k", "l")
    bias = [Q(f"dE/db_{d}", f"dE/db_{d}<{d}>", f"b_{d}<{d}>.grad", g) for d, g in zip(names, bias_grads)]
    bias += [Q(f"b_{d}'", f"b_{d}<{d}>'", f"b_{d}<{d}>.data after the step", layer.biases())
             for d, layer in zip(names, model.layers)]
    bias.append(Q("dz/db", "d(pre-activation)/db", "layer 1, 2, 3 (rows)", bias_local,
                  note="rows: h1_in, h2_in, O_in; a bias's local derivative is 1, so dE/db = dE/d(pre-activation)"))

    variant = _variant(other)
    return Walkthrough(loss, E.data, E_other.data, [forward, out_layer, hidden2, hidden1, update], bias, variant)


def _variant(loss: str) -> list[Quantity]:
    """The output-layer gradients under the other loss, from a separate graph."""
    model, steps, _ = _run(loss)
    O_in, O_out = steps[-1]
    return [
        quantity("dE/dO_out", "dE/dO_out<a>", "O_out<a>.grad", [o.grad for o in O_out], loss=loss),
        quantity("dE/dO_in", "dE/dO_in<l>", "O_in<l>.grad", [z.grad for z in O_in], loss=loss),
        quantity("dE/dW_kl", "dE/dW_k<k>l<l>", "W_k<k>l<l>.grad",
                 model.layers[2].weight_grads(), loss=loss),
    ]

