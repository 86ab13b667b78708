"""The walkthrough and the experiments as aligned plain text (100 columns), for demo.py.

Each quantity prints our numbers, then the tutorial's with a mark per cell (``=`` agrees, ``~``
rounding, ``X`` wrong) and letters pointing to the causes listed under the section. The causes and
their details come from :func:`autograd.diagnose` (see :mod:`nn.lesson.walkthrough`); only the generic
explanation of each cause is prose, in ``autograd.diagnose.CAUSES``.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from autograd.colors import significant as fmt  # ours: 7 digits, more than the tutorial prints
from autograd.diagnose import CAUSES

from . import tutorial
from .experiments import BatchResult, SymmetryResult, TrainResult, VanishingResult
from .walkthrough import MARKS, Quantity, Section, Walkthrough

WIDTH = 100
_LEFT = 34
_CELL = 16


def legend() -> list[str]:
    """What the marks mean."""
    return [
        "Marks: '=' agrees with the tutorial to the digits it printed; '~' off only by rounding (a rounded",
        "value carried forward); 'X' a mistake. Letters point to the causes under each section, found by",
        "autograd.diagnose from the tutorial's printed numbers alone. Names are the tutorial's, 1-based.",
    ]


ROUNDING = ("rounded-input", "truncated")


class _Notes:
    """Footnote letters for causes, assigned in order of first use within a section, with the details
    diagnose gave for the cells that cite them."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.details: dict[str, list[str]] = {}

    def letter(self, key: str) -> str:
        if key not in self.keys:
            self.keys.append(key)
        return "abcdefghijklmnopqrstuvwxyz"[self.keys.index(key)]

    def note(self, key: str, detail: str | None) -> None:
        if detail and detail not in self.details.setdefault(key, []):
            self.details[key].append(detail)

    def render(self) -> list[str]:
        lines = []
        for key in self.keys:
            head = f"  {self.letter(key)} {'~' if key in ROUNDING else 'X'} "
            text = f"{key}: {CAUSES[key]}"
            shown = self.details.get(key, [])
            if shown:
                more = f"; and {len(shown) - 3} more" if len(shown) > 3 else ""
                text += " - here: " + "; ".join(shown[:3]) + more
            lines += textwrap.wrap(text, WIDTH, initial_indent=head, subsequent_indent=" " * len(head))
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
            cited = [k for k in CAUSES if any(k in c.reasons for c in row)]
            for c in row:
                for k in c.reasons:
                    notes.note(k, c.details.get(k))
            letters = [notes.letter(k) for k in cited]
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
