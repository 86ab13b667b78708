"""What a module is given, checked at the door: a layer's input, an initialiser's matrix, ``W`` and ``b``.

Each check names what was wrong and what is accepted; numbers are wrapped as labelled leaves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from autograd import Value
from autograd.value import as_float

from .init import WeightMatrix


def as_inputs(x: Any, n_in: int, who: str, name: str = "x") -> list[Value]:
    """Check a layer's input (a sequence of numbers or Values, length ``n_in``) and wrap numbers as leaves.

    A list of Values is returned as it is (not copied): treat the result as read-only.
    """
    # A list (what layers pass each other) skips the type checks and the copy: together they cost
    # about as much as a neuron's dot node.
    items = x
    if type(x) is not list:
        if isinstance(x, Value | str | bytes) or not isinstance(x, Iterable):
            raise TypeError(f"{who} takes a list of {n_in} numbers or Values, not {type(x).__name__}: {x!r}")
        items = list(x)
    if len(items) != n_in:
        raise ValueError(f"{who} expects {n_in} inputs, got {len(items)}")
    for v in items:
        if type(v) is not Value:
            labels = _input_labels(name, n_in)
            return [v if isinstance(v, Value) else _leaf(v, label) for v, label in zip(items, labels)]
    return items  # between layers: already Values, nothing to wrap


@lru_cache(maxsize=64)
def _input_labels(name: str, n: int) -> tuple[str, ...]:
    """``("x[0]", "x[1]", ...)``: made once per input name and size, not on every forward pass."""
    return tuple(f"{name}[{i}]" for i in range(n))


def _leaf(number: Any, label: str) -> Value:
    """``Value(number, label)``, with an error that names which input was bad."""
    try:
        return Value(number, label)
    except (TypeError, ValueError) as error:
        raise type(error)(f"input {label}: {error}") from None


def check_init_shape(W: Any, n_in: int, n_out: int) -> None:
    """An initialiser must return ``n_in`` rows of ``n_out`` numbers; another shape would build another layer."""
    shape = _shape(W)
    if shape != (n_in, n_out):
        got = f"a {shape[0]}x{shape[1]} matrix" if shape else f"{W!r:.80}, not a matrix"
        raise ValueError(
            f"init returned {got}; Layer({n_in}, {n_out}) needs a {n_in}x{n_out} matrix "
            f"(n_in={n_in} rows of n_out={n_out} numbers, W[i][j] connecting input i to neuron j)"
        )


def _shape(W: Any) -> tuple[int, int] | None:
    """``(rows, columns)`` of a rectangular list of rows, else None."""
    def is_list(x: Any) -> bool:
        return isinstance(x, Sequence) and not isinstance(x, str | bytes)

    if not is_list(W) or not W or not all(is_list(row) for row in W):
        return None
    widths = {len(row) for row in W}
    return (len(W), widths.pop()) if len(widths) == 1 else None


def check_shapes(W: Sequence[Sequence[float]], b: Sequence[float]) -> tuple[WeightMatrix, list[float]]:
    """Validate ``W`` (n_in x n_out, rectangular, numbers) and ``b`` (n_out numbers); return float copies."""
    if isinstance(W, str | bytes) or not isinstance(W, Sequence) or not W:
        raise ValueError(f"W must be a non-empty list of rows (n_in rows of n_out numbers), got {W!r}")
    rows = []
    for i, row in enumerate(W):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence):
            raise ValueError(f"W[{i}] must be a row of numbers, got {row!r}")
        rows.append([as_float(v, f"W[{i}][{j}]") for j, v in enumerate(row)])
    n_out = len(rows[0])
    if n_out == 0:
        raise ValueError("W's rows must not be empty (one column per neuron)")
    for i, row in enumerate(rows):
        if len(row) != n_out:
            raise ValueError(f"W must be rectangular: row 0 has {n_out} entries but row {i} has {len(row)}")
    if isinstance(b, str | bytes) or not isinstance(b, Sequence):
        raise ValueError(f"b must be a list of {n_out} numbers (one per neuron), got {b!r}")
    if len(b) != n_out:
        raise ValueError(f"b must have one entry per neuron (W has {n_out} columns), got {len(b)} biases")
    return rows, [as_float(v, f"b[{j}]") for j, v in enumerate(b)]
