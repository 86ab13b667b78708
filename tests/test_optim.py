"""SGD and Adam: updates vs hand-written formulas, no graph recorded, clear errors."""

from __future__ import annotations

import decimal
import math

import pytest

import autograd
import nn.lesson
from autograd import Value


def _quad(ws):
    # f(w) = sum_i (i + 1) * (w_i - 1)^2, gradient 2 (i + 1) (w_i - 1)
    return autograd.sum([(i + 1) * (w - 1.0) ** 2 for i, w in enumerate(ws)])


def test_sgd_step():
    ws = [Value(0.0), Value(3.0)]
    _quad(ws).backward()
    assert [w.grad for w in ws] == [-2.0, 8.0]
    nn.SGD(ws, lr=0.1).step()
    assert [w.data for w in ws] == pytest.approx([0.2, 2.2])
    assert all(w.is_leaf for w in ws)


def test_sgd_momentum_against_hand_written_recurrence():
    ws = [Value(0.0), Value(3.0)]
    opt = nn.SGD(ws, lr=0.05, momentum=0.9)
    ref_w, ref_v = [0.0, 3.0], [0.0, 0.0]
    for _ in range(5):
        opt.zero_grad()
        _quad(ws).backward()
        opt.step()
        g = [2 * (i + 1) * (w - 1.0) for i, w in enumerate(ref_w)]
        ref_v = [0.9 * v + gi for v, gi in zip(ref_v, g)]
        ref_w = [w - 0.05 * v for w, v in zip(ref_w, ref_v)]
    assert [w.data for w in ws] == pytest.approx(ref_w, abs=1e-14)


def test_adam_against_hand_written_formula():
    ws = [Value(0.0), Value(3.0)]
    opt = nn.Adam(ws, lr=0.1, betas=(0.8, 0.99), eps=1e-8)
    w_ref, m, v = [0.0, 3.0], [0.0, 0.0], [0.0, 0.0]
    for t in range(1, 6):
        opt.zero_grad()
        _quad(ws).backward()
        opt.step()
        g = [2 * (i + 1) * (w - 1.0) for i, w in enumerate(w_ref)]
        m = [0.8 * a + 0.2 * b for a, b in zip(m, g)]
        v = [0.99 * a + 0.01 * b * b for a, b in zip(v, g)]
        w_ref = [w - 0.1 * (a / (1 - 0.8**t)) / (math.sqrt(b / (1 - 0.99**t)) + 1e-8) for w, a, b in zip(w_ref, m, v)]
    assert [w.data for w in ws] == pytest.approx(w_ref, abs=1e-12)
    # Adam's first step moves each parameter by about lr, whatever its gradient's size
    fresh = [Value(0.0), Value(3.0)]
    _quad(fresh).backward()
    nn.Adam(fresh, lr=0.1).step()
    assert [w.data for w in fresh] == pytest.approx([0.1, 2.9], abs=1e-6)


@pytest.mark.parametrize("opt_cls", [nn.SGD, nn.Adam])
def test_training_reduces_the_tutorial_loss(opt_cls):
    model = nn.lesson.tutorial.network()
    opt = opt_cls(model.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        E = nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)
        losses.append(E.data)
        E.backward()
        opt.step()
    assert losses[-1] < 0.5 * losses[0]
    assert all(p.is_leaf and p.grad != 0.0 for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize(
    "make", [lambda ps: nn.SGD(ps, lr=0.01), lambda ps: nn.SGD(ps, lr=0.01, momentum=0.9), lambda ps: nn.Adam(ps)]
)
def test_step_records_no_graph_and_accepts_value_gradients(make):
    w = Value(2.0)
    (w * w * w).backward(create_graph=True)
    assert isinstance(w.grad, Value)
    make([w]).step()
    # Updated by the gradient's number (12.0): a float, still a leaf, and grad mode untouched.
    assert type(w.data) is float and w.data < 2.0
    assert w.is_leaf and autograd.is_grad_enabled()


def test_sgd_step_uses_the_gradients_number():
    w = Value(2.0)
    (w * w * w).backward(create_graph=True)
    nn.SGD([w], lr=0.01).step()
    assert w.data == 2.0 - 0.01 * 12.0


def test_errors():
    w = Value(1.0)
    with pytest.raises(ValueError, match="empty"):
        nn.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        nn.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="only leaf Values"):
        nn.SGD([w * 2.0], lr=0.1)
    with pytest.raises(ValueError, match="must be positive"):
        nn.SGD([w], lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        nn.SGD([w], lr=0.1, momentum=1.0)
    with pytest.raises(TypeError, match="not one Value"):
        nn.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="must be a Value"):
        nn.Adam([1.0], lr=0.1)
    with pytest.raises(ValueError, match="betas"):
        nn.Adam([w], betas=(1.0, 0.9))


# --- all or nothing ------------------------------------------------------------------------------


def _snapshot(ps: list[Value]) -> list[tuple[float, float]]:
    return [(p.data, p.grad) for p in ps]


@pytest.mark.parametrize(
    "make", [lambda ps: nn.SGD(ps, lr=1.0), lambda ps: nn.SGD(ps, lr=1.0, momentum=0.5), lambda ps: nn.Adam(ps)]
)
def test_a_step_that_would_write_a_non_finite_number_changes_nothing(make):
    ps = [Value(1.0, "a"), Value(-1e308, "b"), Value(2.0, "c")]
    for p, g in zip(ps, [0.5, 1e308, 0.25]):
        p.grad = g
    opt = make(ps)
    if isinstance(opt, nn.Adam):
        ps[1].grad = math.inf  # Adam's step is about lr whatever the gradient: make the gradient bad
    before = _snapshot(ps)
    with pytest.raises(ValueError, match=r"parameter 1 .*'b'.*No parameter was changed"):
        opt.step()
    assert _snapshot(ps) == before
    ps[1].grad = 0.0  # fixed: the next step works and moves the others
    opt.step()
    assert ps[0].data < 1.0 and ps[2].data < 2.0


@pytest.mark.parametrize("make", [lambda ps: nn.SGD(ps, lr=0.1), lambda ps: nn.Adam(ps, lr=0.1)])
def test_a_parameter_whose_data_was_set_to_nan_by_hand_is_named(make):
    ps = [Value(1.0, "a"), Value(2.0, "b")]
    for p in ps:
        p.grad = 1.0
    opt = make(ps)
    ps[0].data = math.nan
    with pytest.raises(ValueError, match=r"parameter 0 .*data nan"):
        opt.step()
    assert math.isnan(ps[0].data) and ps[1].data == 2.0


def _textbook_adam(grads: list[float], lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> float:
    """Where one parameter starting at 0 ends after Adam steps with these gradients, in Decimal
    arithmetic (so squaring 1e160 does not overflow): the formulas as Kingma & Ba write them."""
    D = decimal.Decimal
    with decimal.localcontext(decimal.Context(prec=50)):
        w, m, v = D(0), D(0), D(0)
        for t, g in enumerate(map(D, grads), start=1):
            m = D(b1) * m + (1 - D(b1)) * g
            v = D(b2) * v + (1 - D(b2)) * g * g
            w -= D(lr) * (m / (1 - D(b1) ** t)) / ((v / (1 - D(b2) ** t)).sqrt() + D(eps))
        return float(w)


def test_adam_takes_a_huge_gradient_in_its_stride():
    # g * g overflows a float for g = 1e160; Adam must still take its ordinary step (about lr).
    w, u = Value(0.0), Value(0.0)
    w.grad, u.grad = 1e160, -3.0
    opt = nn.Adam([w, u], lr=0.1)
    opt.step()
    assert w.data == pytest.approx(_textbook_adam([1e160], 0.1), rel=1e-12)
    assert u.data == pytest.approx(_textbook_adam([-3.0], 0.1), rel=1e-12)
    w.grad, u.grad = 1.0, 1.0  # and it keeps moving afterwards (it used to freeze)
    opt.step()
    assert w.data == pytest.approx(_textbook_adam([1e160, 1.0], 0.1), rel=1e-12)
    assert u.data == pytest.approx(_textbook_adam([-3.0, 1.0], 0.1), rel=1e-12)
