"""Claimed numbers as someone wrote them down: their digits, which values they agree with, and
where in the graph each one belongs.

A claim keeps its printed text, because the number of digits says how precisely it was meant:
``"0.3685"`` agrees with any value in [0.36845, 0.36855]. Names of matrix entries are read here too
(``W[1][2]`` or the tutorial's 1-based ``W_k2l3``), for the ``transposed`` cause and for grouping
the entries of one vector or matrix.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..value import Value
from .report import Kind

if TYPE_CHECKING:  # derivation.py imports this module
    from .derivation import Graph

CLOSE = 3e-4
"""Relative distance below which a difference counts as rounding-level (hand arithmetic on rounded
numbers), when it is also more than one unit of the last printed digit."""


NOISE = 1e-12
"""Float noise: a difference this small (times the number's size, at least 1) is no difference. A sum
that cancels to zero comes out as 1e-17 or so, and a student who printed that meant zero."""

ZERO_EXPONENT = -12
"""A claim written as a bare ``0`` counts as printed to 12 decimals."""


@dataclass(frozen=True)
class PrintedNumber:
    """A number as printed: ``text`` (its digits), ``value`` and the place of its last digit."""

    text: str
    value: float
    exponent: int  # the last printed digit stands for 10 ** exponent

    @property
    def unit(self) -> float:
        """One unit of the last printed digit."""
        return 10.0**self.exponent

    def agrees(self, x: float) -> bool:
        """``x`` rounds to this text (with a hair of float slack: below :data:`NOISE`, numbers are zero)."""
        return abs(x - self.value) <= 0.5 * self.unit * (1 + 1e-9) + NOISE * max(1.0, abs(self.value))

    def close(self, x: float) -> bool:
        """Within one unit of the last digit, or within :data:`CLOSE` relative: rounding-level."""
        return abs(x - self.value) <= max(self.unit * (1 + 1e-9), CLOSE * abs(x)) + NOISE * max(1.0, abs(self.value))

    def truncates(self, x: float) -> bool:
        """This text is ``x`` cut (not rounded) to its digits."""
        return abs(x) >= abs(self.value) and abs(x - self.value) < self.unit and (x >= 0) == (self.value >= 0)

    def distance(self, x: float) -> float:
        """How far ``x`` is from the claim, in log-ratio (``inf`` for a zero or the wrong sign)."""
        if x == 0.0 or self.value == 0.0:
            return 0.0 if x == self.value else math.inf
        if (x > 0) != (self.value > 0):
            return math.inf
        return abs(math.log(x / self.value))


def printed(claim: Any, what: str) -> PrintedNumber:
    """Read a claim: a string as printed (``"0.3685"``), a Decimal (its digits), an int, a float or a
    numpy scalar (its shortest repr's digits), or a Fraction (as the float nearest it). ValueError for
    text that is not a decimal number and for a number that is not finite as a float (``"1e400"``,
    ``10**400``, NaN); TypeError for anything else (a bool, None, a list)."""
    text = _digits(claim, what)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(
            f"the claimed value for {what} is not a number: {claim!r:.60} (write it like '-0.0576')"
        ) from None
    exponent = number.as_tuple().exponent
    value = float(number) if isinstance(exponent, int) else math.inf
    if not math.isfinite(value):  # NaN, infinity, or beyond a float's range (inf <= inf would "agree")
        raise ValueError(f"the claimed value for {what} must be a finite number a float can hold, got {claim!r:.60}")
    assert isinstance(exponent, int)
    if number == 0 and exponent >= 0:
        exponent = ZERO_EXPONENT  # a bare "0" means zero (a dead relu, a path left out), not "within 0.5"
    return PrintedNumber(text, value, exponent)


def _digits(claim: Any, what: str) -> str:
    """The claim's digits as text: a str as written, any other accepted number by its shortest repr."""
    if isinstance(claim, str):
        return claim.strip()
    if isinstance(claim, Decimal):
        return str(claim)
    if not isinstance(claim, bool) and isinstance(claim, numbers.Integral):  # int, numpy integers
        number = int(claim)
        if abs(number) > _LARGEST:
            raise ValueError(f"the claimed value for {what} must be a finite number a float can hold, "
                             f"got an int of {number.bit_length()} bits")
        return str(number)
    if isinstance(claim, float):  # float and numpy.float64: the digits of the float itself
        return float.__repr__(float(claim))
    if not isinstance(claim, bool) and isinstance(claim, numbers.Real):  # Fraction, numpy.float32, ...
        if isinstance(claim, numbers.Rational):
            try:
                return repr(float(claim))
            except OverflowError:
                raise ValueError(f"the claimed value for {what} must be a finite number a float can hold, "
                                 f"got {claim!r:.60}") from None
        return str(claim)  # numpy's str of a float32 is its own shortest repr ('0.1', not 0.100000001...)
    raise TypeError(
        f"the claimed value for {what} must be a number as written: a str like '0.3685' (best: it keeps the "
        f"digits), an int, a float, a Decimal, a Fraction or a numpy scalar; got {type(claim).__name__}: "
        f"{claim!r:.60}"
    )


_LARGEST = int(sys.float_info.max)


# --- names -----------------------------------------------------------------------------------------

_BRACKETS = re.compile(r"^(.*?)((?:\[\d+\])+)$")
_PAIR = re.compile(r"^(.*_)([A-Za-z])(\d+)([A-Za-z])(\d+)$")  # the tutorial's W_k1l2
_TRAILING = re.compile(r"^(.*?[A-Za-z_])(\d+)$")  # the tutorial's h1_in1, b_j3


def transposed(label: str) -> str | None:
    """The name of entry ``[j][i]`` for a matrix entry ``[i][j]`` (``W_k1l2`` -> ``W_k2l1``); else None."""
    m = _BRACKETS.match(label)
    if m:
        index = re.findall(r"\d+", m[2])
        if len(index) == 2 and index[0] != index[1]:
            return f"{m[1]}[{index[1]}][{index[0]}]"
        return None
    m = _PAIR.match(label)
    if m and m[3] != m[5]:
        return f"{m[1]}{m[2]}{m[5]}{m[4]}{m[3]}"
    return None


def base_name(label: str) -> str:
    """The name without its indices: ``W[1][2]`` -> ``W``, ``W_k1l2`` -> ``W_kl``, ``h1_in3`` -> ``h1_in``."""
    m = _BRACKETS.match(label)
    if m:
        return m[1]
    m = _PAIR.match(label)
    if m:
        return f"{m[1]}{m[2]}{m[4]}"
    m = _TRAILING.match(label)
    return m[1] if m else label


@dataclass(eq=False)
class Claim:
    """One claimed number and where in the graph it belongs."""

    key: object
    name: str
    kind: Kind
    printed: PrintedNumber
    node: Value
    wrt: Value | None = None
    edges: tuple[int, ...] = ()
    partner: Value | None = None
    exact: float = 0.0
    group: tuple[str, ...] = ()


Pair = tuple[str, str]


# --- reading the claims ---------------------------------------------------------------------------


def _node(graph: Graph, label: object, what: str) -> Value:
    if not isinstance(label, str):
        raise TypeError(f"{what} are keyed by a Value's label (a str), not {type(label).__name__}: {label!r}")
    found = graph.by_label.get(label)
    if not found:
        known = ", ".join(sorted(graph.by_label)[:12])
        there = f"labels there include: {known}" if known else "no Value there has a label (set .label)"
        raise KeyError(f"no Value labelled {label!r} in the output's graph ({what}); {there}")
    if len(found) > 1:
        raise ValueError(f"{len(found)} Values in the output's graph are labelled {label!r}; labels must be unique")
    return found[0]


def _pair(graph: Graph, key: object, what: str) -> tuple[Value, Value, tuple[int, ...]]:
    if not (isinstance(key, tuple) and len(key) == 2):
        raise TypeError(f"{what} are keyed by a pair of labels (of, wrt), not {key!r}")
    of, wrt = _node(graph, key[0], what), _node(graph, key[1], what)
    edges = tuple(i for i, u in enumerate(of.inputs) if u is wrt)
    if not edges:
        raise ValueError(f"{what}: {key[1]!r} is not an input of {key[0]!r}; only direct edges have a local derivative")
    return of, wrt, edges


def read_claims(
    graph: Graph, out: str, grads: Mapping[str, Any], data: Mapping[str, Any], partials: Mapping[Pair, Any],
    terms: Mapping[Pair, Any], updates: Mapping[str, Any], lr: float | None,
) -> list[Claim]:
    """Every claim placed in the graph and read as printed, in chain order: the forward values in
    topological order, then the backward pass (gradients, local derivatives, terms), then updates."""
    claims = []
    for label, claim in data.items():
        node = _node(graph, label, "data")
        claims.append(Claim(label, label, "data", printed(claim, label), node, partner=_partner(graph, label),
                            group=("data", base_name(label))))
    for label, claim in grads.items():
        node = _node(graph, label, "grads")
        claims.append(Claim(label, f"d{out}/d{label}", "grad", printed(claim, f"d{out}/d{label}"), node,
                            partner=_partner(graph, label), group=("grad", base_name(label))))
    for key, claim in partials.items():
        of, wrt, edges = _pair(graph, key, "partials")
        name = f"d{of.label}/d{wrt.label}"
        claims.append(Claim(key, name, "local", printed(claim, name), of, wrt, edges,
                            group=("local", base_name(of.label), base_name(wrt.label))))
    for key, claim in terms.items():
        of, wrt, edges = _pair(graph, key, "terms")
        name = f"d{out}/d{of.label}*d{of.label}/d{wrt.label}"
        claims.append(Claim(key, name, "term", printed(claim, name), of, wrt, edges,
                            group=("term", base_name(of.label), base_name(wrt.label))))
    for label, claim in updates.items():
        node = _node(graph, label, "updates")
        if node.inputs:
            raise ValueError(f"updates are for parameters (leaves); {label!r} is computed by {node.op!r}")
        claims.append(Claim(label, f"{label}'", "update", printed(claim, f"{label}'"), node,
                            group=("update", base_name(label))))
    order = {"data": 0, "grad": 1, "local": 2, "term": 3, "update": 4}
    position = graph.position
    return sorted(claims, key=lambda c: (
        c.kind == "update", 0 if c.kind == "data" else 1,
        position[c.node] if c.kind == "data" else -position[c.node], order[c.kind],
        position[c.wrt] if c.wrt is not None else 0,
    ))


def _partner(graph: Graph, label: str) -> Value | None:
    other = transposed(label)
    found = graph.by_label.get(other) if other else None
    return found[0] if found and len(found) == 1 else None


def exact_value(
    c: Claim, grads: dict[Value, float], terms: dict[tuple[Value, Value], float], lr: float | None
) -> float:
    """The exact number a claim is about, from the recorded graph's gradients and terms."""
    if c.kind == "data":
        return c.node.data
    if c.kind == "grad":
        return grads.get(c.node, 0.0)
    if c.kind == "local":
        return sum(c.node.local_grads[i] for i in c.edges)
    if c.kind == "term":
        assert c.wrt is not None
        return terms.get((c.node, c.wrt), 0.0)
    assert lr is not None
    return c.node.data - lr * grads.get(c.node, 0.0)
