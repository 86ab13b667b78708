"""What micrograd and PyTorch users type from habit, written as their programs write it.

Each test is user code: micrograd's constructors and demo step, a PyTorch-style Module subclass whose
parameters are found from its attributes, ``load_state_dict(sd, strict=False)``. Expected numbers come
from plain floats computed here (micrograd's own arithmetic, or closed forms), never from nn.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value

# --- micrograd's arithmetic in plain floats (its nn.py's forward pass, written anew) -------------


def micrograd_draws(nin, nouts, seed):
    """The weights micrograd's ``MLP(nin, nouts)`` draws after ``random.seed(seed)``: per layer, per
    neuron, its ``nin`` weights from ``random.uniform(-1, 1)`` (biases are 0)."""
    random.seed(seed)
    sizes = [nin, *nouts]
    return [[[random.uniform(-1, 1) for _ in range(sizes[k])] for _ in range(sizes[k + 1])] for k in range(len(nouts))]


def float_forward(layers, x, nonlin_last=False):
    """micrograd's forward: ``act = b + sum(w*x)``, ReLU except in the last layer. ``layers`` holds
    ``[(weights, bias), ...]`` per neuron, per layer."""
    h = list(x)
    for k, neurons in enumerate(layers):
        relu = nonlin_last or k != len(layers) - 1
        outs = []
        for w, b in neurons:
            act = b + math.fsum(wi * xi for wi, xi in zip(w, h))
            outs.append(max(0.0, act) if relu else act)
        h = outs
    return h


def float_layers(model):
    """The model's current numbers as plain floats, in micrograd's nesting."""
    return [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]


# --- micrograd's constructors and defaults ------------------------------------------------------


def test_neuron_of_n_inputs_is_micrograds_relu_neuron():
    random.seed(7)
    n = nn.Neuron(3)
    random.seed(7)
    assert [w.data for w in n.w] == [random.uniform(-1, 1) for _ in range(3)] and n.b.data == 0.0
    x = [0.5, -2.0, 1.5]
    act = math.fsum(w.data * xi for w, xi in zip(n.w, x))
    assert n(x).data == pytest.approx(max(0.0, act), rel=1e-15, abs=1e-15)
    assert n.activation == "relu"
    linear = nn.Neuron(3, nonlin=False, seed=1)
    w = [x.data for x in linear.w]
    for xs in ([1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]):  # one of the two is negative: not clipped
        assert linear(xs).data == pytest.approx(math.fsum(a * b for a, b in zip(w, xs)), rel=1e-15)


def test_layer_is_micrograds_layer_and_one_neuron_gives_its_value():
    draws = micrograd_draws(4, [3], seed=11)[0]
    random.seed(11)
    layer = nn.Layer(4, 3)
    assert [[w.data for w in n.w] for n in layer.neurons] == draws
    assert layer.activation == "relu" and isinstance(layer([1.0, 2.0, 3.0, 4.0]), list)
    head = nn.Layer(3, 1, nonlin=False, seed=2)
    out = head([1.0, -1.0, 2.0])
    assert isinstance(out, Value) and head.activation == "linear"
    assert out.data == pytest.approx(math.fsum(w.data * x for w, x in zip(head.neurons[0].w, [1.0, -1.0, 2.0])))


def test_mlp_of_nouts_has_micrograds_weights_activations_and_scalar_output():
    draws = micrograd_draws(2, [16, 16, 1], seed=1337)
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    assert [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers] == draws
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    x = [0.3, -1.2]
    score = model(x)  # micrograd: one Value, so `1 + -y * score` works as its demo writes it
    expected = float_forward([[(w, 0.0) for w in layer] for layer in draws], x)[0]
    assert isinstance(score, Value) and score.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)


def test_micrograds_demo_step_as_written_trains_with_exact_gradients():
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    rng = random.Random(5)
    X = [[rng.uniform(-1.5, 2.5), rng.uniform(-1.0, 1.5)] for _ in range(6)]
    y = [1 if a * a + b < 1 else -1 for a, b in X]
    alpha = 1e-4

    def loss_floats(layers):
        scores = [float_forward(layers, x)[0] for x in X]
        data_loss = sum(max(0.0, 1 + -yi * s) for yi, s in zip(y, scores)) / len(X)
        reg = alpha * sum(w * w for layer in layers for ws, b in layer for w in [*ws, b])
        return data_loss + reg

    def step(k):  # the demo's loss() and update, as its notebook writes them
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        return total_loss

    layers = float_layers(model)
    total = step(0)
    assert total.data == pytest.approx(loss_floats(layers), rel=1e-12)
    h = 1e-6
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for i, p in [*enumerate(neuron.w), (None, neuron.b)]:
                moved = []
                for s in (h, -h):
                    m = [[(list(ws), b) for ws, b in lay] for lay in layers]
                    ws, b = m[k][j]
                    if i is None:
                        m[k][j] = (ws, b + s)
                    else:
                        ws[i] += s
                    moved.append(loss_floats(m))
                assert p.grad == pytest.approx((moved[0] - moved[1]) / (2 * h), rel=1e-5, abs=1e-8), (k, j, i)
    first = total.data
    for k in range(20):
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        total = step(k + 1)
    assert total.data < first


def test_an_int_where_a_list_is_expected_is_accepted_or_refused_saying_what_is_accepted():
    with pytest.raises(TypeError, match=r"layer sizes as a list: MLP\(2, \[16, 16, 1\]\)"):
        nn.MLP(2, 16)
    with pytest.raises(TypeError, match=r"number of inputs \(micrograd's Neuron\(2\)\) or a list of weights"):
        nn.Neuron("2")
    with pytest.raises(TypeError, match="True \\(ReLU\\) or False \\(linear\\)"):
        nn.Neuron(2, nonlin="no")
    with pytest.raises(TypeError, match="not both"):
        nn.Layer(2, 2, "tanh", nonlin=False)
    with pytest.raises(TypeError, match="seed draws the weights of Neuron"):
        nn.Neuron([1.0, 2.0], seed=3)
    with pytest.raises(ValueError, match="n_in >= 1"):
        nn.Neuron(0)


def test_the_named_forms_keep_working_and_return_lists():
    model = nn.MLP(2, [3, 1], ["tanh", "linear"], init=0.5, bias=0.25)
    out = model([1.0, 2.0])
    hidden = math.tanh(0.5 * 1.0 + 0.5 * 2.0 + 0.25)
    assert isinstance(out, list) and out[0].data == pytest.approx(3 * 0.5 * hidden + 0.25, rel=1e-15)
    assert nn.Layer(2, 1, "linear", init=1.0)([1.0, 2.0])[0].data == 3.0
    assert nn.Neuron([1.0, -1.0], 0.5)([3.0, 5.0]).data == -1.5  # a list of weights: linear by default
    assert nn.MLP(2, [3], ["relu"], seed=random.Random(3)).layers[0].activation == "relu"


def test_random_seed_makes_a_model_reproducible():
    random.seed(42)
    a = nn.MLP(3, [4, 2], ["tanh", "sigmoid"])
    random.seed(42)
    b = nn.MLP(3, [4, 2], ["tanh", "sigmoid"])
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


# --- PyTorch-style modules: parameters found from attributes -------------------------------------


class Inner(nn.Module):
    def __init__(self) -> None:
        self.w = [Value(1.0), Value(2.0)]


class Affine(nn.Module):
    """A user's module as PyTorch code writes one: no parameters() override."""

    def __init__(self) -> None:
        self.w = Value(0.5)
        self.inner = Inner()
        self.extra = (Value(3.0), Value(4.0))
        self.table = {"scale": Value(2.0), 0: Value(-1.0)}
        self._offset = Value(10.0)  # a constant: kept out by its leading underscore
        self.rate = 0.1  # a plain number: not a parameter

    def __call__(self, x):
        a, b = self.inner.w
        return (self.w * x + a * b + self.extra[0] * self.extra[1]) * self.table["scale"] + self.table[0] + self._offset


def test_a_subclass_finds_its_parameters_with_pytorch_names():
    m = Affine()
    names = ["w", "inner.w.0", "inner.w.1", "extra.0", "extra.1", "table.scale", "table.0"]
    assert list(m.state_dict()) == names
    assert [p.data for p in m.parameters()] == [0.5, 1.0, 2.0, 3.0, 4.0, 2.0, -1.0]
    out = m(3.0)
    out.backward()
    # d/dp of (w*x + a*b + c*d)*s + t + offset, each written out
    s, inner = 2.0, 0.5 * 3.0 + 1.0 * 2.0 + 3.0 * 4.0
    expected = [3.0 * s, 2.0 * s, 1.0 * s, 4.0 * s, 3.0 * s, inner, 1.0]
    assert [p.grad for p in m.parameters()] == expected
    assert m._offset.grad == 1.0 and m._offset not in m.parameters()
    opt = nn.SGD(m.parameters(), lr=0.1)
    opt.step()
    assert [p.data for p in m.parameters()] == [x - 0.1 * g for x, g in zip([0.5, 1.0, 2.0, 3.0, 4.0, 2.0, -1.0],
                                                                               expected)]
    assert m._offset.data == 10.0
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters()) and m._offset.grad == 1.0


def test_a_pytorch_style_module_with_forward_is_called_and_trained():
    class TwoLayer(nn.Module):
        def __init__(self) -> None:
            self.fc1 = nn.Layer.from_matrices([[0.5, -0.25, 1.0], [0.75, 0.5, -1.0]], [0.1, 0.0, -0.1], "tanh")
            self.fc2 = nn.Layer.from_matrices([[1.0], [-2.0], [0.5]], [0.3], "linear")

        def forward(self, x):
            return self.fc2(self.fc1(x))

    model = TwoLayer()
    x = [0.4, -0.6]
    out = model(x)[0]
    out.backward()
    # closed form: out = sum_j v_j * tanh(z_j) + c, z_j = sum_i W[i][j] x_i + b_j
    W, b, v = [[0.5, -0.25, 1.0], [0.75, 0.5, -1.0]], [0.1, 0.0, -0.1], [1.0, -2.0, 0.5]
    z = [W[0][j] * x[0] + W[1][j] * x[1] + b[j] for j in range(3)]
    assert out.data == pytest.approx(sum(v[j] * math.tanh(z[j]) for j in range(3)) + 0.3, rel=1e-15)
    for j in range(3):
        slope = v[j] * (1 - math.tanh(z[j]) ** 2)
        assert model.fc1.neurons[j].b.grad == pytest.approx(slope, rel=1e-14)
        assert model.fc1.neurons[j].w[1].grad == pytest.approx(slope * x[1], rel=1e-14)
        assert model.fc2.neurons[0].w[j].grad == pytest.approx(math.tanh(z[j]), rel=1e-14)
    assert len(model.parameters()) == 9 + 4 and list(model.state_dict())[:2] == ["fc1.neurons.0.w.0",
                                                                                 "fc1.neurons.0.w.1"]
    with pytest.raises(TypeError, match=r"defines no forward\(\); a Module subclass computes its output"):
        nn.Module()(x)


def test_shared_values_are_named_once_and_computed_values_are_not_parameters():
    class Tied(nn.Module):
        def __init__(self) -> None:
            self.w = Value(1.5)
            self.again = [self.w]  # the same Value under a second name
            self.cached = self.w * 2.0  # computed by an operation: not trainable

    m = Tied()
    assert m.state_dict() == {"w": 1.5} and m.parameters() == [m.w]


def test_a_submodule_with_its_own_parameters_decides_for_its_attributes():
    class Frozen(nn.Module):
        """Written before modules were searched: it lists its parameters itself, leaving a public constant out."""

        def __init__(self) -> None:
            self.w = Value(2.0)
            self.temperature = Value(0.5)  # public, but not a parameter: parameters() says so

        def parameters(self):
            return [self.w]

    class Outer(nn.Module):
        def __init__(self) -> None:
            self.frozen = Frozen()
            self.model = nn.MLP(1, [2], ["tanh"], init=0.5)
            self.b = Value(0.0)

    m = Outer()
    assert m.frozen.temperature not in m.parameters()
    assert list(m.state_dict()) == ["frozen.w", "model.layers.0.neurons.0.w.0", "model.layers.0.neurons.0.b",
                                    "model.layers.0.neurons.1.w.0", "model.layers.0.neurons.1.b", "b"]
    assert len(m.parameters()) == 6 and {id(p) for p in m.model.parameters()} <= {id(p) for p in m.parameters()}


def resolve(obj, path):
    """Follow a state-dict name as Python code would: an attribute, else an index or a key."""
    for part in path.split("."):
        if isinstance(obj, nn.Module):
            obj = getattr(obj, part)
        elif isinstance(obj, dict):
            obj = obj[part] if part in obj else obj[int(part)]
        else:
            obj = obj[int(part)]
    return obj


leaves = st.builds(Value, st.floats(-10, 10))
keys = st.one_of(st.text("abcxyz_", min_size=1, max_size=3), st.integers(0, 5))
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=3),
        st.lists(inner, max_size=3).map(lambda xs: Bag(xs)),
    ),
    max_leaves=12,
)


class Bag(nn.Module):
    def __init__(self, items) -> None:
        self.items = items


@given(attrs=st.dictionaries(st.sampled_from(["w", "inner", "extra", "b"]), trees, max_size=4))
def test_every_leaf_value_is_found_once_under_a_name_that_leads_back_to_it(attrs):
    m = nn.Module()
    for name, tree in attrs.items():
        setattr(m, name, tree)
    sd = m.state_dict()
    params = m.parameters()
    # the leaves, listed independently of nn (a recursive walk is fine for these small trees)
    expected, todo = [], list(attrs.values())
    while todo:
        x = todo.pop(0)
        if isinstance(x, Value):
            expected.append(x)
        elif isinstance(x, Bag):
            todo.insert(0, x.items)
        elif isinstance(x, dict):
            todo[:0] = list(x.values())
        else:
            todo[:0] = list(x)
    assert [id(p) for p in params] == [id(v) for v in expected]  # attribute order, then index order
    assert len(sd) == len(params)
    for (name, number), p in zip(sd.items(), params):
        assert resolve(m, name) is p and number == p.data


def test_unnameable_containers_are_refused_saying_what_works():
    class WithSet(nn.Module):
        def __init__(self) -> None:
            self.ps = {Value(1.0), Value(2.0)}

    class DottedKey(nn.Module):
        def __init__(self) -> None:
            self.d = {"a.b": Value(1.0)}

    with pytest.raises(TypeError, match=r"ps is a set of Values or Modules.*keep them in a list"):
        WithSet().parameters()
    with pytest.raises(TypeError, match=r"under the key 'a\.b'"):
        DottedKey().state_dict()

    class Clash(nn.Module):
        def __init__(self) -> None:
            self.d = {1: Value(1.0), "1": Value(2.0)}  # both would be named d.1
            self.cache = {(1, 2): [0.5]}  # no Value below an odd key: left alone

    with pytest.raises(TypeError, match=r"d holds Values or Modules under a second key named '1'"):
        Clash().parameters()


def test_a_deep_chain_of_modules_is_walked_without_recursion():
    class Link(nn.Module):
        def __init__(self, nxt) -> None:
            self.v = Value(1.0)
            self.next = nxt

    head = None
    for _ in range(1500):  # deeper than Python's recursion limit
        head = Link(head)
    names = list(head.state_dict())
    assert len(names) == 1500 and names[2] == "next.next.v"


# --- load_state_dict(strict=False) ---------------------------------------------------------------


class Body(nn.Module):
    def __init__(self, seed: int) -> None:
        self.body = nn.Layer(2, 2, "tanh", seed=seed)


class BodyAndHead(nn.Module):
    def __init__(self, seed: int) -> None:
        self.body = nn.Layer(2, 2, "tanh", seed=seed)
        self.head = nn.Layer(2, 1, "linear", seed=seed + 1)


def test_strict_false_loads_what_matches_and_names_the_rest():
    source, target = Body(1), BodyAndHead(2)
    source.extra = Value(9.0)  # a name the target lacks
    head_before = target.head.state_dict()
    result = target.load_state_dict(source.state_dict(), strict=False)
    missing, unexpected = result  # unpacked as PyTorch code does
    assert missing == [f"head.{n}" for n in head_before]
    assert unexpected == ["extra"] and result.unexpected_keys == ["extra"]
    assert target.body.state_dict() == source.body.state_dict()
    assert target.head.state_dict() == head_before
    assert repr(target.load_state_dict(target.state_dict())) == "<All keys matched successfully>"


def test_strict_false_is_still_all_or_nothing_on_an_entry_of_the_wrong_shape():
    target = BodyAndHead(3)
    before = target.state_dict()
    sd = {name: x + 1.0 for name, x in before.items()}
    sd["head.neurons.0.b"] = [0.1, 0.2]  # a vector where one number belongs
    with pytest.raises(ValueError, match=r"'head.neurons.0.b' is a list of 2 entries; each chainrule parameter is one"):
        target.load_state_dict(sd, strict=False)
    assert target.state_dict() == before  # the entries before it were not written either
    with pytest.raises(TypeError, match="strict must be True or False"):
        target.load_state_dict(sd, strict="no")


def test_strict_load_says_how_to_load_a_part():
    with pytest.raises(ValueError, match=r"missing 3 parameter.*strict=False loads the names that match"):
        BodyAndHead(1).load_state_dict(Body(1).state_dict())
