"""Independent oracles where other tests compare the engine with itself (issue 21).

grad()'s float pass was checked only against its own create_graph pass (the same rules twice); here it
meets finite differences of the plain-math reference, for leaves and for intermediate nodes.
"""

from __future__ import annotations

from hypothesis import assume, given
from strategies import Dag, LeftDomain, close, dags, fd_derivative
from test_backward import central_bump

import autograd


@given(dags())
def test_grad_float_pass_matches_finite_differences_at_every_node(dag: Dag) -> None:
    nodes = dag.build()
    got = autograd.grad(nodes[-1], nodes)
    n_leaves = len(dag.leaves)
    try:
        want = [
            fd_derivative(dag.output_at, dag.leaves, j) if j < n_leaves else central_bump(dag, j)
            for j in range(len(nodes))
        ]
    except LeftDomain:  # a difference crossed a kink or a domain edge: no independent number here
        assume(False)
    for j, (g, w) in enumerate(zip(got, want)):
        assert close(g, w), f"node {j} ({nodes[j]!r}): grad() gave {g}, finite differences {w}"
    assert all(n.grad == 0.0 for n in nodes)  # and it left every .grad alone


@given(dags(max_steps=6))
def test_grad_of_a_repeated_input_is_the_same_number_twice(dag: Dag) -> None:
    nodes = dag.build()
    (leaf, *_) = nodes
    once = autograd.grad(nodes[-1], [leaf])
    try:
        want = fd_derivative(dag.output_at, dag.leaves, 0)
    except LeftDomain:
        assume(False)
    assert autograd.grad(nodes[-1], [leaf, leaf]) == once * 2 and close(once[0], want)
