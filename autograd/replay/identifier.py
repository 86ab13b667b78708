"""The one way user text (labels, names, op names) becomes part of generated code: a Python identifier."""

from __future__ import annotations

import keyword
import re
from collections.abc import Container

# A stem longer than this is cut: a label of any length still gives a readable line of code.
_MAX_STEM = 40
_NOT_ASCII_WORD = re.compile(r"[^A-Za-z0-9]+")


def identifier(name: str, taken: Container[str] = frozenset()) -> str:
    """A valid Python identifier made from ``name``, not in ``taken``: nothing of ``name`` but its
    ASCII letters, digits and inner underscores reaches generated code.

    Every other character ends a word (``W_ij[0][1]`` -> ``W_ij_0_1``); leading and trailing
    underscores go (no dunder or private names); an empty result or one starting with a digit gets a
    ``v`` in front; a keyword gets ``_`` after it; a name in ``taken`` gets ``_2``, ``_3``, ... .
    Only ASCII is kept because Python folds other letters (NFKC), so two different labels could
    otherwise become the same variable.

    >>> identifier('h1_in1'), identifier("x'''; print('RAN')"), identifier('1−O_out2'), identifier('')
    ('h1_in1', 'x_print_RAN', 'v1_O_out2', 'v')
    >>> identifier('lambda'), identifier('x', taken={'x', 'x_2'})
    ('lambda_', 'x_3')
    """
    if not isinstance(name, str):
        raise TypeError(f"identifier takes a str, not {type(name).__name__}: {name!r}")
    words = [w for w in _NOT_ASCII_WORD.sub("_", name).split("_") if w]
    stem = "_".join(words)[:_MAX_STEM].rstrip("_")
    if not stem or stem[0].isdigit():
        stem = f"v{stem}"
    if keyword.iskeyword(stem) or keyword.issoftkeyword(stem):
        stem += "_"
    candidate, k = stem, 1
    while candidate in taken:
        k += 1
        candidate = f"{stem}_{k}"
    return candidate
