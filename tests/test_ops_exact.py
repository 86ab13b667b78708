"""The ops' refusals word for word, at the level of the float forward functions the engine and the
replay call, and the corners mutants slipped through (issue 21): relu of -0.0, a fresh dot kernel,
every built-in op found again by its name. Messages are written out by hand."""

from __future__ import annotations

import math
import pickle
import random

import pytest

import autograd
from autograd import Value, ops
from autograd.value import apply

inf, nan = math.inf, math.nan

NOT_FINITE = "the input is not finite; chainrule keeps every number finite"
# (op name, param, inputs) -> the message naming the op as the user wrote it and the bad input
REFUSED = [
    ("exp", None, (inf,), f"exp(inf): {NOT_FINITE}"),
    ("exp", None, (nan,), f"exp(nan): {NOT_FINITE}"),
    ("log", None, (nan,), f"log(nan): {NOT_FINITE}"),
    ("tanh", None, (-inf,), f"tanh(-inf): {NOT_FINITE}"),
    ("sigmoid", None, (inf,), f"sigmoid(inf): {NOT_FINITE}"),
    ("relu", None, (nan,), f"relu(nan): {NOT_FINITE}"),
    ("neg", None, (inf,), f"neg(inf): {NOT_FINITE}"),
    ("abs", None, (-inf,), f"abs(-inf): {NOT_FINITE}"),
    ("/", None, (inf, 2.0), f"div(inf): {NOT_FINITE}"),
    ("/", None, (1.0, nan), f"div(nan): {NOT_FINITE}"),
    ("**", None, (inf, 2.0), f"pow(inf): {NOT_FINITE}"),
    ("**", None, (2.0, nan), f"pow(nan): {NOT_FINITE}"),
    ("**2", 2.0, (inf,), f"pow(inf): {NOT_FINITE}"),
    ("**0.5", 0.5, (nan,), f"pow(nan): {NOT_FINITE}"),
    ("softmax", 0, (1.0, inf), f"softmax(inf): {NOT_FINITE}"),
    ("logsumexp", None, (-inf, 1.0), f"logsumexp(-inf): {NOT_FINITE}"),
    ("sum", None, (1.0, inf), "sum(1.0, inf) overflows a float (result inf); inputs must keep it finite"),
    ("*", None, (inf, 1.0), "mul(inf, 1.0) overflows a float (result inf); inputs must keep it finite"),
    ("-", None, (1.0, inf), "sub(1.0, inf) overflows a float (result -inf); inputs must keep it finite"),
    ("dot", 1, (inf, 1.0), "dot(inf, 1.0) overflows a float (result inf); inputs must keep it finite"),
]


@pytest.mark.parametrize(("name", "param", "xs", "message"), REFUSED)
def test_a_non_finite_input_is_refused_naming_the_op_and_the_number(name, param, xs, message) -> None:
    op = ops.builtin_op(name, param)
    with pytest.raises(ValueError) as info:
        op.forward(xs, op.param)
    assert str(info.value) == message


def test_softmax_on_floats_refuses_a_non_finite_input() -> None:
    with pytest.raises(ValueError) as info:
        ops.softmax_floats((1.0, nan, 2.0))
    assert str(info.value) == f"softmax(nan): {NOT_FINITE}"


OVERFLOWS = [
    (lambda: Value(1e308) + 1e308, "add(1e+308, 1e+308) overflows a float (result inf); inputs must keep it finite"),
    (lambda: Value(1e308) / 1e-10, "div(1e+308, 1e-10) overflows a float (result inf); inputs must keep it finite"),
    (lambda: Value(1.0) / Value(1e-200),
     "the derivative of / at (1.0, 1e-200) overflows a float; move the input away from there"),
    (lambda: ops._dot_kernel(2)((1e308, 1e308, 10.0, 10.0), 2),
     "dot(1e+308, 1e+308, 10.0, 10.0) overflows a float (result inf); inputs must keep it finite"),
    (lambda: Value(1e308) * 10.0, "mul(1e+308, 10.0) overflows a float (result inf); inputs must keep it finite"),
    (lambda: Value(-1e308) - 1e308, "sub(-1e+308, 1e+308) overflows a float (result -inf); inputs must keep it finite"),
    (lambda: autograd.sum([Value(1e308), Value(1e308)]),
     "sum(1e+308, 1e+308) overflows a float (result inf); inputs must keep it finite"),
    (lambda: Value(10.0) ** Value(400.0), "pow(10.0, 400.0) overflows a float; inputs must keep the result finite"),
    (lambda: Value(10.0) ** 400.5, "pow(10.0, 400.5) overflows a float; inputs must keep the result finite"),
    (lambda: autograd.dot([Value(1e308), Value(1e308)], [Value(10.0), Value(10.0)]),
     "dot(1e+308, 1e+308, 10.0, 10.0) overflows a float (result inf); inputs must keep it finite"),
    (lambda: Value(-2.0) ** Value(0.5),
     "a Value exponent needs a positive base (d/dy x**y = x**y * log x): got (-2.0) ** 0.5; "
     "for a base <= 0 raise to a plain number instead (x ** 2, not x ** Value(2))"),
    (lambda: Value(-2.0) ** 0.5,
     "a negative base to a non-integer power has no real value: (-2.0) ** 0.5; "
     "use a non-negative base or an integer exponent"),
    (lambda: Value(0.0) ** 0.5,
     "0.0 ** 0.5: the power or its derivative is infinite at 0 for exponents below 1; "
     "accepted: a non-zero base, or an exponent of 0 or at least 1"),
]


@pytest.mark.parametrize(("make", "message"), OVERFLOWS)
def test_an_overflow_or_a_power_without_a_real_value_is_refused_in_so_many_words(make, message) -> None:
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message


def test_relu_of_minus_zero_is_plus_zero() -> None:
    # relu(x) = x for x > 0, else +0.0: a -0.0 out would print as "-0" in every picture.
    for out in (ops.builtin_op("relu").forward((-0.0,), None), Value(-0.0).relu().data):
        assert out == 0.0 and math.copysign(1.0, out) == 1.0


@pytest.mark.parametrize(("name", "param"), [("+", None), ("-", None), ("*", None), ("/", None), ("neg", None),
                                             ("abs", None), ("**", None), ("**3", 3.0), ("exp", None),
                                             ("log", None), ("tanh", None), ("sigmoid", None), ("relu", None),
                                             ("sum", None), ("logsumexp", None), ("dot", 2), ("softmax", 1)])
def test_every_built_in_op_is_found_again_by_name_and_pickles_as_itself(name: str, param: object) -> None:
    op = ops.builtin_op(name, param)
    assert (op.name, op.param) == (name, param)
    assert ops.builtin_op(op.name, op.param) is op and pickle.loads(pickle.dumps(op)) is op


def test_an_op_of_ones_own_is_refused_by_pickle_in_so_many_words() -> None:
    mine = ops.Op("mine", lambda xs, p: xs[0], lambda m, out, xs, p: (1.0,))
    with pytest.raises(TypeError) as info:
        pickle.dumps(apply(mine, Value(1.0)))
    assert str(info.value) == (
        "the op 'mine' is not one of chainrule's built-in ops, so it cannot be pickled; "
        "pickle graphs of built-in ops only, or save a model's weights with nn.save"
    )


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_a_dot_kernel_made_now_gives_the_forward_and_the_rule_bit_for_bit(n: int) -> None:
    """The kernel op_dot caches, generated afresh: the same numbers as the plain forward and rule."""
    kernel = ops._dot_kernel(n)
    rng = random.Random(n)
    for bias in (False, True):
        xs = tuple(rng.uniform(-3.0, 3.0) for _ in range(2 * n + bias))
        out, local = kernel(xs, n)
        want = ops._dot(xs, n)
        assert out.hex() == want.hex()
        assert [g.hex() for g in local] == [g.hex() for g in ops._dot_local(ops.FLOATS, want, xs, n)]
        # and the plain meaning, written here: sum of w_i x_i (+ b); d/dw_i = x_i, d/dx_i = w_i, d/db = 1
        w, x = xs[:n], xs[n: 2 * n]
        assert out == pytest.approx(math.fsum([*(a * b for a, b in zip(w, x)), *xs[2 * n:]]), rel=1e-12, abs=1e-12)
        assert list(local) == [*x, *w, *([1.0] if bias else [])]
