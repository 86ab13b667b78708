"""The rule namespace: the functions a derivative rule may call as ``m.<name>``, each in three forms.

A derivative rule ``local(m, out, xs, param)`` is evaluated on floats (every forward pass), on Values
(``create_graph=True``: the derivatives must be differentiable again) and on code (replay). So each
function it may call is ONE entry of :data:`RULES` holding all three forms:

``floats``
    the function on floats (``math.log``).
``values``
    the same function on Values, itself recorded in the graph (``lambda x: x.log()``); ``None`` for a
    piecewise-constant function (``step``), which is then ``floats`` of the Value's data.
``code`` and ``globals``
    a format template writing a call on already-written arguments, ``{0}``, ``{1}``, ... (for
    example ``"log({0})"``), and the names that code needs at run time (``{"log": math.log}``). The
    replay's symbolic namespace is built from these; generated code refers to nothing else.

:data:`FLOATS` and :data:`VALUES` are namespaces built from the table and kept in step with it by
:func:`register`, the one way to add an entry (``autograd.extend.register_rule``).
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple


class Rule(NamedTuple):
    """One function of the rule namespace, in its float, Value and code forms."""

    name: str
    floats: Callable[..., Any]
    values: Callable[..., Any] | None
    code: str
    globals: Mapping[str, Any] = MappingProxyType({})


class Namespace:
    """The ``m`` a derivative rule receives: one attribute per entry of :data:`RULES`."""

    def __init__(self, form: str) -> None:
        self._form = form

    def __getattr__(self, name: str) -> Any:
        # Only called for a name not set by register(): say what there is and how to add one.
        raise AttributeError(
            f"the rule namespace has no function {name!r} (it has {', '.join(sorted(RULES))}); "
            "add one with autograd.extend.register_rule"
        )

    def __repr__(self) -> str:
        return f"<rule namespace on {self._form}: {', '.join(sorted(RULES))}>"


RULES: dict[str, Rule] = {}
FLOATS = Namespace("floats")
VALUES = Namespace("Values")


def register(rule: Rule) -> Rule:
    """Add ``rule`` to :data:`RULES` and to both namespaces; a name already there is refused."""
    if not isinstance(rule, Rule):
        raise TypeError(f"register takes a Rule, not {type(rule).__name__}: {rule!r}")
    if not rule.name.isidentifier() or rule.name.startswith("_"):
        raise ValueError(f"a rule's name must be a public Python identifier (m.<name>), got {rule.name!r}")
    if rule.name in RULES:
        raise ValueError(f"the rule namespace already has {rule.name!r}; choose another name")
    for form in (rule.floats, rule.values):
        if form is not None and not callable(form):
            raise TypeError(f"the forms of rule {rule.name!r} must be callable, got {form!r}")
    if not isinstance(rule.code, str):
        raise TypeError(f"the code form of rule {rule.name!r} must be a format template str, got {rule.code!r}")
    RULES[rule.name] = rule
    setattr(FLOATS, rule.name, rule.floats)
    setattr(VALUES, rule.name, rule.values if rule.values is not None else _constant_on_values(rule.floats))
    return rule


def _constant_on_values(floats: Callable[..., Any]) -> Callable[..., Any]:
    """A piecewise-constant function on Values: its float form of their data (its derivative is 0)."""

    def on_values(*args: Any) -> Any:
        return floats(*(getattr(a, "data", a) for a in args))

    return on_values


def rules_view() -> Mapping[str, Rule]:
    """The table, read-only.

    >>> rule = rules_view()["cos"]
    >>> rule.code.format("x"), rule.floats(0.0), FLOATS.cos is rule.floats
    ('cos(x)', 1.0, True)
    """
    return MappingProxyType(RULES)


# --- the built-in entries ------------------------------------------------------------------------


def finite_inputs(name: str, xs: Sequence[float]) -> None:
    """Raise unless every input is finite: one C-level sum decides (it is finite exactly when all are,
    but for a sum of finite numbers that overflows, which then costs the look at each)."""
    if not math.isfinite(builtins.sum(xs)):
        for x in xs:
            if not math.isfinite(x):
                raise ValueError(f"{name}({x!r}): the input is not finite; chainrule keeps every number finite")


def softmax_floats(xs: Sequence[float]) -> tuple[float, ...]:
    """Softmax of floats with the maximum subtracted first, so logits of 1000 do not overflow."""
    global _last_softmax
    # A softmax layer of n outputs asks for the same softmax 2n times (each output node's forward
    # value and local derivatives): remember the last one. The (inputs, result) pair is replaced
    # as one object, so a reader never pairs one call's inputs with another's result.
    seen, probs = _last_softmax
    if seen == xs:
        return probs
    finite_inputs("softmax", xs)
    top = max(xs)
    exps = [math.exp(x - top) for x in xs]
    total = builtins.sum(exps)
    probs = tuple([e / total for e in exps])
    _last_softmax = (tuple(xs), probs)
    return probs


_last_softmax: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())


def step(x: float) -> float:
    """Derivative of relu: 1 for x > 0, else 0 (0 at the kink, as PyTorch does)."""
    return 1.0 if x > 0.0 else 0.0


class _Softmax:
    """softmax's Value form: autograd.value installs its ``softmax`` here (it imports this module)."""

    values: Callable[[Sequence[Any]], list[Any]] | None = None

    @classmethod
    def on_values(cls, xs: Sequence[Any]) -> list[Any]:
        assert cls.values is not None, "autograd.value installs softmax's Value form when it loads"
        return cls.values(xs)


for _rule in (
    Rule("log", math.log, lambda x: x.log(), "log({0})", {"log": math.log}),
    Rule("exp", math.exp, lambda x: x.exp(), "exp({0})", {"exp": math.exp}),
    Rule("sin", math.sin, lambda x: x.sin(), "sin({0})", {"sin": math.sin}),
    Rule("cos", math.cos, lambda x: x.cos(), "cos({0})", {"cos": math.cos}),
    Rule("sqrt", math.sqrt, lambda x: x.sqrt(), "sqrt({0})", {"sqrt": math.sqrt}),
    Rule("step", step, None, "(1.0 if {0} > 0.0 else 0.0)"),
    Rule("softmax", softmax_floats, _Softmax.on_values, "softmax({0})", {"softmax": softmax_floats}),
):
    register(_rule)
