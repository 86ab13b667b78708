"""The ops the random op table leaves out and the parts of an op that pictures and tools read.

sin, cos and sqrt against closed forms and central differences; sigmoid's two branches bit for bit
(the batch replay writes the same two formulas) and against a 60-digit value; the derivative rules
evaluated on floats by themselves (as diagnose evaluates them); an Op made by hand (its defaults, its
refusals, its equality); how pictures read an op (display, input roles). Every expected value is
written here or computed independently (math, decimal, central differences)."""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import fd_derivative

from autograd import Value, ops
from autograd.ops import FloatMath, Op, builtin_op, display, input_roles, local_floats, op_dot, op_softmax
from autograd.value import apply

SQRT_DOMAIN = "sqrt accepts positive numbers only (its derivative is infinite at 0)"
NOT_FINITE = "the input is not finite; chainrule keeps every number finite"

# --- sin, cos, sqrt -----------------------------------------------------------------------------


@given(st.floats(-10.0, 10.0))
def test_sin_and_cos_give_the_value_and_each_others_derivative(x: float) -> None:
    s, c = Value(x).sin(), Value(x).cos()
    assert (s.data, c.data) == (math.sin(x), math.cos(x))
    assert s.local_grads == (math.cos(x),) and c.local_grads == (-math.sin(x),)  # d sin = cos, d cos = -sin
    assert s.local_grads[0] == pytest.approx(fd_derivative(lambda ys: math.sin(ys[0]), [x], 0), abs=1e-7)
    assert c.local_grads[0] == pytest.approx(fd_derivative(lambda ys: math.cos(ys[0]), [x], 0), abs=1e-7)


@given(st.floats(1e-6, 1e6))
def test_sqrt_squares_back_and_has_derivative_one_over_twice_the_root(x: float) -> None:
    r = Value(x).sqrt()
    assert r.data * r.data == pytest.approx(x, rel=1e-15)
    assert r.local_grads[0] == pytest.approx(1.0 / (2.0 * math.sqrt(x)), rel=1e-15)


@pytest.mark.parametrize("x", [1e-300, 0.25, 1.0, 4.0])
def test_sqrt_takes_every_positive_number_including_those_up_to_one(x: float) -> None:
    assert Value(x).sqrt().data == pytest.approx(x**0.5, rel=1e-15)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Value(0.0).sqrt(), f"sqrt(0.0): {SQRT_DOMAIN}"),
        (lambda: Value(-4.0).sqrt(), f"sqrt(-4.0): {SQRT_DOMAIN}"),
        (lambda: builtin_op("sqrt").forward((math.inf,), None), f"sqrt(inf): {NOT_FINITE}"),
        (lambda: builtin_op("sin").forward((math.nan,), None), f"sin(nan): {NOT_FINITE}"),
        (lambda: builtin_op("cos").forward((-math.inf,), None), f"cos(-inf): {NOT_FINITE}"),
    ],
)
def test_sqrt_sin_and_cos_refuse_in_so_many_words(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message


# --- sigmoid's two branches ------------------------------------------------------------------------

# Every 64th of [-2, 2): both branches, and the stretch [0, 1) right above the branch point.
GRID = [k / 64 for k in range(-128, 128)]


def _sigmoid_60_digits(x: float) -> decimal.Decimal:
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        return 1 / (1 + (-decimal.Decimal(x)).exp())


def test_sigmoid_is_one_over_one_plus_e_to_minus_x_from_zero_up_and_the_other_form_below() -> None:
    """The formulas the numpy and torch replays repeat, so that a replayed step gives the same bits."""
    for x in GRID:
        got = Value(x).sigmoid().data
        if x >= 0.0:
            want = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            want = e / (1.0 + e)
        assert got.hex() == want.hex(), x
        # and either way within two units in the last place of the true value
        assert abs(decimal.Decimal(got) - _sigmoid_60_digits(x)) <= 2 * decimal.Decimal(math.ulp(got)), x


# --- derivative rules on floats (diagnose evaluates them this way) -----------------------------------


def test_a_rule_evaluated_on_floats_reads_the_namespace_the_output_the_inputs_and_the_parameter() -> None:
    assert local_floats(ops.OP_MUL, 6.0, (2.0, 3.0)) == (3.0, 2.0)
    assert local_floats(ops.OP_RELU, 2.0, (2.0,)) == (1.0,)  # the namespace's step
    assert local_floats(ops.OP_RELU, 0.0, (-2.0,)) == (0.0,)
    t = math.tanh(0.5)
    assert local_floats(ops.OP_TANH, t, (0.5,))[0] == pytest.approx(1.0 / math.cosh(0.5) ** 2, rel=1e-15)
    # dot over 2 pairs: d/dw = x, d/dx = w, d/db = 1
    assert local_floats(op_dot(2), 12.0, (1.0, 2.0, 3.0, 4.0, 1.0)) == (3.0, 4.0, 1.0, 2.0, 1.0)
    # softmax component 1 of (0, log 3): o = (1/4, 3/4); row d o_1 / d z = (-o_1 o_0, o_1 (1 - o_1))
    row = local_floats(op_softmax(1), 0.75, (0.0, math.log(3.0)))
    assert row == pytest.approx((-3.0 / 16.0, 3.0 / 16.0), rel=1e-14)


# --- an Op made by hand ------------------------------------------------------------------------------


def _twice(xs: tuple[float, ...], p: object) -> float:
    return 2.0 * xs[0]


def _twice_local(m: object, out: object, xs: object, p: object) -> tuple[float, ...]:
    return (2.0,)


def test_an_op_made_with_a_name_and_two_functions_has_plain_defaults() -> None:
    op = Op("twice", _twice, _twice_local)
    assert (op.param, op.checks_local, op.fused, op.coupled, op.roles, op.symbol, op.factory) == (
        None, False, None, False, None, "", None,
    )
    assert display(op) == "twice" and input_roles(op, 2) == ("operand", "operand")
    assert Op("twice", _twice, _twice_local, coupled=True).coupled is True


def test_an_op_that_asks_for_its_derivative_to_be_checked_refuses_an_infinite_one() -> None:
    inverse = Op("inverse", lambda xs, p: 1.0 / xs[0] if xs[0] else 0.0, lambda m, out, xs, p: (-1.0 / xs[0] ** 2,),
                 checks_local=True)
    assert inverse.checks_local is True
    with pytest.raises(ValueError) as info:
        apply(inverse, Value(0.0))
    assert str(info.value) == "the derivative of inverse at (0.0) overflows a float; move the input away from there"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Op("", _twice, _twice_local), "an Op's name must be a non-empty str, not ''"),
        (lambda: Op(3, _twice, _twice_local), "an Op's name must be a non-empty str, not 3"),  # type: ignore[arg-type]
        (lambda: Op("t", 3, _twice_local), "the forward of op 't' must be a function, not int: 3"),  # type: ignore[arg-type]
        (lambda: Op("t", _twice, None), "the local of op 't' must be a function, not NoneType: None"),  # type: ignore[arg-type]
        (lambda: Op("t", _twice, _twice_local, symbol=2), "the symbol of op 't' must be a str, not 2"),  # type: ignore[arg-type]
    ],
)
def test_a_malformed_op_is_refused_in_so_many_words(make: Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError) as info:
        make()
    assert str(info.value) == message


def test_ops_are_equal_when_made_alike_and_differ_otherwise() -> None:
    a, b = Op("twice", _twice, _twice_local), Op("twice", _twice, _twice_local)
    assert a is not b and a == b and hash(a) == hash(b)
    assert a != Op("twice", _twice, _twice_local, param=1) and a != Op("thrice", _twice, _twice_local)
    assert a != "twice" and a != None  # noqa: E711  # compared with what is not an Op, unequal (no error)
    assert len({a, b, Op("thrice", _twice, _twice_local)}) == 2


# --- how pictures and tools read an op -----------------------------------------------------------------


def test_display_shows_the_symbol_with_its_parameter_else_the_name() -> None:
    assert display(ops.op_pow_const(2.0)) == "**2" and display(ops.op_pow_const(0.5)) == "**0.5"
    assert display(op_softmax(1)) == "softmax[1]"
    assert display(ops.OP_ADD) == "+" and display(ops.OP_TANH) == "tanh"


def test_input_roles_name_a_dots_weights_inputs_and_bias_and_call_the_rest_operands() -> None:
    assert input_roles(op_dot(2), 5) == ("weight", "weight", "input", "input", "bias")
    assert input_roles(op_dot(3), 6) == ("weight",) * 3 + ("input",) * 3
    assert input_roles(ops.OP_MUL, 2) == ("operand", "operand")
    assert input_roles(ops.OP_SUM, 3) == ("operand", "operand", "operand")


def test_the_float_namespace_class_reads_the_float_rules() -> None:
    m = FloatMath()
    assert (m.step(0.5), m.step(0.0), m.cos(0.0), m.log(1.0)) == (1.0, 0.0, 1.0, 0.0)


def test_builtin_op_refuses_a_name_or_parameter_it_does_not_have_with_a_key_error_naming_it() -> None:
    for name, param in (("**3", 2.0), ("dot", "two"), ("**", "two"), ("nosuch", None)):
        with pytest.raises(KeyError) as info:
            builtin_op(name, param)
        assert info.value.args == (name,)
