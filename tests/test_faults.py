"""Faults at the engine: non-finite or non-number data set by hand, overflowing accumulation, and
hooks that call back into backward(). Each test checks what is left behind, not only the error."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import Value

BAD_NUMBERS = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize(
    "use",
    [
        lambda w: w.relu(),
        lambda w: w.tanh(),
        lambda w: w.sigmoid(),
        lambda w: w.exp(),
        lambda w: w.log(),
        lambda w: -w,
        lambda w: abs(w),
        lambda w: w**0,
        lambda w: w**2,
        lambda w: 1.0 / w,
        lambda w: w * 0.0,
        lambda w: w + 1.0,
        lambda w: autograd.sum([w, 1.0]),
        lambda w: autograd.dot([w], [0.0]),
        lambda w: autograd.softmax([w, 0.0])[1],
        lambda w: autograd.logsumexp([w, 0.0]),
    ],
)
def test_non_finite_data_set_by_hand_is_caught_at_the_next_op(bad: float, use: Callable[[Value], Value]) -> None:
    w = Value(0.5, "w")
    w.data = bad
    with pytest.raises(ValueError) as caught:
        use(w)
    message = str(caught.value)
    assert "'w'" in message and "finite" in message  # names the Value and what is accepted


@pytest.mark.parametrize("use", [lambda x: x * 2.0, lambda x: x.relu(), lambda x: autograd.dot([x], [1.0])])
def test_non_number_data_set_by_hand_is_a_clear_type_error(use: Callable[[Value], Value]) -> None:
    x = Value(1.0, "x")
    x.data = "3"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"'x'.*real number"):
        use(x)


def test_backward_on_an_output_whose_data_was_set_by_hand() -> None:
    x = Value(2.0)
    y = x * 3.0
    y.data = "6"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="backward"):
        y.backward()
    assert x.grad == 0.0


def test_second_backward_that_overflows_the_sum_changes_nothing() -> None:
    x = Value(1.0)
    y = x * 1e308
    y.backward()
    assert x.grad == 1e308
    with pytest.raises(ValueError, match="overflowed"):
        y.backward()  # 1e308 + 1e308 is no float
    assert x.grad == 1e308 and y.grad == 1.0


def test_overflowing_create_graph_accumulation_changes_nothing() -> None:
    x = Value(1.0)
    y = x * 1e308
    y.backward(create_graph=True)
    before = (x.grad.data, y.grad)
    with pytest.raises(ValueError):
        y.backward(create_graph=True)
    assert (x.grad.data, y.grad) == before


def test_a_hook_calling_backward_through_its_own_value_is_refused() -> None:
    x = Value(2.0, "x")
    y = x * x
    calls: list[float] = []

    def hook(g: float) -> None:
        calls.append(g)
        y.backward()  # the graph being differentiated: would recurse without end

    x.register_hook(hook)
    with pytest.raises(RuntimeError, match="hook"):
        y.backward()
    assert calls == [4.0] and x.grad == 0.0 and y.grad == 0.0


def test_a_hook_calling_grad_through_its_own_value_is_refused() -> None:
    x = Value(2.0)
    x.register_hook(lambda g: autograd.grad(x * 3.0, [x]))
    with pytest.raises(RuntimeError, match="without end"):
        autograd.grad(x * x, [x])


def test_a_hook_may_differentiate_another_graph() -> None:
    x, z = Value(2.0), Value(5.0)
    inner: list[Any] = []
    x.register_hook(lambda g: inner.append(autograd.grad(z * z, [z])))
    (x * x).backward()
    assert inner == [[10.0]] and x.grad == 4.0


# --- reading the number, as micrograd's family and PyTorch do ----------------------------------


def test_comparisons_float_bool_read_the_data() -> None:
    a, b = Value(1.0), Value(3.0)
    assert (a < b, a <= 1.0, b > 2, b >= b, 0.5 < a) == (True,) * 5  # noqa: SIM300  # reflected
    assert max([a, b]) is b and sorted([b, a]) == [a, b]
    assert b.item() == 3.0 and bool(Value(0.0)) is False and bool(a) is True
    with pytest.raises(TypeError, match=r"v\.exp\(\).*v\.data / v\.item\(\)"):
        float(b)
    assert a != Value(1.0) and len({a, Value(1.0)}) == 2  # == and hash stay by identity
    with pytest.raises(TypeError, match="compared"):
        _ = a < "2"  # type: ignore[operator]


@pytest.mark.parametrize("x", [-2.5, 0.0, 1e-300, 3.0])
def test_abs_is_differentiable_with_sign_as_its_derivative(x: float) -> None:
    v = Value(x)
    y = abs(v)
    y.backward()
    assert y.data == abs(x) and y.op == "abs"
    assert v.grad == (1.0 if x > 0 else -1.0 if x < 0 else 0.0)
    if x != 0.0:  # away from the kink: central differences agree
        h = 1e-6 * max(1.0, abs(x)) if abs(x) > 1e-3 else abs(x) / 2
        assert v.grad == pytest.approx((abs(x + h) - abs(x - h)) / (2 * h), rel=1e-9)
    (d,) = autograd.grad(y, [v], create_graph=True)
    assert d.data == v.grad


def test_micrograd_names_for_the_record() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert c._op == "*" and a._op == "" and c._prev == {a, b}


# --- the replay -------------------------------------------------------------------------------


def test_a_replay_frees_its_source_from_linecache() -> None:
    import gc
    import linecache

    from autograd import replay

    w = Value(0.5)
    step = replay.trace(w * w * 3.0, params=[w])
    filename = step._function.__code__.co_filename
    assert filename in linecache.cache
    del step
    gc.collect()
    assert filename not in linecache.cache


def test_replay_backward_overflowing_the_sum_changes_nothing() -> None:
    from autograd import replay

    x, other = Value(1.0), Value(2.0)
    step = replay.trace(x * 1e308 + other, params=[other, x])
    step.backward()
    assert (other.grad, x.grad) == (1.0, 1e308)
    with pytest.raises(ValueError, match="overflowed"):
        step.backward()
    assert (other.grad, x.grad) == (1.0, 1e308)


def test_a_replay_names_a_param_whose_data_was_set_to_nan() -> None:
    from autograd import replay

    w = Value(0.5, "w")
    step = replay.trace(w * 2.0, params=[w])
    w.data = math.nan
    with pytest.raises(ValueError, match="'w'"):
        step()
    w.grad = 0.0
    with pytest.raises(ValueError):
        step.backward()
    assert w.grad == 0.0


def test_grad_uses_recorded_derivatives_and_create_graph_the_current_data() -> None:
    # The documented difference (autograd.grad's docstring): d(x*x)/dx is 2 * 3 when recorded.
    x = Value(3.0)
    y = x * x
    x.data = 5.0
    assert autograd.grad(y, [x]) == [6.0]
    (d,) = autograd.grad(y, [x], create_graph=True)
    assert d.data == 10.0


def test_backward_by_hand_one_step_at_a_time_as_micrograds_lecture() -> None:
    # o = tanh(x*w + b): the lecture sets o.grad = 1 and calls _backward() node by node.
    x, w, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    xw = x * w
    n = xw + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, xw):
        node._backward()
    t = math.tanh(2.0 * -3.0 + 6.8813735870195432)
    assert n.grad == pytest.approx(1 - t * t, rel=1e-15)
    assert (x.grad, w.grad) == pytest.approx(((1 - t * t) * -3.0, (1 - t * t) * 2.0), rel=1e-15)
