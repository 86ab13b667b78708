"""Losses and softmax: values and gradients vs closed forms and finite differences; stability; errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value

probs = st.floats(0.01, 0.99)
logits = st.lists(st.floats(-30, 30), min_size=1, max_size=6)


def _fd(f, xs, h=1e-6):
    out = []
    for a in range(len(xs)):
        up, down = list(xs), list(xs)
        up[a] += h
        down[a] -= h
        out.append((f(up) - f(down)) / (2 * h))
    return out


def _bce(o, y):
    return -sum(yy * math.log(oo) + (1 - yy) * math.log(1 - oo) for oo, yy in zip(o, y)) / len(o)


@given(st.lists(st.tuples(probs, st.floats(0, 1)), min_size=1, max_size=5))
def test_binary_cross_entropy_value_and_gradient(pairs):
    o, y = [p for p, _ in pairs], [t for _, t in pairs]
    vs = [Value(v) for v in o]
    E = nn.binary_cross_entropy(vs, y)
    assert E.data == pytest.approx(_bce(o, y), rel=1e-12, abs=1e-12)
    E.backward()
    closed = [-(yy / oo - (1 - yy) / (1 - oo)) / len(o) for oo, yy in zip(o, y)]
    assert [v.grad for v in vs] == pytest.approx(closed, rel=1e-10, abs=1e-12)
    assert [v.grad for v in vs] == pytest.approx(_fd(lambda t: _bce(t, y), o), rel=1e-5, abs=1e-7)


def test_binary_cross_entropy_is_the_tutorials_formula():
    o, y = [0.19858, 0.28559, 0.51583], [1.0, 0.0, 0.0]
    expected = -(math.log(0.19858) + math.log(1 - 0.28559) + math.log(1 - 0.51583)) / 3
    assert nn.binary_cross_entropy(o, y).data == pytest.approx(expected, abs=1e-15)


@given(st.lists(st.tuples(probs, st.floats(0, 1)), min_size=1, max_size=5))
def test_categorical_cross_entropy(pairs):
    o, y = [p for p, _ in pairs], [t for _, t in pairs]
    assume(sum(y) > 0)
    vs = [Value(v) for v in o]
    E = nn.cross_entropy(vs, y)
    assert E.data == pytest.approx(-sum(t * math.log(p) for p, t in zip(o, y)), rel=1e-12, abs=1e-12)
    E.backward()
    assert [v.grad for v in vs] == pytest.approx([-t / p for p, t in zip(o, y)], rel=1e-10, abs=1e-12)


@given(logits, st.data())
def test_cross_entropy_from_logits_equals_cross_entropy_of_softmax(zs, data):
    ys = data.draw(st.lists(st.floats(0, 1), min_size=len(zs), max_size=len(zs)))
    if sum(ys) == 0:
        ys[0] = 1.0
    a = [Value(z) for z in zs]
    b = [Value(z) for z in zs]
    E1 = nn.cross_entropy_with_logits(a, ys)
    E2 = nn.cross_entropy(autograd.softmax(b), ys)
    assert E1.data == pytest.approx(E2.data, rel=1e-9, abs=1e-9)
    E1.backward()
    E2.backward()
    assert [v.grad for v in a] == pytest.approx([v.grad for v in b], rel=1e-8, abs=1e-10)
    # closed form: sum(y) * softmax(z) - y
    top = max(zs)
    e = [math.exp(z - top) for z in zs]
    p = [t / sum(e) for t in e]
    assert [v.grad for v in a] == pytest.approx([sum(ys) * pa - ya for pa, ya in zip(p, ys)], abs=1e-10)


@given(logits)
def test_softmax_sums_to_one_and_gradients_match_finite_differences(zs):
    out = nn.softmax([Value(z) for z in zs])
    assert math.fsum(o.data for o in out) == pytest.approx(1.0, abs=1e-12)
    assert all(0.0 <= o.data <= 1.0 for o in out)
    # d(sum_a c_a * o_a)/dz via the graph vs finite differences of a plain softmax
    c = [(-1) ** a * (a + 1) for a in range(len(zs))]
    xs = [Value(z) for z in zs]
    autograd.dot(c, nn.softmax(xs)).backward()

    def f(t):
        top = max(t)
        e = [math.exp(v - top) for v in t]
        return sum(ca * v / sum(e) for ca, v in zip(c, e))

    assert [x.grad for x in xs] == pytest.approx(_fd(f, zs), rel=1e-5, abs=1e-7)


def test_softmax_and_log_softmax_are_stable_for_huge_logits():
    zs = [Value(1000.0), Value(999.0), Value(-1000.0)]
    out = nn.softmax(zs)
    e = 1 / (1 + math.exp(-1))
    assert [o.data for o in out] == pytest.approx([e, 1 - e, 0.0], abs=1e-15)
    ls = nn.log_softmax(zs)
    assert ls[0].data == pytest.approx(-math.log1p(math.exp(-1)), abs=1e-12)
    assert ls[2].data == pytest.approx(-2000 - math.log1p(math.exp(-1)), rel=1e-12)
    E = nn.cross_entropy_with_logits(zs, [0.0, 0.0, 1.0])  # the hopeless class: loss ~ 2000, still finite
    assert E.data == pytest.approx(2000 + math.log1p(math.exp(-1)), rel=1e-12)
    E.backward()
    assert [z.grad for z in zs] == pytest.approx([e, 1 - e, -1.0], abs=1e-12)


def test_saturated_outputs_where_the_target_is_zero_are_fine():
    # 0 * log(0) is taken as 0: terms with a zero coefficient are not built
    assert nn.binary_cross_entropy([1.0, 0.0], [1.0, 0.0]).data == 0.0
    assert nn.cross_entropy([1.0, 0.0], [1.0, 0.0]).data == 0.0


def test_batch_mean():
    outs = [[Value(0.2), Value(0.8)], [Value(0.6), Value(0.4)]]
    ys = [[0.0, 1.0], [1.0, 0.0]]
    E = nn.batch_mean(nn.cross_entropy, outs, ys)
    assert E.data == pytest.approx((-math.log(0.8) - math.log(0.6)) / 2, abs=1e-15)
    E.backward()
    assert outs[0][1].grad == pytest.approx(-1 / 0.8 / 2) and outs[1][0].grad == pytest.approx(-1 / 0.6 / 2)
    assert outs[0][0].grad == 0.0
    with pytest.raises(ValueError, match="2 examples' outputs but 1 targets"):
        nn.batch_mean(nn.cross_entropy, outs, ys[:1])


def test_mse():
    o = [Value(1.0), Value(3.0)]
    E = nn.mse(o, [0.0, 1.0])
    assert E.data == 2.5
    E.backward()
    assert [v.grad for v in o] == [1.0, 2.0]


@pytest.mark.parametrize("loss", [nn.binary_cross_entropy, nn.cross_entropy, nn.cross_entropy_with_logits])
def test_errors(loss):
    with pytest.raises(ValueError, match="2 outputs but 3 targets"):
        loss([0.5, 0.5], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"targets\[1\] = 1.5 is outside \[0, 1\]"):
        loss([0.5, 0.5], [0.0, 1.5])
    with pytest.raises(ValueError, match=r"targets\[0\] = -0.1"):
        loss([0.5, 0.5], [-0.1, 1.0])
    with pytest.raises(ValueError, match="at least one"):
        loss([], [])
    with pytest.raises(TypeError, match="as a list"):
        loss(Value(0.5), [1.0])


def test_outputs_must_be_probabilities():
    with pytest.raises(ValueError, match=r"outputs\[0\] = 0.0"):
        nn.binary_cross_entropy([0.0, 0.5], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"outputs\[1\] = 1.0"):
        nn.binary_cross_entropy([0.5, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"outputs\[0\] = 1.2"):
        nn.cross_entropy([1.2, 0.5], [1.0, 0.0])


def test_inputs_are_not_mutated():
    o, y = [0.3, 0.7], [0.0, 1.0]
    nn.binary_cross_entropy(o, y)
    nn.cross_entropy_with_logits(o, y)
    assert o == [0.3, 0.7] and y == [0.0, 1.0]


def test_cross_entropy_accepts_a_saturated_softmax_where_the_target_is_zero():
    # softmax([25, -12]) rounds to exactly [1.0, 8.5e-17]; class 0 has target 0, so log(o_0) is never
    # taken and o_0 == 1.0 is a valid probability. Found by hypothesis in the logits test above.
    probs = autograd.softmax([25.0, -12.0])
    assert probs[0].data == 1.0
    E = nn.cross_entropy(probs, [0.0, 0.5])
    assert E.data == pytest.approx(-0.5 * math.log(probs[1].data), rel=1e-12)
    with pytest.raises(ValueError, match="strictly"):
        nn.binary_cross_entropy(probs, [0.0, 0.5])  # BCE does take log(1 - o_0) = log(0)


def test_one_output_and_one_target_number_as_micrograd_style_code_passes_them():
    o = Value(0.3)
    E = nn.mse(o, 1)  # an int target, as a label often is
    E.backward()
    assert E.data == pytest.approx((0.3 - 1.0) ** 2, rel=1e-15) and o.grad == pytest.approx(2 * (0.3 - 1.0), rel=1e-15)
    p = Value(0.8)
    E = nn.binary_cross_entropy(p, 1.0)
    E.backward()
    assert E.data == pytest.approx(-math.log(0.8), rel=1e-15) and p.grad == pytest.approx(-1 / 0.8, rel=1e-15)
    model = nn.MLP(2, [3, 1], init=0.5)  # micrograd's form: model(x) is one Value
    out = model([1.0, -0.5])
    assert nn.mse(out, 0.25).data == pytest.approx((1.5 * max(0.0, 0.25) - 0.25) ** 2, rel=1e-15)


@pytest.mark.parametrize(("outputs", "targets"), [(Value(0.5), [1.0]), ([Value(0.5)], 1.0), (Value(0.5), Value(1.0))])
def test_one_output_with_a_list_of_targets_or_the_reverse_is_refused(outputs, targets):
    with pytest.raises(TypeError, match=r"as a list, not .* \(or one output Value with one target number\)"):
        nn.mse(outputs, targets)
