"""gradcheck / gradgradcheck: every op and the nn layers pass; deliberately wrong rules are caught;
the report and the error say what was compared; the documented tolerances hold up."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import OP_NAMES, OPS, op_args

import autograd
import nn.lesson
from autograd import GradcheckError, GradcheckReport, Value, gradcheck, gradgradcheck
from autograd.ops import Op

# --- every op of the table, first and second order ---------------------------------------------------


def _op_fn(name: str, param: Any) -> Any:
    case = OPS[name]
    return lambda *vs: case.build(list(vs), param)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_gradcheck_passes_for_every_op(name: str, data: st.DataObject) -> None:
    xs, param = data.draw(op_args(name))
    report = gradcheck(_op_fn(name, param), list(xs))
    assert report.ok and len(report.derivatives) == len(xs)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_gradgradcheck_passes_for_every_op(name: str, data: st.DataObject) -> None:
    xs, param = data.draw(op_args(name))
    report = gradgradcheck(_op_fn(name, param), list(xs))
    assert report.ok and len(report.derivatives) == len(xs) ** 2


def test_softmax_layer_as_a_multi_output_function() -> None:
    report = gradcheck(lambda *zs: autograd.softmax(zs), [0.3, -1.2, 2.0, 0.5])
    assert len(report.derivatives) == 16
    # The off-diagonal Jacobian entries are checked too (the tutorial dropped them).
    assert all(d.ok for d in report.derivatives if d.output != d.input)


# --- a wrong derivative is caught -------------------------------------------------------------------


def _cube(xs: tuple[float, ...], p: Any) -> float:
    return xs[0] ** 3


# d/dx x^3 = 3x^2, written wrong as 2x^2 (the classic slip: exponent not multiplied in).
WRONG_CUBE = Op("wrong_cube", _cube, lambda m, out, xs, p: (2.0 * xs[0] * xs[0],))


def _detached(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


# Right first derivative, but the rule reads the number out of its Value (a frozen constant), so the
# create_graph pass sees no dependence on x: the second derivative comes out 0 instead of 6x.
DETACHED_CUBE = Op("detached_cube", _cube, lambda m, out, xs, p: (3.0 * _detached(xs[0]) ** 2,))


def test_gradcheck_catches_a_wrong_local_rule_and_names_everything() -> None:
    x = Value(1.5, "x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: autograd.apply(WRONG_CUBE, a) * b, [x, 2.0])
    err = info.value
    assert isinstance(err, AssertionError)
    msg = str(err)
    # Names the input (index and label), both values (2*2*1.5^2 = 9 vs 3*2*1.5^2 = 13.5) and the error.
    assert "x[0] ('x')" in msg and "engine 9.0" in msg and "finite difference 13.5" in msg
    assert "error 4.5" in msg
    bad = err.report.failures
    assert [(d.output, d.input) for d in bad] == [(0, 0)]  # b's derivative (1.5^3) is right
    assert math.isclose(bad[0].numeric, 13.5, rel_tol=1e-8)
    assert x.data == 1.5 and x.grad == 0.0  # the caller's Value was not touched


def test_gradcheck_can_return_the_failing_report_instead() -> None:
    report = gradcheck(lambda a: autograd.apply(WRONG_CUBE, a), [-2.0], raise_on_failure=False)
    assert not report.ok and len(report.failures) == 1
    assert "MISMATCH" in str(report)


def test_gradgradcheck_catches_a_rule_that_detaches_its_inputs() -> None:
    fn = lambda a: autograd.apply(DETACHED_CUBE, a)  # noqa: E731
    assert gradcheck(fn, [1.5]).ok  # first order is right ...
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(fn, [1.5])  # ... second order is not: engine 0, finite difference 6 * 1.5 = 9
    (bad,) = info.value.report.failures
    assert bad.analytic == 0.0 and math.isclose(bad.numeric, 9.0, rel_tol=1e-6)
    assert "gradgradcheck failed" in str(info.value) and "(d f / dx[0])" in str(info.value)


# --- the report on success ----------------------------------------------------------------------------


def test_report_on_success_lists_each_derivative() -> None:
    a, b = Value(0.7, "a"), Value(-1.3, "b")
    report = gradcheck(lambda x, y: (x * y).tanh() + y.exp(), [a, b])
    assert isinstance(report, GradcheckReport) and report.ok and report.failures == []
    t = math.tanh(0.7 * -1.3)
    want = [(1 - t * t) * -1.3, (1 - t * t) * 0.7 + math.exp(-1.3)]  # closed form
    for d, w in zip(report.derivatives, want):
        assert math.isclose(d.analytic, w, rel_tol=1e-12)
        assert d.error <= d.allowed
    text = str(report)
    assert "2 of 2 derivatives match" in text and "x[0] ('a')" in text and "x[1] ('b')" in text
    assert (a.data, a.grad, b.data, b.grad) == (0.7, 0.0, -1.3, 0.0)


def test_outputs_that_do_not_depend_on_the_inputs() -> None:
    report = gradcheck(lambda x, y: [x * 2.0, 5.0, Value(1.0)], [1.0, 2.0])
    assert report.ok and len(report.derivatives) == 6
    assert [d.analytic for d in report.derivatives] == [2.0, 0.0, 0.0, 0.0, 0.0, 0.0]


# --- the documented tolerances ---------------------------------------------------------------------


def test_error_at_default_eps_is_far_below_the_default_tolerance() -> None:
    # The docstring's estimate: ~1e-10 * |f| rounding, negligible truncation, at eps = 1e-6.
    for fn, xs in [
        (lambda x: x.exp(), [1.0]),
        (lambda x: x.sigmoid() * x.tanh(), [0.3]),
        (lambda x, y: (x / y).log(), [2.0, 0.5]),
        (lambda x: x**5, [1.7]),
    ]:
        assert gradcheck(fn, xs).max_error < 1e-8


def test_truncation_error_shrinks_as_eps_squared() -> None:
    # exp at 1: error ~ h^2 e / 6, so a 10x smaller step gives a 100x smaller error.
    big = gradcheck(lambda x: x.exp(), [1.0], eps=1e-2, atol=1.0).max_error
    small = gradcheck(lambda x: x.exp(), [1.0], eps=1e-3, atol=1.0).max_error
    assert math.isclose(big, 1e-4 * math.e / 6, rel_tol=1e-3)
    assert 95.0 < big / small < 105.0


def test_rounding_error_grows_as_eps_shrinks() -> None:
    rng = random.Random(0)
    points = [rng.uniform(-2.0, 2.0) for _ in range(8)]

    def worst(eps: float) -> float:
        return max(gradcheck(lambda x: x.exp() * x.tanh(), [p], eps=eps, atol=1.0).max_error for p in points)

    assert worst(1e-11) > 10.0 * worst(1e-6)


def test_eps_too_large_fails_with_default_tolerances() -> None:
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x.exp(), [1.0], eps=1e-2)


# --- bad input ---------------------------------------------------------------------------------------


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="list of inputs"):
        gradcheck(lambda x: x, Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(ValueError, match="eps must be positive"):
        gradcheck(lambda x: x, [1.0], eps=0.0)
    with pytest.raises(ValueError, match="atol and rtol"):
        gradcheck(lambda x: x, [1.0], atol=-1.0)
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: "x", [1.0])
    with pytest.raises(TypeError, match="bool"):
        gradcheck(lambda x: x, [True])


def test_a_point_at_the_edge_of_the_domain_is_explained() -> None:
    with pytest.raises(ValueError, match=r"edge of fn's domain.*lower eps"):
        gradcheck(lambda x: x.log(), [1e-7])


# --- the nn layers -------------------------------------------------------------------------------


def _load(layer: nn.Layer, values: Any) -> None:
    """Put the given Values into the layer as its parameters (``parameters()`` order: W row by row, then b)."""
    values = list(values)
    k = 0
    for i in range(layer.n_in):
        for neuron in layer.neurons:
            neuron.w[i] = values[k]
            k += 1
    for neuron in layer.neurons:
        neuron.b = values[k]
        k += 1


def _load_model(model: nn.MLP, values: Any) -> None:
    """Put the given Values into every layer of ``model`` (``model.parameters()`` order)."""
    k = 0
    for layer in model.layers:
        n = len(layer.parameters())
        _load(layer, values[k : k + n])
        k += n


def _layer_point(layer: nn.Layer, x: list[float]) -> list[float]:
    return x + [p.data for p in layer.parameters()]


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
def test_gradcheck_layer_with_each_activation(activation: str) -> None:
    layer = nn.Layer(3, 4, activation, init="xavier", bias=0.1, seed=7)
    x = [0.5, -1.1, 0.8]

    def fn(*vs: Value) -> list[Value]:
        _load(layer, vs[3:])
        return layer(list(vs[:3]))

    report = gradcheck(fn, _layer_point(layer, x))
    assert report.ok and len(report.derivatives) == 4 * (3 + 12 + 4)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softmax", "linear"])
def test_gradgradcheck_layer_loss(activation: str) -> None:
    layer = nn.Layer(2, 3, activation, init="xavier", seed=3)
    x = [0.9, -0.4]

    def fn(*vs: Value) -> Value:
        _load(layer, vs[2:])
        return autograd.sum([o * o for o in layer(list(vs[:2]))])

    assert gradgradcheck(fn, _layer_point(layer, x)).ok


@pytest.mark.parametrize(
    "activations", [["relu", "sigmoid", "softmax"], ["tanh", "linear", "sigmoid"], ["sigmoid", "relu", "tanh"]]
)
def test_gradcheck_mlp_loss_wrt_every_parameter(activations: list[str]) -> None:
    model = nn.MLP(3, [4, 3, 3], activations, init="xavier", bias=0.2, seed=11)
    params = model.parameters()
    x, y = [0.3, -0.7, 1.2], [0.0, 1.0, 0.0]

    def fn(*vs: Value) -> Value:
        _load_model(model, vs)
        out = model(x)
        if activations[-1] in ("softmax", "sigmoid"):
            return nn.binary_cross_entropy(out, y)
        return nn.mse(out, y)

    report = gradcheck(fn, [p.data for p in params])
    assert report.ok and len(report.derivatives) == len(params)


def test_gradcheck_the_tutorial_network() -> None:
    model = nn.lesson.tutorial.network()
    params = model.parameters()
    originals = [p.data for p in params]

    def fn(*vs: Value) -> Value:
        _load_model(model, vs)
        return nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)

    report = gradcheck(fn, params)
    assert report.ok and len(report.derivatives) == 36
    assert [p.data for p in params] == originals
