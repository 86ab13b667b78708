"""Value: construction, the public record (.op, .inputs, .local_grads, .label), repr, slots."""

from __future__ import annotations

import math
import weakref
from fractions import Fraction

import pytest
from conftest import need
from hypothesis import given
from hypothesis import strategies as st
from strategies import OP_NAMES, OPS, op_args

import autograd
from autograd import Value


def test_leaf_defaults() -> None:
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    assert type(v.grad) is float and v.grad == 0.0
    assert (v.label, v.op, v.inputs, v.local_grads, v.is_leaf) == ("", "", (), (), True)
    assert Value(2.5, "w").label == "w"
    assert Value(2.5, label="w").label == "w"


@pytest.mark.parametrize(
    ("given_", "want"),
    [(0, 0.0), (-7, -7.0), (2**60, 2.0**60), (0.1, 0.1), (-0.0, -0.0), (Fraction(1, 4), 0.25), (1e308, 1e308)],
)
def test_accepted_numbers_become_floats(given_: object, want: float) -> None:
    v = Value(given_)
    assert type(v.data) is float and v.data == want
    assert math.copysign(1.0, v.data) == math.copysign(1.0, want)


def test_numpy_scalars_are_accepted() -> None:
    np = need("numpy", "the test extra brings it, through matplotlib")
    for x in (np.float64(1.5), np.float32(1.5), np.int64(3), np.int8(-2)):
        v = Value(x)
        assert type(v.data) is float and v.data == float(x)
    assert (Value(1.0) + np.float64(2.0)).data == 3.0


def test_attributes_attach_and_weak_references_work() -> None:
    v = Value(1.0)
    v.m, v.colour = 0.5, "red"  # type: ignore[attr-defined]  # as micrograd-family optimisers/drawings do
    assert (v.m, v.colour) == (0.5, "red")  # type: ignore[attr-defined]
    assert "m" not in vars(Value(2.0))  # attached to that Value only
    assert weakref.ref(v)() is v


def test_repr() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    c.label = "c"
    (c * -3.0).backward()
    assert repr(c) == "Value(data=2.0, grad=-3.0, op='*', label='c')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(-0.5, "x")) == "Value(data=-0.5, grad=0.0, label='x')"
    assert repr(a + b) == "Value(data=3.0, grad=0.0, op='+')"
    assert repr(Value(0.1)) == "Value(data=0.1, grad=0.0)"  # shortest round-trip float repr


def test_record_of_each_binary_operator() -> None:
    x, y = Value(3.0, "x"), Value(-2.0, "y")
    cases = {
        "+": (x + y, 1.0, (1.0, 1.0)),
        "-": (x - y, 5.0, (1.0, -1.0)),
        "*": (x * y, -6.0, (-2.0, 3.0)),
        "/": (x / y, -1.5, (-0.5, -0.75)),  # (1/y, -x/y^2)
    }
    for op, (node, data, local) in cases.items():
        assert node.op == op and node.data == data
        assert node.inputs == (x, y) and node.inputs[0] is x and node.inputs[1] is y
        assert node.local_grads == local
        assert all(type(g) is float for g in node.local_grads)
        assert not node.is_leaf and node.label == "" and node.grad == 0.0
    n = -x
    assert (n.op, n.data, n.inputs, n.local_grads) == ("neg", -3.0, (x,), (-1.0,))


def test_reflected_forms_record_the_number_as_a_constant_leaf() -> None:
    x = Value(4.0)
    for node, data, local in [
        (2 + x, 6.0, (1.0, 1.0)),
        (2 - x, -2.0, (1.0, -1.0)),
        (2 * x, 8.0, (4.0, 2.0)),
        (2 / x, 0.5, (0.25, -0.125)),  # (1/x, -2/x^2)
        (2**x, 16.0, (4.0 * 2.0**3, 16.0 * math.log(2.0))),  # (x c^(x-1), c^x ln c)
    ]:
        const, var = node.inputs
        assert var is x and const.is_leaf and const.data == 2.0 and type(const.data) is float
        assert node.data == data
        assert node.local_grads[0] == local[0] and math.isclose(node.local_grads[1], local[1], rel_tol=1e-15)


def test_number_on_the_right_is_a_constant_leaf_too() -> None:
    x = Value(4.0)
    for node in (x + 2, x - 2, x * 2, x / 2):
        assert node.inputs[0] is x and node.inputs[1].is_leaf and node.inputs[1].data == 2.0
    p = x**2
    assert p.inputs == (x,) and p.local_grads == (8.0,) and p.op.startswith("**")
    q = x ** Value(0.5)
    assert q.op == "**" and q.data == 2.0 and len(q.inputs) == 2


def test_unary_method_records() -> None:
    x = Value(0.5)
    for name in ("exp", "log", "tanh", "sigmoid", "relu"):
        node = getattr(x, name)()
        assert node.op == name and node.inputs == (x,) and len(node.local_grads) == 1


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_record_of_every_op(name: str, data: st.DataObject) -> None:
    """For every op of the table: the node's op name, its inputs (the operands, same objects, same order,
    plus a constant leaf for a plain number), one float local derivative per input, and its value."""
    case = OPS[name]
    xs, param = data.draw(op_args(case))
    operands = [Value(x) for x in xs]
    node = case.build(operands, param)
    assert node.op == case.op or (case.op_is_prefix and node.op.startswith(case.op))
    assert not node.is_leaf and node.grad == 0.0
    mine = [v for v in node.inputs if any(v is o for o in operands)]
    assert len(mine) == len(operands) and all(m is o for m, o in zip(mine, operands))
    for extra in node.inputs:
        if not any(extra is o for o in operands):
            assert extra.is_leaf and extra.data == param  # the plain number, wrapped
    assert len(node.local_grads) == len(node.inputs)
    assert all(type(g) is float and math.isfinite(g) for g in node.local_grads)
    want = case.ref(xs, param)
    # Relative to the result, or absolute relative to the operands: a sum that cancels (x + y, logsumexp
    # near 0) is only accurate to a few ulps of its largest operand, in any float implementation.
    scale = max([1.0, *map(abs, xs), *([abs(param)] if isinstance(param, float) else [])])
    assert math.isclose(node.data, want, rel_tol=1e-12, abs_tol=1e-14 * scale), (node.data, want)


def test_label_is_settable_and_kept_by_ops_only_on_inputs() -> None:
    a = Value(1.0, "a")
    b = a * 2
    b.label = "b"
    assert (a.label, b.label, (b + 1).label) == ("a", "b", "")


def test_operations_do_not_mutate_their_inputs() -> None:
    a, b = Value(1.5, "a"), Value(-0.5, "b")
    a.grad, b.grad = 0.25, 0.75
    autograd.softmax([a, b])
    autograd.dot([a], [b], bias=a)
    (a**b).tanh()
    (a * b).relu()
    assert (a.data, a.grad, a.label, a.inputs, b.data, b.grad) == (1.5, 0.25, "a", (), -0.5, 0.75)


def test_models_and_graphs_of_built_in_ops_pickle_and_a_custom_op_says_why_not() -> None:
    import pickle

    import autograd
    import nn.lesson
    from autograd.ops import Op

    model = nn.lesson.tutorial.network()
    copy = pickle.loads(pickle.dumps(model))
    assert [o.data for o in copy(nn.lesson.tutorial.INPUT)] == [o.data for o in model(nn.lesson.tutorial.INPUT)]
    x = Value(0.5, "x")
    y = autograd.softmax([x * 2.0, x.tanh(), x**3])[0]
    y2 = pickle.loads(pickle.dumps(y))
    assert [n._rule for n in autograd.topological_order(y2)] == [n._rule for n in autograd.topological_order(y)]
    (x2,) = (n for n in autograd.topological_order(y2) if n.label == "x")
    assert autograd.grad(y2, [x2]) == autograd.grad(y, [x])  # the same ops, the very same objects
    square = Op("square", lambda xs, p: xs[0] * xs[0], lambda m, out, xs, p: (2.0 * xs[0],))
    with pytest.raises(TypeError, match="'square' is not one of chainrule's built-in ops"):
        pickle.dumps(autograd.apply(square, x))
