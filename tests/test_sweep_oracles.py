"""The generic sweep step by step, against gradients worked out by hand.

``gradients`` with its callbacks (``on_edge``, ``on_hook``), a ``local`` override and ``hooks=False``
(what backward_steps and diagnose call), the nodes the sweep never reaches, the gradient graphs of
``create_graph`` without needless nodes, hooks in a new thread, and the sweep's messages word for word.
The two small graphs below are worked out in the comments; every number is written here."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import Value, is_grad_enabled, no_grad
from autograd.extend import Op, apply
from autograd.sweep import gradients

OVERFLOW = ("the graph's derivatives multiply to more than a float holds (scale the inputs or the loss down); "
            "no .grad was changed")


def message_of(kind: type[Exception], make: Callable[[], object]) -> str:
    with pytest.raises(kind) as info:
        make()
    return str(info.value)


def diamond() -> tuple[Value, Value, Value]:
    """x = 3, m = x * x, y = m + x: dy/dm = 1, dy/dx = 2x + 1 = 7. Sweep order y, m, x."""
    x = Value(3.0, "x")
    m = x * x
    return x, m, m + x


def dead_relu() -> tuple[Value, Value, Value, Value]:
    """x = 3, s = x - 5 = -2, r = relu(s) = 0, y = r * 2. dy/dr = 2, dr/ds = 0 (dead), so s receives 0
    and sends nothing on: x is never reached. Sweep order y, 2, r, s, 5, x."""
    x = Value(3.0, "x")
    s = x - 5.0
    r = s.relu()
    return x, s, r, r * 2.0


Edge = tuple[str, int, str, Any, Any, Any, Any, bool]


def recorder(names: dict[Value, str]) -> tuple[list[Edge], Callable[..., None]]:
    edges: list[Edge] = []

    def on_edge(node: Value, i: int, inp: Value, g: Any, d: Any, c: Any, total: Any, sent: bool) -> None:
        edges.append((names[node], i, names.get(inp, "const"), g, d, c, total, sent))

    return edges, on_edge


def test_each_edge_is_reported_with_its_upstream_local_contribution_and_running_total() -> None:
    x, m, y = diamond()
    edges, on_edge = recorder({x: "x", m: "m", y: "y"})
    acc = gradients(y, on_edge=on_edge)
    assert edges == [
        ("y", 0, "m", 1.0, 1.0, 1.0, 1.0, True),
        ("y", 1, "x", 1.0, 1.0, 1.0, 1.0, True),
        ("m", 0, "x", 1.0, 3.0, 3.0, 4.0, True),  # d(x*x)/dx per input: the other input, 3
        ("m", 1, "x", 1.0, 3.0, 3.0, 7.0, True),
    ]
    assert acc == {y: 1.0, m: 1.0, x: 7.0} and all(type(g) is float for g in acc.values())
    # an upstream gradient other than 1: z = m * 0.5, so m receives 0.5 and x gets 0.5 * 3 twice
    z = m * 0.5
    edges, on_edge = recorder({x: "x", m: "m", z: "z"})
    assert gradients(z, on_edge=on_edge)[x] == 3.0  # d(x*x/2)/dx = x
    assert edges[2:] == [("m", 0, "x", 0.5, 3.0, 1.5, 1.5, True), ("m", 1, "x", 0.5, 3.0, 1.5, 3.0, True)]


def test_a_zero_gradient_is_reported_as_not_sent_and_leaves_the_inputs_unreached() -> None:
    x, s, r, y = dead_relu()
    edges, on_edge = recorder({x: "x", s: "s", r: "r", y: "y"})
    acc = gradients(y, on_edge=on_edge)
    assert edges == [
        ("y", 0, "r", 1.0, 2.0, 2.0, 2.0, True),
        ("y", 1, "const", 1.0, 0.0, 0.0, 0.0, True),  # d(r*2)/d2 = r = 0
        ("r", 0, "s", 2.0, 0.0, 0.0, 0.0, True),  # relu's step at -2 is 0
        ("s", 0, "x", 0.0, 1.0, 0.0, 0.0, False),
        ("s", 1, "const", 0.0, -1.0, 0.0, 0.0, False),
    ]
    assert x not in acc and acc[s] == 0.0
    assert gradients(y)[s] == 0.0 and x not in gradients(y)  # the fast sweep agrees


def test_a_local_override_replaces_every_recorded_derivative_and_is_asked_per_edge() -> None:
    x, m, y = diamond()
    asked: list[tuple[str, int]] = []
    names = {m: "m", y: "y"}

    def ones(node: Value, i: int) -> float:
        asked.append((names[node], i))
        return 1.0

    assert gradients(y, local=ones)[x] == 3.0  # every edge 1: x gets 1 (from y) + 1 + 1 (from m)
    assert asked == [("y", 0), ("y", 1), ("m", 0), ("m", 1)]


def test_hooks_run_in_both_sweeps_on_leaves_too_are_reported_and_can_be_switched_off() -> None:
    x, _, y = diamond()
    x.register_hook(lambda g: 2.0 * g)
    seen: list[tuple[str, float, float]] = []
    assert gradients(y)[x] == 14.0  # the fast sweep runs the leaf's hook: 2 * 7
    acc = gradients(y, on_hook=lambda node, before, after: seen.append((node.label, before, after)))
    assert acc[x] == 14.0 and seen == [("x", 7.0, 14.0)]
    assert gradients(y, hooks=False)[x] == 7.0
    assert gradients(y, hooks=False, on_edge=lambda *edge: None)[x] == 7.0


def test_a_hook_on_a_node_the_sweep_never_reaches_sees_zero() -> None:
    x, _, _, y = dead_relu()
    seen: list[float] = []
    x.register_hook(seen.append)
    assert gradients(y)[x] == 0.0 and seen == [0.0]
    assert gradients(y, on_edge=lambda *edge: None)[x] == 0.0 and seen == [0.0, 0.0]


def test_a_float_sweep_leaves_grad_mode_as_it_is_inside_no_grad() -> None:
    x, _, y = diamond()
    modes: list[bool] = []
    with no_grad():
        gradients(y, on_edge=lambda *edge: modes.append(is_grad_enabled()))
        (g,) = autograd.grad(y, [x], create_graph=True)
    assert modes == [False] * 4
    # but a create_graph gradient is a graph even inside no_grad: 2x + 1, whose derivative is 2
    assert g.data == 7.0 and not g.is_leaf and autograd.grad(g, [x]) == [2.0]


def test_a_value_sweep_gives_values_everywhere_and_adds_no_node_for_one_times_g_or_zero_plus_g() -> None:
    x = Value(3.0, "x")
    y = x * 4.0 + 5.0
    acc = gradients(y, values=True)
    assert all(isinstance(g, Value) for g in acc.values()) and acc[y].data == 1.0
    assert acc[x].data == 4.0 and acc[x].op == "*"  # 4 * (the 1 that "+" passed on as it is), no "0 + "
    (g,) = autograd.grad(x + 5.0, [x], create_graph=True)
    assert (g.data, g.is_leaf) == (1.0, True)  # d(x + 5)/dx: the seed 1 itself, no "1.0 * 1" node
    y.backward(create_graph=True)
    assert x.grad.data == 4.0 and x.grad.op == "*"  # a fresh .grad takes the Value, not 0.0 + it


def test_gradients_defaults_to_floats_over_the_whole_graph() -> None:
    x, m, y = diamond()
    assert gradients(y) == {y: 1.0, m: 1.0, x: 7.0}
    assert message_of(TypeError, lambda: gradients(3)) == "gradients takes Values, not int: 3"  # type: ignore[arg-type]


def test_a_hook_runs_in_a_new_thread_as_in_the_main_one() -> None:
    results: list[object] = []

    def work() -> None:
        try:
            x, _, y = diamond()
            x.register_hook(lambda g: g + 1.0)
            y.backward()
            results.append((x.grad, autograd.grad(y, [x])))
        except BaseException as error:  # reported to the main thread, which asserts
            results.append(error)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert results == [(8.0, [8.0])]


def _floats_only(x: Any) -> float:
    if not isinstance(x, float):
        raise TypeError("this rule takes floats")
    return 2.0


def test_the_sweeps_messages_word_for_word() -> None:
    x = Value(1e-300)
    y = (x * 1e200) * 1e200  # 1e100, but dy/dx = 1e400
    assert message_of(ValueError, lambda: autograd.grad(y, [x])) == (
        f"the gradient reaching Value(data=1e-300, grad=0.0) overflowed to inf; {OVERFLOW}"
    )
    big = Value(1.0)
    big.grad = 1.7e308
    assert message_of(ValueError, (big * 1e308).backward) == (
        f"the sum in .grad of Value(data=1.0, grad=1.7e+308) overflowed to inf; {OVERFLOW}"
    )
    assert big.grad == 1.7e308
    assert message_of(TypeError, lambda: autograd.grad(Value(1.0), 3)) == (  # type: ignore[arg-type]
        "grad's inputs takes an iterable of Values, not int: 3"
    )

    def bad(g: float) -> str:
        return "x"

    hooked = Value(1.0)
    hooked.register_hook(bad)
    assert message_of(TypeError, (hooked * 2.0).backward) == (
        f"the gradient returned by the hook {bad!r} must be a real number (int, float or numpy scalar), not str: 'x'"
    )
    floaty = Op("floaty", lambda xs, p: 2.0 * xs[0], lambda m, out, xs, p: (_floats_only(xs[0]),))
    z = Value(0.5)
    assert message_of(TypeError, lambda: autograd.grad(apply(floaty, z), [z], create_graph=True)) == (
        "the derivative rule of the op 'floaty' cannot be evaluated on Values, which a second derivative "
        "(create_graph=True) needs: this rule takes floats. Write the rule with the rule namespace "
        "(m.cos(x), m.log(x), ...) and arithmetic, not math functions; add a function to the namespace "
        "with autograd.extend.register_rule"
    )


def test_backward_adds_floats_by_default_and_leaves_unreached_nodes_at_zero_in_both_passes() -> None:
    x, m, y = diamond()
    autograd.backward(y)
    assert (x.grad, m.grad, y.grad) == (7.0, 1.0, 1.0) and type(x.grad) is float
    x, s, _, y = dead_relu()
    y.backward(create_graph=True)
    assert (x.grad, s.grad) == (0.0, 0.0) and type(x.grad) is float  # never reached: still the float 0.0


def test_backward_refuses_an_overflowing_gradient_or_a_bad_output_and_changes_no_grad() -> None:
    x = Value(1e-300)
    y = (x * 1e200) * 1e200  # 1e100, but dy/dx = 1e400
    assert message_of(ValueError, y.backward) == (
        f"the gradient reaching Value(data=1e-300, grad=0.0) overflowed to inf; {OVERFLOW}"
    )
    assert x.grad == 0.0 and y.grad == 0.0
    z = Value(2.0) * 2.0
    z.data = float("nan")  # set by hand
    assert message_of(ValueError, z.backward) == (
        "backward()'s output is Value(data=nan, grad=0.0, op='*'), whose .data must be finite, got nan; "
        "chainrule rejects NaN and infinity at the boundary (was it set by hand?)"
    )


def test_grads_whose_sum_overflows_but_each_is_finite_are_kept() -> None:
    # d out/dx = d out/dy = 1e308 (by hand): each a float, their sum is not. Nothing overflowed.
    x, y = Value(1e-10, "x"), Value(1e-10, "y")
    out = x * 1e308 + y * 1e308
    for _ in range(2):  # a fresh graph, then one whose .grad is saved and restored around the pass
        out.backward()
        assert (x.grad, y.grad, out.grad) == (1e308, 1e308, 1.0)
        x.grad = y.grad = out.grad = 0.0
        for v in out.inputs:
            v.grad = 0.0
    assert autograd.grad(out, [x, y]) == [1e308, 1e308]
