"""autograd.replay: a traced step, replayed from floats, gives the dynamic engine's numbers bit for bit.

The reference throughout is the dynamic engine (``backward()`` on a freshly built graph), which the
other test files check against finite differences; the tutorial network is also checked against an
independent float implementation. "Bit for bit" is compared through ``float.hex`` (so -0.0 and 0.0
differ), never with a tolerance.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import OP_NAMES, OPS, Dag, close, dags, fd_derivative, op_args

import autograd
import nn.lesson
from autograd import Value, ops, replay
from autograd.replay import Expr, ReplayMismatch


def bits(xs: list[float]) -> list[str]:
    return [float(x).hex() for x in xs]


def dynamic(output: Value, params: list[Value]) -> tuple[float, list[float]]:
    """The engine's own answer: output and d(output)/d(param), computed by backward()."""
    return output.data, autograd.grad(output, params)


def same(a: tuple[float, list[float]], b: tuple[float, list[float]]) -> None:
    assert float(a[0]).hex() == float(b[0]).hex()
    assert bits(a[1]) == bits(b[1])


def _error(fn: Any) -> tuple[type, str] | None:
    try:
        fn()
    except (ValueError, ZeroDivisionError) as e:
        return type(e), str(e)
    return None


# --- random graphs of every op -----------------------------------------------------------------------


@given(dags(max_steps=14))
def test_replay_equals_backward_bit_for_bit_on_random_dags(dag: Dag) -> None:
    nodes = dag.build()
    leaves, out = nodes[: len(dag.leaves)], nodes[-1]
    step = replay.trace(out, leaves)
    same(step(), dynamic(out, leaves))
    assert step.slow_calls == 0


@given(dags(max_steps=12), st.data())
def test_replay_at_new_values_equals_a_rebuilt_graph_or_raises_the_same_error(dag: Dag, data: st.DataObject) -> None:
    nodes = dag.build()
    leaves, out = nodes[: len(dag.leaves)], nodes[-1]
    step = replay.trace(out, leaves)
    new = [x + data.draw(st.floats(-0.5, 0.5)) for x in dag.leaves]
    for leaf, x in zip(leaves, new):
        leaf.data = x
    fresh_leaves = [Value(x) for x in new]
    rebuilt: dict[str, Any] = {}

    def rebuild() -> None:
        rebuilt["out"] = dag.build(fresh_leaves)[-1]

    error = _error(rebuild)
    if error is None:
        error = _error(lambda: rebuilt.update(result=dynamic(rebuilt["out"], fresh_leaves)))
    if error is not None:  # the new values leave an op's domain: the replay must say the same
        assert _error(step) == error
    else:
        same(step(), rebuilt["result"])


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=15)
@given(data=st.data())
def test_every_op_replays_exactly_at_new_inputs(name: str, data: st.DataObject) -> None:
    """Each op's forward template and symbolic derivative rule against the op itself, at fresh inputs."""
    case = OPS[name]
    xs, param = data.draw(op_args(case))
    leaves = [Value(x) for x in xs]
    step = replay.trace(case.build(leaves, param), leaves)
    ys = tuple(data.draw(case.domain(i, param).strategy()) for i in range(len(xs)))  # same shape, new numbers
    fresh = [Value(y) for y in ys]
    for leaf, y in zip(leaves, ys):
        leaf.data = y
    same(step(), dynamic(case.build(fresh, param), fresh))


def test_every_forward_template_is_listed_against_a_real_op() -> None:
    # The template table is keyed by the ops' forward functions: all must exist in ops.
    op_functions = {v for v in vars(ops).values() if callable(v)}
    assert set(replay._FORWARD) <= op_functions


# --- networks --------------------------------------------------------------------------------------


@settings(max_examples=25)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.lists(st.sampled_from(["relu", "sigmoid", "tanh", "linear"]), min_size=3, max_size=3),
    st.integers(0, 10**6),
)
def test_random_mlps_train_identically_with_replay_and_backward(sizes: list[int], acts: list[str], seed: int) -> None:
    rng = random.Random(seed)
    acts = acts[: len(sizes)]
    points = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(4)]
    targets = [rng.uniform(-1, 1) for _ in range(4)]
    dyn, rep = (nn.MLP(3, sizes, acts, seed=seed) for _ in range(2))
    xs = [[Value(x) for x in row] for row in points]

    def loss(model: nn.MLP) -> Value:
        outs = [model(row)[0] for row in xs]
        return autograd.sum([(o - t) ** 2 for o, t in zip(outs, targets)]) * 0.25

    step = replay.trace(loss(rep), rep.parameters())
    for _ in range(4):  # relus switch sides as the weights move; the replay must follow
        ours = step()
        theirs = dynamic(loss(dyn), dyn.parameters())
        same(ours, theirs)
        for p, q, g in zip(rep.parameters(), dyn.parameters(), ours[1]):
            p.data -= 0.3 * g
            q.data -= 0.3 * g
    assert step.slow_calls == 0


def _tutorial_loss(net: nn.MLP) -> Value:
    return nn.cross_entropy(net(list(nn.lesson.tutorial.INPUT)), nn.lesson.tutorial.TARGET)


def _tutorial_loss_by_hand(ps: list[float]) -> float:
    """The tutorial network's loss on plain floats, from the parameter list in net.parameters() order."""
    # The parameters are found by their labels (W_i1j1, b_j1, ...: the tutorial's names), not by their order.
    value = {p.label: v for p, v in zip(nn.lesson.tutorial.network().parameters(), ps)}
    h = list(nn.lesson.tutorial.INPUT)
    for (src, dst), act in zip((("i", "j"), ("j", "k"), ("k", "l")), ("relu", "sigmoid", "softmax")):
        z = [
            sum(value[f"W_{src}{i + 1}{dst}{j + 1}"] * h[i] for i in range(3)) + value[f"b_{dst}{j + 1}"]
            for j in range(3)
        ]
        if act == "relu":
            h = [max(0.0, v) for v in z]
        elif act == "sigmoid":
            h = [1.0 / (1.0 + math.exp(-v)) for v in z]
        else:
            e = [math.exp(v) for v in z]
            h = [v / sum(e) for v in e]
    return -sum(y * math.log(o) for y, o in zip(nn.lesson.tutorial.TARGET, h) if y)


def test_tutorial_network_replay_is_exact_and_matches_an_independent_computation() -> None:
    net = nn.lesson.tutorial.network()
    params = net.parameters()
    loss = _tutorial_loss(net)
    step = replay.trace(loss, params)
    value, grads = step()
    same((value, grads), dynamic(loss, params))
    ps = [p.data for p in params]
    assert close(value, _tutorial_loss_by_hand(ps), rtol=1e-12, atol=0.0)
    for i, g in enumerate(grads):
        assert close(g, fd_derivative(_tutorial_loss_by_hand, ps, i), rtol=1e-7, atol=1e-9)


def test_tutorial_replay_source_reads_as_the_backward_pass_written_out() -> None:
    net = nn.lesson.tutorial.network()
    source = replay.trace(_tutorial_loss(net), net.parameters()).source
    assert source.startswith("def replay_step(params, inputs):")
    # Forward lines named after the tutorial's quantities, the relu as its rule, the softmax once.
    assert "    h1_out1 = h1_in1 if h1_in1 > 0.0 else 0.0\n" in source
    assert source.count("softmax((O_in1, O_in2, O_in3))") == 1
    # Backward lines: the sigmoid rule out*(1-out), the chain-rule sum over a node's users, dE/dW = x * delta.
    assert "d_h2_in1 = h2_out1 * (1.0 - h2_out1) * d_h2_out1\n" in source
    assert "d_h2_out1 = W_k1l3 * d_O_in3 + W_k1l2 * d_O_in2 + W_k1l1 * d_O_in1\n" in source
    assert "d_W_i3j1 = 0.7 * d_h1_in1\n" in source
    # Tracing is deterministic: the same graph gives the same code.
    assert replay.trace(_tutorial_loss(net), net.parameters()).source == source


def test_tutorial_replay_trains_like_sgd_on_the_dynamic_graph() -> None:
    dyn, rep = nn.lesson.tutorial.network(), nn.lesson.tutorial.network()
    opt = nn.SGD(dyn.parameters(), lr=0.5)
    step = replay.trace(_tutorial_loss(rep), rep.parameters())
    for _ in range(20):
        loss = _tutorial_loss(dyn)
        opt.zero_grad()
        loss.backward()
        opt.step()
        value, grads = step()
        for p, g in zip(rep.parameters(), grads):
            p.data -= 0.5 * g
        assert float(value).hex() == float(loss.data).hex()
    assert bits([p.data for p in rep.parameters()]) == bits([p.data for p in dyn.parameters()])


# --- inputs, constants and mismatches --------------------------------------------------------------


def test_inputs_are_read_at_each_call_and_can_be_passed() -> None:
    w, b = Value(0.5, "w"), Value(-0.25, "b")
    x = Value(2.0, "x")
    step = replay.trace((w * x + b).tanh(), [w, b], inputs=[x])
    for new in (3.0, -1.5, 0.0):
        fresh = Value(new)
        want = dynamic((w * fresh + b).tanh(), [w, b])
        same(step([new]), want)
        x.data = new
        same(step(), want)
    with pytest.raises(ValueError, match="takes 1 input"):
        step([1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        step([math.nan])


def test_a_changed_constant_is_a_mismatch() -> None:
    w, c = Value(1.5, "w"), Value(2.0, "c")
    step = replay.trace(w * c, [w])
    assert step() == (3.0, [2.0])
    c.data = 4.0
    with pytest.raises(ReplayMismatch, match=r"constant leaf .*inputs="):
        step()


def test_check_accepts_the_same_shape_and_catches_a_branch_taken_differently() -> None:
    x = Value(1.0, "x")

    def build() -> Value:
        # A branch in user code: invisible to the trace, visible to check().
        return x * 2.0 if x.data > 0 else x * x

    step = replay.trace(build(), [x])
    step.check(build())
    x.data = 3.0
    step.check(build())
    assert step()[1] == [2.0]
    x.data = -1.0
    with pytest.raises(ReplayMismatch):
        step.check(build())
    with pytest.raises(ReplayMismatch, match="constant"):
        step.check(x * 3.0)
    with pytest.raises(ReplayMismatch, match="nodes"):
        step.check(x * 2.0 + 1.0)


# A custom op whose derivative rule branches on its input: |x| with d|x|/dx = 1 or -1.
def _abs_forward(xs: tuple[float, ...], p: Any) -> float:
    return abs(xs[0])


def _abs_local(m: Any, out: Any, xs: Any, p: Any) -> tuple[Any, ...]:
    return (1.0,) if xs[0] > 0.0 else (-1.0,)


ABS = ops.Op("abs", _abs_forward, _abs_local)


def test_a_rule_that_branches_becomes_a_guard_and_a_failed_guard_stays_exact() -> None:
    x = Value(2.0, "x")
    step = replay.trace(autograd.apply(ABS, x) * 3.0, [x])
    assert "raise GuardFailed" in step.source and "abs" in step.source
    x.data = 5.0
    assert step() == (15.0, [3.0]) and step.slow_calls == 0
    x.data = -5.0  # the rule takes the other branch: computed op by op, still exact
    assert step() == (15.0, [-3.0]) and step.slow_calls == 1


def test_errors_are_the_engines_own() -> None:
    w = Value(2.0, "w")
    step = replay.trace((w - 1.0).log() + (w * 100.0).exp() / w, [w])
    for bad in (0.5, 8.0, 0.0):  # log of a negative; exp overflow; division by zero
        w.data = bad
        fresh = Value(bad)
        want = _error(lambda f=fresh: (f - 1.0).log() + (f * 100.0).exp() / f)
        assert want is not None and _error(step) == want


def test_an_overflowing_gradient_raises_like_backward() -> None:
    w = Value(1e-300, "w")
    y = w * 1e200 * 1e200  # the value is finite (1e100), d/dw = 1e400 is not
    with pytest.raises(ValueError, match="overflowed to inf"):
        autograd.grad(y, [w])
    step = replay.trace(y, [w])
    with pytest.raises(ValueError, match="overflowed to inf"):
        step()
    assert step.slow_calls == 1  # the fast path saw the inf and handed over to the op-by-op path


def test_trace_refuses_what_it_cannot_replay() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    with pytest.raises(ValueError, match="leaves"):
        replay.trace(c * 2.0, [c])
    with pytest.raises(ValueError, match="twice"):
        replay.trace(c, [a, a])
    with pytest.raises(ValueError, match="both"):
        replay.trace(c, [a], inputs=[a])
    with pytest.raises(TypeError, match="list of Values"):
        replay.trace(c, a)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="output Value"):
        replay.trace(1.0, [a])  # type: ignore[arg-type]
    handle = c.register_hook(lambda g: g)
    with pytest.raises(ValueError, match="hooks"):
        replay.trace(c, [a])
    handle.remove()
    unused = Value(7.0)
    assert replay.trace(c, [a, unused, b])() == (2.0, [2.0, 0.0, 1.0])


def test_backward_accumulates_like_the_engine() -> None:
    a = Value(3.0)
    step = replay.trace(a * a * a, [a])
    assert step.backward() == 27.0
    step.backward()
    assert a.grad == 54.0


def test_a_param_that_is_the_output() -> None:
    a = Value(3.0)
    assert replay.trace(a, [a])() == (3.0, [1.0])


# --- the code printer -------------------------------------------------------------------------------

_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


@st.composite
def expressions(draw: st.DrawFn, depth: int = 4) -> Any:
    """A random arithmetic tree: ('leaf', k) | ('const', c) | ('neg', e) | (op, e1, e2) | ('pow', e, c)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            return ("leaf", draw(st.integers(0, 2)))
        return ("const", draw(st.floats(-4, 4).filter(lambda c: abs(c) > 1e-3)))
    kind = draw(st.sampled_from(["+", "-", "*", "/", "neg", "pow"]))
    if kind == "neg":
        return ("neg", draw(expressions(depth - 1)))
    if kind == "pow":
        return ("pow", draw(expressions(depth - 1)), draw(st.sampled_from([2.0, 3.0, -1.0])))
    return (kind, draw(expressions(depth - 1)), draw(expressions(depth - 1)))


def _evaluate(tree: Any, leaves: list[Any]) -> Any:
    kind = tree[0]
    if kind == "leaf":
        return leaves[tree[1]]
    if kind == "const":
        return tree[1]
    if kind == "neg":
        return -_evaluate(tree[1], leaves)
    if kind == "pow":
        return _evaluate(tree[1], leaves) ** tree[2]
    return _BINARY[kind](_evaluate(tree[1], leaves), _evaluate(tree[2], leaves))


@given(expressions(), st.lists(st.floats(-3, 3).filter(lambda x: abs(x) > 1e-2), min_size=3, max_size=3))
def test_printed_expressions_compute_exactly_what_the_floats_compute(tree: Any, xs: list[float]) -> None:
    try:
        want = _evaluate(tree, xs)
    except (ZeroDivisionError, OverflowError):
        assume(False)
    expr = _evaluate(tree, [Expr(f"x{k}", x) for k, x in enumerate(xs)])
    code = expr.code if isinstance(expr, Expr) else repr(expr)
    got = eval(code, {f"x{k}": x for k, x in enumerate(xs)})
    assert float(got).hex() == float(want).hex(), code


def test_printer_keeps_float_grouping() -> None:
    a, b, c = Expr("a", 1.0), Expr("b", 2.0), Expr("c", 3.0)
    assert (a - (b - c)).code == "a - (b - c)"
    assert (a * (b * c)).code == "a * (b * c)"
    assert ((a * b) * c).code == "a * b * c"
    assert (-(a * b)).code == "-(a * b)"
    assert ((-a) ** 2.0).code == "(-a) ** 2.0"
    assert (a * -1.5).code == "a * -1.5"
    assert ((-1.5) ** a).code == "(-1.5) ** a"
