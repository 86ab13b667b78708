"""Each operation's local derivatives: against finite differences of an independent float reference, and
against closed-form identities written out here (never read back from the engine)."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import OP_NAMES, OPS, close, fd_derivative, op_args

import autograd
from autograd import Value

reals = st.floats(-20.0, 20.0, allow_nan=False)
nonzero = reals.filter(lambda x: abs(x) >= 0.05)
positive = st.floats(0.05, 20.0)


def rel(a: float, b: float, tol: float = 1e-13) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


# --- every op of the table against finite differences ---------------------------------------------


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_local_grads_match_finite_differences(name: str, data: st.DataObject) -> None:
    case = OPS[name]
    xs, param = data.draw(op_args(case))
    operands = [Value(x) for x in xs]
    node = case.build(operands, param)
    node.backward()
    for i, v in enumerate(operands):
        want = fd_derivative(lambda ys: case.ref(ys, param), xs, i)
        assert close(v.grad, want), (i, v.grad, want)
        # With distinct leaves, the grad a leaf gets from one node IS that node's local derivative.
        (position,) = [j for j, inp in enumerate(node.inputs) if inp is v]
        assert node.local_grads[position] == v.grad


# --- closed forms, op by op ------------------------------------------------------------------------


@given(reals, reals)
def test_add_sub_mul(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    assert (a + b).local_grads == (1.0, 1.0)
    assert (a - b).local_grads == (1.0, -1.0)
    assert (a * b).local_grads == (y, x)  # d(xy)/dx = y, d(xy)/dy = x, exactly
    assert (-a).local_grads == (-1.0,)


@given(reals, nonzero)
def test_div(x: float, y: float) -> None:
    gx, gy = (Value(x) / Value(y)).local_grads
    assert rel(gx, 1.0 / y) and rel(gy, -x / (y * y))


@pytest.mark.parametrize("n", [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, 7.0])
@given(x=st.floats(0.05, 5.0), sign=st.sampled_from([1.0, -1.0]))
def test_pow_const(n: float, x: float, sign: float) -> None:
    if n.is_integer():
        x *= sign  # integer powers take any base
    node = Value(x) ** n
    assert rel(node.data, x**n, 1e-15)
    assert rel(node.local_grads[0], n * x ** (n - 1.0), 1e-13)  # d x^n/dx = n x^(n-1)


def test_pow_const_at_zero() -> None:
    assert (Value(0.0) ** 2).local_grads == (0.0,)
    assert (Value(0.0) ** 1).local_grads == (1.0,)
    z = Value(0.0) ** 0  # 0 ** 0 == 1 by convention; constant, so derivative 0
    assert z.data == 1.0 and z.local_grads == (0.0,)
    assert (Value(0.0) ** 1.5).local_grads == (0.0,)


@given(st.floats(0.05, 5.0), st.floats(-3.0, 3.0))
def test_pow_value_exponent(x: float, y: float) -> None:
    node = Value(x) ** Value(y)
    gx, gy = node.local_grads
    assert rel(gx, y * x ** (y - 1.0), 1e-12)  # d x^y/dx = y x^(y-1)
    assert rel(gy, x**y * math.log(x), 1e-12)  # d x^y/dy = x^y ln x


@given(st.floats(0.05, 5.0), st.floats(-3.0, 3.0))
def test_reflected_pow(c: float, x: float) -> None:
    node = c ** Value(x)
    assert rel(node.data, c**x, 1e-14)
    assert rel(node.local_grads[1], c**x * math.log(c), 1e-12)


@given(st.floats(-700.0, 700.0))
def test_exp(x: float) -> None:
    node = Value(x).exp()
    assert node.local_grads == (node.data,) and rel(node.data, math.exp(x), 1e-15)


@given(st.floats(1e-300, 1e300))
def test_log(x: float) -> None:
    node = Value(x).log()
    assert rel(node.local_grads[0], 1.0 / x, 1e-15)


@given(st.floats(-30.0, 30.0))
def test_tanh(x: float) -> None:
    (g,) = Value(x).tanh().local_grads
    assert rel(g, 1.0 / math.cosh(x) ** 2, 1e-10)  # tanh' = sech^2 = 1 - tanh^2


@given(st.floats(-700.0, 700.0))
def test_sigmoid(x: float) -> None:
    node = Value(x).sigmoid()
    s = 1.0 / (1.0 + math.exp(-x))
    assert rel(node.data, s, 1e-15)
    assert rel(node.local_grads[0], s * (1.0 - s), 1e-12)  # sigmoid' = s (1 - s)


@pytest.mark.parametrize("x", [-1e308, -800.0, -50.0, 50.0, 800.0, 1e308])
def test_sigmoid_and_tanh_are_stable_for_any_finite_input(x: float) -> None:
    s, t = Value(x).sigmoid(), Value(x).tanh()
    assert t.data == math.copysign(1.0, x) and t.local_grads == (0.0,)
    assert s.local_grads[0] >= 0.0 and math.isfinite(s.local_grads[0])
    # Far right: exactly 1. Far left: e^x / (1 + e^x), i.e. e^x to within rounding (0 once e^x underflows).
    want = 1.0 if x > 0 else (math.exp(x) if x > -745.0 else 0.0)
    assert rel(s.data, want, 1e-15)


@given(st.floats(-20.0, 20.0))
def test_relu(x: float) -> None:
    node = Value(x).relu()
    assert node.data == max(x, 0.0)
    assert node.local_grads == ((1.0,) if x > 0 else (0.0,))


def test_relu_at_the_kink_has_derivative_zero() -> None:
    assert Value(0.0).relu().local_grads == (0.0,)
    assert Value(-0.0).relu().data == 0.0


# --- n-ary ops -------------------------------------------------------------------------------------


@given(st.lists(reals, min_size=1, max_size=6))
def test_sum_is_one_node(xs: list[float]) -> None:
    vs = [Value(x) for x in xs]
    node = autograd.sum(vs)
    assert node.op == "sum" and node.inputs == tuple(vs) and node.local_grads == (1.0,) * len(xs)
    assert rel(node.data, math.fsum(xs), 1e-12)


def test_sum_mixes_numbers_and_values() -> None:
    x = Value(2.0)
    node = autograd.sum([1, x, 0.5])
    assert node.data == 3.5 and node.inputs[1] is x and len(node.inputs) == 3
    assert [v.data for v in node.inputs] == [1.0, 2.0, 0.5]
    node = autograd.sum(v for v in [x])  # any iterable, one term
    assert node.data == 2.0 and node.inputs == (x,)


@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(st.lists(reals, min_size=n, max_size=n), st.lists(reals, min_size=n, max_size=n))
    ),
    st.one_of(st.none(), reals),
)
def test_dot_local_grads_are_x_w_and_1(wx: tuple[list[float], list[float]], b: float | None) -> None:
    w, x = wx
    wv, xv = [Value(v) for v in w], [Value(v) for v in x]
    bv = None if b is None else Value(b)
    node = autograd.dot(wv, xv, bv)
    assert node.op == "dot"
    assert node.inputs == (*wv, *xv, *([bv] if bv is not None else []))
    assert node.local_grads == (*x, *w, *([1.0] if b is not None else []))  # d/dw = x, d/dx = w, d/db = 1
    want = math.fsum([*(a * c for a, c in zip(w, x)), *([b] if b is not None else [])])
    assert math.isclose(node.data, want, rel_tol=1e-12, abs_tol=1e-12 * (1 + sum(abs(a * c) for a, c in zip(w, x))))


def test_dot_is_the_tutorials_weighted_input() -> None:
    # The tutorial's h1_in_1: input (0.1, 0.2, 0.7) . column (0.1, 0.3, 0.4) + 1.0 = 1.35.
    inputs = [0.1, 0.2, 0.7]
    weights = [Value(0.1), Value(0.3), Value(0.4)]
    h = autograd.dot(weights, inputs, bias=1.0)
    assert math.isclose(h.data, 1.35, rel_tol=1e-15)
    assert h.local_grads[:3] == (0.1, 0.2, 0.7)  # d h1_in / d W = x
    assert h.local_grads[3:] == (0.1, 0.3, 0.4, 1.0)


def _softmax(zs: list[float]) -> list[float]:
    m = max(zs)
    e = [math.exp(z - m) for z in zs]
    t = math.fsum(e)
    return [v / t for v in e]


@given(st.lists(reals, min_size=1, max_size=5))
def test_softmax_components_carry_the_full_jacobian_row(zs: list[float]) -> None:
    vs = [Value(z) for z in zs]
    outs = autograd.softmax(vs)
    p = _softmax(zs)
    assert len(outs) == len(zs)
    assert math.isclose(math.fsum(o.data for o in outs), 1.0, rel_tol=1e-14)
    for a, o in enumerate(outs):
        assert o.op == "softmax" and o.inputs == tuple(vs)  # every logit is an input of every output
        assert rel(o.data, p[a], 1e-13)
        for b, g in enumerate(o.local_grads):
            want = p[a] * ((1.0 if a == b else 0.0) - p[b])  # diagonal p(1-p), off-diagonal -p_a p_b
            assert math.isclose(g, want, rel_tol=1e-12, abs_tol=1e-15)
        assert abs(math.fsum(o.local_grads)) <= 1e-15  # each Jacobian row sums to 0


def test_softmax_off_diagonal_example() -> None:
    # logits (0, ln 3): probabilities (1/4, 3/4); d o_0/d z_1 = -1/4 * 3/4.
    o0, o1 = autograd.softmax([Value(0.0), Value(math.log(3.0))])
    assert rel(o0.data, 0.25) and rel(o1.data, 0.75)
    assert rel(o0.local_grads[0], 0.25 * 0.75) and rel(o0.local_grads[1], -0.25 * 0.75)
    assert rel(o1.local_grads[0], -0.75 * 0.25) and rel(o1.local_grads[1], 0.75 * 0.25)


@given(st.lists(reals, min_size=1, max_size=5))
def test_logsumexp_derivative_is_softmax(zs: list[float]) -> None:
    node = autograd.logsumexp([Value(z) for z in zs])
    p = _softmax(zs)
    assert node.op == "logsumexp"
    assert all(math.isclose(g, q, rel_tol=1e-12, abs_tol=1e-16) for g, q in zip(node.local_grads, p))
    m = max(zs)
    assert math.isclose(node.data, m + math.log(math.fsum(math.exp(z - m) for z in zs)), abs_tol=1e-14 * (1 + abs(m)))


def test_softmax_and_logsumexp_are_stable_for_large_logits() -> None:
    outs = autograd.softmax([Value(1000.0), Value(1000.0), Value(-1000.0)])
    assert [o.data for o in outs] == [0.5, 0.5, 0.0]
    lse = autograd.logsumexp([Value(1000.0), Value(1000.0)])
    assert rel(lse.data, 1000.0 + math.log(2.0), 1e-15) and lse.local_grads == (0.5, 0.5)
    assert autograd.logsumexp([Value(-1000.0)]).data == -1000.0


def test_one_input_softmax() -> None:
    (o,) = autograd.softmax([Value(3.0)])
    assert o.data == 1.0 and o.local_grads == (0.0,)


# --- dot's generated kernel: the same numbers as its forward and its rule, bit for bit -------------


@given(data=st.data(), n=st.integers(1, 20), bias=st.booleans())
def test_dot_kernel_equals_the_forward_and_the_rule(data: st.DataObject, n: int, bias: bool) -> None:
    from autograd import ops

    xs = tuple(data.draw(st.lists(st.floats(-1e3, 1e3), min_size=2 * n + bias, max_size=2 * n + bias)))
    op = ops.op_dot(n)
    if op.fused is None:  # long dots run the plain loop
        assert n > ops._KERNEL_MAX_PAIRS
    assume(op.fused is not None)
    out, local = op.fused(xs, n)
    want = ops._dot(xs, n)
    assert out.hex() == want.hex()
    assert [x.hex() for x in local] == [x.hex() for x in ops._dot_local(ops.FLOATS, want, xs, n)]


def test_dot_kernel_raises_the_ops_own_overflow_error() -> None:
    w, x = [Value(1e308), Value(1e308)], [Value(10.0), Value(10.0)]
    with pytest.raises(ValueError, match=r"dot\(.*\) overflows a float"):
        autograd.dot(w, x)
