"""Adding an operation: :class:`Op`, :func:`apply`, and :func:`register_rule` for the rule namespace.

An op is two plain functions, ``forward(xs, param) -> float`` on the inputs' numbers and
``local(m, out, xs, param) -> tuple`` giving d(out)/d(x) for each input. Write ``local`` with
arithmetic and the rule namespace ``m`` (``m.cos``, ``m.log``, ``m.exp``, ``m.sqrt``, ``m.step``,
``m.softmax``, ...), never ``math``: the same rule then runs on floats (first derivatives), on Values
(second and higher derivatives) and as code (replay). A rule that calls ``math.cos`` on a Value
raises a TypeError naming the op when a second derivative is asked for.

>>> import math
>>> from autograd import Value, hessian
>>> cube = Op("cube", lambda xs, p: xs[0] ** 3, lambda m, out, xs, p: (3.0 * xs[0] * xs[0],))
>>> x = Value(2.0)
>>> y = apply(cube, x)
>>> y.data, y.local_grads
(8.0, (12.0,))
>>> hessian(lambda x: apply(cube, x), [2.0])      # 6 x
[[12.0]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from . import value as _value
from .ops import Op, display, input_roles
from .rules import FLOATS, VALUES, Rule, register, rules_view
from .value import Value

__all__ = ["FLOATS", "VALUES", "Op", "Rule", "apply", "display", "input_roles", "register_rule", "rules_view"]


def apply(op: Op, *inputs: Value | float) -> Value:
    """``op`` on ``inputs`` (Values, or numbers taken as constants), recorded in the graph.

    Checked, unlike the engine's internal call: ``op`` must be an :class:`Op`, its forward must give
    a finite real number and its rule one finite derivative per input; otherwise a TypeError or
    ValueError names the op and what it gave, and nothing is recorded.
    """
    if not isinstance(op, Op):
        raise TypeError(f"apply takes an autograd.extend.Op first, not {type(op).__name__}: {op!r}")
    if not inputs:
        raise ValueError(f"apply({op.name!r}) needs at least one input Value")
    values = tuple(v if isinstance(v, Value) else Value(_value.as_float(v, f"an input of {op.name}")) for v in inputs)
    out = _value.apply(op, *values)
    data = out.data
    if type(data) is not float:
        out.data = _value.as_float(data, f"the result of op {op.name!r}")
    elif not math.isfinite(data):
        raise ValueError(f"op {op.name!r} gave {data!r}; chainrule keeps every number finite")
    if out.inputs:
        local = out.local_grads
        if not isinstance(local, tuple) or len(local) != len(values):
            raise TypeError(
                f"the derivative rule of op {op.name!r} must return a tuple of {len(values)} derivative(s), "
                f"one per input; it returned {local!r}"
            )
        out.local_grads = tuple(_value.as_float(d, f"derivative {i} of op {op.name!r}") for i, d in enumerate(local))
    return out


def register_rule(
    name: str,
    floats: Callable[..., Any],
    values: Callable[..., Any] | None,
    code: str,
    globals: Mapping[str, Any] | None = None,
) -> Rule:
    """Give the rule namespace a function ``m.<name>``: its float form, its Value form (itself
    differentiable: built from Value methods or ops; ``None`` if it is piecewise constant) and its
    code form (a format template over ``{0}``, ``{1}``, ... with the ``globals`` that code needs)."""
    return register(Rule(name, floats, values, code, dict(globals or {})))
