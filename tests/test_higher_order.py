"""Higher-order gradients: grad(create_graph=True), backward(create_graph=True), Hessians, Newton steps.

Every expected number is either a closed form written here in plain ``math`` or a finite difference
(of the engine's own first derivatives, or of plain function values).
"""

from __future__ import annotations

import gc
import math
import runpy
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import Dag, LeftDomain, dags, fd_derivative

import autograd
import nn.lesson
from autograd import Value, grad

reals = st.floats(-4.0, 4.0, allow_nan=False)
positive = st.floats(0.2, 4.0, allow_nan=False)


def second(fn: Callable[[Value], Value], x: float) -> float:
    """d^2 fn / dx^2 at x through the engine: grad with create_graph, then grad again."""
    v = Value(x)
    (g,) = grad(fn(v), [v], create_graph=True)
    (h,) = grad(g, [v])
    return h


def close(got: float, want: float, rtol: float = 1e-10, atol: float = 1e-12) -> bool:
    return abs(got - want) <= atol + rtol * abs(want)


# --- closed forms -----------------------------------------------------------------------------------


@given(reals)
def test_sigmoid_second_derivative(x: float) -> None:
    s = 1.0 / (1.0 + math.exp(-x))
    assert close(second(lambda v: v.sigmoid(), x), s * (1 - s) * (1 - 2 * s))


@given(reals)
def test_tanh_second_derivative(x: float) -> None:
    t = math.tanh(x)
    assert close(second(lambda v: v.tanh(), x), -2 * t * (1 - t * t))


@given(reals)
def test_exp_second_derivative(x: float) -> None:
    assert close(second(lambda v: v.exp(), x), math.exp(x))


@given(positive)
def test_log_second_derivative(x: float) -> None:
    assert close(second(lambda v: v.log(), x), -1.0 / (x * x))


@given(reals, st.sampled_from([0.0, 1.0, 2.0, 3.0, 5.0]))
def test_integer_power_second_derivative(x: float, n: float) -> None:
    want = n * (n - 1) * x ** (n - 2) if n >= 2 else 0.0
    assert close(second(lambda v: v**n, x), want)


@given(positive, st.sampled_from([-2.0, -1.0, -0.5, 0.5, 1.5, 2.5]))
def test_real_power_second_derivative(x: float, n: float) -> None:
    assert close(second(lambda v: v**n, x), n * (n - 1) * x ** (n - 2))


@given(positive, st.floats(-3.0, 3.0, allow_nan=False))
def test_value_power_all_second_derivatives(x: float, y: float) -> None:
    """x ** y with both a Value: d2/dx2 = y(y-1)x^(y-2), d2/dy2 = x^y ln(x)^2, d2/dxdy = x^(y-1)(1 + y ln x)."""
    a, b = Value(x), Value(y)
    ga, gb = grad(a**b, [a, b], create_graph=True)
    xx, xy = grad(ga, [a, b])
    yx, yy = grad(gb, [a, b])
    lx = math.log(x)
    assert close(xx, y * (y - 1) * x ** (y - 2))
    assert close(yy, x**y * lx * lx)
    assert close(xy, x ** (y - 1) * (1 + y * lx))
    assert close(yx, x ** (y - 1) * (1 + y * lx))


@given(reals, st.floats(0.2, 4.0) | st.floats(-4.0, -0.2))
def test_division_second_derivatives(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    ga, gb = grad(a / b, [a, b], create_graph=True)
    assert grad(ga, [a, b]) == [0.0, pytest.approx(-1.0 / (y * y), rel=1e-12)]
    assert close(grad(gb, [b])[0], 2 * x / y**3)


@given(st.lists(st.floats(-5.0, 5.0, allow_nan=False), min_size=1, max_size=4))
def test_logsumexp_hessian_is_diag_p_minus_p_outer_p(zs: list[float]) -> None:
    top = max(zs)
    e = [math.exp(z - top) for z in zs]
    p = [v / math.fsum(e) for v in e]
    H = autograd.hessian(lambda *vs: autograd.logsumexp(vs), zs)
    for a in range(len(zs)):
        for b in range(len(zs)):
            assert close(H[a][b], p[a] * ((a == b) - p[b]), atol=1e-13)


@given(st.floats(0.05, 4.0) | st.floats(-4.0, -0.05))
def test_relu_second_derivative_is_zero_off_the_kink(x: float) -> None:
    assert second(lambda v: v.relu() * v.relu(), x) == (2.0 if x > 0 else 0.0)


# --- third and higher derivatives ----------------------------------------------------------------------


@pytest.mark.parametrize("x", [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 7.0])
@pytest.mark.parametrize("form", ["pow", "mul"])
def test_derivatives_of_x_to_the_fourth_exactly(x: float, form: str) -> None:
    v = Value(x)
    y = v**4 if form == "pow" else v * v * v * v
    d1 = grad(y, [v], create_graph=True)[0]
    d2 = grad(d1, [v], create_graph=True)[0]
    d3 = grad(d2, [v], create_graph=True)[0]
    d4 = grad(d3, [v], create_graph=True)[0]
    d5 = grad(d4, [v], create_graph=True)[0]
    # Small integers times x: every product is exact in binary floating point.
    assert (d1.data, d2.data, d3.data, d4.data, d5.data) == (4 * x**3, 12 * x**2, 24 * x, 24.0, 0.0)
    assert all(isinstance(d, Value) for d in (d1, d2, d3, d4, d5))


def test_third_derivative_of_a_composition() -> None:
    # f(x) = x exp(2x)  =>  f''' = exp(2x) (8x + 12)
    x = 0.3
    v = Value(x)
    d = (v * 2.0).exp() * v
    for _ in range(3):
        (d,) = grad(d, [v], create_graph=True)
    assert close(d.data, math.exp(2 * x) * (8 * x + 12))


# --- random expressions: second derivatives vs finite differences of the engine's first -----------------


def _engine_gradient(dag: Dag, xs: Sequence[float]) -> list[float]:
    """d out / d leaf at leaf values xs (the engine's float pass), checking the recipe stays on its side of
    every kink / domain edge (dag.evaluate raises LeftDomain otherwise)."""
    dag.evaluate(xs)
    leaves = [Value(x) for x in xs]
    return grad(dag.build(leaves)[-1], leaves)


@given(dags(max_leaves=3, max_steps=8))
def test_random_expression_hessians_match_differences_of_first_derivatives(dag: Dag) -> None:
    xs = list(dag.leaves)
    leaves = [Value(x) for x in xs]
    gs = grad(dag.build(leaves)[-1], leaves, create_graph=True)
    H = [grad(g, leaves) for g in gs]
    for j in range(len(xs)):
        h = 1e-4 * max(1.0, abs(xs[j]))

        def at(d: float, j: int = j) -> list[float]:
            moved = list(xs)
            moved[j] += d
            return _engine_gradient(dag, moved)

        try:  # Richardson-extrapolated central difference of the engine's gradient, error O(h^4)
            g1 = [(a - b) / (2 * h) for a, b in zip(at(h), at(-h))]
            g2 = [(a - b) / h for a, b in zip(at(h / 2), at(-h / 2))]
        except LeftDomain:
            assume(False)
        scale = max(1.0, *(abs(v) for row in H for v in row))
        for i in range(len(xs)):
            numeric = (4 * g2[i] - g1[i]) / 3
            assert abs(H[i][j] - numeric) <= 1e-6 * scale, (i, j, H[i][j], numeric)


@given(dags(max_leaves=3, max_steps=8))
def test_random_expression_hessians_are_symmetric(dag: Dag) -> None:
    leaves = [Value(x) for x in dag.leaves]
    gs = grad(dag.build(leaves)[-1], leaves, create_graph=True)
    H = [grad(g, leaves) for g in gs]
    scale = max(1.0, *(abs(v) for row in H for v in row))
    for i in range(len(H)):
        for j in range(i):
            assert abs(H[i][j] - H[j][i]) <= 1e-12 * scale


# --- grad() and backward(create_graph=True) semantics -----------------------------------------------


def test_grad_leaves_every_grad_untouched_in_both_modes() -> None:
    x, y = Value(1.5), Value(-0.5)
    z = (x * y).tanh() + x.exp()
    x.grad, z.grad = 3.0, 4.0
    g_float = grad(z, [x, y])
    g_value = grad(z, [x, y], create_graph=True)
    assert [g.data for g in g_value] == pytest.approx(g_float, rel=1e-15)
    assert (x.grad, y.grad, z.grad) == (3.0, 0.0, 4.0)


def test_grad_with_create_graph_always_returns_values() -> None:
    x, unused = Value(2.0), Value(5.0)
    dead = Value(-1.0)
    out = x * x + dead.relu()
    gx, gu, gd = grad(out, [x, unused, dead], create_graph=True)
    assert all(isinstance(g, Value) for g in (gx, gu, gd))
    assert (gx.data, gu.data, gd.data) == (4.0, 0.0, 0.0)
    assert grad(gu, [x]) == [0.0]  # a constant's derivative, no error
    assert grad(out, [unused]) == [0.0]  # floats without create_graph


def test_backward_create_graph_makes_grad_a_differentiable_value() -> None:
    x = Value(3.0)
    y = x**3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 27.0
    assert grad(x.grad, [x]) == [18.0]  # d/dx 3x^2 = 6x


def test_backward_create_graph_accumulates_like_backward() -> None:
    x = Value(2.0)
    y = x * x * x
    y.backward()  # float 12
    y.backward(create_graph=True)  # + Value 12
    assert isinstance(x.grad, Value) and x.grad.data == 24.0
    y.backward(create_graph=True)
    assert x.grad.data == 36.0
    assert grad(x.grad, [x]) == [24.0]  # 2 Value contributions of 6x; the float one is constant
    autograd.zero_grad(y)
    assert x.grad == 0.0


def test_second_derivative_through_backward_then_backward() -> None:
    x = Value(0.4)
    y = x.sigmoid()
    y.backward(create_graph=True)
    g = x.grad
    autograd.zero_grad([x])
    g.backward()
    s = 1 / (1 + math.exp(-0.4))
    assert close(x.grad, s * (1 - s) * (1 - 2 * s))


def test_grad_create_graph_results_hold_no_reference_cycle() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(1.2)
        ref = weakref.ref(x)
        (g,) = grad((x * x).exp(), [x], create_graph=True)
        (h,) = grad(g, [x], create_graph=True)
        assert h.data > 0
        del x, g, h
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_create_graph_inside_no_grad_still_records_the_gradient_graph() -> None:
    x = Value(2.0)
    y = x**3  # recorded outside
    with autograd.no_grad():
        (g,) = grad(y, [x], create_graph=True)
        assert not autograd.is_grad_enabled()
    assert grad(g, [x]) == [12.0]


def test_create_graph_value_gradient_of_a_pow_at_zero_is_refused_clearly() -> None:
    # d/dx x**1.5 = 1.5 x**0.5 is finite at 0, but its own derivative is not: as a Value graph it would
    # need 0 ** 0.5's derivative, so the engine refuses (the float pass is fine).
    x = Value(0.0)
    assert grad(x**1.5, [x]) == [0.0]
    with pytest.raises(ValueError, match=r"0\.0 \*\* 0\.5"):
        grad(x**1.5, [x], create_graph=True)


# --- hessian, hessian_vector_product, newton_step ------------------------------------------------------


def test_hessian_of_a_known_function() -> None:
    # f = x^2 y + exp(x y), differentiated by hand
    x, y = 0.7, -0.4
    H = autograd.hessian(lambda a, b: a * a * b + (a * b).exp(), [x, y])
    e = math.exp(x * y)
    want = [[2 * y + y * y * e, 2 * x + e + x * y * e], [2 * x + e + x * y * e, x * x * e]]
    for i in range(2):
        for j in range(2):
            assert close(H[i][j], want[i][j])


@given(st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3), st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
def test_hessian_vector_product_equals_hessian_times_vector(xs: list[float], v: list[float]) -> None:
    def f(a: Value, b: Value, c: Value) -> Value:
        return (a * b).tanh() * c + (b - c).sigmoid() * a * a

    H = autograd.hessian(f, xs)
    Hv = autograd.hessian_vector_product(f, xs, v)
    for i in range(3):
        want = math.fsum(H[i][j] * v[j] for j in range(3))
        assert abs(Hv[i] - want) <= 1e-12 * (1 + sum(abs(H[i][j] * v[j]) for j in range(3)))


def _f_by_hand(x: Sequence[float]) -> float:
    a, b, c = x
    return math.tanh(a * b) * c + a * a / (1.0 + math.exp(c - b))


def _gradient_by_hand(x: Sequence[float]) -> list[float]:
    """The gradient of :func:`_f_by_hand`, differentiated on paper: no engine code involved."""
    a, b, c = x
    t = math.tanh(a * b)
    s = 1.0 / (1.0 + math.exp(c - b))  # sigmoid(b - c)
    dt = 1.0 - t * t
    return [dt * b * c + 2 * a * s, dt * a * c + a * a * s * (1 - s), t - a * a * s * (1 - s)]


@given(st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3), st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
def test_hessian_vector_product_matches_differences_of_a_gradient_by_hand(xs: list[float], v: list[float]) -> None:
    """H v is the directional derivative of the gradient along v: a Richardson-extrapolated central
    difference of a gradient written in plain math (independent of the engine)."""

    def f(a: Value, b: Value, c: Value) -> Value:
        return (a * b).tanh() * c + (b - c).sigmoid() * a * a

    assert close(f(*map(Value, xs)).data, _f_by_hand(xs), rtol=1e-14, atol=1e-14)  # the same function

    def along(t: float) -> list[float]:
        return _gradient_by_hand([x + t * d for x, d in zip(xs, v)])

    h = 1e-3
    wide = [(p - m) / (2 * h) for p, m in zip(along(h), along(-h))]
    narrow = [(p - m) / h for p, m in zip(along(h / 2), along(-h / 2))]
    numeric = [(4 * n - w) / 3 for n, w in zip(narrow, wide)]
    Hv = autograd.hessian_vector_product(f, xs, v)
    for got, want in zip(Hv, numeric):
        assert abs(got - want) <= 1e-8 * (1 + sum(abs(d) for d in v)), (Hv, numeric)


@given(dags(max_leaves=3, max_steps=6), st.lists(st.floats(-1.0, 1.0), min_size=3, max_size=3))
def test_random_expression_hessian_vector_products_match_second_differences_of_values(
    dag: Dag, direction: list[float]
) -> None:
    """On random expressions, H v against differences of the float reference's *values* only (plain math,
    no engine derivative): d/dt of the central-difference gradient at x + t v."""
    xs = list(dag.leaves)
    v = direction[: len(xs)]

    def gradient_at(t: float) -> list[float]:
        y = [x + t * d for x, d in zip(xs, v)]
        return [fd_derivative(dag.output_at, y, i) for i in range(len(xs))]

    h = 1e-3
    try:
        wide = [(p - m) / (2 * h) for p, m in zip(gradient_at(h), gradient_at(-h))]
        narrow = [(p - m) / h for p, m in zip(gradient_at(h / 2), gradient_at(-h / 2))]
    except LeftDomain:
        assume(False)
    Hv = autograd.hessian_vector_product(lambda *vs: dag.build(list(vs))[-1], xs, v)
    scale = max(1.0, *(abs(x) for x in Hv))
    for got, w, n in zip(Hv, wide, narrow):
        assert abs(got - (4 * n - w) / 3) <= 1e-5 * scale, (Hv, wide, narrow)


def test_hessian_does_not_touch_values_or_grads() -> None:
    a, b = Value(1.0), Value(2.0)
    a.grad = 5.0
    autograd.hessian(lambda x, y: x * y * y, [a, b])
    assert (a.data, a.grad, b.data, b.grad) == (1.0, 5.0, 2.0, 0.0)


def test_newton_step_minimises_a_quadratic_in_one_step() -> None:
    # f = (x-1)^2 + 3(y+2)^2 + x y: the minimiser solves 2(x-1) + y = 0, 6(y+2) + x = 0.
    def f(x: Value, y: Value) -> Value:
        return (x - 1) ** 2 + 3 * (y + 2) ** 2 + x * y

    ys = -13 / 5.5
    xs = 1 - ys / 2
    a, b = Value(4.0), Value(4.0)
    step = autograd.newton_step(f, [a, b], update=True)
    assert (a.data, b.data) == (pytest.approx(xs, rel=1e-12), pytest.approx(ys, rel=1e-12))
    assert step.point == [4.0, 4.0] and step.new_point == [a.data, b.data]
    assert grad(f(a, b), [a, b]) == [pytest.approx(0.0, abs=1e-12)] * 2


def test_newton_step_on_a_singular_hessian_needs_damping() -> None:
    f = lambda x, y: (x + y) ** 2  # noqa: E731  constant along (1, -1)
    with pytest.raises(ValueError, match=r"singular.*damping"):
        autograd.newton_step(f, [1.0, 2.0])
    step = autograd.newton_step(f, [1.0, 2.0], damping=1e-3)
    # (H + lambda I) d = -g with H = [[2,2],[2,2]], g = [6, 6]: d = -6 / (4 + lambda) * [1, 1]
    assert step.delta == [pytest.approx(-6 / 4.001, rel=1e-12)] * 2


def test_higher_helpers_reject_bad_input() -> None:
    with pytest.raises(TypeError, match="one Value"):
        autograd.hessian(lambda x: [x], [1.0])  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="3 entries for 2 inputs"):
        autograd.hessian_vector_product(lambda x, y: x * y, [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="damping must be >= 0"):
        autograd.newton_step(lambda x: x * x, [1.0], damping=-1.0)
    with pytest.raises(TypeError, match="pass Values"):
        autograd.newton_step(lambda x: x * x, [1.0], update=True)
    with pytest.raises(TypeError, match="list of Values"):
        autograd.hessian(lambda x: x * x, Value(1.0))  # type: ignore[arg-type]


# --- the tutorial loss ------------------------------------------------------------------------------------


def _tutorial() -> tuple[nn.MLP, list[Value], Callable[..., Value]]:
    model = nn.lesson.tutorial.network()
    params = [n.b for n in model.layers[-1].neurons] + [p for n in model.layers[-1].neurons for p in n.w]

    def loss(*_: Value) -> Value:
        return nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)

    return model, params, loss


def test_tutorial_loss_hessian_is_symmetric_and_matches_finite_differences() -> None:
    """Last layer's biases and weights (12 parameters): the engine's Hessian against (1) central differences
    of the engine's gradient and (2) second differences of the loss *values* alone."""
    _, params, loss = _tutorial()
    H = autograd.hessian(loss, params)
    n = len(params)
    for i in range(n):
        for j in range(n):
            assert abs(H[i][j] - H[j][i]) <= 1e-15

    def value_at(shifts: dict[int, float]) -> float:
        saved = [p.data for p in params]
        for k, d in shifts.items():
            params[k].data += d
        try:
            return loss().data
        finally:
            for p, s in zip(params, saved):
                p.data = s

    def gradient_at(k: int, d: float) -> list[float]:
        saved = params[k].data
        params[k].data += d
        try:
            return grad(loss(), params)
        finally:
            params[k].data = saved

    h = 1e-5
    for j in range(n):
        up, down = gradient_at(j, h), gradient_at(j, -h)
        for i in range(n):
            assert abs(H[i][j] - (up[i] - down[i]) / (2 * h)) <= 1e-8
    h = 1e-4  # second differences of values: error ~ h^2 |f^(4)| + u |f| / h^2 ~ 1e-8
    f0 = value_at({})
    for i in range(n):
        for j in range(n):
            if i == j:
                fd = (value_at({i: h}) - 2 * f0 + value_at({i: -h})) / (h * h)
            else:
                corners = value_at({i: h, j: h}) - value_at({i: h, j: -h}) - value_at({i: -h, j: h})
                fd = (corners + value_at({i: -h, j: -h})) / (4 * h * h)
            assert abs(H[i][j] - fd) <= 1e-6, (i, j, H[i][j], fd)


def test_tutorial_bias_hessian_is_singular_along_the_softmax_shift() -> None:
    """Softmax ignores a common shift of its inputs, so the loss is flat along b + t(1, 1, 1): H (1,1,1) = 0,
    and the gradient has no component along it either."""
    _, params, loss = _tutorial()
    biases = params[:3]
    H = autograd.hessian(loss, biases)
    assert all(abs(sum(row)) <= 1e-15 for row in H)
    assert abs(sum(grad(loss(), biases))) <= 1e-15
    Hv = autograd.hessian_vector_product(loss, biases, [1.0, 1.0, 1.0])
    assert all(abs(v) <= 1e-15 for v in Hv)


def test_tutorial_newton_step_beats_the_sgd_step() -> None:
    _, params, loss = _tutorial()
    biases = params[:3]
    before = loss().data
    step = autograd.newton_step(loss, biases, damping=0.1)
    assert abs(sum(step.delta)) <= 1e-12  # no move along the flat direction
    for b, d in zip(biases, step.delta):
        b.data += d
    newton = loss().data
    for b, d, g in zip(biases, step.delta, step.gradient):
        b.data += -d - nn.lesson.tutorial.LEARNING_RATE * g
    sgd = loss().data
    assert newton < sgd < before


def test_the_newton_example_runs_and_its_numbers_hold() -> None:
    example = runpy.run_path(str(Path(__file__).resolve().parent.parent / "examples" / "newton_step.py"))
    c = example["compare_steps"]()
    sgd, *newtons = c.steps
    assert sgd.delta == [-nn.lesson.tutorial.LEARNING_RATE * g for g in c.gradient]
    assert all(s.loss_after < sgd.loss_after < c.loss for s in newtons)
    _, params, loss = _tutorial()
    assert c.gradient == pytest.approx(grad(loss(), params[:3]), rel=1e-14, abs=1e-16)
    H = autograd.hessian(loss, params[:3])
    assert c.hessian == H
    # Each Newton delta solves (H + lambda I) d = -g.
    for s, lam in zip(newtons, example["DAMPINGS"]):
        for i in range(3):
            lhs = sum(H[i][j] * s.delta[j] for j in range(3)) + lam * s.delta[i]
            assert abs(lhs + c.gradient[i]) <= 1e-9
    text = "\n".join(example["report"](c))
    assert "Newton, lambda = 0.1" in text and "SGD, lr = 0.01" in text
