"""What diagnose returns: one :class:`Entry` per claimed number, and a :class:`Report` that prints
them as a table after a summary of the first wrong step."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from ..colors import significant as fmt  # 7 significant digits, never -0

Verdict = Literal["agrees", "rounding", "wrong"]
Kind = Literal["data", "grad", "local", "term", "update"]

CAUSES: dict[str, str] = {
    "sign": "the number is the right one negated, or a sign was lost in one factor of the chain",
    "factor": "off by a constant factor that is easy to drop or add (the loss's 1/n, a 2, the learning rate)",
    "diagonal-jacobian": "an op with coupled outputs (softmax) treated as if each output depended only on its "
    "own input: the off-diagonal local derivatives were dropped",
    "single-path": "a value that feeds several consumers was given the gradient through only one of them "
    "(the chain rule sums over every consumer)",
    "transposed": "the entry [j][i] of the matrix written where [i][j] was asked for",
    "wrong-index": "a local derivative evaluated with two inputs swapped: one number read at the wrong index",
    "rounded-input": "exact arithmetic on rounded values carried forward (the numbers written earlier, rounded "
    "to the digits printed)",
    "truncated": "the exact value cut to the digits printed instead of rounded",
    "upstream": "follows from numbers written earlier that were already wrong (it is right given them)",
    "slip": "an arithmetic or copying slip: no rule explains this number, given the numbers it was made from",
    "unexplained": "the causes before this one come closest, but the number still does not follow from the "
    "derivation's own inputs",
}
"""Every cause diagnose can name, with its one-line explanation."""


def explain(cause: str) -> str:
    """The one-line explanation of a cause name (see :data:`CAUSES`)."""
    try:
        return CAUSES[cause]
    except KeyError:
        raise KeyError(f"no cause {cause!r}; the causes are: {', '.join(CAUSES)}") from None


@dataclass(frozen=True)
class Entry:
    """One claimed number compared with the exact one.

    ``name`` is how the report prints it (``dE/dW_k1l2`` for a gradient, ``h1_in1`` for a value,
    ``dO_out1/dO_in1`` for a local derivative, ``W_k1l2'`` for an updated weight); ``key`` is the key it
    was passed under. ``causes`` are names from :data:`CAUSES`, most likely first, and ``details`` says
    for some of them what exactly (which factor, which edges). ``alternatives`` lists other sets of
    causes that reproduce the number with as few changes (rare: a 2-class softmax, a dead relu).
    """

    key: object
    name: str
    kind: Kind
    claimed: str
    exact: float
    verdict: Verdict
    causes: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict, compare=False)
    expected: float | None = None  # what the student's own numbers give, where that differs from exact
    alternatives: tuple[tuple[str, ...], ...] = ()  # other cause sets that explain it as simply

    @property
    def value(self) -> float:
        """The claimed number as a float."""
        return float(self.claimed)

    def explanation(self) -> str:
        """One sentence per cause: its explanation, and what exactly where diagnose knows it."""
        parts = []
        for cause in self.causes:
            text = CAUSES[cause]
            detail = self.details.get(cause)
            parts.append(f"{cause}: {text}" + (f" ({detail})" if detail else ""))
        return "; ".join(parts)


@dataclass
class Report:
    """Every entry in chain order (forward values, then the backward pass), printable as a table."""

    output: str
    entries: list[Entry]
    seconds: float = 0.0  # how long the diagnosis took
    sweeps: int = 0  # backward sweeps the search ran

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, name: str) -> Entry:
        """The entry printed as ``name`` (``'dE/dW_k1l2'``), or passed under the key ``name``."""
        for e in self.entries:
            if e.name == name or e.key == name:
                return e
        raise KeyError(f"no entry {name!r} in this report")

    @property
    def wrong(self) -> list[Entry]:
        """The entries whose verdict is ``wrong``."""
        return [e for e in self.entries if e.verdict == "wrong"]

    def first_wrong_step(self) -> Entry | None:
        """The first entry in chain order that is wrong even given the numbers written before it."""
        for e in self.entries:
            if e.verdict == "wrong" and "upstream" not in e.causes:
                return e
        return None

    def summary(self, width: int = 100) -> list[str]:
        """A few sentences: how many agree, and the first wrong step: expected, written, cause."""
        counts = {v: sum(1 for e in self.entries if e.verdict == v) for v in ("agrees", "rounding", "wrong")}
        lines = [
            f"{len(self.entries)} numbers checked against d{self.output}: {counts['agrees']} agree, "
            f"{counts['rounding']} off by rounding only, {counts['wrong']} wrong."
        ]
        first = self.first_wrong_step()
        if first is not None:
            cause = first.causes[0] if first.causes else "slip"
            detail = first.details.get(cause)
            text = [
                f"First wrong step: {first.name}.",
                f"Expected {fmt(first.exact)}, written {first.claimed}.",
                f"Cause: {cause}: {CAUSES[cause]}" + (f" ({detail})." if detail else "."),
            ]
            for sentence in text:
                lines += textwrap.wrap(sentence, width, subsequent_indent="  ")
        return lines

    def table(self, width: int = 100) -> list[str]:
        """One line per entry: name, kind, claimed, exact, verdict and causes (cut to ``width``)."""
        head = ("name", "kind", "claimed", "exact", "verdict", "causes")
        rows = [(e.name, e.kind, e.claimed, fmt(e.exact), e.verdict, ", ".join(e.causes)) for e in self.entries]
        widths = [max(len(r[k]) for r in [head, *rows]) for k in range(5)]
        out = []
        for r in [head, *rows]:
            line = "  ".join(
                f"{c:<{w}}" if k in (0, 1, 4) else f"{c:>{w}}" for k, (c, w) in enumerate(zip(r[:5], widths))
            )
            line = f"{line}  {r[5]}".rstrip()
            out.append(line if len(line) <= width else line[: width - 3] + "...")
        out.insert(1, "-" * min(width, max(len(x) for x in out)))
        return out

    def causes_used(self) -> list[str]:
        """Every cause named in the report, in catalogue order."""
        named = {c for e in self.entries for c in e.causes}
        return [c for c in CAUSES if c in named]

    def lines(self, width: int = 100) -> list[str]:
        """The summary, the table, and the explanation of each cause it names."""
        out = [*self.summary(width), "", *self.table(width), ""]
        for cause in self.causes_used():
            out += textwrap.wrap(f"{cause}: {CAUSES[cause]}", width, subsequent_indent="    ")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())
