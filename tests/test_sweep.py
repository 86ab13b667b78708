"""One sweep: every client of the chain rule gives backward()'s numbers bit for bit, hooks included."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from strategies import Dag, dags

import autograd
from autograd import Value
from autograd.diagnose import diagnose
from autograd.diagnose.derivation import Graph, exact_forward, sweep
from autograd.steps import Step
from autograd.sweep import gradients

SCALES = (10.0, -0.5, 3.0)


def _hook(scale: float | None) -> Any:
    # A hook that replaces the gradient (works on floats and on Values), or one that only looks.
    if scale is None:
        return lambda g: None
    return lambda g: g * scale


def _final_totals(output: Value) -> dict[Value, float]:
    """Each Value's gradient as backward_steps leaves it: its hook step's ``after``, else its last total."""
    found: dict[Value, float] = {output: 1.0}
    for s in autograd.backward_steps(output):
        if s.kind == "hook":
            found[s.node] = s.after  # type: ignore[union-attr]
        else:
            assert isinstance(s, Step)
            if s.sent:
                found[s.receiver] = s.total
    return found


def _check_every_client(nodes: list[Value]) -> None:
    out = nodes[-1]
    order = autograd.topological_order(out)
    out.backward()
    want = [v.grad for v in order]
    assert all(isinstance(g, float) for g in want)
    assert autograd.grad(out, order) == want
    assert [g.data for g in autograd.grad(out, order, create_graph=True)] == want
    by_steps = _final_totals(out)
    assert [by_steps.get(v, 0.0) for v in order] == want
    truth = sweep(exact_forward(Graph(out)), None).grads
    assert [truth.get(v, 0.0) for v in order] == want
    assert [number(g) for g in (gradients(out, values=True).get(v, 0.0) for v in order)] == want
    autograd.zero_grad(out)
    out.backward(create_graph=True)
    assert [number(v.grad) for v in order] == want


def number(g: Any) -> float:
    return g.data if isinstance(g, Value) else g


@given(dags())
def test_every_client_equals_backward_bit_for_bit(dag: Dag) -> None:
    _check_every_client(dag.build())


@given(dags(), st.data())
def test_every_client_equals_backward_bit_for_bit_with_hooks(dag: Dag, data: st.DataObject) -> None:
    nodes = dag.build()
    hooked = data.draw(st.lists(st.sampled_from(range(len(nodes))), max_size=4, unique=True), label="hooked")
    for i in hooked:
        nodes[i].register_hook(_hook(data.draw(st.sampled_from((None, *SCALES)), label=f"scale {i}")))
    _check_every_client(nodes)


def test_the_issues_hook_example_gives_120_everywhere() -> None:
    # y = 2 h, h = x * x, x = 3; the hook multiplies dy/dh = 2 by 10, so dy/dx = 20 * 2x = 120.
    x = Value(3.0, "x")
    h = x * x
    h.register_hook(lambda g: g * 10)
    y = h * 2
    y.backward()
    assert x.grad == 120.0
    assert autograd.grad(y, [x]) == [120.0]
    assert _final_totals(y)[x] == 120.0
    hooks = [s for s in autograd.backward_steps(y) if s.kind == "hook"]
    assert [(s.node, s.before, s.after) for s in hooks] == [(h, 2.0, 20.0)]  # type: ignore[union-attr]
    report = diagnose(y, grads={"x": "120.0"})
    assert report["x"].exact == 120.0 and report["x"].verdict == "agrees"


def test_a_hook_on_a_leaf_is_a_step_of_its_own() -> None:
    x = Value(2.0, "x")
    x.register_hook(lambda g: g + 1.0)
    y = x * x  # dy/dx = 4, then the hook adds 1
    steps = autograd.backward_steps(y)
    assert [s.kind for s in steps] == ["edge", "edge", "hook"]
    assert (steps[-1].before, steps[-1].after) == (4.0, 5.0)  # type: ignore[union-attr]
    y.backward()
    assert x.grad == 5.0


def test_backward_steps_without_hooks_runs_none() -> None:
    calls: list[float] = []
    x = Value(2.0)
    y = x * 3.0
    y.register_hook(calls.append)
    assert [s.kind for s in autograd.backward_steps(y, hooks=False)] == ["edge", "edge"]
    assert calls == []
