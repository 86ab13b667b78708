"""The engine's promises kept in the corners: no_grad on coroutines and generators, graphs of any depth
pickled and deep-copied, and a number set by hand named in the error."""

from __future__ import annotations

import asyncio
import copy
import pickle
from collections.abc import AsyncIterator, Iterator

import pytest

import autograd
from autograd import Value, no_grad
from autograd.value import _pickling

# --- no_grad on coroutine functions, generators and async generators ----------------------------


def test_no_grad_on_a_generator_records_nothing_inside_and_leaves_the_caller_recording() -> None:
    x = Value(2.0)

    @no_grad()
    def doubles(n: int) -> Iterator[Value]:
        for _ in range(n):
            assert not autograd.is_grad_enabled()
            yield x * 2

    made = []
    for y in doubles(3):
        assert autograd.is_grad_enabled()  # between yields the caller's mode holds
        made.append(y)
        assert not (x * 3).is_leaf  # the caller's own operations record
    assert [y.is_leaf for y in made] == [True, True, True]


def test_no_grad_on_a_generator_passes_send_throw_close_and_the_return_value() -> None:
    seen: list[object] = []

    @no_grad()
    def echo() -> Iterator[object]:
        try:
            while True:
                seen.append((yield len(seen)))
        except KeyError:
            yield "caught"
        finally:
            seen.append(("closed", autograd.is_grad_enabled()))

    gen = echo()
    assert next(gen) == 0 and gen.send("a") == 1 and gen.throw(KeyError()) == "caught"
    gen.close()
    assert seen == ["a", ("closed", False)] and autograd.is_grad_enabled()

    @no_grad()
    def returns() -> Iterator[int]:
        yield 1
        return 7

    with pytest.raises(StopIteration) as stop:
        gen2 = returns()
        next(gen2)
        next(gen2)
    assert stop.value.value == 7


def test_no_grad_on_a_coroutine_function_is_per_task() -> None:
    x = Value(1.0)

    @no_grad()
    async def evaluate() -> list[bool]:
        first = (x * 2).is_leaf
        await asyncio.sleep(0)  # another task runs here, recording
        return [first, (x * 2).is_leaf, autograd.is_grad_enabled()]

    async def train() -> bool:
        await asyncio.sleep(0)
        return (x * 2).is_leaf

    async def both() -> tuple[list[bool], bool]:
        return await asyncio.gather(evaluate(), train())  # type: ignore[return-value]

    inside, other = asyncio.run(both())
    assert inside == [True, True, False] and other is False
    assert autograd.is_grad_enabled()


def test_no_grad_on_an_async_generator() -> None:
    x = Value(1.0)

    @no_grad()
    async def stream() -> AsyncIterator[Value]:
        for _ in range(2):
            yield x * 2
            await asyncio.sleep(0)

    async def collect() -> list[tuple[bool, bool]]:
        return [(y.is_leaf, autograd.is_grad_enabled()) async for y in stream()]

    assert asyncio.run(collect()) == [(True, True), (True, True)]


def test_no_grad_still_decorates_a_plain_function_and_refuses_a_bare_decorator() -> None:
    @no_grad()
    def f(x: Value) -> Value:
        return x * 2

    assert f(Value(1.0)).is_leaf and f.__name__ == "f"
    with pytest.raises(TypeError, match=r"write @no_grad\(\) with parentheses"):
        no_grad(f)  # type: ignore[call-arg]


# --- pickle and deepcopy of any depth ----------------------------------------------------------


def _chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5, "x")
    y = x
    for _ in range(n):
        y = (y * 1.0001).tanh() + 0.001
    return x, y


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_deep_chain_pickles_and_deep_copies_without_recursion(how: str) -> None:
    x, y = _chain(30_000)  # 90,000 nodes: far beyond the recursion limit
    twin = pickle.loads(pickle.dumps(y)) if how == "pickle" else copy.deepcopy(y)
    order, twin_order = autograd.topological_order(y), autograd.topological_order(twin)
    assert len(twin_order) == len(order) and twin.data == y.data
    assert [v._rule for v in twin_order] == [v._rule for v in order]
    assert autograd.grad(twin, [twin_order[0]]) == autograd.grad(y, [x])
    assert not set(map(id, twin_order)) & set(map(id, order))
    assert _pickling.graphs == []  # nothing is left behind for the next pickle


def test_a_pickle_that_fails_leaves_nothing_behind() -> None:
    from autograd.extend import Op, apply

    square = Op("square", lambda xs, p: xs[0] * xs[0], lambda m, out, xs, p: (2.0 * xs[0],))
    x = Value(2.0)
    y = apply(square, x * 3.0) + 1.0
    with pytest.raises(TypeError, match="'square' is not one of chainrule's built-in ops"):
        pickle.dumps(y)
    assert _pickling.graphs == []


def test_pickling_keeps_identity_across_objects_and_drops_hooks() -> None:
    x = Value(2.0, "x")
    x.register_hook(lambda g: g * 10)
    x.moment = 0.25  # type: ignore[attr-defined]  # attached by an optimiser
    y = x * x + x
    y2, x2 = pickle.loads(pickle.dumps((y, x)))
    assert autograd.topological_order(y2)[0] is x2 and x2.moment == 0.25
    assert x2._hooks is None
    y2.backward()
    assert x2.grad == 5.0  # 2x + 1, no hook
    shallow = copy.copy(y)
    assert shallow is not y and shallow.inputs == y.inputs and shallow.data == y.data


def test_a_graph_whose_gradients_are_values_pickles() -> None:
    x = Value(3.0, "x")
    y = x * x * x
    y.backward(create_graph=True)
    x2 = copy.deepcopy(x)
    assert isinstance(x2.grad, Value) and x2.grad.data == 27.0 and x2.grad is not x.grad
    autograd.zero_grad(y)  # break the cycle x -> x.grad -> x


# --- a number set by hand ----------------------------------------------------------------------


def test_a_parameter_set_to_a_string_is_named_in_the_error() -> None:
    w, x = Value(1.0, "w"), Value(2.0, "x")
    w.data = "3"  # type: ignore[assignment]
    for make in (lambda: w * x, lambda: x * w, lambda: autograd.dot([w], [x], bias=1.0), lambda: w.relu()):
        with pytest.raises(TypeError, match=r"Value\(data='3', grad=0\.0, label='w'\).*not str"):
            make()


def test_a_copied_graph_and_the_sweeps_leave_no_reference_cycle() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        _, y = _chain(50)
        twin = copy.deepcopy(y)
        middle = weakref.ref(autograd.topological_order(twin)[40])
        autograd.backward_steps(twin)
        autograd.grad(twin, [twin])
        del twin
        assert middle() is None  # freed by reference counting alone
    finally:
        gc.enable()
