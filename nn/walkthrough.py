"""The tutorial worked by the engine: every number read off the recorded graph, beside the tutorial's.

:func:`build` runs the tutorial's example once (forward, one backward, one SGD step) and returns a
:class:`Walkthrough`: sections of :class:`Quantity` tables whose cells hold *our* number (taken from
a node's ``.data``, ``.grad`` or ``local_grads`` - never from a separate formula), the tutorial's
printed text, and a status saying whether they agree within the tutorial's rounding and, if not,
why (:data:`nn.tutorial.REASONS`). The experiments for the tutorial's "Important Notes" and the
training run live here too; ``render_*`` functions turn all of it into aligned plain text.
"""

from __future__ import annotations

import math
import random
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import autograd
from autograd import Value

from . import losses, optim, tutorial
from .modules import MLP, Layer
from .tutorial import REASONS

Status = Literal["match", "rounding", "error", "unexplained", "absent", "n/a"]
"""``match``: within the tutorial's rounding; ``rounding``/``error``: differs, for the reasons given
(a rounded value carried forward / a mistake); ``unexplained``: differs with no reason on file;
``absent``: the tutorial printed nothing here; ``n/a``: not comparable (a loss the tutorial did not use)."""

MARKS: dict[str, str] = {"match": "=", "rounding": "~", "error": "X", "unexplained": "?", "absent": " ", "n/a": " "}

LOSS_NAMES = ("tutorial", "categorical")


def printed_tolerance(text: str) -> float:
    """Half a unit in the last printed digit: how far a correctly rounded value can be from the truth."""
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int)
    return 0.5 * 10.0**exponent


def agrees(ours: float, text: str) -> bool:
    """True if ``text`` is ``ours`` rounded to the digits printed (with a hair of float slack)."""
    return abs(ours - float(text)) <= printed_tolerance(text) * (1 + 1e-9) + 1e-15


@dataclass(frozen=True)
class Cell:
    """One number: ours, the tutorial's printed text (or None), and how they compare."""

    ours: float
    printed: str | None
    status: Status
    reasons: tuple[str, ...] = ()


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
        """The quantity called ``key`` (a key of :data:`nn.tutorial.PRINTED` or one of ours, e.g. 'dE/dO_in')."""
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
    if agrees(ours, printed):
        return Cell(ours, printed, "match")
    keys = tuple(tutorial.reasons_for(key, index))
    if not keys:
        return Cell(ours, printed, "unexplained")
    kind: Status = "error" if any(REASONS[k].kind == "error" for k in keys) else "rounding"
    return Cell(ours, printed, kind, keys)


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


def _loss_fn(loss: str) -> losses.Loss:
    if loss not in LOSS_NAMES:
        raise ValueError(f"unknown loss {loss!r}; accepted: {', '.join(LOSS_NAMES)}")
    return losses.binary_cross_entropy if loss == "tutorial" else losses.cross_entropy


def _run(loss: str) -> tuple[MLP, list[tuple[list[Value], list[Value]]], Value]:
    model = tutorial.network()
    xs = [Value(v, f"x[{i}]") for i, v in enumerate(tutorial.INPUT)]
    steps = model.trace(xs)
    E = _loss_fn(loss)(steps[-1][1], tutorial.TARGET)
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
    E_other = _loss_fn(other)(O_out, tutorial.TARGET)  # a second graph on the same outputs; E's grads stay

    def Q(key: str, title: str, source: str, ours: Any, note: str = "") -> Quantity:
        return quantity(key, title, source, ours, loss=loss, note=note)

    def W(layer: Layer, i: int, j: int) -> Value:
        return layer.neurons[j].w[i]

    # Index names as in the tutorial: a/b for softmax outputs/inputs, then l (outputs), k, j, i.
    forward = Section(
        "1. Forward pass",
        [
            "Each neuron's weighted input is ONE dot node: h_in[j] = sum_i W[i][j]*x[i] + b[j] (W[i][j]: input i",
            "-> neuron j, as in the tutorial; indices are 0-based, so W_kl[0][1] is the tutorial's W_k1l2).",
        ],
        [
            Q("h1_in", "h1_in[j]", "dot(x, W_ij[:,j], b_j[j])", [z.data for z in h1_in]),
            Q("h1_out", "h1_out[j]", "relu(h1_in[j])", [o.data for o in h1_out]),
            Q("h2_in", "h2_in[k]", "dot(h1_out, W_jk[:,k], b_k[k])", [z.data for z in h2_in]),
            Q("h2_out", "h2_out[k]", "sigmoid(h2_in[k])", [o.data for o in h2_out]),
            Q("O_in", "O_in[l]", "dot(h2_out, W_kl[:,l], b_l[l])", [z.data for z in O_in]),
            Q("O_out", "O_out[l]", "softmax(O_in)[l]", [o.data for o in O_out]),
        ],
    )
    out_layer = Section(
        "2a. Backward pass, output layer (softmax) - W_kl",
        [
            "Gradients are node.grad after one E.backward(); local derivatives are node.local_grads, recorded",
            "when the forward pass ran. The softmax output O_out[a] has ALL of O_in as inputs: its local grads",
            "are the full Jacobian row o_a*(delta_ab - o_b); the tutorial keeps only the diagonal.",
        ],
        [
            Q("dE/dO_out", "dE/dO_out[a]", "O_out[a].grad", [o.grad for o in O_out]),
            Q("dO_out/dO_in", "dO_out[a]/dO_in[b]", "O_out[a].local_grads",
              _grid(lambda a, b: local(O_out[a], O_in[b])),
              note="rows a, columns b; the tutorial: diagonal only"),
            Q("dE/dO_in paths", "dE/dO_out[a]*dO_out[a]/dO_in[l]", "O_out[a].grad * local grad",
              _grid(lambda a, m: O_out[a].grad * local(O_out[a], O_in[m])),
              note="rows a, columns l; a column adds up to dE/dO_in[l]"),
            Q("dE/dO_in", "dE/dO_in[l]", "O_in[l].grad", [z.grad for z in O_in]),
            Q("dO_in/dW_kl", "dO_in[l]/dW_kl[k][l]", "O_in[l].local_grads",
              _grid(lambda k, m: local(O_in[m], W(L3, k, m))), note="rows k, columns l"),
            Q("dE/dW_kl", "dE/dW_kl[k][l]", "W_kl[k][l].grad", L3.weight_grads()),
        ],
    )
    hidden2 = Section(
        "2b. Backward pass, hidden layer 2 (sigmoid) - W_jk",
        ["dE/dh2_out[k] gathers one path through every O_in[l]: dO_in[l]/dh2_out[k] = W_kl[k][l]."],
        [
            Q("dE/dh2_out paths", "dO_in[l]/dh2_out[k]*dE/dO_in[l]", "local grad * O_in[l].grad",
              _grid(lambda k, m: local(O_in[m], h2_out[k]) * O_in[m].grad), note="rows k, columns l"),
            Q("dE/dh2_out", "dE/dh2_out[k]", "h2_out[k].grad", [h.grad for h in h2_out]),
            Q("dh2_out/dh2_in", "dh2_out[k]/dh2_in[k]", "h2_out[k].local_grads",
              [local(h, z) for h, z in zip(h2_out, h2_in)]),
            Q("dE/dh2_in", "dE/dh2_in[k]", "h2_in[k].grad", [z.grad for z in h2_in]),
            Q("dh2_in/dW_jk", "dh2_in[k]/dW_jk[j][k]", "h2_in[k].local_grads",
              _grid(lambda j, k: local(h2_in[k], W(L2, j, k))), note="rows j, columns k"),
            Q("dE/dW_jk", "dE/dW_jk[j][k]", "W_jk[j][k].grad", L2.weight_grads()),
        ],
    )
    hidden1 = Section(
        "2c. Backward pass, hidden layer 1 (ReLU) - W_ij",
        ["dE/dh1_out[j] gathers one path through every h2_in[k]: dh2_in[k]/dh1_out[j] = W_jk[j][k]."],
        [
            Q("dE/dh1_out paths", "dh2_in[k]/dh1_out[j]*dE/dh2_in[k]", "local grad * h2_in[k].grad",
              _grid(lambda j, k: local(h2_in[k], h1_out[j]) * h2_in[k].grad),
              note="rows j, columns k; the tutorial: k = j only"),
            Q("dE/dh1_out", "dE/dh1_out[j]", "h1_out[j].grad", [h.grad for h in h1_out]),
            Q("dh1_out/dh1_in", "dh1_out[j]/dh1_in[j]", "h1_out[j].local_grads",
              [local(h, z) for h, z in zip(h1_out, h1_in)]),
            Q("dE/dh1_in", "dE/dh1_in[j]", "h1_in[j].grad", [z.grad for z in h1_in]),
            Q("dh1_in/dW_ij", "dh1_in[j]/dW_ij[i][j]", "h1_in[j].local_grads",
              _grid(lambda i, j: local(h1_in[j], W(L1, i, j))), note="rows i, columns j"),
            Q("dE/dW_ij", "dE/dW_ij[i][j]", "W_ij[i][j].grad", L1.weight_grads()),
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
            Q("W_kl'", "W_kl'[k][l]", "W_kl[k][l].data", L3.weights()),
            Q("W_jk'", "W_jk'[j][k]", "W_jk[j][k].data", L2.weights()),
            Q("W_ij'", "W_ij'[i][j]", "W_ij[i][j].data", L1.weights()),
        ],
    )
    names = ("j", "k", "l")
    bias = [Q(f"dE/db_{d}", f"dE/db_{d}[{d}]", f"b_{d}[{d}].grad", g) for d, g in zip(names, bias_grads)]
    bias += [Q(f"b_{d}'", f"b_{d}'[{d}]", f"b_{d}[{d}].data after the step", layer.biases())
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
        quantity("dE/dO_out", "dE/dO_out[a]", "O_out[a].grad", [o.grad for o in O_out], loss=loss),
        quantity("dE/dO_in", "dE/dO_in[l]", "O_in[l].grad", [z.grad for z in O_in], loss=loss),
        quantity("dE/dW_kl", "dE/dW_kl[k][l]", "W_kl[k][l].grad",
                 model.layers[2].weight_grads(), loss=loss),
    ]


# --------------------------------------------------------------------------------------------------
# The tutorial's "Important Notes"
# --------------------------------------------------------------------------------------------------

BATCH_INPUTS: tuple[tuple[float, ...], ...] = (tutorial.INPUT, (0.5, 0.1, 0.3), (0.9, 0.8, 0.1))
BATCH_TARGETS: tuple[tuple[float, ...], ...] = (tutorial.TARGET, (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
"""A small batch: the tutorial's example plus two more of our own making."""

BATCH_PARAMS = ("W_ij[2][2]", "W_jk[0][0]", "W_kl[0][0]", "b_l[0]")


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
    fn = _loss_fn(loss)
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
    fn = _loss_fn(loss)
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
    fn = _loss_fn(loss)
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
    fn = _loss_fn(loss)
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


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------

WIDTH = 100
_LEFT = 34
_CELL = 16


def fmt(v: float) -> str:
    """Our numbers: 7 significant digits (more than the tutorial ever prints)."""
    return f"{v + 0.0:.7g}"  # + 0.0 turns -0.0 into 0.0


def legend() -> list[str]:
    """What the marks mean."""
    return [
        "Marks: '=' agrees with the tutorial to the digits it printed; '~' off because it carried a rounded",
        "value forward; 'X' a mistake in the tutorial (letters point to the reasons under each section).",
    ]


class _Notes:
    """Footnote letters for reasons, assigned in order of first use within a section."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def letter(self, key: str) -> str:
        if key not in self.keys:
            self.keys.append(key)
        return "abcdefghijklmnopqrstuvwxyz"[self.keys.index(key)]

    def render(self) -> list[str]:
        lines = []
        for key in self.keys:
            reason = REASONS[key]
            head = f"  {self.letter(key)} {MARKS[reason.kind]} "
            lines += textwrap.wrap(reason.text, WIDTH, initial_indent=head, subsequent_indent=" " * len(head))
        return lines


def _row_cells(values: Sequence[str], marks: Sequence[str] = ()) -> str:
    out = []
    for k, v in enumerate(values):
        mark = marks[k] if marks else ""
        out.append(f"{v:>{_CELL - 3}} {mark:<2}")
    return "".join(out).rstrip()


def render_quantity(q: Quantity, notes: _Notes, *, show_tutorial: bool = True) -> list[str]:
    """Our numbers (and the tutorial's, with marks) for one quantity, the title and source on the left."""
    left = [q.title, f"  = {q.source}"]
    lines = []
    for r, row in enumerate(q.rows):
        tag = "ours" if r == 0 else ""
        lines.append(f"{tag:>9}" + _row_cells([fmt(c.ours) for c in row]))
    printed = any(c.printed is not None for row in q.rows for c in row)
    if show_tutorial and printed:
        for r, row in enumerate(q.rows):
            tag = "tutorial" if r == 0 else ""
            texts = [c.printed if c.printed is not None else "-" for c in row]
            marks = [MARKS[c.status] for c in row]
            # Letters in the order the reasons are listed in tutorial.EXPLAINED: the same on every run.
            order = [k for _, k in tutorial.EXPLAINED.get(q.key, [])]
            letters = [notes.letter(k) for k in dict.fromkeys(order) if any(k in c.reasons for c in row)]
            suffix = f"  {','.join(sorted(letters))}" if letters else ""
            lines.append(f"{tag:>9}" + _row_cells(texts, marks) + suffix)
        if any(c.status == "n/a" for row in q.rows for c in row):
            lines.append(" " * 9 + "(the tutorial's numbers are for its own loss: not compared)")
    if q.note:
        left += textwrap.wrap(f"({q.note})", _LEFT - 3, initial_indent="  ", subsequent_indent="   ")
    while len(left) < len(lines):
        left.append("")
    while len(lines) < len(left):
        lines.append("")
    return [f"{a:<{_LEFT}}{b}".rstrip() for a, b in zip(left, lines)]


def render_section(section: Section) -> list[str]:
    """A section: rule, title, intro, its quantities and the reasons they cite."""
    notes = _Notes()
    out = ["", f"== {section.title} ".ljust(WIDTH, "="), *section.intro, ""]
    for q in section.quantities:
        out += render_quantity(q, notes)
    if notes.keys:
        out += ["", "Why the tutorial's numbers differ:", *notes.render()]
    return out


def render_walkthrough(w: Walkthrough, *, forward: bool = True, backward: bool = True) -> list[str]:
    """Sections 1 (the forward pass and the loss) and 2 (the backward pass and the SGD step)."""
    lines = legend()
    s1, *rest = w.sections
    if forward:
        lines += render_section(s1) + _render_loss(w)
    if backward:
        lines += _render_backward(w, rest)
    return lines


def _render_loss(w: Walkthrough) -> list[str]:
    tut, cat = (w.E, w.E_other) if w.loss == "tutorial" else (w.E_other, w.E)
    return [
        "",
        "Loss (the tutorial never prints its value):",
        f"  tutorial    E = -(1/3)*sum_a [y_a*log(O_out[a]) + (1-y_a)*log(1-O_out[a])] = {fmt(tut)}",
        f"  categorical E = -sum_a y_a*log(O_out[a]) = -log(O_out[0])               = {fmt(cat)}",
        f"  sections 2-5 use the {w.loss} loss (--loss {'categorical' if w.loss == 'tutorial' else 'tutorial'}"
        " for the other)",
    ]


def _render_backward(w: Walkthrough, sections: list[Section]) -> list[str]:
    lines = []
    for section in sections:
        lines += render_section(section)
        if section.title.startswith("2a"):
            other = "categorical" if w.loss == "tutorial" else "tutorial"
            lines += [
                "",
                f"The same gradients under the {other} loss (a separate graph). The tutorial's own recipe",
                "(each output's E_l through its own output only, no 1/n), done with correct derivatives, gives",
                "dE_l/dO_out[l]*dO_out[l]/dO_in[l] = O_out[l] - y_l: exactly categorical cross-entropy's dE/dO_in.",
            ]
            for q in w.variant:
                lines += render_quantity(q, _Notes(), show_tutorial=False)
    return lines


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: int = 2, left: int = 1) -> list[str]:
    """A plain aligned table: the first ``left`` columns (and a last bar column) left-aligned, the rest right."""
    cols = list(zip(headers, *rows))
    widths = [max(len(s) for s in col) for col in cols]

    def line(cells: Sequence[str]) -> str:
        parts = [f"{c:<{w}}" if k < left else f"{c:>{w}}" for k, (c, w) in enumerate(zip(cells, widths))]
        return " " * indent + "  ".join(parts).rstrip()

    return [line(headers), " " * indent + "-" * (sum(widths) + 2 * (len(widths) - 1)), *(line(r) for r in rows)]


def render_notes(
    w: Walkthrough, batch: BatchResult, sym: SymmetryResult, van: VanishingResult
) -> list[str]:
    """Section 4: what the tutorial's "Important Notes" leave open, answered by the engine."""
    out = ["", "== 4. What the tutorial left open ('Important Notes') ".ljust(WIDTH, "=")]
    out += ["", "4a. Bias gradients. A bias enters its dot node with local derivative 1, so dE/db is the",
            "    gradient of the pre-activation (dE/dh1_in, dE/dh2_in, dE/dO_in); the tutorial skipped them.", ""]
    grads = {q.key: q for q in w.bias}
    rows = []
    for n, (d, name) in enumerate(zip(("j", "k", "l"), ("h1 (relu)", "h2 (sigmoid)", "O (softmax)"))):
        for j in range(3):
            g = grads[f"dE/db_{d}"].cell(j).ours
            new = grads[f"b_{d}'"].cell(j).ours
            dz = grads["dz/db"].cell(n, j).ours
            rows.append([f"b_{d}[{j}]" + (f"   {name}" if j == 0 else ""), fmt(dz), fmt(g), fmt(new)])
    out += table(["bias", "d(z)/db", "dE/db (.grad)", "after SGD (lr 0.01)"], rows)

    out += ["", f"4b. A batch of {len(batch.losses)} examples: E = mean of the per-example losses. One backward of",
            "    the mean gives the mean of the per-example gradients (tutorial example first, two of ours):", ""]
    rows = [[f"example {e}", fmt(batch.losses[e]), *(fmt(g) for g in batch.per_example[e])]
            for e in range(len(batch.losses))]
    means = [math.fsum(col) / len(col) for col in zip(*batch.per_example)]
    rows.append(["mean of the above", fmt(math.fsum(batch.losses) / len(batch.losses)), *(fmt(m) for m in means)])
    rows.append(["batch loss, 1 backward", fmt(batch.mean_loss), *(fmt(g) for g in batch.batch)])
    out += table(["", "E", *(f"dE/d{p}" for p in batch.params)], rows)

    out += ["", f"4c. Same number everywhere: every weight and bias = {sym.constant}, {sym.steps} SGD steps "
            f"(lr {sym.lr:g}). The",
            "    neurons of a hidden layer get identical gradients, so they stay identical copies; the output",
            "    layer's neurons differ only because each has its own target. Largest difference between two",
            "    neurons of a layer (any weight or bias):", ""]
    rows = [[name, fmt(b), fmt(a), fmt(t)] for name, b, a, t in
            zip(("layer 1 (relu)", "layer 2 (sigmoid)", "layer 3 (softmax)"),
                sym.spread_before, sym.spread_after, sym.tutorial_spread_after)]
    out += table(["", "constant, before", "constant, after", "tutorial's weights, after"], rows)
    out += ["", "    W_ij after training from the constant start (columns = neurons, all equal):"]
    out += ["      " + "  ".join(f"{fmt(v):>12}" for v in row) for row in sym.W_ij_after]

    out += ["", f"4d. Vanishing gradients: {van.depth} hidden layers of {van.width}, then softmax; "
            "mean |dE/dW| per layer",
            "    (input side first). Each sigmoid layer multiplies the gradient by at most 1/4.", ""]
    rows = [[f"layer {k + 1}" + (" (output)" if k == len(van.sigmoid) - 1 else ""),
             f"{s:.3e}", f"{r:.3e}"] for k, (s, r) in enumerate(zip(van.sigmoid, van.relu))]
    ratio = [van.sigmoid[0] / van.sigmoid[-1], van.relu[0] / van.relu[-1]]
    rows.append(["first / last", f"{ratio[0]:.2e}", f"{ratio[1]:.2e}"])
    out += table(["", "sigmoid (Xavier)", "relu (He)"], rows)
    return out


def render_training(result: TrainResult, *, loss: str, optimizer: str, lr: float, init: str) -> list[str]:
    """Section 5: the loss every few steps and the final outputs."""
    out = ["", f"== 5. Training on the tutorial example ({optimizer}, lr {lr:g}, {loss} loss, {init} init) "
           .ljust(WIDTH, "="), ""]
    first = result.history[0][1]
    rows = [[str(step), fmt(e), "#" * max(0, round(40 * e / first)) if first > 0 else ""]
            for step, e in result.history]
    bars = "  loss, relative to step 0".ljust(42)
    out += table(["step", "loss", bars], [[a, b, ("  " + c).ljust(42)] for a, b, c in rows])
    target = ", ".join(f"{v:g}" for v in tutorial.TARGET)
    out += ["", f"  outputs after training: [{', '.join(fmt(v) for v in result.outputs)}]   (target [{target}])"]
    return out
