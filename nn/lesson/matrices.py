"""The demo's step from scalars to matrices: the tutorial network's step for a batch, as derived array code.

:func:`autograd.replay.batch_source` traces the tutorial's one sample and writes the step for a
whole batch ``X`` (one row per sample): each layer's dot nodes become one matrix product, and the
backward pass ``dW = X.T @ dZ`` follows from the dot rule ``d h1_in_j / d W_ij = i_i``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

import autograd
from autograd import Value, replay

from . import tutorial
from .experiments import BATCH_INPUTS, BATCH_TARGETS
from .text import WIDTH

_INTRO = (
    "The tutorial writes each layer as a matrix product, [i1 i2 i3] x W_ij + b_j = [h1_in1 h1_in2 h1_in3], "
    "and then derives the backward pass one number at a time. chainrule finds those products in the scalar "
    "graph of one sample and writes the step for a whole batch X (one row per sample) as array code "
    "(autograd.replay.batch). Every line below comes from the ops' own derivative rules: the dot rule "
    "d h1_in_j / d W_ij = i_i, summed over the samples, is d_W_ij = X.T @ d_H1_in. (Lines that gather "
    "the params from the vector P, and add their gradients into G, are left out here.)"
)


def per_sample(loss: str) -> tuple[Callable[..., Value], list[Value]]:
    """The tutorial network's loss for one sample ``x`` with targets ``y`` (Values, so it batches),
    and the network's params."""
    net = tutorial.network()

    def one(x: list[Value], y: list[Value]) -> Value:
        os = net(x)
        if loss == "tutorial":  # -(1/3) * sum(y log o + (1 - y) log(1 - o))
            terms = [t * o.log() + (1.0 - t) * (1.0 - o).log() for o, t in zip(os, y)]
            return autograd.sum(terms) * (-1.0 / len(terms))
        return -autograd.sum([t * o.log() for o, t in zip(os, y)])

    return one, net.parameters()


def _notation(line: str) -> str:
    """The tutorial's way of writing a matrix line of the code, or ''."""
    if m := re.fullmatch(r"(\w+) = (\w+) @ (\w+) \+ (\w+)", line):
        out, inp, W, b = m.groups()
        return f"[{inp} row] x {W} + {b} = [{out} row]"
    if m := re.fullmatch(r"d_(\w+) = (\w+)\.T @ d_(\w+)", line):
        W, inp, out = m.groups()
        return f"dE/d{W}[i][j] = sum_rows {inp}[i] * dE/d{out}[j]"
    if m := re.fullmatch(r"d_(\w+) = d_(\w+) @ (\w+)\.T", line):
        inp, out, W = m.groups()
        return f"dE/d{inp}[i] = sum_j {W}[i][j] * dE/d{out}[j]"
    if m := re.fullmatch(r"d_(\w+) = colsum\(d_(\w+)\)", line):
        b, out = m.groups()
        return f"dE/d{b}[j] = sum_rows dE/d{out}[j]"
    return ""


def section(loss: str = "tutorial") -> list[str]:
    """The demo's lines: the derived code for the tutorial network, and a check against the engine."""
    one, params = per_sample(loss)
    source = replay.batch_source(one, params, tutorial.INPUT, list(tutorial.TARGET))
    out = ["", "== 4e. From scalars to matrices: one step for a whole batch ".ljust(WIDTH, "=")]
    out += textwrap.wrap(_INTRO, WIDTH, initial_indent="  ", subsequent_indent="  ")
    out.append("")
    for line in source.splitlines()[2:]:
        code = line.strip()
        if re.fullmatch(r"\w+ = P\[.*", code) or code.startswith(("G[", "G =", "add_at(", "finite(", "return")):
            continue
        note = _notation(code)
        text = f"    {line[4:]}"
        out.append(f"{text:<46}{note}".rstrip() if note and len(text) < 46 else text)
    out.append("")
    out += textwrap.wrap(_check(one, params), WIDTH, initial_indent="  ", subsequent_indent="  ")
    return out


def _check(one: Callable[..., Value], params: list[Value]) -> str:
    """Run the code on the demo's batch (if numpy is here) and compare with the scalar engine."""
    X, Y = [list(x) for x in BATCH_INPUTS], [list(y) for y in BATCH_TARGETS]
    try:
        step = replay.batch(one, params, X, Y)
    except ImportError:
        return "(numpy is not installed, so the code is shown but not run: pip install numpy)"
    E, G = step()
    losses = [one([Value(v) for v in x], [Value(v) for v in y]) for x, y in zip(X, Y)]
    total = autograd.sum(losses) * (1.0 / len(losses))
    want = autograd.grad(total, params)
    worst = max(abs(g - w) / max(abs(w), 1e-300) for g, w in zip(G.tolist(), want) if w)
    # Only whether it is within 1e-12 is printed: the last bits depend on the machine's BLAS.
    agree = "agree with the engine's to within 1e-12" if worst <= 1e-12 else f"differ from the engine's by {worst:.1e}"
    return (
        f"Run on section 4's batch of {len(X)} samples: E = {E:.12g} (the scalar engine: {total.data:.12g}); "
        f"the {len(params)} gradients {agree} relative (a matrix product adds the same terms in another order)."
    )
