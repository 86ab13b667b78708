"""Value's refusals word for word, and comparisons at equality (issue 21: mutants that survived tests
matching only part of a message). Messages are written out by hand: what was passed, what is accepted."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value

REAL = "must be a real number (int, float or numpy scalar)"
BY_HAND = "chainrule rejects NaN and infinity at the boundary (was it set by hand?)"


def by_hand(data: object) -> Value:
    v = Value(1.0)
    v.data = data  # type: ignore[assignment]
    return v


REFUSED = [
    (lambda: Value(1.0) < "a", TypeError, f"a number compared with a Value {REAL}, not str: 'a'"),
    (lambda: Value(1.0) + "a", TypeError, f"an operand combined with a Value {REAL}, not str: 'a'"),
    (lambda: Value(2.0) ** "a", TypeError, f"an exponent {REAL}, not str: 'a'"),
    (lambda: autograd.sum(3), TypeError, "sum takes an iterable of Values or numbers, not int"),
    (lambda: autograd.sum([]), ValueError, "sum needs at least one Value, got an empty sequence"),
    (lambda: autograd.sum(["a"]), TypeError, f"an operand combined with a Value {REAL}, not str: 'a'"),
    (lambda: autograd.softmax(3), TypeError, "softmax takes an iterable of Values or numbers, not int"),
    (lambda: autograd.logsumexp(3), TypeError, "logsumexp takes an iterable of Values or numbers, not int"),
    (lambda: autograd.dot(3, [Value(1.0)]), TypeError, "dot weights takes an iterable of Values or numbers, not int"),
    (lambda: autograd.dot([Value(1.0)], 3), TypeError, "dot inputs takes an iterable of Values or numbers, not int"),
    (lambda: autograd.dot([], []), ValueError, "dot weights needs at least one Value, got an empty sequence"),
    (lambda: autograd.dot([Value(1.0)], [Value(1.0), Value(2.0)]), ValueError,
     "dot needs as many weights as inputs; got 1 weights and 2 inputs"),
    (lambda: autograd.grad(Value(1.0), 3), TypeError, "grad's inputs takes an iterable of Values, not int: 3"),
    (lambda: autograd.grad(Value(1.0), [3]), TypeError, "grad's inputs takes Values, not int: 3"),
    (lambda: by_hand("x") * 2.0, TypeError,
     f"an input of * is Value(data='x', grad=0.0), whose .data {REAL}, not str: 'x' (was it set by hand?)"),
    (lambda: by_hand(math.nan).exp(), ValueError,
     f"an input of exp is Value(data=nan, grad=0.0), whose .data must be finite, got nan; {BY_HAND}"),
    (lambda: Value(2.0) * by_hand(math.inf), ValueError,
     f"an input of * is Value(data=inf, grad=0.0), whose .data must be finite, got inf; {BY_HAND}"),
    (lambda: by_hand(-math.inf) + 1.0, ValueError,
     f"an input of + is Value(data=-inf, grad=0.0), whose .data must be finite, got -inf; {BY_HAND}"),
]


@pytest.mark.parametrize(("make", "kind", "message"), REFUSED)
def test_bad_input_is_refused_in_so_many_words(make, kind, message) -> None:
    with pytest.raises(kind) as info:
        make()
    assert type(info.value) is kind and str(info.value) == message


def test_comparisons_at_equality_are_strict() -> None:
    a, b = Value(1.5), Value(1.5)
    assert not (a < b) and not (a > b) and a <= b and a >= b
    assert not (a < 1.5) and not (a > 1.5) and a <= 1.5 and a >= 1.5
    assert Value(1.0) < 1.5 and Value(2.0) > Value(1.5)


def test_one_step_by_hand_adds_local_times_grad_into_each_input() -> None:
    x, w = Value(3.0), Value(-2.0)
    y = x * x * w  # inputs (x * x, w): locals (w, x * x) = (-2, 9)
    x.grad, w.grad = 0.5, 0.25
    y.grad = 2.0
    y._backward()
    assert (y.inputs[0].grad, w.grad) == (-4.0, 0.25 + 18.0)
    y.inputs[0]._backward()  # x * x: both inputs are x, each adds 3 * -4
    assert x.grad == 0.5 - 24.0


def test_number_reads_a_value_a_float_or_an_int_as_a_float() -> None:
    from autograd.value import number

    for x, want in ((Value(2.5), 2.5), (0.25, 0.25), (3, 3.0)):
        got = number(x)
        assert type(got) is float and got == want
