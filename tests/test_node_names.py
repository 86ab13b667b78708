"""One display name per node (autograd.names): labels win, derived names read as the expression, unique, stable."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
import nn.lesson
from autograd import Value
from autograd.names import MAX_DERIVED, node_names, op_display


def tutorial_loss() -> Value:
    model = nn.lesson.tutorial.network()
    return nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)


def test_the_tutorial_loss_parts_are_named_from_their_inputs() -> None:
    names = set(node_names(tutorial_loss()).values())
    for expected in ("log(O_out1)", "1−O_out2", "log(1−O_out2)", "1−O_out3", "log(1−O_out3)",
                     "log(O_out1)+log(1−O_out2)+log(1−O_out3)"):
        assert expected in names
    assert not any(n.startswith(("sum#", "const#", "log#")) for n in names)


def test_labels_win_over_own_labels_and_derived_names() -> None:
    x, w = Value(2.0, "x[0]"), Value(3.0)
    y = x * w
    names = node_names(y, {x: "i1", y: "h1_in1"})
    assert names[x] == "i1" and names[y] == "h1_in1" and names[w] == "3"
    assert node_names(y)[y] == "x[0]·3"


def test_a_derived_name_never_takes_a_labels_place() -> None:
    a, b = Value(1.0, "a"), Value(2.0, "b")
    s = a + b
    t = s * 2.0
    t.label = "a+b"  # the label comes later in topological order than the sum, and still wins
    names = node_names(t)
    assert names[t] == "a+b" and names[s] == "a+b#2"


def test_names_are_unique_and_repeated_labels_are_numbered_in_order() -> None:
    xs = [Value(float(k), "x") for k in range(3)]
    total = xs[0] + xs[1] + xs[2]
    names = node_names(total)
    assert [names[x] for x in xs] == ["x", "x#2", "x#3"]
    assert len(set(names.values())) == len(names)


def test_a_label_that_reads_like_a_numbered_name_is_skipped_when_numbering() -> None:
    a, b, c, d = Value(1.0, "x"), Value(2.0, "x#2"), Value(3.0, "x"), Value(4.0, "x")
    total = autograd.sum([a, b, c, d])
    names = node_names(total)
    assert [names[v] for v in (a, b, c, d)] == ["x", "x#2", "x#3", "x#4"]


def test_many_equal_names_are_each_numbered_once() -> None:
    v = Value(0.5, "x")
    for _ in range(5_000):  # 5,000 constants 1.0: each named 1, 1#2, ..., 1#5000
        v = v * 1.0
    ones = sorted((n for n in node_names(v).values() if n == "1" or n.startswith("1#")), key=len)
    assert len(ones) == 5_000 and set(ones) == {"1"} | {f"1#{k}" for k in range(2, 5_001)}


def test_constants_are_written_as_numbers_inside_names() -> None:
    o1, o2 = Value(0.2, "p"), Value(0.3, "q")
    a, b = 1 - o1, 1 - o2
    names = node_names(a * b)
    assert names[a] == "1−p" and names[b] == "1−q"  # not "1#2−q": the number, not the constant's unique name
    assert sorted(n for n in names.values() if n.startswith("1") and "−" not in n) == ["1", "1#2"]


def test_a_too_long_name_falls_back_to_op_and_topological_index() -> None:
    xs = [Value(float(k), f"long_name_{k}") for k in range(6)]
    s = autograd.sum(xs)
    names = node_names(s)
    assert len("+".join(x.label for x in xs)) > MAX_DERIVED
    assert names[s] == f"sum#{len(xs)}"  # the six leaves come first in topological order
    m = Value(1.0, "m" * MAX_DERIVED) * Value(2.0, "n")
    assert node_names(m)[m] == "mul#2"


def test_op_display_shows_parameters() -> None:
    x = Value(3.0, "x")
    assert op_display(x) == "" and op_display(x * x) == "*" and op_display(x**2) == "**2"
    names = node_names(tutorial_loss())
    softmax = [v for v in names if v.op == "softmax"]
    assert [op_display(v) for v in softmax] == ["softmax[0]", "softmax[1]", "softmax[2]"]


def test_the_order_is_topological_and_the_same_every_time() -> None:
    first = list(node_names(tutorial_loss()).values())
    second = list(node_names(tutorial_loss()).values())
    assert first == second and len(first) == 67


@pytest.mark.parametrize("bad", [["x"], {"x": "y"}, "labels"])
def test_bad_labels_are_refused_by_name(bad: object) -> None:
    with pytest.raises(TypeError, match="labels"):
        node_names(Value(1.0) * 2.0, bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="output Value"):
        node_names(3.0)  # type: ignore[arg-type]


# Expressions over + - * / and unary minus on single-letter leaves: a derived name, read back as
# Python (− as -, · as *), must compute the node's value. An independent check of the parentheses.
LEAVES = {"a": 1.5, "b": -2.25, "c": 0.75, "d": 3.0}
BINARY = [lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y]


@st.composite
def expressions(draw: st.DrawFn) -> Value:
    pool = [Value(v, k) for k, v in LEAVES.items()]
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()) and len(pool) > 0:
            x = pool[draw(st.integers(0, len(pool) - 1))]
            if draw(st.integers(0, 3)) == 0:
                pool.append(-x)
                continue
            y = pool[draw(st.integers(0, len(pool) - 1))]
            op = BINARY[draw(st.integers(0, 3))]
            if op is BINARY[3] and abs(y.data) < 1e-3:
                continue
            pool.append(op(x, y))
        else:
            pool.append(pool[draw(st.integers(0, len(pool) - 1))] * 2.0)
    return pool[-1]


@given(expressions())
def test_derived_names_read_back_as_the_expression(root: Value) -> None:
    names = node_names(root)
    text = names[root]
    assert len(set(names.values())) == len(names)
    assume("#" not in text)  # a fallback name (op#k) holds no expression to read back
    got = eval(text.replace("−", "-").replace("·", "*"), {"__builtins__": {}}, dict(LEAVES))
    assert math.isclose(got, root.data, rel_tol=1e-9, abs_tol=1e-12)
