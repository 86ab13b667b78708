"""nn.Module / Neuron / Layer / MLP: layout, labels, errors, init, and gradients vs finite differences."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn.lesson
from autograd import Value
from nn import init as nninit
from nn.lesson import experiments

# --- plain-float forward pass for finite differences (independent of nn) -------------------------

_ACT = {
    "relu": lambda z: [max(0.0, t) for t in z],
    "sigmoid": lambda z: [1 / (1 + math.exp(-t)) for t in z],
    "tanh": lambda z: [math.tanh(t) for t in z],
    "linear": lambda z: list(z),
    "softmax": lambda z: (lambda e: [t / sum(e) for t in e])([math.exp(t - max(z)) for t in z]),
}


def float_forward(mats, acts, x):
    h = list(x)
    for (W, b), act in zip(mats, acts):
        z = [sum(h[i] * W[i][j] for i in range(len(h))) + b[j] for j in range(len(b))]
        h = _ACT[act](z)
    return h


def float_loss(mats, acts, x, coeffs):
    # A generic smooth read-out: sum_a c_a * out_a + 0.5 * out_a**2
    return sum(c * o + 0.5 * o * o for c, o in zip(coeffs, float_forward(mats, acts, x)))


# --- layout and labels ----------------------------------------------------------------------------


def test_layer_from_matrices_layout():
    W = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]  # 3 inputs, 2 neurons
    layer = nn.Layer.from_matrices(W, [0.5, -0.5], "linear")
    assert (layer.n_in, layer.n_out) == (3, 2)
    for i in range(3):
        for j in range(2):
            assert layer.neurons[j].w[i].data == W[i][j]
    assert layer.weights() == W and layer.biases() == [0.5, -0.5]
    out = layer([1.0, 1.0, 1.0])
    assert [o.data for o in out] == [9.5, 11.5]
    assert all(o.op == "dot" and len(o.inputs) == 7 for o in out)  # one node per neuron


def test_labels_follow_index_names():
    layer = nn.Layer.from_matrices([[1.0, 2.0]], [0.0, 0.0], names=("j", "k"))
    assert [p.label for p in layer.parameters()] == ["W_jk[0][0]", "W_jk[0][1]", "b_k[0]", "b_k[1]"]
    model = nn.MLP(2, [3, 2, 1], ["relu", "tanh", "linear"], seed=0)
    assert model.layers[0].neurons[1].w[0].label == "W_ij[0][1]"
    assert model.layers[2].neurons[0].b.label == "b_l[0]"
    assert len(model.parameters()) == (2 * 3 + 3) + (3 * 2 + 2) + (2 * 1 + 1)
    assert len({id(p) for p in model.parameters()}) == len(model.parameters())


def test_node_names_label_the_forward_nodes():
    layer = nn.Layer.from_matrices([[1.0], [1.0]], [0.0], "sigmoid", node_names=("h_in", "h_out"))
    zs = layer.pre_activations([1.0, 2.0])
    outs = layer.activate(zs)
    assert zs[0].label == "h_in[0]" and outs[0].label == "h_out[0]" and outs[0].inputs == (zs[0],)


def test_weight_and_bias_gradients_as_matrices():
    layer = nn.Layer.from_matrices([[1.0, 2.0], [3.0, 4.0]], [0.0, 0.0], "linear")
    out = layer([5.0, 7.0])
    autograd.sum([out[0], out[1] * 2.0]).backward()
    assert layer.weight_grads() == [[5.0, 10.0], [7.0, 14.0]]
    assert layer.bias_grads() == [1.0, 2.0]
    layer.zero_grad()
    assert layer.weight_grads() == [[0.0, 0.0], [0.0, 0.0]] and layer.bias_grads() == [0.0, 0.0]


def test_load_matrices_in_place():
    layer = nn.Layer(2, 2, "relu", seed=1)
    params = layer.parameters()
    layer.load_matrices([[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0])
    assert layer.parameters() == params  # the same Values, new data
    assert layer.weights() == [[1.0, 2.0], [3.0, 4.0]] and layer.biases() == [5.0, 6.0]
    with pytest.raises(ValueError, match="2x2"):
        layer.load_matrices([[1.0]], [1.0])


@pytest.mark.parametrize(
    ("W", "b", "match"),
    [
        ([[1.0, 2.0], [3.0]], [0.0, 0.0], "rectangular"),
        ([[1.0, 2.0]], [0.0], "one entry per neuron"),
        ([], [], "non-empty"),
        ([[]], [], "must not be empty"),
        ("ab", [0.0], "list of rows"),
        ([[1.0, 2.0]], 3.0, "list of 2 numbers"),
    ],
)
def test_wrong_shapes_are_clear_errors(W, b, match):
    with pytest.raises(ValueError, match=match):
        nn.Layer.from_matrices(W, b)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        nn.Layer(2, 2, "gelu")
    with pytest.raises(ValueError, match="one per layer"):
        nn.MLP(2, [3, 1], ["relu"])
    with pytest.raises(TypeError, match="one name per layer"):
        nn.MLP(2, [3, 1], "relu")
    with pytest.raises(ValueError, match="positive int"):
        nn.Layer(0, 2)
    with pytest.raises(ValueError, match="expects 3 inputs, got 2"):
        nn.lesson.tutorial.network()([0.1, 0.2])
    with pytest.raises(TypeError, match="list of 3 numbers"):
        nn.lesson.tutorial.network()(0.1)
    with pytest.raises(TypeError, match="bool"):
        nn.lesson.tutorial.network()([True, 0.0, 0.0])
    with pytest.raises(ValueError, match="cannot apply it"):
        nn.Neuron([1.0], activation="softmax")([1.0])
    with pytest.raises(ValueError, match="layer 1 takes 3 inputs but layer 0 gives 2"):
        nn.MLP.from_layers([nn.Layer(2, 2), nn.Layer(3, 1)])
    with pytest.raises(ValueError, match="unknown init"):
        nn.Layer(2, 2, init="glorot")


def test_model_accepts_values_and_numbers_and_does_not_mutate_input():
    model = nn.MLP(3, [4, 2], ["tanh", "softmax"], seed=3)
    x = [0.5, -1.0, 2.0]
    a = [o.data for o in model(x)]
    b = [o.data for o in model([Value(v) for v in x])]
    assert a == b and x == [0.5, -1.0, 2.0]
    assert sum(a) == pytest.approx(1.0, abs=1e-15)


def test_neuron_alone():
    n = nn.Neuron([2.0, -1.0], 0.5, activation="relu")
    assert n([1.0, 1.0]).data == 1.5 and n([0.0, 1.0]).data == 0.0
    assert n.parameters() == [*n.w, n.b]


# --- initialisation -----------------------------------------------------------------------------


def test_seeded_init_is_reproducible_and_seed_dependent():
    a = nn.MLP(3, [5, 2], ["relu", "sigmoid"], seed=42)
    b = nn.MLP(3, [5, 2], ["relu", "sigmoid"], seed=42)
    c = nn.MLP(3, [5, 2], ["relu", "sigmoid"], seed=43)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    d = nn.MLP(3, [5, 2], ["relu", "sigmoid"], seed=random.Random(42))
    assert [p.data for p in a.parameters()] == [p.data for p in d.parameters()]


def test_xavier_and_he_scales():
    rng = random.Random(0)
    W = nninit.xavier_uniform(40, 60, rng)
    bound = math.sqrt(6 / 100)
    flat = [v for row in W for v in row]
    assert len(W) == 40 and len(W[0]) == 60 and all(-bound <= v <= bound for v in flat)
    assert statistics.pstdev(flat) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    He = nninit.he_normal(50, 80, rng)
    assert statistics.pstdev([v for row in He for v in row]) == pytest.approx(math.sqrt(2 / 50), rel=0.05)
    Hu = nninit.he_uniform(50, 10, rng)
    assert all(abs(v) <= math.sqrt(6 / 50) for row in Hu for v in row)
    # "auto" picks He for relu and Xavier otherwise
    assert nninit.resolve("auto", "relu") is nninit.he_normal
    assert nninit.resolve("auto", "tanh") is nninit.xavier_uniform


@pytest.mark.parametrize(
    ("made", "got"),
    [
        (lambda n_in, n_out, rng: [[0.5] * 3 for _ in range(5)], "a 5x3 matrix"),  # 5 inputs, silently, before
        (lambda n_in, n_out, rng: [[0.5] * 2 for _ in range(2)], "a 2x2 matrix"),
        (lambda n_in, n_out, rng: [[0.5] * 3, [0.5]], "not a matrix"),
        (lambda n_in, n_out, rng: 0.5, "0.5, not a matrix"),
    ],
)
def test_an_init_of_the_wrong_shape_is_refused(made, got):
    with pytest.raises(ValueError) as info:
        nn.Layer(2, 3, init=made)
    assert got in str(info.value) and "Layer(2, 3) needs a 2x3 matrix" in str(info.value)
    layer = nn.Layer(2, 3, init=lambda n_in, n_out, rng: [[0.5] * n_out for _ in range(n_in)])
    assert (layer.n_in, layer.n_out) == (2, 3)


def test_constant_init():
    model = nn.MLP(2, [3, 2], ["sigmoid", "softmax"], init=0.25, bias=-1.0)
    for layer in model.layers:
        assert all(v == 0.25 for row in layer.weights() for v in row)
        assert layer.biases() == [-1.0] * layer.n_out


def test_constant_init_keeps_hidden_neurons_identical_under_training():
    model = nn.MLP(3, [4, 4, 3], ["relu", "tanh", "softmax"], init=0.3, bias=0.1)
    opt = nn.SGD(model.parameters(), lr=0.2, momentum=0.5)
    for _ in range(20):
        opt.zero_grad()
        nn.cross_entropy(model([0.1, 0.2, 0.7]), [1.0, 0.0, 0.0]).backward()
        opt.step()
    for layer in model.layers[:2]:
        cols = [[*(w.data for w in n.w), n.b.data] for n in layer.neurons]
        assert all(c == cols[0] for c in cols)  # bit for bit
    first = model.layers[0].neurons[0].w[0].data
    assert first != 0.3  # it did train
    out_cols = [[w.data for w in n.w] for n in model.layers[2].neurons]
    assert out_cols[0] != out_cols[1]  # the output neurons have different targets


def test_symmetry_experiment_reports_zero_spread_for_hidden_layers():
    res = experiments.symmetry_experiment(steps=10)
    assert res.spread_before == [0.0, 0.0, 0.0]
    assert res.spread_after[:2] == [0.0, 0.0] and res.spread_after[2] > 0.1
    assert all(s > 0.01 for s in res.tutorial_spread_after)


# --- gradients vs finite differences on random MLPs ---------------------------------------------


@given(
    n_in=st.integers(1, 4),
    layers=st.lists(
        st.tuples(st.integers(1, 4), st.sampled_from(["relu", "sigmoid", "tanh", "linear", "softmax"])),
        min_size=1, max_size=3,
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_mlp_gradients_match_finite_differences(n_in, layers, seed):
    sizes, acts = [s for s, _ in layers], [a for _, a in layers]
    model = nn.MLP(n_in, sizes, acts, init="uniform", bias=0.1, seed=seed)
    rng = random.Random(seed + 1)
    x = [rng.uniform(-1, 1) for _ in range(n_in)]
    coeffs = [rng.uniform(-1, 1) for _ in range(sizes[-1])]
    out = model(x)
    loss = autograd.sum([c * o + 0.5 * o * o for c, o in zip(coeffs, out)])
    loss.backward()
    mats = [(layer.weights(), layer.biases()) for layer in model.layers]
    h = 1e-6
    for li, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for slot, p in [(("w", i), w) for i, w in enumerate(neuron.w)] + [(("b", 0), neuron.b)]:
                vals = []
                for s in (h, -h):
                    m = [([r[:] for r in W], b[:]) for W, b in mats]
                    if slot[0] == "w":
                        m[li][0][slot[1]][j] += s
                    else:
                        m[li][1][j] += s
                    vals.append(float_loss(m, acts, x, coeffs))
                fd = (vals[0] - vals[1]) / (2 * h)
                # a relu kink within h of the point would make the difference quotient meaningless
                kinks = [abs(z.data) for zs, _ in model.trace(x) for z in zs]
                if "relu" in acts and min(kinks) < 1e-4:
                    continue
                assert p.grad == pytest.approx(fd, rel=1e-5, abs=1e-7), (li, j, slot)


def test_vanishing_gradients_in_a_deep_sigmoid_net():
    res = experiments.vanishing_experiment(seed=0, depth=8, width=8)
    assert len(res.sigmoid) == len(res.relu) == 9
    assert all(a < b for a, b in zip(res.sigmoid, res.sigmoid[1:]))  # shrinks layer by layer towards the input
    assert res.sigmoid[0] / res.sigmoid[-1] < 1e-4
    assert res.relu[0] / res.relu[-1] > 1e-2
    # layer_grad_sizes is the mean |dE/dW| of each layer
    model = nn.MLP(2, [3, 1], ["tanh", "linear"], seed=1)
    model([0.5, -0.5])[0].backward()
    sizes = experiments.layer_grad_sizes(model)
    for size, layer in zip(sizes, model.layers):
        grads = [abs(n.w[i].grad) for n in layer.neurons for i in range(layer.n_in)]
        assert size == pytest.approx(sum(grads) / len(grads), rel=1e-12)
