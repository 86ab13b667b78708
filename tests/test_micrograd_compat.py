"""Code written for micrograd's family runs on chainrule's Value with only its import changed.

The programs themselves (micrograd's test_engine.py, nn.py and demo notebook, its trace_graph notebook,
the zero-to-hero lecture notebooks, EurekaLabs' micrograd.py) were run against chainrule by hand (see
docs/ecosystem.md). They are not copied here: these tests make, in code written for them, the calls
those programs make - a draw_dot walking ``_prev`` and printing ``_op``, an AdamW keeping its moments as
attributes on the Values, ``max``/``sorted``/``float``/``abs``/``bool``, ``sum(..., Value(0))`` - and
check every gradient against central finite differences of a plain-float computation.
"""

from __future__ import annotations

import math
import random

import pytest
from graphviz import Digraph
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.render import to_svg


def central_difference(f, xs, k, h=1e-6):
    up, down = list(xs), list(xs)
    up[k] += h
    down[k] -= h
    return (f(up) - f(down)) / (2 * h)


def assert_gradients(f_values, f_floats, xs, rel=1e-6, abs_=1e-8):
    """Gradients of ``f_values`` (on Values) against central differences of ``f_floats`` (on floats)."""
    leaves = [Value(x) for x in xs]
    out = f_values(leaves)
    assert math.isclose(out.data, f_floats(xs), rel_tol=1e-12, abs_tol=1e-12)
    out.backward()
    for k, leaf in enumerate(leaves):
        assert math.isclose(leaf.grad, central_difference(f_floats, xs, k), rel_tol=rel, abs_tol=abs_), k


# --- the graph as micrograd code reads it: _prev, _op, label, attributes --------------------------


def trace(root):
    """Nodes and (child, parent) edges, found through ``_prev`` as micrograd's trace does (iteratively)."""
    nodes, edges, todo = set(), set(), [root]
    while todo:
        v = todo.pop()
        if v in nodes:
            continue
        nodes.add(v)
        for child in v._prev:
            edges.add((child, v))
            todo.append(child)
    return nodes, edges


def draw_dot(root):
    """A micrograd-style drawing: a record per Value, an op node named by ``_op``, a colour attribute."""
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        colour = n._vis_color if hasattr(n, "_vis_color") else "white"
        label = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad)  # noqa: UP031  (micrograd's way)
        dot.node(uid, label=label, shape="record", style="filled", fillcolor=colour)
        if n._op:
            dot.node(uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot, nodes, edges


def test_draw_dot_walks_prev_and_names_ops():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = (d * f).tanh() + abs(a - 5.0)
    L.label = "L"
    L.backward()
    a._vis_color = "lightblue"
    dot, nodes, edges = draw_dot(L)
    # _prev is the set of inputs; _op the op's name, '' for a leaf
    for n in nodes:
        assert n._prev == set(n.inputs)
        assert isinstance(n._op, str) and (n._op == "") == (not n.inputs)
    assert {a, b, c, f} <= nodes and len(edges) == sum(len(set(n.inputs)) for n in nodes)
    ops = {n._op for n in nodes if n._op}
    assert {"*", "+", "tanh", "abs", "-"} <= ops
    svg = to_svg(dot)
    assert "lightblue" in svg and "data 2.0000" in svg and all(op in svg for op in ("tanh", "abs"))


def test_a_recursive_topological_sort_over_prev_orders_inputs_first():
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(o)
    position = {v: k for k, v in enumerate(topo)}
    assert topo[-1] is o and all(position[c] < position[v] for v in topo for c in v._prev)
    o.backward()
    assert math.isclose(x1.grad, w1.data * (1 - o.data**2)) and math.isclose(w2.grad, x2.data * (1 - o.data**2))


def test_attributes_attach_to_one_value_only():
    v, w = Value(1.0), Value(1.0)
    v.m, v.v, v._vis_color = 0.0, 0.0, "lightgreen"
    assert (v.m, v.v, v._vis_color) == (0.0, 0.0, "lightgreen")
    assert not hasattr(w, "m") and not hasattr(w, "_vis_color")
    assert (v * 2.0).data == 2.0  # an attribute changes nothing the engine does


# --- reading numbers: float, bool, comparisons, max, sorted; identity stays identity ------------


def test_float_bool_and_comparisons_read_data():
    a, b = Value(-1.5), Value(2.0)
    assert a.item() == -1.5 and f"{b.item():.1f}" == "2.0"
    with pytest.raises(TypeError, match="use the Value's own methods"):  # micrograd raises a TypeError too
        math.sqrt(b)
    assert bool(Value(0.0)) is False and bool(Value(-0.0)) is False and bool(Value(1e-300)) is True
    assert (a < b) is True and (a <= b) is True and (a > b) is False and (a >= b) is False
    assert (a < 0) is True and (b >= 2) is True
    assert (0.5 < b) is True and (3 > b) is True  # noqa: SIM300  (a number on the left: the reflected methods)
    assert a <= -1.5 and a >= -1.5


def test_max_min_sorted_return_the_values_themselves():
    vals = [Value(x) for x in (0.3, -2.0, 5.0, 1.0)]
    assert max(vals) is vals[2] and min(vals) is vals[1]
    assert [v.data for v in sorted(vals)] == [-2.0, 0.3, 1.0, 5.0]
    assert max(vals, key=lambda v: -v.data) is vals[1]
    loss = Value(0.005)
    assert ("stop" if loss < 0.01 else "go") == "stop"


def test_comparisons_record_nothing():
    a = Value(1.0)
    result = a < 2.0
    assert type(result) is bool and a.grad == 0.0
    s = a * a
    assert type(s > a) is bool and s._prev == {a}


def test_equality_and_hashing_stay_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and (a == 1.0) is False
    assert len({a, b}) == 2 and {a: "x"}[a] == "x"


def test_comparing_with_a_non_number_is_refused():
    with pytest.raises(TypeError):
        _ = Value(1.0) < "3"


# --- abs() as a differentiable op -----------------------------------------------------------------


@settings(max_examples=40)
@given(x=st.floats(-3, 3).filter(lambda t: abs(t) > 1e-3), y=st.floats(-3, 3).filter(lambda t: abs(t - 1) > 1e-3))
def test_abs_gradients_match_finite_differences(x, y):
    assert_gradients(lambda v: abs(v[0] * v[1] - v[0]) * v[0] + abs(v[1] - 1.0),
                     lambda f: abs(f[0] * f[1] - f[0]) * f[0] + abs(f[1] - 1.0), [x, y])


def test_abs_at_zero_has_derivative_zero_as_in_pytorch():
    x = Value(0.0)
    y = abs(x)
    y.backward()
    assert y.data == 0.0 and x.grad == 0.0 and y._op == "abs"


# --- the engine expressions micrograd's own tests exercise (written anew) ----------------------


def expression_values(v):
    a, b = v
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def expression_floats(v):
    a, b = v
    relu = lambda t: max(0.0, t)  # noqa: E731
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + relu(b + a)
    d = d + 3 * d + relu(b - a)
    e = c - d
    f = e**2
    return f / 2.0 + 10.0 / f


@pytest.mark.parametrize("xs", [[-4.0, 2.0], [1.5, -0.5], [0.25, 3.0]])
def test_reflected_operators_and_in_place_updates(xs):
    assert_gradients(expression_values, expression_floats, xs, rel=1e-6)


# --- micrograd nn.py-style modules and a training loop --------------------------------------------


class TinyNeuron:
    def __init__(self, nin, rng):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)  # an int, as micrograd writes it

    def __call__(self, x):
        return sum((wi * xi for wi, xi in zip(self.w, x)), self.b).tanh()

    def parameters(self):
        return [*self.w, self.b]


def test_a_micrograd_style_neuron_trains_with_hand_written_sgd():
    rng = random.Random(0)
    n = TinyNeuron(3, rng)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def loss_floats(params):
        w, b = params[:3], params[3]
        return sum((math.tanh(sum(wi * xi for wi, xi in zip(w, x)) + b) - y) ** 2 for x, y in zip(xs, ys))

    first = None
    for step in range(30):
        loss = sum((n(x) - y) ** 2 for x, y in zip(xs, ys))
        for p in n.parameters():
            p.grad = 0  # an int, as micrograd's zero_grad writes it
        loss.backward()
        if step == 0:
            first = loss.data
            start = [p.data for p in n.parameters()]
            for k, p in enumerate(n.parameters()):
                assert math.isclose(p.grad, central_difference(loss_floats, start, k), rel_tol=1e-6, abs_tol=1e-9)
        for p in n.parameters():
            p.data += -0.05 * p.grad
    assert loss.data < first


# --- EurekaLabs-style: an AdamW keeping its moments on the Values; cross-entropy by hand -------


class AttributeAdamW:
    """AdamW as EurekaLabs' micrograd writes it: the moments live on the parameters (``p.m``, ``p.v``)."""

    def __init__(self, params, lr=0.1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4):
        self.params, self.lr, (self.b1, self.b2), self.eps, self.wd, self.t = params, lr, betas, eps, weight_decay, 0
        for p in params:
            p.m = 0
            p.v = 0

    def step(self):
        self.t += 1
        for p in self.params:
            if p.grad is None:
                continue
            p.m = self.b1 * p.m + (1 - self.b1) * p.grad
            p.v = self.b2 * p.v + (1 - self.b2) * p.grad**2
            m_hat, v_hat = p.m / (1 - self.b1**self.t), p.v / (1 - self.b2**self.t)
            p.data -= self.lr * (m_hat / (v_hat**0.5 + self.eps) + self.wd * p.data)


def cross_entropy(logits, target):
    ex = [z.exp() for z in logits]
    denom = sum(ex)  # starts from 0 + Value
    return -(ex[target] / denom).log()


def test_an_optimiser_keeping_its_moments_on_the_values():
    rng = random.Random(3)
    w = [Value(rng.uniform(-1, 1)) for _ in range(6)]  # logits = W x, 3 classes, 2 inputs
    data = [([0.5, -1.0], 0), ([1.5, 0.2], 1), ([-0.3, 0.8], 2), ([0.0, -0.4], 0)]

    def loss_values(params):
        total = Value(0.0)
        for x, y in data:
            logits = [params[2 * c] * x[0] + params[2 * c + 1] * x[1] for c in range(3)]
            total = total + cross_entropy(logits, y)
        return total * (1.0 / len(data))

    def loss_floats(params):
        total = 0.0
        for x, y in data:
            z = [params[2 * c] * x[0] + params[2 * c + 1] * x[1] for c in range(3)]
            total += -math.log(math.exp(z[y]) / sum(math.exp(t) for t in z))
        return total / len(data)

    opt = AttributeAdamW(w)
    # the same AdamW in plain lists, fed the same gradients: the moments on the Values must match it
    m, v, shadow = [0.0] * 6, [0.0] * 6, [p.data for p in w]
    losses = []
    for t in range(1, 21):
        loss = loss_values(w)
        loss.backward()
        grads = [p.grad for p in w]
        for k in range(6):
            assert math.isclose(grads[k], central_difference(loss_floats, shadow, k), rel_tol=1e-6, abs_tol=1e-9)
        for k in range(6):
            m[k] = 0.9 * m[k] + (1 - 0.9) * grads[k]
            v[k] = 0.95 * v[k] + (1 - 0.95) * grads[k] ** 2
            update = (m[k] / (1 - 0.9**t)) / ((v[k] / (1 - 0.95**t)) ** 0.5 + 1e-8) + 1e-4 * shadow[k]
            shadow[k] -= 0.1 * update
        opt.step()
        for p in w:
            p.grad = 0
        assert [p.data for p in w] == shadow and [p.m for p in w] == m and [p.v for p in w] == v
        losses.append(loss.data)
    assert losses[-1] < losses[0]
