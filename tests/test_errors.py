"""Bad input: each raises the documented exception, with a message naming what was wrong and what is
accepted, at the call that caused it, leaving everything it was given as it was."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from conftest import need

import autograd
from autograd import Value, no_grad


def raises(exc: type[Exception], *words: str) -> Any:
    """pytest.raises requiring every word in the message (case-insensitive, in any order)."""
    pattern = "".join(f"(?=.*{re.escape(w)})" for w in words)
    return pytest.raises(exc, match=re.compile(pattern, re.IGNORECASE | re.DOTALL))


# --- construction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("3", ["real number", "str", "'3'"]),
        (None, ["real number", "NoneType"]),
        ([1], ["real number", "list"]),
        ((1.0,), ["real number", "tuple"]),
        (1j, ["real number", "complex"]),
        (b"1", ["real number", "bytes"]),
    ],
)
def test_non_numeric_data_is_a_type_error(data: object, words: list[str]) -> None:
    with raises(TypeError, *words):
        Value(data)


@pytest.mark.parametrize("flag", [True, False])
def test_bool_is_rejected(flag: bool) -> None:
    with raises(TypeError, "bool", "1.0"):
        Value(flag)
    with raises(TypeError, "bool"):
        Value(1.0) + flag
    with raises(TypeError, "bool"):
        Value(2.0) ** flag


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf, float("-nan")])
def test_non_finite_data_is_a_value_error(x: float) -> None:
    with raises(ValueError, "finite", repr(x).lstrip("-")):
        Value(x)
    with raises(ValueError, "finite"):
        Value(1.0) * x  # a plain operand is data too
    with raises(ValueError, "finite"):
        autograd.sum([Value(1.0), x])


@pytest.mark.parametrize("big", [10**400, -(10**400), Fraction(10**400, 3)], ids=["int", "-int", "Fraction"])
def test_numbers_too_large_for_a_float_are_a_value_error(big: object) -> None:
    with raises(ValueError, "float"):
        Value(big)


def test_a_value_as_data_and_a_bad_label() -> None:
    with raises(TypeError, "Value", "detach"):
        Value(Value(1.0))
    with raises(TypeError, "label", "str", "int"):
        Value(1.0, 3)  # type: ignore[arg-type]


def test_numpy_scalars_are_accepted_and_numpy_bools_rejected() -> None:
    np = need("numpy", "the test extra brings it, through matplotlib")
    assert Value(np.float64(0.25)).data == 0.25 and Value(np.int32(-4)).data == -4.0
    assert (Value(1.0) * np.float32(2.0)).data == 2.0
    with raises(TypeError, "bool"):
        Value(np.bool_(True))
    with raises(ValueError, "finite"):
        Value(np.float64("nan"))


# --- operations outside their domain -----------------------------------------------------------


@pytest.mark.parametrize("x", [0.0, -0.0, -1.0, -1e-300])
def test_log_of_non_positive(x: float) -> None:
    with raises(ValueError, "log", "positive"):
        Value(x).log()


@pytest.mark.parametrize(
    "divide",
    [
        lambda: Value(1.0) / Value(0.0),
        lambda: Value(1.0) / Value(-0.0),
        lambda: Value(1.0) / 0,
        lambda: 3 / Value(0.0),
        lambda: Value(0.0) / Value(0.0),
    ],
)
def test_division_by_zero(divide: Callable[[], Value]) -> None:
    with raises(ZeroDivisionError, "zero", "divisor"):
        divide()


@pytest.mark.parametrize("x", [710.0, 1000.0, 1e308])
def test_exp_overflow(x: float) -> None:
    with raises(ValueError, "exp", "overflow", "709"):
        Value(x).exp()


def test_exp_underflow_is_fine() -> None:
    assert Value(-1000.0).exp().data == 0.0


@pytest.mark.parametrize(("base", "n"), [(-2.0, 0.5), (-1e-9, 1.5), (-3.0, -0.25)])
def test_negative_base_to_a_non_integer_power(base: float, n: float) -> None:
    # The base is shown in parentheses: "-2.0 ** 0.5" would read as -(2.0 ** 0.5) in Python.
    with raises(ValueError, "negative base", "non-integer", "integer exponent", f"({base!r}) ** {n!r}"):
        Value(base) ** n
    assert (Value(base) ** 2).data == base * base  # integer powers of negatives are fine


@pytest.mark.parametrize("n", [-1, -2, -0.5, 0.5])
def test_zero_to_a_power_below_one(n: float) -> None:
    with raises(ValueError, "0", "infinite"):
        Value(0.0) ** n


@pytest.mark.parametrize(
    "power",
    [
        lambda: Value(-2.0) ** Value(2.0),
        lambda: Value(0.0) ** Value(2.0),
        lambda: (-2) ** Value(2.0),
        lambda: 0 ** Value(3.0),
    ],
)
def test_value_exponent_needs_a_positive_base(power: Callable[[], Value]) -> None:
    with raises(ValueError, "positive base", "x ** 2"):
        power()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Value(1e200) * Value(1e200), ["mul", "overflow"]),
        (lambda: Value(1e308) + Value(1e308), ["add", "overflow"]),
        (lambda: Value(-1e308) - Value(1e308), ["sub", "overflow"]),
        (lambda: Value(1e300) / Value(1e-300), ["div", "overflow"]),
        (lambda: Value(10.0) ** 400, ["pow", "overflow"]),
        (lambda: Value(-10.0) ** 401, ["pow", "overflow"]),
        (lambda: Value(10.0) ** Value(400.0), ["pow", "overflow"]),
        (lambda: 10 ** Value(400.0), ["pow", "overflow"]),
        (lambda: autograd.sum([1e308, 1e308]), ["sum", "overflow"]),
        (lambda: autograd.dot([1e200], [1e200]), ["dot", "overflow"]),
        # finite results whose local derivatives are not: refused at the op, not later in backward()
        (lambda: Value(5e-324).log(), ["derivative", "log", "overflow"]),
        (lambda: Value(1e-300) ** -1, ["derivative", "overflow"]),
        (lambda: Value(1.0) / Value(1e-308), ["overflow"]),
    ],
)
def test_overflow_is_a_value_error_naming_the_op(make: Callable[[], Value], words: list[str]) -> None:
    with raises(ValueError, *words):
        make()


@pytest.mark.parametrize(
    ("make", "exc", "words"),
    [
        (lambda: Value(1.0) + "a", TypeError, ["real number", "str", "'a'"]),
        (lambda: "a" + Value(1.0), TypeError, ["real number", "str"]),
        (lambda: Value(1.0) * None, TypeError, ["real number", "NoneType"]),
        (lambda: [1] - Value(1.0), TypeError, ["real number", "list"]),
        (lambda: Value(1.0) ** "2", TypeError, ["exponent", "str"]),
        (lambda: Value(1.0) / 1j, TypeError, ["real number", "complex"]),
    ],
)
def test_bad_operands(make: Callable[[], Value], exc: type[Exception], words: list[str]) -> None:
    with raises(exc, *words):
        make()


# --- n-ary ops, graph functions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "exc", "words"),
    [
        (lambda: autograd.sum([]), ValueError, ["sum", "at least one"]),
        (lambda: autograd.sum(3), TypeError, ["sum", "iterable", "int"]),
        (lambda: autograd.softmax([]), ValueError, ["softmax", "at least one"]),
        (lambda: autograd.logsumexp([]), ValueError, ["logsumexp", "at least one"]),
        (lambda: autograd.dot([1.0, 2.0], [3.0]), ValueError, ["as many weights as inputs", "2", "1"]),
        (lambda: autograd.dot(Value(1.0), [3.0]), TypeError, ["weights", "iterable", "Value"]),
        (lambda: autograd.dot([1.0], [3.0], bias="b"), TypeError, ["real number", "str"]),
        (lambda: autograd.backward(3.0), TypeError, ["backward", "Value", "float"]),
        (lambda: autograd.topological_order("x"), TypeError, ["Value", "str"]),
        (lambda: autograd.grad(Value(1.0) * 2, Value(1.0)), TypeError, ["list", "[x]"]),
        (lambda: autograd.grad(Value(1.0) * 2, [3.0]), TypeError, ["Value", "float"]),
        (lambda: autograd.zero_grad([Value(1.0), 1]), TypeError, ["zero_grad", "Value", "int"]),
        (lambda: autograd.zero_grad(5), TypeError, ["zero_grad", "int"]),
        (lambda: Value(1.0).register_hook(3), TypeError, ["hook", "callable"]),
    ],
)
def test_bad_arguments_to_graph_functions(call: Callable[[], object], exc: type[Exception], words: list[str]) -> None:
    with raises(exc, *words):
        call()


def test_zero_grad_validates_before_touching_anything() -> None:
    a, b = Value(1.0), Value(2.0)
    a.grad, b.grad = 5.0, 6.0
    with raises(TypeError, "zero_grad"):
        autograd.zero_grad([a, "b", b])
    assert (a.grad, b.grad) == (5.0, 6.0)


def test_no_grad_without_parentheses_says_how_to_use_it() -> None:
    with raises(TypeError, "no_grad()"):

        @no_grad  # type: ignore[call-arg]
        def f() -> None:
            pass


# --- backward on bad outputs -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_backward_on_a_non_finite_output(bad: float) -> None:
    x = Value(2.0)
    y = x * 3
    y.data = bad  # set by hand: the only way a non-finite number gets into a graph
    with raises(ValueError, "finite"):
        y.backward()
    with raises(ValueError, "finite"):
        autograd.grad(y, [x])
    assert (x.grad, y.grad) == (0.0, 0.0)


def test_gradient_overflow_in_backward_raises_and_leaves_grads_as_they_were() -> None:
    # Every number and local derivative is finite, but d out/d x = 1e150 * 1e200 is not.
    x, e = Value(1e-100), Value(1e150)
    c = x * 1e200
    out = c * e
    assert math.isfinite(out.data)
    for i, v in enumerate((x, e, c, out)):
        v.grad = float(i)
    with raises(ValueError, "overflow"):
        out.backward()
    assert [v.grad for v in (x, e, c, out)] == [0.0, 1.0, 2.0, 3.0]
    with raises(ValueError, "overflow"):
        autograd.grad(out, [x])


@pytest.mark.parametrize(
    "hook",
    [
        lambda g: 1 / 0,  # the hook itself fails
        lambda g: "not a number",  # the hook returns something that is not a gradient
        lambda g: math.nan,
    ],
)
def test_a_failing_hook_leaves_grads_as_they_were(hook: Callable[[float], Any]) -> None:
    x = Value(2.0)
    y = x * x
    z = y * 3
    for i, v in enumerate((x, y, z)):
        v.grad = 10.0 + i
    y.register_hook(hook)
    with pytest.raises((ZeroDivisionError, TypeError, ValueError)):
        z.backward()
    assert [v.grad for v in (x, y, z)] == [10.0, 11.0, 12.0]


# --- the error comes from the call that caused it -------------------------------------------------


def test_errors_are_raised_at_the_offending_call_and_the_graph_stays_usable() -> None:
    x = Value(0.5, "x")
    h = (x * 2 - 1).tanh()  # h = tanh(0) = 0
    x.grad = 0.25
    for bad in (h.log, lambda: 1 / h, lambda: h**-1, lambda: (h * 1000 + 1000).exp(), lambda: h ** Value(2.0)):
        with pytest.raises((ValueError, ZeroDivisionError)) as info:
            bad()
        # Raised by the forward code (the op's domain check), not by anything deferred to backward().
        files = [entry.path.name for entry in info.traceback]
        assert files[-1] in {"ops.py", "value.py"} and "backward.py" not in files
    # Nothing was recorded or changed by the failed calls: the graph still differentiates correctly.
    assert (x.data, x.grad, h.grad, h.inputs[0].grad) == (0.5, 0.25, 0.0, 0.0)
    x.grad = 0.0
    h.backward()
    assert x.grad == 2.0  # d tanh(2x - 1)/dx at x = 0.5 is 2 * (1 - 0)


def test_domain_errors_are_raised_under_no_grad_too() -> None:
    with no_grad():
        with raises(ValueError, "log"):
            Value(-1.0).log()
        with raises(ZeroDivisionError, "zero"):
            Value(1.0) / 0.0
