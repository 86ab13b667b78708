"""The batched replay's code writer: names, array constants, columns and a row-wise softmax.

An array is named from its members' labels, the indices that vary between them left out:

>>> _common_stem(["W_i1j1", "W_i2j1", "W_i1j2"]), _common_stem(["h1_in1", "h1_in2"]), _common_stem(["W[0][1]"])
('W_ij', 'h1_in', 'W')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .. import ops
from .codegen import _Writer
from .expr import _COND, Expr, _code

_RESERVED = {"P", "X", "Y", "m", "E", "G", "abs", "sum"}
_SYMBOLS = {"**": "pow", "+": "add", "-": "sub", "*": "mul", "/": "div"}  # ** before *


class _Col(Expr):
    """Column ``c`` of the array named ``array``: ``H[:, c]`` (or ``H[c]`` for an array of params)."""

    __slots__ = ("array", "column")

    def __init__(self, array: str, column: int, varying: bool) -> None:
        super().__init__(f"{array}[:, {column}]" if varying else f"{array}[{column}]", None)
        self.array, self.column = array, column


class _ArrayWriter(_Writer):
    """The scalar writer's names and lines, with array constants and a row-wise softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.namespace = {}
        self.taken = set(_RESERVED) | {"exp", "log", "tanh", "sin", "cos", "sqrt", "relu", "step", "sigmoid",
                                       "softmax", "logsumexp",
                                       "stack", "rowsum", "colsum", "total", "zeros", "zeros_like", "full",
                                       "concatenate", "add_at", "elementwise", "finite"}
        self.constants: dict[str, tuple[list[Any], tuple[int, ...]]] = {}  # name -> (numbers, shape)
        self.softmaxes: dict[str, str] = {}  # array name -> name of its row-wise softmax
        self.varying: dict[str, bool] = {}
        self.widths: dict[str, int] = {}  # array name -> number of columns

    def constant(self, stem: str, values: list[Any], shape: tuple[int, ...] | None = None) -> str:
        """A name for an array of numbers (index arrays, rows of constants), one per distinct array."""
        shape = shape or (len(values),)
        for name, known in self.constants.items():
            if known == (values, shape):
                return name
        name = self.name(stem)
        self.constants[name] = (values, shape)
        return name

    def whole(self, xs: Sequence[Expr | float]) -> str | None:
        """The name of the array whose columns, all of them in order, are ``xs``; or None."""
        first = xs[0] if xs else None
        if not isinstance(first, _Col) or self.widths.get(first.array) != len(xs):
            return None
        if all(isinstance(x, _Col) and x.array == first.array and x.column == c for c, x in enumerate(xs)):
            return first.array
        return None

    def softmax(self, xs: Sequence[Expr | float]) -> list[Expr | float]:
        """Row-wise softmax: of an array's columns (computed once per array), or of loose columns."""
        source = self.whole(xs)
        if source is not None:
            varying = self.varying.get(source, True)
            if source not in self.softmaxes:
                name = self.name(f"p_{source}")
                self.emit(f"{name} = softmax({source})")
                self.softmaxes[source] = name
                self.varying[name] = varying
                self.widths[name] = len(xs)
            return [_Col(self.softmaxes[source], c, varying) for c in range(len(xs))]
        name = self.name("p")
        self.emit(f"{name} = softmax(stack(({', '.join(_code(x, _COND) for x in xs)},)))")
        return [Expr(f"{name}[..., {c}]", None) for c in range(len(xs))]


def _common_stem(labels: Sequence[str]) -> str:
    """``W_i1j1, W_i2j1, ...`` -> ``W_ij``; ``h1_in1, h1_in2`` -> ``h1_in``: the digits that vary go."""
    if not labels or not all(labels):
        return ""
    unindexed = {re.sub(r"\[\d+\]", "", label) for label in labels}  # nn's W_ij[0][1] style: drop the indices
    if len(unindexed) == 1 and unindexed != set(labels[:1]):
        return unindexed.pop()
    parts = [re.split(r"(\d+)", label) for label in labels]
    if len({len(p) for p in parts}) != 1 or any(p[0::2] != parts[0][0::2] for p in parts):
        return ""
    keep = []
    for k, piece in enumerate(parts[0]):
        if k % 2 == 0 or all(p[k] == piece for p in parts):
            keep.append(piece)
    return "".join(keep)


def _op_word(op: ops.Op | None) -> str:
    name = op.name if op is not None else "v"
    for symbol, word in _SYMBOLS.items():
        if name.startswith(symbol):
            return word + name[len(symbol):]
    return name
