"""Exercise mode for teachers: a worksheet for the tutorial's network (or a seeded variant with other
weights, so each student has their own numbers) and an answers template; checking a filled template
prints :func:`autograd.diagnose`'s report: for the first wrong step, what was expected, what was
written and why.

    chainrule exercise --seed 7 --out ex7     # ex7/worksheet.md and ex7/answers.toml
    chainrule check ex7/answers.toml          # exit 0: all agree; 1: something to fix; 2: a bad file
    chainrule exercise --out ex7 --force      # start again: replaces an answers file already filled in

(``python -m nn.lesson.exercise [--seed N] [--out DIR]`` and ``python -m nn.lesson.exercise check FILE`` do the same.)
The template names every quantity with the tutorial's 1-based names (``h1_in1``, ``W_k1l2``);
answers are numbers, or strings to keep the digits as written (``"0.2040"``); ``""`` is unanswered.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import textwrap
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd import Value
from autograd.diagnose import diagnose

from .. import losses
from ..io import nests_deeper, read_at_most, write_atomically
from ..modules import MLP
from . import terminal, tutorial

SECTIONS = {
    "data": "values of the forward pass",
    "grads": "gradients dE/d(name) of the loss E",
    "updates": "weights after one SGD step, W - lr * dE/dW",
}
"""The template's tables: what each asks for."""

_MATRICES = ("W_ij", "W_jk", "W_kl")


@dataclass(frozen=True)
class Exercise:
    """A network to work by hand: the tutorial's (``seed`` None) or a variant with seeded weights."""

    seed: int | None
    weights: tuple[tuple[tuple[float, ...], ...], ...]

    @classmethod
    def make(cls, seed: int | None = None) -> Exercise:
        """The tutorial's weights, or for a seed weights drawn like the tutorial's (one decimal, 0.1-0.9)."""
        if seed is None:
            return cls(None, (tutorial.W_IJ, tutorial.W_JK, tutorial.W_KL))
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"the seed must be an int, not {seed!r}")
        rng = random.Random(seed)
        draw = tuple(tuple(tuple(rng.randint(1, 9) / 10 for _ in range(3)) for _ in range(3)) for _ in range(3))
        return cls(seed, draw)

    def network(self) -> MLP:
        """The network, labelled with the tutorial's 1-based names."""
        return tutorial.network(self.weights)

    def loss(self, model: MLP | None = None) -> Value:
        """The tutorial's loss E on the tutorial's input and target, as a graph."""
        model = model or self.network()
        E = losses.binary_cross_entropy(model(tutorial.inputs()), tutorial.TARGET)
        E.label = "E"
        return E

    def quantities(self) -> dict[str, list[str]]:
        """The names to compute, by template table (forward values, gradients, updated weights)."""
        label = tutorial.tutorial_labels
        nodes = [label(name, (j,)) for pair in tutorial.NODE_NAMES for name in pair for j in range(3)]
        weights = [label(m, (i, j)) for m in _MATRICES for i in range(3) for j in range(3)]
        return {"data": nodes, "grads": nodes[::-1] + weights[::-1], "updates": weights[::-1]}


# --- the worksheet and the template ---------------------------------------------------------------


def _matrix(name: str, W: Sequence[Sequence[float]]) -> list[str]:
    """A weight matrix as a Markdown table, rows and columns named as the tutorial names them."""
    letters = name.split("_")[1]
    row, col = letters[0], letters[1]
    head = f"| {name} | " + " | ".join(f"{col}{j + 1}" for j in range(len(W[0]))) + " |"
    lines = [f"| {row}{i + 1} | " + " | ".join(f"{v:g}" for v in values) + " |" for i, values in enumerate(W)]
    return [head, "|---" * (len(W[0]) + 1) + "|", *lines]


def worksheet(ex: Exercise) -> str:
    """The worksheet as Markdown: the network's numbers, the names, and the quantities to compute."""
    which = "the tutorial's network" if ex.seed is None else f"a variant of the tutorial's network (seed {ex.seed})"
    x = ", ".join(f"i{k + 1} = {v:g}" for k, v in enumerate(tutorial.INPUT))
    y = ", ".join(f"{v:g}" for v in tutorial.TARGET)
    out = [
        "# Backpropagation by hand",
        "",
        *textwrap.wrap(f"Work {which} through one forward pass, one backward pass and one SGD step.", 100),
        "",
        "## The network",
        "",
        f"- Input: {x}. Target: [{y}]. Every bias (b_j1 ... b_l3) is {tutorial.BIAS:g}.",
        "- Layer 1: h1_in = i x W_ij + b_j, h1_out = relu(h1_in).",
        "- Layer 2: h2_in = h1_out x W_jk + b_k, h2_out = sigmoid(h2_in).",
        "- Layer 3: O_in = h2_out x W_kl + b_l, O_out = softmax(O_in).",
        "- Loss: E = -(1/3) * sum_a [y_a * log(O_out_a) + (1 - y_a) * log(1 - O_out_a)] (the tutorial's).",
        f"- Learning rate: {tutorial.LEARNING_RATE:g}.",
        "",
        "Names are 1-based, as in the tutorial: W_k1l2 is row k1, column l2 of W_kl (it connects h2_out1",
        "to O_in2); h1_in3 is the third neuron's weighted input.",
        "",
    ]
    for name, W in zip(_MATRICES, ex.weights):
        out += [*_matrix(name, W), ""]
    out += ["## What to compute", ""]
    for table, names in ex.quantities().items():
        shown = [f"dE/d{n}" for n in names] if table == "grads" else [f"{n}'" for n in names] if table == "updates" \
            else names
        out += [f"**[{table}]** {SECTIONS[table]}:", "", *textwrap.wrap(", ".join(shown), 100), ""]
    out += [
        "Write each answer into answers.toml (keep as many digits as you used: a string like \"0.2040\"",
        "keeps them), then run `chainrule check answers.toml`. It says, for the first wrong step, what",
        "was expected, what you wrote, and the most likely cause.",
        "",
    ]
    return "\n".join(out)


def template(ex: Exercise) -> str:
    """The answers template as TOML: the network (seed) and one blank key per quantity."""
    seed = '"tutorial"' if ex.seed is None else str(ex.seed)
    out = [
        "# Answers for a chainrule exercise. Fill in each value: a number, or a string to keep the",
        '# digits as written ("0.2040"). Leave "" for what you did not compute.',
        "",
        "[network]",
        f"seed = {seed}",
        f"learning_rate = {tutorial.LEARNING_RATE!r}",
        "",
    ]
    for table, names in ex.quantities().items():
        out += [f"[{table}]  # {SECTIONS[table]}", *(f'{n} = ""' for n in names), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """``chainrule exercise``: write worksheet.md and answers.toml for the tutorial's network or a seeded variant.

    Refuses (exit 2, writing nothing) an ``--out`` that is a file or cannot be made, and an
    answers.toml already there that differs from the fresh template (answers filled in) unless
    ``--force``."""
    parser = argparse.ArgumentParser(
        prog="chainrule exercise",
        description="Write a backpropagation worksheet (Markdown) and an answers template (TOML).",
        epilog=terminal.EXIT_CODES,
    )
    parser.add_argument("--seed", type=int, default=None,
                        help="draw a variant network with other weights (default: the tutorial's own)")
    parser.add_argument("--out", default="exercise", metavar="DIR", help="folder to write into (default exercise/)")
    parser.add_argument("--force", action="store_true",
                        help="replace an answers.toml in DIR even if answers were filled in")
    args = parser.parse_args(argv)
    ex = Exercise.make(args.seed)
    out = Path(args.out)
    files = {out / "worksheet.md": worksheet(ex), out / "answers.toml": template(ex)}
    if out.exists() and not out.is_dir():
        return terminal.fail("chainrule exercise", f"--out {args.out!r} is a file; the exercise goes into a folder")
    try:
        answers = out / "answers.toml"
        if not args.force and answers.exists() and answers.read_bytes() != files[answers].encode("utf-8"):
            return terminal.fail("chainrule exercise", f"{answers} already holds other answers (filled in, or "
                                 "another exercise); nothing was written. Pass --force to replace it, or choose "
                                 "another --out.")
        out.mkdir(parents=True, exist_ok=True)
        for path, text in files.items():
            write_atomically(path, text)
    except OSError as error:
        return terminal.fail("chainrule exercise", f"cannot write into --out {args.out!r}: {error.strerror or error}")
    terminal.say(f"Wrote {out / 'worksheet.md'} and {out / 'answers.toml'}.")
    return terminal.OK


# --- checking a filled template -------------------------------------------------------------------


class AnswersError(ValueError):
    """A template that cannot be checked, with what was wrong and what is accepted."""


MAX_DEPTH = 10
"""An answers file nesting arrays or inline tables deeper than this is refused before it is parsed."""

MAX_BYTES = 1_000_000
"""An answers file longer than this is refused unread (the template is under 2 KB; ``/dev/zero`` is endless)."""

# TOML's strings (multi-line first) and comments: brackets inside them do not nest.
_TOML_STRINGS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*')


def read_answers(path: str | Path) -> tuple[Exercise, dict[str, dict[str, Any]]]:
    """Read a filled template: the exercise (from its seed) and the answered values by table."""
    try:
        raw = read_at_most(path, MAX_BYTES + 1)
    except OSError as error:
        raise AnswersError(f"cannot read {path}: {error.strerror or error}") from None
    if len(raw) > MAX_BYTES:
        raise AnswersError(f"{path} is larger than {MAX_BYTES} bytes; an answers file takes a few KB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AnswersError(f"{path} is not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    if nests_deeper(text, _TOML_STRINGS, MAX_DEPTH):
        raise AnswersError(f"{path} nests arrays or tables more than {MAX_DEPTH} deep; answers are plain numbers")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AnswersError(f"{path} is not valid TOML: {error}") from None
    network = doc.get("network")
    if not isinstance(network, dict) or "seed" not in network:
        raise AnswersError(
            f"{path} has no [network] table with a seed; start from the template `chainrule exercise` writes"
        )
    seed = network["seed"]
    if seed == "tutorial":
        ex = Exercise.make(None)
    elif isinstance(seed, int) and not isinstance(seed, bool):
        ex = Exercise.make(seed)
    else:
        raise AnswersError(f'[network] seed must be an integer or "tutorial", got {seed!r}')
    lr = network.get("learning_rate", tutorial.LEARNING_RATE)
    if lr != tutorial.LEARNING_RATE:
        raise AnswersError(f"[network] learning_rate is {lr!r}, but the exercise's step uses {tutorial.LEARNING_RATE}; "
                           "leave it as the template wrote it")
    unknown = set(doc) - {"network", *SECTIONS}
    if unknown:
        raise AnswersError(f"{path}: unknown table(s) {_shown(unknown)}; accepted: {', '.join(SECTIONS)}")
    known = ex.quantities()
    answers: dict[str, dict[str, Any]] = {}
    for table in SECTIONS:
        given = doc.get(table, {})
        if not isinstance(given, dict):
            raise AnswersError(f"{path}: [{table}] must be a table of name = value")
        extra = set(given) - set(known[table])
        if extra:
            raise AnswersError(f"{path}: [{table}] has no quantity {_shown(extra)}; "
                               f"the names are like {', '.join(known[table][:3])}")
        answers[table] = {}
        for name, value in given.items():
            if value == "":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise AnswersError(f"{path}: [{table}] {name} must be a number or a string like \"0.2040\", "
                                   f"got {value!r}")
            answers[table][name] = value
    return ex, answers


def _shown(names: set[str], most: int = 5) -> str:
    """Names from the file as printable text, the first ``most`` of them: a bare name as it is,
    anything else quoted and escaped (a key holding a newline or a terminal escape is shown, not obeyed)."""
    first = [n if n.isidentifier() and n.isascii() else repr(n)[:40] for n in sorted(names)[:most]]
    return ", ".join(first) + (f" and {len(names) - most} more" if len(names) > most else "")


def check(path: str | Path) -> tuple[int, str]:
    """Diagnose a filled template: (exit code, text to print)."""
    ex, answers = read_answers(path)
    n = sum(len(v) for v in answers.values())
    if n == 0:
        return 1, f"{path}: no answers filled in yet (every value is \"\")."
    try:
        report = diagnose(ex.loss(), grads=answers["grads"], data=answers["data"],
                          updates=answers["updates"], lr=tutorial.LEARNING_RATE)
    except (TypeError, ValueError) as error:
        raise AnswersError(f"{path}: {error}") from None
    blank = sum(len(v) for v in ex.quantities().values()) - n
    lines = report.lines()
    if blank:
        lines.append(f"({blank} quantities left blank.)")
    ok = all(e.verdict == "agrees" for e in report)
    return (0 if ok else 1), "\n".join(lines)


def check_main(argv: list[str] | None = None) -> int:
    """``chainrule check answers.toml``: print the diagnosis; exit 0 if every answer agrees, 1 if not,
    2 for a file that cannot be checked."""
    parser = argparse.ArgumentParser(prog="chainrule check",
                                     description="Check a filled answers template and explain each mistake.",
                                     epilog=terminal.EXIT_CODES)
    parser.add_argument("answers", help="the answers.toml written by `chainrule exercise`, filled in")
    args = parser.parse_args(argv)
    try:
        code, text = check(args.answers)
    except AnswersError as error:
        return terminal.fail("chainrule check", str(error))
    terminal.say(text)
    return code


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(check_main(arguments[1:]) if arguments[:1] == ["check"] else main(arguments))
