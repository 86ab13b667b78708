"""Adding an operation: autograd.extend, the rule namespace, and the errors that keep it from failing silently."""

from __future__ import annotations

import functools
import math
import pickle

import pytest
from strategies import fd_derivative

import autograd
from autograd import Value, hessian
from autograd.extend import FLOATS, VALUES, Op, apply, display, input_roles, register_rule, rules_view
from autograd.ops import OP_ADD, op_dot, op_pow_const, op_softmax

# The op: its rule calls math.cos, which gives floats for a first derivative only.
MY_SIN = Op("my_sin", lambda xs, p: math.sin(xs[0]), lambda m, out, xs, p: (math.cos(xs[0]),))
# The same op written with the rule namespace: right at every order.
GOOD_SIN = Op("good_sin", lambda xs, p: math.sin(xs[0]), lambda m, out, xs, p: (m.cos(xs[0]),))


def test_a_rule_calling_math_on_a_value_is_refused_naming_the_op() -> None:
    x = Value(0.7)
    y = apply(MY_SIN, x)
    y.backward()
    assert x.grad == math.cos(0.7)  # the first derivative is right
    with pytest.raises(TypeError, match=r"derivative rule of the op 'my_sin' cannot be evaluated on Values"):
        hessian(lambda x: apply(MY_SIN, x), [0.7])


def test_a_rule_written_with_the_namespace_gives_the_closed_form_hessian() -> None:
    assert hessian(lambda x: apply(GOOD_SIN, x), [0.7]) == [[-math.sin(0.7)]]
    # the third derivative, -cos, through grad three times
    x = Value(0.7)
    (d1,) = autograd.grad(apply(GOOD_SIN, x), [x], create_graph=True)
    (d2,) = autograd.grad(d1, [x], create_graph=True)
    (d3,) = autograd.grad(d2, [x])
    assert d3 == pytest.approx(-math.cos(0.7), rel=1e-15)


def _sinh_values(x: Value) -> Value:
    return (x.exp() - (-x).exp()) * 0.5


def test_register_rule_extends_every_form_of_the_namespace() -> None:
    if "sinh" not in rules_view():
        register_rule("sinh", math.sinh, _sinh_values, "sinh({0})", {"sinh": math.sinh})
    rule = rules_view()["sinh"]
    assert rule.code.format("x") == "sinh(x)" and rule.globals["sinh"] is math.sinh
    assert FLOATS.sinh(1.0) == math.sinh(1.0)  # type: ignore[attr-defined]
    assert VALUES.sinh(Value(1.0)).data == pytest.approx(math.sinh(1.0), rel=1e-15)  # type: ignore[attr-defined]
    cosh = Op("cosh", lambda xs, p: math.cosh(xs[0]), lambda m, out, xs, p: (m.sinh(xs[0]),))
    # d^2 cosh / dx^2 = cosh x, also by central differences of the engine's first derivative
    ((h,),) = hessian(lambda x: apply(cosh, x), [0.4])
    assert h == pytest.approx(math.cosh(0.4), rel=1e-14)

    def first(xs: list[float]) -> float:
        v = Value(xs[0])
        return autograd.grad(apply(cosh, v), [v])[0]

    assert h == pytest.approx(fd_derivative(first, [0.4], 0), rel=1e-8)


def test_register_rule_refuses_bad_entries() -> None:
    with pytest.raises(ValueError, match="already has 'log'"):
        register_rule("log", math.log, lambda x: x.log(), "log({0})")
    with pytest.raises(ValueError, match="public Python identifier"):
        register_rule("not a name", math.log, None, "f({0})")
    with pytest.raises(TypeError, match="must be callable"):
        register_rule("broken", 3, None, "f({0})")  # type: ignore[arg-type]


def test_math_functions_on_a_value_raise_saying_what_to_use() -> None:
    v = Value(1.0)
    for fn in (math.exp, math.log, math.sin, float):
        with pytest.raises(TypeError, match=r"v\.exp\(\).*v\.data / v\.item\(\)"):
            fn(v)
    assert v.item() == 1.0 and type(v.item()) is float
    # what keeps working: comparisons, max, sorted, abs, bool
    w = Value(-2.0)
    assert max([v, w]) is v and sorted([v, w]) == [w, v] and abs(w).data == 2.0 and bool(v) and v > w


def test_micrograds_way_of_adding_an_op_points_at_extend() -> None:
    a = Value(2.0)
    with pytest.raises(TypeError, match=r"autograd\.extend\.Op.*'Adding an operation'"):
        Value(2.0, (a,), "sin")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"autograd\.extend"):
        Value(2.0, _children=(a,), _op="sin")  # type: ignore[call-arg]


def test_apply_checks_what_a_user_op_gives() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"apply takes an autograd\.extend\.Op first"):
        apply("sin", x)  # type: ignore[arg-type]
    text = Op("text", lambda xs, p: "3", lambda m, out, xs, p: (1.0,))
    with pytest.raises(TypeError, match="the result of op 'text'"):
        apply(text, x)
    short = Op("short", lambda xs, p: xs[0] + xs[1], lambda m, out, xs, p: (1.0,))
    with pytest.raises(TypeError, match=r"op 'short' must return a tuple of 2 derivative\(s\)"):
        apply(short, x, 2.0)
    assert apply(GOOD_SIN, 0.5).data == math.sin(0.5)  # numbers are taken as constants


def test_traits_say_what_an_op_is() -> None:
    assert display(op_pow_const(2.0)) == "**2" and display(op_softmax(1)) == "softmax[1]"
    assert display(op_dot(2)) == "dot" and display(OP_ADD) == "+" and display(GOOD_SIN) == "good_sin"
    assert input_roles(op_dot(2), 5) == ("weight", "weight", "input", "input", "bias")
    assert input_roles(op_dot(2), 4) == ("weight", "weight", "input", "input")
    assert input_roles(OP_ADD, 2) == ("operand", "operand")
    assert op_softmax(0).coupled and not op_dot(3).coupled and not OP_ADD.coupled


def test_built_in_ops_pickle_as_themselves_and_user_ops_are_refused() -> None:
    for op in (OP_ADD, op_dot(3), op_softmax(2), op_pow_const(0.5)):
        assert pickle.loads(pickle.dumps(op)) is op
    with pytest.raises(TypeError, match="'good_sin' is not one of chainrule's built-in ops"):
        pickle.dumps(GOOD_SIN)


@pytest.mark.parametrize(
    ("method", "derivatives", "x"),
    [
        ("sin", (math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)), 0.9),
        ("cos", (lambda x: -math.sin(x), lambda x: -math.cos(x), math.sin), -1.3),
        ("sqrt", (lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5), 2.5),
    ],
)
def test_sin_cos_sqrt_are_exact_at_every_order(method: str, derivatives: tuple, x: float) -> None:
    def nth(n: int, at: float) -> float:
        v = Value(at)
        g = getattr(v, method)()
        for _ in range(n - 1):
            (g,) = autograd.grad(g, [v], create_graph=True)
        return autograd.grad(g, [v])[0]

    assert getattr(Value(x), method)().data == getattr(math, method)(x)
    for n, closed in enumerate(derivatives, start=1):
        assert nth(n, x) == pytest.approx(closed(x), rel=1e-14)
        if n > 1:  # each order is the central difference of the one before
            before = functools.partial(lambda k, xs: nth(k, xs[0]), n - 1)
            assert nth(n, x) == pytest.approx(fd_derivative(before, [x], 0), rel=1e-8)


def test_sqrt_refuses_zero_and_negatives_and_sin_refuses_non_finite() -> None:
    with pytest.raises(ValueError, match="sqrt accepts positive numbers only"):
        Value(0.0).sqrt()
    with pytest.raises(ValueError, match="sqrt accepts positive numbers only"):
        Value(-1.0).sqrt()
    v = Value(1.0)
    v.data = math.inf
    with pytest.raises(ValueError, match=r"an input of sin is .*must be finite"):
        v.sin()
