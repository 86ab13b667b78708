"""The sweep's refusals word for word, and corners mutants slipped through (issue 21): nested no_grad,
relu's derivative at its kink in both passes. Messages are written out by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import autograd
from autograd import Value, no_grad


def message_of(kind: type[Exception], make: Callable[[], object]) -> str:
    """The text of the ``kind`` error that ``make()`` raises."""
    with pytest.raises(kind) as info:
        make()
    return str(info.value)


def test_bad_arguments_are_refused_in_so_many_words() -> None:
    cases = [
        (lambda: autograd.topological_order(3), "topological_order takes Values, not int: 3"),
        (lambda: autograd.zero_grad(3), "zero_grad takes a Value or an iterable of Values, not int: 3"),
        (lambda: autograd.zero_grad([3]), "zero_grad takes Values, not int: 3"),
        (lambda: autograd.grad(3, []), "grad takes Values, not int: 3"),
        (lambda: autograd.grad(Value(1.0), Value(1.0)),
         "grad takes a list of input Values, not one Value (Value(data=1.0, grad=0.0)); wrap it in [x]"),
        (lambda: no_grad(lambda: 1), "no_grad takes no arguments; as a decorator write @no_grad() with parentheses"),
    ]
    for make, message in cases:
        assert message_of(TypeError, make) == message


def test_a_hook_that_would_run_itself_again_is_refused_in_so_many_words() -> None:
    x = Value(2.0)
    y = x * x

    def again(g: float) -> float:
        y.backward()
        return g

    y.register_hook(again)
    assert message_of(RuntimeError, y.backward) == (
        "backward() was called from a hook on Value(data=4.0, grad=1.0, op='*') for a graph that contains "
        "that Value; it would run the "
        "same hook again without end. A hook may read and replace the gradient it is given, or differentiate "
        "a graph that does not contain its Value"
    )


def test_a_hook_returning_a_value_in_a_float_pass_is_refused_in_so_many_words() -> None:
    y = Value(2.0) * 3.0
    y.register_hook(lambda g: Value(1.0))
    assert message_of(TypeError, y.backward) == (
        "a hook on Value(data=6.0, grad=1.0, op='*') returned a Value (Value(data=1.0, grad=0.0)) during a "
        "float backward pass; there "
        "the gradient is a float and a replacement must be a number (Values are accepted only with "
        "create_graph=True)"
    )


def test_nested_no_grad_blocks_restore_the_mode_one_level_at_a_time() -> None:
    assert autograd.is_grad_enabled()
    with no_grad():
        with no_grad():
            assert not autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled() and (Value(1.0) * 2.0).is_leaf
    assert autograd.is_grad_enabled() and not (Value(1.0) * 2.0).is_leaf


@pytest.mark.parametrize("x", [0.0, -0.0])
def test_relu_has_derivative_zero_at_its_kink_in_both_passes(x: float) -> None:
    v = Value(x)
    (as_value,) = autograd.grad(v.relu(), [v], create_graph=True)
    assert autograd.grad(v.relu(), [v]) == [0.0] and as_value.data == 0.0
