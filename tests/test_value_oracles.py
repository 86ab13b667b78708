"""A Value's life outside arithmetic: pickled and copied (flat, in any thread, attributes kept and
hooks dropped), its hook handles, its refusals word for word, and recording while another thread
is inside ``no_grad``. Expected numbers are closed forms written here; sizes are bounds per node."""

from __future__ import annotations

import copy
import gc
import pickle
import threading

import pytest
from conftest import need

import autograd
from autograd import Value, no_grad
from autograd.value import HookHandle, _pickling, _Sweep

DEPTH = 2000  # twice the interpreter's recursion limit: a pickle that recursed per level would fail


def _chain(n: int) -> tuple[Value, Value]:
    """x, then n ops alternating ``+ 0.5`` and ``* 2.0``: y = ((x + 0.5) * 2 + 0.5) * 2 ..."""
    x = y = Value(0.25, "x")
    for i in range(n):
        y = y * 2.0 if i % 2 else y + 0.5
    return x, y


def _nodes(y: Value) -> list[Value]:
    return autograd.topological_order(y)


def test_a_deep_graph_pickles_flat_in_space_proportional_to_it_and_loads_back_the_same() -> None:
    x, y = _chain(DEPTH)
    raw = pickle.dumps(y)
    # 2 * DEPTH + 1 nodes (a constant leaf per op); a node takes about 45 bytes. Listing each node's
    # ancestors again would take DEPTH ** 2 / 2 references, megabytes.
    assert len(raw) < 60 * (2 * DEPTH + 1)
    y2 = pickle.loads(raw)
    old, new = _nodes(y), _nodes(y2)
    def record(nodes: list[Value]) -> list[tuple[object, ...]]:
        return [(n.data, n.op, n.label, n.local_grads) for n in nodes]

    assert record(new) == record(old)
    positions = {n: i for i, n in enumerate(new)}
    assert all(positions[i] < positions[n] for n in new for i in n.inputs)  # each node after its inputs
    (x2,) = (n for n in new if n.label == "x")
    # d y / d x = 2 ** (number of "* 2" steps), exactly
    assert autograd.grad(y2, [x2]) == [2.0 ** (DEPTH // 2)] == autograd.grad(y, [x])


def test_after_pickling_a_graph_any_node_of_it_pickles_as_a_root_of_its_own() -> None:
    _, y = _chain(DEPTH)
    pickle.dumps(y)
    assert _pickling.graphs == []  # nothing of y's pickling is left behind to mistake a node for inside it
    inner = y.inputs[0].inputs[0]  # DEPTH - 2 levels deep, met inside y's graph a moment ago
    again = pickle.loads(pickle.dumps(inner))
    assert again.data == inner.data and len(_nodes(again)) == len(_nodes(inner))
    assert len(pickle.dumps([y, inner])) < 60 * (2 * DEPTH + 1)  # one graph inside the other: written once


def test_a_graph_pickles_in_a_new_thread_as_in_the_main_one() -> None:
    _, y = _chain(DEPTH)
    results: list[object] = []

    def work() -> None:
        try:
            results.append(pickle.loads(pickle.dumps(y)).data)
        except BaseException as error:  # reported to the main thread, which asserts
            results.append(error)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert results == [y.data]


def test_attributes_attached_to_a_value_are_pickled_and_copied_and_its_hooks_are_not() -> None:
    x = Value(3.0, "x")
    y = x * x
    y.moment = 0.25  # an optimiser's state, as code written for micrograd attaches it
    calls: list[float] = []
    y.register_hook(calls.append)
    for twin in (pickle.loads(pickle.dumps(y)), copy.copy(y)):
        assert (twin.data, twin.grad, twin.label, twin.op, twin.local_grads) == (9.0, 0.0, "", "*", (3.0, 3.0))
        assert twin.moment == 0.25 and twin._hooks is None
        twin.backward()
        assert calls == []  # y's hook does not run for its copies
    shallow = copy.copy(y)
    assert shallow is not y and shallow.inputs[0] is x  # a shallow copy shares the inputs
    plain = copy.copy(x)
    assert (plain.data, plain.label, plain.inputs) == (3.0, "x", ()) and plain.__dict__ == {}


def test_a_hook_handle_says_whether_its_registration_is_active() -> None:
    def hook(g: float) -> None:
        return None

    v = Value(1.0)
    kept, removed = v.register_hook(hook), v.register_hook(hook)
    removed.remove()
    assert repr(kept) == f"HookHandle({hook!r}, active)"
    assert repr(removed) == f"HookHandle({hook!r}, removed)"
    del v
    gc.collect()
    assert repr(kept) == f"HookHandle({hook!r}, removed)"  # its Value is gone
    assert isinstance(kept, HookHandle)


MICROGRAD_ARGS = (
    "Value(data, label) makes a leaf; an operation's result is not built by passing its "
    "inputs and op name (micrograd's Value(data, (a,), 'sin')): define the op with "
    "autograd.extend.Op and call autograd.extend.apply(op, a) -- see the README, "
    "'Adding an operation'"
)


@pytest.mark.parametrize(
    "make",
    [
        lambda a: Value(2.0, (a,)),  # micrograd's children where the label goes
        lambda a: Value(2.0, [a]),
        lambda a: Value(2.0, "", (a,)),  # children, no op
        lambda a: Value(2.0, "", None, "sin"),  # an op, no children
        lambda a: Value(2.0, "", (a,), "sin"),
    ],
)
def test_micrograds_way_of_building_a_result_is_refused_saying_where_ops_are_made(make) -> None:
    with pytest.raises(TypeError) as info:
        make(Value(1.0))
    assert str(info.value) == MICROGRAD_ARGS


def test_a_label_that_is_not_a_str_is_refused_naming_its_type() -> None:
    with pytest.raises(TypeError) as info:
        Value(2.0, 7)  # type: ignore[arg-type]
    assert str(info.value) == "label must be a str, not int: 7"


def test_float_of_a_value_is_refused_saying_what_to_use() -> None:
    with pytest.raises(TypeError) as info:
        float(Value(2.0))  # type: ignore[arg-type]
    assert str(info.value) == (
        "a Value is not converted to a float implicitly (Value(data=2.0, grad=0.0)): math functions would drop "
        "it from the graph; use the Value's own methods (v.exp(), v.log(), v.sin(), v.sqrt(), ...), "
        "or v.data / v.item() for the number"
    )


def test_the_backward_placeholder_says_how_to_load_the_sweep() -> None:
    # What Value.backward calls if autograd.sweep were not imported (importing autograd imports it).
    with pytest.raises(RuntimeError) as info:
        _Sweep.backward(Value(1.0))
    assert str(info.value) == "the reverse sweep is not loaded: import autograd (or autograd.sweep) first"


def test_a_thread_records_while_another_is_inside_no_grad() -> None:
    """no_grad is per thread: a thread training meanwhile keeps its graph."""
    seen: list[object] = []
    inside, done = threading.Event(), threading.Event()

    def evaluate() -> None:
        with no_grad():
            inside.set()
            done.wait(10.0)  # a deadlock guard only: set as soon as the main thread has computed

    worker = threading.Thread(target=evaluate)
    worker.start()
    try:
        assert inside.wait(10.0)
        a, b = Value(2.0), Value(3.0)
        y = a * b
        seen.append((y.data, y.is_leaf, y.local_grads))
    finally:
        done.set()
        worker.join()
    assert seen == [(6.0, False, (3.0, 2.0))]


def test_bad_data_is_refused_naming_value_data_and_what_was_passed() -> None:
    with pytest.raises(TypeError) as info:
        Value("a")
    assert str(info.value) == "Value data must be a real number (int, float or numpy scalar), not str: 'a'"
    with pytest.raises(ValueError) as big:
        Value(10**400)
    assert str(big.value) == (
        "Value data must be finite, but this int is too large for a float (magnitude above about 1.8e308)"
    )


def test_a_numpy_bool_is_refused_as_a_bool() -> None:
    """numpy's bool type is named bool_ before numpy 2.0 and bool since."""
    np = need("numpy", "the test extra brings it, through matplotlib")
    flag = np.bool_(True)
    with pytest.raises(TypeError) as info:
        Value(flag)
    assert str(info.value) == f"Value data must be a real number, not a bool ({flag!r}); write 1.0 or 0.0 instead"


def test_numpy_1s_bool_type_is_refused_as_a_bool_too() -> None:
    """numpy before 2.0 names its bool type bool_; a stand-in of that name (the tests run numpy 2)."""
    bool_ = type("bool_", (), {"__repr__": lambda self: "True"})
    with pytest.raises(TypeError) as info:
        Value(bool_())
    assert str(info.value) == "Value data must be a real number, not a bool (True); write 1.0 or 0.0 instead"
