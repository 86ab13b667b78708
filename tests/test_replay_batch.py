"""autograd.replay.batch: one traced sample run over a batch as array code, equal to the scalar engine.

The reference is the scalar engine: every sample's graph built and differentiated with backward(),
the losses summed by ``autograd.sum`` (and scaled by 1/m for a mean). Matrix products and numpy's
sums add the same terms in another order, and numpy's exp, log and tanh may differ from math's in the
last bit, so results are not bit for bit (they are where nothing is summed in another order: one
sample of an elementwise graph). The loss and every gradient must agree to 1e-12 of themselves: on
the tutorial network and random MLPs, every number. On random graphs, a number whose chain-rule
terms cancel (their sizes add up to over CANCELLING times the result) is checked against 1e-12 of
those sizes instead, the error bound of any summation order: there the result is mostly rounding,
and two orders differ by all of it (docs/matrices.md, "Exactness"). Random graphs whose local
derivatives amplify a last-bit difference in their inputs beyond 1e-13 (1 - tanh**2 near saturation)
are left out by ``assume``; a test counts that this keeps at least 3 graphs in 4 (88 of 100 in CI).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from conftest import need
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import Dag, dags

import autograd
import nn
import nn.lesson
from autograd import Value, ops, replay
from autograd.replay import ReplayMismatch


@pytest.fixture(autouse=True)
def _numpy() -> None:
    """Every test here runs array code on numpy (the writing of code alone needs none: see below)."""
    need("numpy", "pip install 'chainrule[arrays]' (the test extra brings it, through matplotlib)")

TOL = 1e-12
CANCELLING = 100.0  # terms' sizes over |result| beyond which a relative bound means nothing (see above)


def engine(
    per_sample: Callable[..., Value], params: Sequence[Value], X: Sequence[Sequence[float]], Y: Any, mean: bool = True
) -> tuple[float, list[float], float, list[float]]:
    """The scalar engine's loss and gradients, and the size of the terms summed into each (for the tolerance)."""
    losses, sizes, size = [], [0.0] * len(params), 0.0
    for s, row in enumerate(X):
        x = [Value(v) for v in row]
        out = per_sample(x) if Y is None else per_sample(x, _targets(Y[s]))
        losses.append(out)
        sizes = [a + b for a, b in zip(sizes, term_sizes(out, params))]
        size += forward_size(out)
    scale = 1.0 / len(X) if mean else 1.0
    total = autograd.sum(losses) * scale if mean else autograd.sum(losses)
    size *= scale
    return total.data, autograd.grad(total, params), size, [scale * a for a in sizes]


def sizes_of(out: Value) -> dict[int, float]:
    """Per node, the sum of |term| over every chain-rule term of d(out)/d(node): the chain rule with each
    local derivative replaced by its size. A sum of these terms in any order is within a few ulps of it."""
    size = {id(out): 1.0}
    for node in reversed(autograd.topological_order(out)):
        for x, local in zip(node.inputs, node.local_grads):
            size[id(x)] = size.get(id(x), 0.0) + abs(local) * size.get(id(node), 0.0)
    return size


def term_sizes(out: Value, params: Sequence[Value]) -> list[float]:
    size = sizes_of(out)
    return [size.get(id(p), 0.0) for p in params]


def forward_size(out: Value) -> float:
    """sum over nodes of |value| * size: how far out moves when every node's value is off by a relative
    eps (numpy's exp, log and tanh may differ from math's in the last bit)."""
    size = sizes_of(out)
    return sum(abs(n.data) * size.get(id(n), 0.0) for n in autograd.topological_order(out))


def locals_well_conditioned(out: Value) -> bool:
    """Whether every local derivative moves by less than 1e-13 of itself when its op's inputs and
    output move by one part in 2e15: a last-bit difference in exp or tanh cannot then change a
    gradient beyond the tolerance (1 - tanh(x)**2 near saturation fails this)."""
    for node in autograd.topological_order(out):
        op = node._rule
        if op is None:
            continue
        moved = op.local(ops.FLOATS, node.data * (1 + 5e-16), tuple(x.data * (1 + 5e-16) for x in node.inputs),
                         op.param)
        if any(abs(a - b) > 1e-13 * abs(a) for a, b in zip(node.local_grads, moved)):
            return False
    return True


def _targets(y: Any) -> Any:
    return [Value(v) for v in y] if isinstance(y, Sequence) else Value(y)


def assert_equal_to_engine(step: replay.Batch, per_sample: Any, params: Sequence[Value], X: Any, Y: Any,
                           mean: bool = True, cancelling: bool = False) -> int:
    """The loss and every gradient to 1e-12 of itself; with ``cancelling``, a number whose terms cancel
    to 1e-12 of their sizes instead. Returns how many numbers were checked that way."""
    value, grads, size, sizes = engine(per_sample, params, X, Y, mean)
    E, G = step()
    by_sizes = 0
    for what, got, want, bound in [("loss", E, value, size), *zip(params, G.tolist(), grads, sizes)]:
        scale = abs(want)
        if cancelling and bound > CANCELLING * scale:
            scale, by_sizes = bound, by_sizes + 1
        assert abs(got - want) <= TOL * scale, (what, got, want, bound)
    return by_sizes


# --- losses written with the target Values ---------------------------------------------------------


def mse(os: list[Value], ys: list[Value]) -> Value:
    return autograd.sum([(o - y) ** 2 for o, y in zip(os, ys)]) * (1.0 / len(os))


def bce(os: list[Value], ys: list[Value]) -> Value:
    return -autograd.sum([y * o.log() + (1.0 - y) * (1.0 - o).log() for o, y in zip(os, ys)]) * (1.0 / len(os))


def cross_entropy(os: list[Value], ys: list[Value]) -> Value:
    return -autograd.sum([y * o.log() for o, y in zip(os, ys)])


def cross_entropy_with_logits(zs: list[Value], ys: list[Value]) -> Value:
    return autograd.logsumexp(zs) - autograd.dot(ys, zs)


def hinge(os: list[Value], ys: list[Value]) -> Value:
    return autograd.sum([(1.0 + -y * o).relu() for o, y in zip(os, ys)])


LOSSES = {"mse": mse, "bce": bce, "cross_entropy": cross_entropy, "logits": cross_entropy_with_logits, "hinge": hinge}


# --- the tutorial network --------------------------------------------------------------------------


def tutorial_batch(n: int = 5, seed: int = 0) -> tuple[list[list[float]], list[list[float]]]:
    rng = random.Random(seed)
    X = [list(nn.lesson.tutorial.INPUT)] + [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(n - 1)]
    Y = [list(nn.lesson.tutorial.TARGET)] + [[1.0 if j == k % 3 else 0.0 for j in range(3)] for k in range(1, n)]
    return X, Y


def test_the_tutorial_network_batches_into_one_product_per_layer_and_direction() -> None:
    net = nn.lesson.tutorial.network()

    def per_sample(x: list[Value], y: list[Value]) -> Value:
        return cross_entropy(net(x), y)

    X, Y = tutorial_batch()
    step = replay.batch(per_sample, net.parameters(), X, Y)
    assert_equal_to_engine(step, per_sample, net.parameters(), X, Y)
    source = step.source
    for line in ("H1_in = X @ W_ij + b_j", "H1_out = relu(H1_in)", "H2_in = H1_out @ W_jk + b_k",
                 "O_out = softmax(O_in)", "d_W_ij = X.T @ d_H1_in", "d_H1_out = d_H2_in @ W_jk.T",
                 "d_W_kl = H2_out.T @ d_O_in"):
        assert f"    {line}\n" in source, line
    assert source.count(" @ ") == 3 + 3 + 2  # forward; dW per layer; dX for the two layers above the input


def test_the_tutorial_batch_of_one_is_the_tutorials_own_step() -> None:
    net = nn.lesson.tutorial.network()
    step = replay.batch(lambda x, y: cross_entropy(net(x), y), net.parameters(),
                        [list(nn.lesson.tutorial.INPUT)], [list(nn.lesson.tutorial.TARGET)])
    loss = nn.cross_entropy(net(list(nn.lesson.tutorial.INPUT)), nn.lesson.tutorial.TARGET)
    E, G = step()
    for got, want in zip([E, *G.tolist()], [loss.data, *autograd.grad(loss, net.parameters())]):
        assert abs(got - want) <= TOL * abs(want), (got, want)  # numpy's exp, BLAS's order: not bit for bit


# --- random MLPs of every activation and loss -------------------------------------------------------


@settings(max_examples=60)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.lists(st.sampled_from(["relu", "sigmoid", "tanh", "linear"]), min_size=3, max_size=3),
    st.sampled_from(sorted(LOSSES)),
    st.integers(1, 24),  # samples: enough for BLAS and numpy to sum in orders of their own
    st.booleans(),
    st.integers(0, 10**6),
)
def test_random_mlps_of_every_activation_and_loss_equal_the_engine(
    sizes: list[int], acts: list[str], loss: str, m: int, mean: bool, seed: int
) -> None:
    rng = random.Random(seed)
    acts = acts[: len(sizes)]
    if loss in ("bce",):
        acts[-1] = "sigmoid"
    if loss == "cross_entropy":
        acts[-1] = "softmax"
    model = nn.MLP(3, sizes, acts, seed=seed)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(m)]
    k = sizes[-1]
    Y = [[rng.random() if loss in ("bce",) else float(rng.randrange(2)) for _ in range(k)] for _ in range(m)]

    def per_sample(x: list[Value], y: list[Value]) -> Value:
        return LOSSES[loss](model(x), y)

    step = replay.batch(per_sample, model.parameters(), X, Y, reduction="mean" if mean else "sum")
    assert_equal_to_engine(step, per_sample, model.parameters(), X, Y, mean)
    layers = len(sizes)
    forward, backward = step.source.split("# backward")
    assert forward.count(" @ ") == layers  # one matrix product per layer and direction
    assert backward.count(".T @ ") == layers and backward.count(".T\n") == layers - 1
    assert step.slow_calls == 0


# --- graphs of every op -----------------------------------------------------------------------------


GRAPHS = dags(min_leaves=2, max_steps=10)


@settings(max_examples=60)
@given(GRAPHS, st.integers(1, 3), st.integers(1, 4), st.integers(0, 10**6))
def test_random_graphs_batch_and_equal_the_engine_or_raise_its_error(dag: Dag, n_data: int, m: int, seed: int) -> None:
    n_data = min(n_data, len(dag.leaves) - 1)  # the other leaves are params
    rng = random.Random(seed)
    base = list(dag.leaves)
    params = [Value(v) for v in base[n_data:]]

    def per_sample(x: list[Value]) -> Value:
        return dag.build([*x, *params])[-1]

    X = [base[:n_data]] + [[v + rng.uniform(-0.05, 0.05) for v in base[:n_data]] for _ in range(m - 1)]
    assume(locals_well_conditioned(per_sample([Value(v) for v in X[0]])))  # counted below: keeps >= 3 in 4
    try:
        engine(per_sample, params, X, None)
        error = None
    except (ValueError, ZeroDivisionError) as err:  # a row leaves an op's domain
        error = err
    if error is None:
        step = replay.batch(per_sample, params, X)
        assert_equal_to_engine(step, per_sample, params, X, None, cancelling=True)
    else:  # the batch says the same, naming the sample
        step = replay.batch(per_sample, params, X[:1])
        with pytest.raises(type(error), match=r"^sample \d+ of the batch: "):
            step(X)


def test_the_conditioning_assumption_keeps_most_random_graphs() -> None:
    """The ``assume`` above is no vacuous filter: over the same graphs, at least 3 in 4 are kept."""
    kept: list[bool] = []

    @settings(max_examples=100, database=None)
    @given(GRAPHS)
    def draw(dag: Dag) -> None:
        kept.append(locals_well_conditioned(dag.build([Value(v) for v in dag.leaves])[-1]))

    draw()
    assert len(kept) >= 50 and sum(kept) >= 0.75 * len(kept), f"{sum(kept)} of {len(kept)} kept"


def test_a_sum_that_cancels_is_checked_against_its_terms_sizes() -> None:
    """docs/matrices.md's example: one weight's gradient is the sum of three samples' terms 0.1, 0.2, -0.3."""
    w = Value(1.0)
    X = [[0.1], [0.2], [-0.3]]
    step = replay.batch(lambda x: x[0] * w, [w], X, reduction="sum")
    orders = {(0.1 + 0.2) + -0.3, 0.1 + (0.2 + -0.3)}
    assert orders == {5.551115123125783e-17, 2.7755575615628914e-17}  # two correct sums, 2x apart
    assert step()[1][0] in orders and engine(lambda x: x[0] * w, [w], X, None, mean=False)[1][0] in orders
    by_sizes = assert_equal_to_engine(step, lambda x: x[0] * w, [w], X, None, mean=False, cancelling=True)
    assert by_sizes == 2  # the loss and the gradient: both are that sum


# --- structure the lifting cannot find still batches ---------------------------------------------------


def test_a_micrograd_style_network_batches_elementwise_and_exactly() -> None:
    rng = random.Random(3)
    W1 = [[Value(rng.uniform(-1, 1)) for _ in range(2)] for _ in range(4)]
    b1 = [Value(0.1 * j) for j in range(4)]
    w2 = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    params = [p for row in W1 for p in row] + b1 + w2

    def per_sample(x: list[Value], y: Value) -> Value:
        h = [(sum((w * xi for w, xi in zip(row, x)), b)).relu() for row, b in zip(W1, b1)]
        score = sum((w * hi for w, hi in zip(w2, h)), Value(0.0))
        hinge = (1.0 + -y * score).relu()
        return hinge + 1e-4 * sum((p * p for p in params), Value(0.0))

    X = [[rng.uniform(-2, 2) for _ in range(2)] for _ in range(7)]
    Y = [rng.choice([-1.0, 1.0]) for _ in range(7)]
    step = replay.batch(per_sample, params, X, Y)
    assert_equal_to_engine(step, per_sample, params, X, Y)
    assert " @ " not in step.source  # no dot nodes: nothing to make a matrix product of
    value, grads, _, _ = engine(per_sample, params, X[:1], Y[:1])
    E, G = step(X[:1], Y[:1])
    assert (E, G.tolist()) == (value, grads)  # one sample, nothing summed in another order: bit for bit


# --- the replay's promises ---------------------------------------------------------------------------


def _model_and_loss() -> tuple[nn.MLP, Callable[..., Value]]:
    model = nn.MLP(2, [4, 1], ["relu", "linear"], seed=5)
    return model, lambda x, y: hinge(model(x), [y])


def test_params_are_read_at_each_call_and_sgd_and_backward_act_like_the_engine() -> None:
    model, per_sample = _model_and_loss()
    rng = random.Random(1)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(20)]
    Y = [rng.choice([-1.0, 1.0]) for _ in range(20)]
    step = replay.batch(per_sample, model.parameters(), X, Y)
    for _ in range(3):
        before = [p.data for p in model.parameters()]
        _, want, _, _ = engine(per_sample, model.parameters(), X, Y)
        step.sgd(0.5)
        for p, old, g in zip(model.parameters(), before, want):
            assert p.data == pytest.approx(old - 0.5 * g, rel=1e-12, abs=1e-14)
    model.zero_grad()
    loss = step.backward()
    assert loss == pytest.approx(engine(per_sample, model.parameters(), X, Y)[0], rel=1e-12)
    assert [p.grad for p in model.parameters()] == pytest.approx(step()[1].tolist(), rel=1e-15)


def test_new_data_of_any_size_can_be_passed() -> None:
    model, per_sample = _model_and_loss()
    step = replay.batch(per_sample, model.parameters(), [[0.5, -0.5]], [1.0])
    X, Y = [[0.1 * k, -0.2 * k] for k in range(9)], [(-1.0) ** k for k in range(9)]
    value, grads, _, _ = engine(per_sample, model.parameters(), X, Y)
    E, G = step(X, Y)
    assert pytest.approx(value, rel=1e-12) == E
    assert G.tolist() == pytest.approx(grads, rel=1e-12, abs=1e-15)
    with pytest.raises(ValueError, match="takes X with 2 columns"):
        step([[1.0, 2.0, 3.0]], [1.0])


def test_an_op_outside_its_domain_raises_the_engines_error_naming_the_sample() -> None:
    w = Value(1.0)
    step = replay.batch(lambda x: (x[0] * w).log(), [w], [[1.0], [2.0]])
    assert step()[0] == pytest.approx(math.log(2.0) / 2)
    with pytest.raises(ValueError, match=r"^sample 1 of the batch: log\(-2.0\) is undefined"):
        step([[1.0], [-2.0]])
    with pytest.raises(ValueError, match=r"^sample 0 of the batch: exp\(800.0\) overflows"):
        replay.batch(lambda x: (x[0] * w).exp(), [w], [[1.0]])([[800.0]])
    assert step.slow_calls == 1


def test_a_param_that_is_not_finite_raises_the_engines_error_and_changes_nothing() -> None:
    model, per_sample = _model_and_loss()
    step = replay.batch(per_sample, model.parameters(), [[0.5, -0.5], [1.0, 2.0]], [1.0, -1.0])
    for bad in (math.nan, math.inf):
        model.parameters()[3].data = bad
        before = [p.data for p in model.parameters()]
        with pytest.raises(ValueError, match=r"param 3 .* must be finite"):
            step.sgd(0.1)
        after = [p.data for p in model.parameters()]
        assert after[:3] + after[4:] == before[:3] + before[4:]  # nothing half-applied
    assert step.slow_calls == 2


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_sgd_reuses_only_its_own_numbers_and_refuses_an_update_past_the_floats() -> None:
    model, per_sample = _model_and_loss()
    X, Y = [[0.5, -0.5], [1.0, 2.0]], [1.0, -1.0]
    step = replay.batch(per_sample, model.parameters(), X, Y)
    step.sgd(0.1)
    p = model.parameters()[0]
    p.data = -p.data  # changed by the user between steps: the next step reads it
    want = engine(per_sample, model.parameters(), X, Y)[1]
    assert step()[1].tolist() == pytest.approx(want, rel=1e-12)
    step.sgd(0.1)
    p.data = -0.0  # set again, to a zero: read as it is
    assert step()[1].tolist() == pytest.approx(engine(per_sample, model.parameters(), X, Y)[1], rel=1e-12)
    w = Value(-1e308)
    step = replay.batch(lambda x: x[0] * w, [w], [[1.0]])
    with pytest.raises(ValueError, match=r"lr=1e\+308 takes a param beyond the largest float; no param was changed"):
        step.sgd(1e308)
    assert w.data == -1e308


def test_sgd_takes_params_whose_sum_passes_the_largest_float() -> None:
    # Each param is a float, their sum is not: the step is still taken. By hand: d(loss)/dw = x = 1e-300.
    w, v = Value(1e308), Value(1e308)
    step = replay.batch(lambda x: x[0] * w + x[0] * v, [w, v], [[1e-300]])
    assert step.sgd(1.0) == pytest.approx(2e8, rel=1e-12)
    assert (w.data, v.data) == (1e308 - 1e-300, 1e308 - 1e-300) and step.slow_calls == 0


def test_the_gradient_is_one_concatenation_of_the_layers_dW_and_db() -> None:
    model, per_sample = _model_and_loss()
    source = replay.batch(per_sample, model.parameters(), [[0.5, -0.5]], [1.0]).source
    assert "    G = concatenate([d_W_ij.ravel(), d_b_j, d_W_jk.ravel(), d_b_k])\n" in source
    assert "G[" not in source and "zeros(P" not in source


def test_the_gradient_is_concatenated_only_where_that_keeps_the_order_of_its_additions() -> None:
    # Two L2 terms reach each param before its layer's dW: (a + b) + dW need not equal (dW + a) + b,
    # so G starts from zeros and takes its terms in their order; one term commutes with dW.
    model, _ = _model_and_loss()
    params = model.parameters()

    def l2(scale: float) -> Value:
        return scale * autograd.sum([p * p for p in params])

    X, Y = [[0.5, -0.5], [1.0, 2.0]], [1.0, -1.0]
    for terms, start in (([1e-3], "G = concatenate("), ([1e-3, 1e-4], "G = zeros(P.shape[0])")):
        def per_sample(x: list[Value], y: Value, terms: list[float] = terms) -> Value:
            return hinge(model(x), [y]) + autograd.sum([l2(t) for t in terms])

        step = replay.batch(per_sample, params, X, Y)
        assert f"    {start}" in step.source
        _, want, _, _ = engine(per_sample, params, X, Y)
        assert step()[1].tolist() == pytest.approx(want, rel=1e-12)


def test_a_changed_constant_and_a_branch_in_user_code_are_caught() -> None:
    w, c = Value(2.0), Value(3.0)
    step = replay.batch(lambda x: x[0] * w + c, [w], [[1.0], [-1.0]])
    c.data = 4.0
    with pytest.raises(ReplayMismatch, match=r"was 3\.0 when traced"):
        step()
    c.data = 3.0

    def branchy(x: list[Value]) -> Value:
        return x[0] * w if x[0].data > 0 else x[0] + w

    step = replay.batch(branchy, [w], [[1.0], [-1.0]])
    step.check([0])
    with pytest.raises(ReplayMismatch, match="sample 1"):
        step.check([1])


def test_bad_arguments_are_refused_in_the_users_words() -> None:
    model, per_sample = _model_and_loss()
    params = model.parameters()
    with pytest.raises(ValueError, match="reduction is 'mean' or 'sum'"):
        replay.batch(per_sample, params, [[0.0, 1.0]], [1.0], reduction="max")
    with pytest.raises(ValueError, match="backend is one of numpy, torch"):
        replay.batch(per_sample, params, [[0.0, 1.0]], [1.0], backend="jax")
    with pytest.raises(ValueError, match="row 1 must be 2 numbers"):
        replay.batch(per_sample, params, [[0.0, 1.0], [1.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match="X has 1 rows but Y has 2"):
        replay.batch(per_sample, params, [[0.0, 1.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match="must be finite"):
        replay.batch(per_sample, params, [[0.0, math.inf]], [1.0])
    with pytest.raises(ValueError, match="does not use the targets y as Values"):
        replay.batch(lambda x, y: hinge(model(x), [y.data]), params, [[0.0, 1.0]], [1.0])
    with pytest.raises(TypeError, match="must return the sample's loss as a Value"):
        replay.batch(lambda x, y: 1.0, params, [[0.0, 1.0]], [1.0])


def test_the_code_is_written_without_numpy() -> None:
    import subprocess
    import sys

    program = (
        "import sys; sys.modules['numpy'] = None\n"
        "import nn\nfrom autograd import replay\n"
        "model = nn.MLP(2, [3, 1], ['relu', 'linear'], seed=0)\n"
        "print(replay.batch_source(lambda x, y: (model(x)[0] - y) ** 2, model.parameters(), [0.0, 1.0], 1.0))\n"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
    assert "    Z1 = X @ W_" in out


def test_the_torch_backend_runs_the_same_code() -> None:
    torch = need("torch", "pip install torch==2.13.0 (or make test)")
    net = nn.lesson.tutorial.network()
    X, Y = tutorial_batch(6, seed=2)

    def per_sample(x: list[Value], y: list[Value]) -> Value:
        return cross_entropy(net(x), y)

    ours = replay.batch(per_sample, net.parameters(), X, Y)
    theirs = replay.batch(per_sample, net.parameters(), X, Y, backend="torch")
    assert theirs.source == ours.source
    E, G = theirs()
    assert isinstance(G, torch.Tensor) and G.dtype == torch.float64
    assert_equal_to_engine(theirs, per_sample, net.parameters(), X, Y)
    assert pytest.approx(ours()[0], rel=1e-12) == E
    before = [p.data for p in net.parameters()]
    assert pytest.approx(E, rel=1e-12) == theirs.sgd(0.1)
    assert [p.data for p in net.parameters()] == pytest.approx(
        [p - 0.1 * g for p, g in zip(before, G.tolist())], rel=1e-12, abs=1e-15)
    assert pytest.approx(ours()[0], rel=1e-12) == theirs.sgd(0.1)  # its own tensor of the params, reused


def test_the_demo_shows_the_tutorials_step_as_derived_matrix_code() -> None:
    from nn.lesson import matrices

    for loss in ("tutorial", "categorical"):
        lines = matrices.section(loss)
        text = "\n".join(lines)
        assert "    H1_in = X @ W_ij + b_j" in text and "[X row] x W_ij + b_j = [H1_in row]" in text
        assert "    d_W_ij = X.T @ d_H1_in" in text and "    d_H1_out = d_H2_in @ W_jk.T" in text
        assert "agree with the engine's to" in text
        assert max(len(line) for line in lines) <= 100


def test_shared_weights_and_a_dot_with_another_rule_stay_exact() -> None:
    rng = random.Random(4)
    w = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    b = Value(0.5)
    params = [*w, b]

    def per_sample(x: list[Value], y: Value) -> Value:
        # Two neurons of one layer share w[0] and b: the gradient adds both uses (add_at, not +=).
        h = [autograd.dot([w[0], w[1]], x, b).tanh(), autograd.dot([w[2], w[0]], x, b).tanh()]
        return (autograd.dot([w[1], w[2]], h) - y) ** 2

    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(6)]
    Y = [rng.uniform(-1, 1) for _ in range(6)]
    step = replay.batch(per_sample, params, X, Y)
    assert "add_at(G, " in step.source and "X @ W" in step.source
    assert_equal_to_engine(step, per_sample, params, X, Y)


def test_a_dot_whose_rule_is_not_the_bilinear_one_is_not_made_a_matrix_product() -> None:
    from autograd.ops import Op, _dot

    def scaled(m: Any, out: Any, xs: Any, n: int) -> tuple[Any, ...]:
        return tuple(2.0 * v for v in (*xs[n:], *xs[:n]))  # a different (wrong, on purpose) rule

    op = Op("scaled_dot", _dot, scaled, 2)
    w = [Value(0.3), Value(-0.7)]
    step = replay.batch(lambda x: autograd.apply(op, *w, *x), w, [[1.0, 2.0], [3.0, 4.0]])
    assert " @ " not in step.source
    _, G = step()
    assert G.tolist() == pytest.approx([2.0 * 2.0, 2.0 * 3.0], rel=1e-15)  # its own rule, summed: mean of 2*x


def test_a_rule_calling_a_function_without_a_code_form_runs_on_floats(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd import ops
    from autograd.ops import Op

    # A rule-namespace function the code writers do not know, as a newly registered one would be.
    monkeypatch.setattr(ops.FLOATS, "square", lambda x: x * x, raising=False)
    op = Op("cube", lambda xs, p: xs[0] ** 3, lambda m, out, xs, p: (3.0 * m.square(xs[0]),))
    w = Value(0.5)

    def per_sample(x: list[Value]) -> Value:
        return autograd.apply(op, x[0] * w)

    X = [[1.0], [2.0], [-1.5]]
    assert_equal_to_engine(replay.batch(per_sample, [w], X), per_sample, [w], X, None)
    out = per_sample([Value(2.0)])
    assert replay.trace(out, [w])() == (out.data, autograd.grad(out, [w]))


def test_the_same_params_read_as_a_row_and_as_a_matrix() -> None:
    w, v = Value(0.5), Value(-1.5)

    def per_sample(x: list[Value]) -> Value:
        return (0.3 * w).sigmoid() + v * autograd.dot([w], x)  # w as a row of one, and as a 1x1 matrix

    X = [[0.25], [-1.0], [2.0]]
    step = replay.batch(per_sample, [w, v], X)
    assert_equal_to_engine(step, per_sample, [w, v], X, None)


def test_sin_cos_and_sqrt_batch_as_array_functions() -> None:
    w = Value(0.3)

    def per_sample(x: list[Value]) -> Value:
        z = x[0] * w
        return z.sin() * z.cos() + (z * z + 1.0).sqrt()

    X = [[1.0], [2.0], [-0.5]]
    step = replay.batch(per_sample, [w], X)
    assert "elementwise(" not in step.source and "cos(" in step.source
    assert_equal_to_engine(step, per_sample, [w], X, None)
