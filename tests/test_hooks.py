"""Gradient hooks: seeing and replacing the gradient arriving at a Value, removal, order, leaves vs
intermediates, and hooks in grad() and create_graph passes."""

from __future__ import annotations

import gc
import math
import weakref
from typing import Any

import pytest

import autograd
from autograd import HookHandle, Value, grad


def recorder(seen: list[Any], tag: str = "") -> Any:
    def hook(g: Any) -> None:
        seen.append((tag, g) if tag else g)

    return hook


def test_hook_sees_the_arriving_gradient() -> None:
    # y = tanh(x) * 3; the gradient arriving at t = tanh(x) is 3, at x it is 3 (1 - tanh^2 x).
    x = Value(0.5)
    t = x.tanh()
    y = t * 3.0
    at_t: list[float] = []
    at_x: list[float] = []
    t.register_hook(recorder(at_t))
    x.register_hook(recorder(at_x))
    y.backward()
    assert at_t == [3.0]
    assert at_x == [pytest.approx(3.0 * (1 - math.tanh(0.5) ** 2), rel=1e-15)]
    assert x.grad == at_x[0]


def test_hook_on_the_output_sees_one() -> None:
    x = Value(2.0)
    y = x * x
    seen: list[float] = []
    y.register_hook(recorder(seen))
    y.backward()
    assert seen == [1.0]


def test_leaf_used_twice_sees_the_total_once() -> None:
    # y = x*x + 3x: both paths into x are summed before x's hook runs, so it fires once with 2x + 3.
    x = Value(1.5)
    y = x * x + 3 * x
    seen: list[float] = []
    x.register_hook(recorder(seen))
    y.backward()
    assert seen == [6.0]


def test_intermediate_used_twice_sees_the_total_once() -> None:
    x = Value(0.3)
    m = x.exp()
    y = m * m + m  # dy/dm = 2m + 1
    seen: list[float] = []
    m.register_hook(recorder(seen))
    y.backward()
    assert seen == [pytest.approx(2 * math.exp(0.3) + 1, rel=1e-15)]


def test_clipping_hook_replaces_the_gradient_flowing_on() -> None:
    # z = (10 x)^2 at x = 1: dz/dy = 2y = 20 is clipped to 1 at y, so x receives 10 * 1, not 10 * 20.
    x = Value(1.0)
    y = x * 10.0
    z = y * y
    y.register_hook(lambda g: max(-1.0, min(1.0, g)))
    z.backward()
    assert y.grad == 1.0  # what is added to .grad is the replacement
    assert x.grad == 10.0


def test_replacement_on_an_intermediate_affects_only_the_paths_through_it() -> None:
    # y = a*b + a: the hook halves the gradient at p = a*b only; a's direct path keeps its 1.
    a, b = Value(2.0), Value(5.0)
    p = a * b
    y = p + a
    p.register_hook(lambda g: g * 0.5)
    y.backward()
    assert (a.grad, b.grad) == (0.5 * 5.0 + 1.0, 0.5 * 2.0)


def test_hook_on_a_leaf_replaces_what_the_leaf_accumulates() -> None:
    x = Value(3.0)
    y = x * x
    x.register_hook(lambda g: 0.0)
    y.backward()
    assert x.grad == 0.0
    y.backward()
    assert x.grad == 0.0


def test_removal_and_removal_twice_is_harmless() -> None:
    x = Value(1.0)
    y = x * 2.0
    seen: list[float] = []
    handle = x.register_hook(recorder(seen))
    assert isinstance(handle, HookHandle)
    y.backward()
    handle.remove()
    y.backward()
    handle.remove()  # second removal: nothing happens
    y.backward()
    assert seen == [2.0]
    assert x.grad == 6.0


def test_removing_one_registration_of_the_same_function_keeps_the_other() -> None:
    x = Value(1.0)
    y = x * 2.0
    seen: list[float] = []
    hook = recorder(seen)
    first = x.register_hook(hook)
    x.register_hook(hook)
    y.backward()
    assert seen == [2.0, 2.0]
    first.remove()
    y.backward()
    assert seen == [2.0, 2.0, 2.0]


def test_multiple_hooks_run_in_registration_order_each_seeing_the_previous_result() -> None:
    x = Value(1.0)
    y = x * 4.0
    seen: list[tuple[str, float]] = []

    def add_one(g: float) -> float:
        seen.append(("add_one", g))
        return g + 1.0

    def double(g: float) -> float:
        seen.append(("double", g))
        return g * 2.0

    x.register_hook(add_one)
    x.register_hook(recorder(seen, "watch"))  # returns None: passes the gradient through unchanged
    x.register_hook(double)
    y.backward()
    assert seen == [("add_one", 4.0), ("watch", 5.0), ("double", 5.0)]
    assert x.grad == 10.0


def test_removing_a_middle_hook_keeps_the_order_of_the_rest() -> None:
    x = Value(1.0)
    y = x * 1.0
    order: list[str] = []
    x.register_hook(lambda g: order.append("a"))
    middle = x.register_hook(lambda g: order.append("b"))
    x.register_hook(lambda g: order.append("c"))
    middle.remove()
    y.backward()
    assert order == ["a", "c"]


def test_a_hook_may_remove_itself_while_running() -> None:
    x = Value(2.0)
    y = x * x
    calls: list[float] = []
    handle: HookHandle

    def once(g: float) -> None:
        calls.append(g)
        handle.remove()

    handle = x.register_hook(once)
    y.backward()
    y.backward()
    assert calls == [4.0]


def test_hooks_see_zero_behind_a_dead_relu_in_both_passes() -> None:
    x = Value(-1.0)
    y = x.relu() + 1.0
    seen: list[Any] = []
    x.register_hook(recorder(seen))
    y.backward()
    autograd.grad(y, [x], create_graph=True)
    assert seen == [0.0, 0.0]


def test_hooks_run_in_grad_too_without_touching_grad() -> None:
    x = Value(2.0)
    y = x**3
    seen: list[float] = []
    x.register_hook(recorder(seen))
    assert grad(y, [x]) == [12.0]
    assert seen == [12.0] and x.grad == 0.0
    x.register_hook(lambda g: g / 2)
    assert grad(y, [x]) == [6.0]


def test_hooks_in_a_create_graph_pass_receive_and_may_return_values() -> None:
    x = Value(3.0)
    y = x * x * x
    seen: list[Any] = []
    x.register_hook(recorder(seen))
    (g,) = grad(y, [x], create_graph=True)
    assert isinstance(seen[0], Value) and seen[0].data == 27.0
    # A hook that scales the gradient as a Value keeps it differentiable: d/dx (2 * 3x^2) = 12x.
    doubler = x.register_hook(lambda g: g * 2.0)
    (g,) = grad(y, [x], create_graph=True)
    assert g.data == 54.0
    assert grad(g, [x]) == [72.0]  # the hook is still there: it doubles the second pass's 36 too
    doubler.remove()
    assert grad(g, [x]) == [36.0]


def test_a_number_returned_in_a_create_graph_pass_cuts_the_graph_there() -> None:
    x = Value(3.0)
    m = x * x
    y = m * x  # x^3, with m = x^2 in between
    m.register_hook(lambda g: 1.0)  # the gradient at m becomes the constant 1
    (g,) = grad(y, [x], create_graph=True)
    # dy/dx = dy/dm (replaced by 1) * 2x + m (the direct path) = 2x + x^2
    assert g.data == 6.0 + 9.0
    assert grad(g, [x]) == [2.0 + 6.0]


def test_bad_hook_results_are_refused_clearly() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3.0)  # type: ignore[arg-type]
    y = x * 2.0
    h = x.register_hook(lambda g: Value(g))
    with pytest.raises(TypeError, match="float backward pass"):
        y.backward()
    h.remove()
    h = x.register_hook(lambda g: float("nan"))
    with pytest.raises(ValueError, match="finite"):
        grad(y, [x])
    h.remove()
    h = x.register_hook(lambda g: True)
    with pytest.raises(TypeError, match="bool"):
        grad(y, [x])
    h.remove()
    assert grad(y, [x]) == [2.0]


def test_an_exception_in_a_hook_propagates_and_leaves_every_grad_as_it_was() -> None:
    x = Value(1.0)
    m = x * 3.0
    y = m * m
    x.grad = 7.0

    def boom(g: float) -> None:
        raise RuntimeError("from the hook")

    x.register_hook(boom)
    with pytest.raises(RuntimeError, match="from the hook"):
        y.backward()
    with pytest.raises(RuntimeError, match="from the hook"):
        y.backward(create_graph=True)
    assert (x.grad, m.grad, y.grad) == (7.0, 0.0, 0.0)


def test_handles_hold_their_value_weakly() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        ref = weakref.ref(x)
        handle = x.register_hook(lambda g: None)
        del x
        assert ref() is None  # the handle did not keep the Value alive, and no cycle formed
        handle.remove()  # harmless after the Value is gone
    finally:
        gc.enable()


def test_hooks_survive_on_the_value_until_removed() -> None:
    x = Value(1.0)
    seen: list[float] = []
    x.register_hook(recorder(seen))
    (x * 5.0).backward()
    (x * 7.0).backward()  # a new graph through the same leaf
    assert seen == [5.0, 7.0]


def test_the_engine_knows_whether_any_live_value_has_a_hook() -> None:
    # backward() skips leaves altogether while no hook exists; this is what tells it so.
    from autograd.value import hooks_registered

    gc.collect()  # Values with hooks from earlier tests may wait in reference cycles
    assert not hooks_registered()
    x, y = Value(1.0), Value(2.0)
    first = x.register_hook(lambda g: None)
    second = x.register_hook(lambda g: None)
    y.register_hook(lambda g: None)
    assert hooks_registered()
    first.remove()
    second.remove()
    assert hooks_registered()  # y still has one
    gc.disable()
    try:
        del y  # a Value that dies with its hooks leaves the set
        assert not hooks_registered()
    finally:
        gc.enable()
    seen: list[float] = []
    x.register_hook(recorder(seen))
    (x * 3.0).backward()  # a leaf hook runs even though leaves are otherwise skipped
    assert seen == [3.0] and x.grad == 3.0
