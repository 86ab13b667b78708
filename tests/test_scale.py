"""Deep and wide graphs: the engine's iterative sort and sweep, sized for CI (no timing asserted).

Every expected gradient is a closed form worked out here; the topological order is compared with a
plain recursive depth-first search written in this file (on graphs small enough to recurse).
"""

from __future__ import annotations

import gc
import math
import random
import weakref

import pytest
from hypothesis import given
from strategies import Dag, dags

import autograd
from autograd import Value, replay, topological_order


def _recursive_postorder(root: Value) -> list[Value]:
    """The definition: visit inputs in order, first visit wins, a node after all of its inputs."""
    order: list[Value] = []
    seen: set[int] = set()

    def visit(v: Value) -> None:
        if id(v) in seen:
            return
        seen.add(id(v))
        for i in v.inputs:
            visit(i)
        order.append(v)

    visit(root)
    return order


@given(dags(max_steps=20))
def test_topological_order_is_the_depth_first_postorder(dag: Dag) -> None:
    out = dag.build()[-1]
    got, want = topological_order(out), _recursive_postorder(out)
    assert [id(v) for v in got] == [id(v) for v in want]


def _chain(n: int, c: float = 0.9999, d: float = 1e-4) -> tuple[Value, Value, Value, Value]:
    """v <- v*c and v <- v+d alternately, c and d shared leaves: n operations, n + 3 nodes."""
    x, cv, dv = Value(0.5, "x"), Value(c, "c"), Value(d, "d")
    v = x
    for i in range(n):
        v = v * cv if i % 2 else v + dv
    return x, cv, dv, v


def test_deep_chain_backward_matches_the_closed_form() -> None:
    n = 200_000
    x, c, d, out = _chain(n)
    assert len(topological_order(out)) == n + 3
    out.backward()
    # out = ((x + d) c + d) c ... = x c^m + d (c + c^2 + ... + c^m) with m = n/2 multiplications.
    m, cc, dd = n // 2, c.data, d.data
    assert math.isclose(out.data, 0.5 * cc**m + dd * sum(cc**k for k in range(1, m + 1)), rel_tol=1e-9)
    assert math.isclose(x.grad, cc**m, rel_tol=1e-9)
    assert math.isclose(d.grad, sum(cc**k for k in range(1, m + 1)), rel_tol=1e-9)
    want_c = m * 0.5 * cc ** (m - 1) + dd * sum(k * cc ** (k - 1) for k in range(1, m + 1))
    assert math.isclose(c.grad, want_c, rel_tol=1e-9)


def test_wide_sum_backward_gives_every_term_its_coefficient() -> None:
    n = 200_000
    leaves = [Value((k % 13) * 0.25) for k in range(n)]
    out = autograd.sum(leaves) * 0.5
    out.backward()
    assert {v.grad for v in leaves} == {0.5}
    assert out.data == 0.5 * sum((k % 13) * 0.25 for k in range(n))


def test_deep_and_wide_ladder_against_forward_mode_by_hand() -> None:
    """500 layers of 8 tanh units, each fed by 3 units of the layer below: the gradient of the sum of
    the top layer with respect to each bottom input, carried forward by hand on floats."""
    rng = random.Random(7)
    width, depth = 8, 500
    wiring = [[tuple(rng.randrange(width) for _ in range(3)) for _ in range(width)] for _ in range(depth)]
    weights = [[tuple(rng.uniform(-0.9, 0.9) for _ in range(3)) for _ in range(width)] for _ in range(depth)]
    xs = [Value(rng.uniform(-1, 1)) for _ in range(width)]
    h: list[Value] = xs
    for layer, ws in zip(wiring, weights):
        h = [autograd.dot(w, [h[a], h[b], h[c]]).tanh() for (a, b, c), w in zip(layer, ws)]
    out = autograd.sum(h)
    out.backward()
    # Forward mode: the Jacobian d h / d x, row by row, on plain floats.
    vals = [x.data for x in xs]
    jac = [[1.0 if i == j else 0.0 for j in range(width)] for i in range(width)]
    for layer, ws in zip(wiring, weights):
        new_vals, new_jac = [], []
        for (a, b, c), w in zip(layer, ws):
            z = w[0] * vals[a] + w[1] * vals[b] + w[2] * vals[c]
            t = math.tanh(z)
            new_vals.append(t)
            dz = [w[0] * jac[a][j] + w[1] * jac[b][j] + w[2] * jac[c][j] for j in range(width)]
            new_jac.append([(1 - t * t) * g for g in dz])
        vals, jac = new_vals, new_jac
    for j, x in enumerate(xs):
        want = sum(row[j] for row in jac)
        assert math.isclose(x.grad, want, rel_tol=1e-9, abs_tol=1e-15)


def test_a_deep_graph_is_freed_without_the_cycle_collector() -> None:
    gc.disable()
    try:
        _, _, _, out = _chain(50_000)
        out.backward()
        probe = weakref.ref(topological_order(out)[len(topological_order(out)) // 2])
        del out
        assert probe() is None  # reference counting alone freed the chain: no cycles
    finally:
        gc.enable()


def test_replay_of_a_deep_chain() -> None:
    x, c, d, out = _chain(5_000)
    step = replay.trace(out, [x, c, d])
    value, grads = step()
    assert value == out.data
    assert grads == autograd.grad(out, [x, c, d])


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["chain", "sum"])
def test_a_million_nodes(kind: str) -> None:
    n = 1_000_000
    if kind == "chain":
        x, _, _, out = _chain(n)
        out.backward()
        assert math.isclose(x.grad, 0.9999 ** (n // 2), rel_tol=1e-9)
    else:
        leaves = [Value(1.0) for _ in range(n)]
        out = autograd.sum(leaves)
        out.backward()
        assert out.data == n and leaves[0].grad == leaves[-1].grad == 1.0
