"""One display name per node: what pictures, the explorer's panel, generated code and diagnose call a Value.

A Value is called by the name given for it in ``labels``, else by its own label, else by a name
derived from its operation and its inputs' names (``1−O_out2``, ``log(O_out1)``, ``x·w``); a constant
is called by its number. Only when a derived name would be longer than :data:`MAX_DERIVED` does a
node fall back to ``op#k``, ``k`` being its position in topological order. Names are unique within
the graph: a name met again gets ``#2``, ``#3``, ... in topological order.

>>> from autograd import Value
>>> o, x, w = Value(0.25, "O_out2"), Value(2.0, "x"), Value(-1.0, "w")
>>> e = (1 - o).log() + x * w
>>> names = node_names(e)
>>> names[e], names[x]
('log(1−O_out2)+x·w', 'x')
>>> sorted(names.values())
['1', '1−O_out2', 'O_out2', 'log(1−O_out2)', 'log(1−O_out2)+x·w', 'w', 'x', 'x·w']
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from . import ops
from .colors import significant
from .sweep import topological_order
from .value import Value

MAX_DERIVED = 40
"""Longest derived name; a longer one becomes ``op#k`` (the tutorial's loss sum, 39 characters, fits)."""

# How strongly an expression binds, to know when a derived name needs parentheses around an input's.
ATOM, POWER, PRODUCT, SUM = 4.0, 3.0, 2.0, 1.0
NEGATIVE = 1.5  # "-0.5" or "−x" as an operand of · or ** needs parentheses, of + does not

# Infix operators as names write them (the minus sign and the dot of typeset formulas).
INFIX: dict[str, tuple[str, float]] = {"+": ("+", SUM), "-": ("−", SUM), "*": ("·", PRODUCT), "/": ("/", PRODUCT),
                                     "**": ("**", POWER)}
ASSOCIATIVE = ("+", "·")
_SYMBOL = re.compile(r"[\w.#\[\]]+")  # a label, a number or op#k: no operator to bind
WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}  # for op#k when the op is a symbol


def op_display(v: Value) -> str:
    """How pictures show the operation that made ``v`` (``"*"``, ``"**2"``, ``"softmax[1]"``); "" for a leaf."""
    rule = v._rule
    if rule is None:
        return ""
    return ops.display(rule)


def operand(name: str) -> str:
    """``name`` as it reads inside a formula such as ``d(name)/dx``: bracketed unless it is one symbol.

    >>> operand("h1_out1"), operand("1−O_out2"), operand("-0.5")
    ('h1_out1', '(1−O_out2)', '(-0.5)')
    """
    return name if _SYMBOL.fullmatch(name) else f"({name})"


def node_names(root: Value, labels: Mapping[Value, str] | None = None) -> dict[Value, str]:
    """Every Value of ``root``'s graph -> its one display name, in topological order.

    ``labels`` (Value -> name) win over the Values' own labels, which win over derived names.
    """
    if not isinstance(root, Value):
        raise TypeError(f"node_names takes the output Value, not {type(root).__name__}: {root!r}")
    given = _checked_labels(labels)
    order = topological_order(root)
    taken: dict[str, int] = {}  # name -> the last suffix tried for it (a graph may hold 20,000 ones)
    names: dict[Value, str] = {}
    # Explicit names first, so that a derived name never takes a label's place.
    for v in order:
        explicit = given.get(id(v)) or v.label
        if explicit:
            names[v] = _fresh(explicit, taken)
    # What a consumer's derived name writes for each input: its name, or a constant's number (so
    # that two constants 1 give `1−a` and `1−b`, not `1#2−b`), and how strongly that text binds.
    texts: dict[int, tuple[str, float]] = {}
    for k, v in enumerate(order):
        if v in names:
            texts[id(v)] = (names[v], ATOM)
            continue
        text, strength = _derived(v, texts)
        if len(text) > MAX_DERIVED:
            text, strength = _fallback(v, k), ATOM
        names[v] = _fresh(text, taken)
        texts[id(v)] = (text, strength) if v.is_leaf else (names[v], strength)
    return {v: names[v] for v in order}


def _checked_labels(labels: Mapping[Value, str] | None) -> dict[int, str]:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise TypeError(f"labels must be a mapping of Value -> str, not {type(labels).__name__}: {labels!r}")
    out: dict[int, str] = {}
    for v, name in labels.items():
        if not isinstance(v, Value) or not isinstance(name, str):
            raise TypeError(f"labels must map Values to str names; got the entry {v!r}: {name!r}")
        out[id(v)] = name
    return out


def _fresh(name: str, taken: dict[str, int]) -> str:
    """``name``, or ``name#2``, ``name#3``, ... if it is taken; the result is taken from now on."""
    candidate, n = name, taken.get(name, 1)
    if name in taken:
        n += 1
        candidate = f"{name}#{n}"
    while candidate in taken:  # a label may itself read like name#n
        n += 1
        candidate = f"{name}#{n}"
    taken[name] = n
    taken.setdefault(candidate, 1)
    return candidate


def _fallback(v: Value, k: int) -> str:
    word = v.op if v.op.isidentifier() else WORDS.get(v.op, "op")
    return f"{word}#{k}"


def _derived(v: Value, texts: Mapping[int, tuple[str, float]]) -> tuple[str, float]:
    """A name for ``v`` from its op and its inputs' texts, and how strongly that name binds."""
    if v.is_leaf:  # an unlabelled leaf is a constant: its number is its name
        text = significant(v.data, 4)
        return text, NEGATIVE if text.startswith("-") else ATOM

    def inner(inp: Value, strength: float, right: bool, symbol: str) -> str:
        text, bind = texts[id(inp)]
        loose = bind < strength or (right and bind == strength and symbol not in ASSOCIATIVE)
        loose = loose or (right and bind == NEGATIVE)  # a−(−b), not a−−b
        return f"({text})" if loose else text

    shown = op_display(v)
    symbol, strength = _infix(v, shown)
    if symbol and len(v.inputs) >= 2:
        parts = [inner(inp, strength, k > 0, symbol) for k, inp in enumerate(v.inputs)]
        return symbol.join(parts), strength
    if symbol == "−":  # negation
        return "−" + inner(v.inputs[0], PRODUCT, False, symbol), NEGATIVE
    if shown.startswith("**") and len(v.inputs) == 1:  # a power with a fixed exponent
        return inner(v.inputs[0], POWER, False, "**") + shown, POWER
    return f"{shown}({','.join(texts[id(inp)][0] for inp in v.inputs)})", ATOM


def _infix(v: Value, shown: str) -> tuple[str, float]:
    """The infix symbol names write for ``v``'s op (a sum writes ``+`` between all its inputs), or ""."""
    if shown in INFIX:  # a sum's symbol is "+": it writes + between all its inputs
        return INFIX[shown]
    if shown == "−":  # negation's symbol
        return "−", NEGATIVE
    return "", ATOM
