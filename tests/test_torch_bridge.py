"""nn.to_torch / nn.from_torch: the same weights, outputs and gradients to 1e-12, and clear refusals.

PyTorch is the independent computation here: its forward and autograd never see chainrule's code.
CI installs torch (make test); elsewhere these tests skip, saying so, when it is missing.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import in_ci
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.lesson
from autograd import Value

try:
    import torch
except ImportError:  # pragma: no cover
    if in_ci():
        raise  # CI installs torch: a missing torch there is a broken install, not a skip
    pytest.skip("PyTorch is not installed: pip install torch==2.13.0 (or make test) runs these tests",
                allow_module_level=True)

TOL = 1e-12
ACTS = ("relu", "sigmoid", "tanh", "linear", "softmax")


def close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def assert_close(xs, ys):
    xs, ys = list(xs), list(ys)
    assert len(xs) == len(ys)
    bad = [(k, a, b) for k, (a, b) in enumerate(zip(xs, ys)) if not close(a, b)]
    assert not bad, bad[:3]


def chainrule_grads(model):
    """dLoss/dW laid out like torch's parameters: per layer, weight (out x in) then bias."""
    out = []
    for layer in model.layers:
        out += [n.w[i].grad for n in layer.neurons for i in range(layer.n_in)]
        out += [n.b.grad for n in layer.neurons]
    return out


def torch_grads(module):
    return [g for p in module.parameters() for g in p.grad.flatten().tolist()]


def readout(outs, coeffs):
    """A smooth loss of every output: sum_a c_a * o_a + 0.5 * o_a**2 (works for Values and tensors alike)."""
    return sum(c * o + 0.5 * o * o for c, o in zip(coeffs, outs))


def test_the_tutorial_network_agrees_with_pytorch():
    model = nn.lesson.tutorial.network()
    module = nn.to_torch(model)
    assert all(p.dtype == torch.float64 for p in module.parameters())
    x = torch.tensor(nn.lesson.tutorial.INPUT, dtype=torch.float64, requires_grad=True)
    o = module(x)
    y = torch.tensor(nn.lesson.tutorial.TARGET, dtype=torch.float64)
    # the tutorial's loss, written out in torch: -(1/3) sum(y log o + (1 - y) log(1 - o))
    loss_t = -(y * torch.log(o) + (1 - y) * torch.log(1 - o)).mean()
    loss_t.backward()
    xs = [Value(v) for v in nn.lesson.tutorial.INPUT]
    outs = model(xs)
    loss = nn.binary_cross_entropy(outs, nn.lesson.tutorial.TARGET)
    loss.backward()
    assert_close([v.data for v in outs], o.tolist())
    assert close(loss.data, loss_t.item())
    assert_close(chainrule_grads(model), torch_grads(module))
    assert_close([v.grad for v in xs], x.grad.tolist())


layer_spec = st.tuples(st.integers(1, 4), st.sampled_from(ACTS))


@settings(max_examples=30)
@given(n_in=st.integers(1, 4), layers=st.lists(layer_spec, min_size=1, max_size=3), seed=st.integers(0, 10**6),
       data=st.data())
def test_random_mlps_of_every_activation_agree_with_pytorch(n_in, layers, seed, data):
    sizes = [n for n, _ in layers]
    acts = [a for _, a in layers]
    model = nn.MLP(n_in, sizes, acts, init="uniform", bias=0.1, seed=seed)
    module = nn.to_torch(model)
    xs = data.draw(st.lists(st.floats(-2, 2), min_size=n_in, max_size=n_in))
    coeffs = data.draw(st.lists(st.floats(-1, 1), min_size=sizes[-1], max_size=sizes[-1]))
    xv = [Value(v) for v in xs]
    outs = model(xv)
    readout(outs, coeffs).backward()
    xt = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    ot = module(xt)
    readout(ot, coeffs).backward()
    assert_close([v.data for v in outs], ot.tolist())
    assert_close(chainrule_grads(model), torch_grads(module))
    assert_close([v.grad for v in xv], xt.grad.tolist())


def test_a_batch_gives_each_examples_outputs():
    model = nn.MLP(3, [5, 3], ["tanh", "softmax"], seed=2)
    module = nn.to_torch(model)
    batch = [[0.1, -0.2, 0.3], [1.0, 2.0, -3.0], [0.0, 0.0, 0.0]]
    out = module(torch.tensor(batch, dtype=torch.float64)).tolist()
    for row, x in zip(out, batch):
        assert_close(row, [o.data for o in model(x)])


def test_weights_are_copied_not_shared():
    model = nn.Layer(2, 2, "linear", seed=0)
    before = model.weights()
    module = nn.to_torch(model)
    with torch.no_grad():
        module[0].weight.add_(1.0)
    assert model.weights() == before


def test_torch_layout_is_the_transpose_of_the_tutorials():
    layer = nn.Layer.from_matrices([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.5, 0.25, 0.125])  # 2 inputs, 3 neurons
    linear = nn.to_torch(layer)[0]
    assert linear.weight.tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert linear.bias.tolist() == [0.5, 0.25, 0.125]


def test_from_torch_takes_a_pytorch_model_with_its_weights():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4), torch.nn.Tanh(),
                                 torch.nn.Identity(), torch.nn.Linear(4, 2), torch.nn.Softmax(dim=1))
    model = nn.from_torch(module)
    assert repr(model) == "MLP(3, [4, 4, 2], ['relu', 'tanh', 'softmax'])"
    assert model.layers[0].neurons[3].w[2].data == module[0].weight[3, 2].item()  # float32 -> float64, exact
    x = [0.5, -1.0, 2.0]
    expected = module.double()(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert_close([o.data for o in model(x)], expected)


def test_a_linear_without_bias_and_a_bare_linear():
    module = torch.nn.Linear(2, 3, bias=False, dtype=torch.float64)
    model = nn.from_torch(module)
    assert model.layers[0].biases() == [0.0, 0.0, 0.0]
    assert_close([o.data for o in model([1.0, -1.0])], module(torch.tensor([1.0, -1.0], dtype=torch.float64)).tolist())


@settings(max_examples=10)
@given(acts=st.lists(st.sampled_from(ACTS), min_size=1, max_size=3), seed=st.integers(0, 1000))
def test_to_torch_then_from_torch_gives_back_the_same_bits(acts, seed):
    model = nn.MLP(3, [3] * len(acts), acts, seed=seed)
    back = nn.from_torch(nn.to_torch(model))
    assert back.state_dict() == model.state_dict() and repr(back) == repr(model)


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LeakyReLU()), "module 1 (LeakyReLU"),
        (lambda: torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)), "cannot convert module 0 (Conv1d"),
        (lambda: torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 2)), "must follow a Linear layer"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.ReLU()), "must follow a Linear"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Softmax(dim=0)), "not dim=0"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(2, 1)), "takes 2 inputs but the layer"),
        (lambda: torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 2))), "cannot convert module 0"),
        (lambda: torch.nn.Sequential(), "holds no Linear layer"),
    ],
)
def test_from_torch_refuses_what_it_cannot_convert(module, message):
    with pytest.raises(ValueError) as info:
        nn.from_torch(module())
    assert message in str(info.value)


def test_only_modules_of_the_right_kind_are_taken():
    with pytest.raises(TypeError, match="not Conv1d"):
        nn.from_torch(torch.nn.Conv1d(1, 1, 1))
    with pytest.raises(TypeError, match="not Neuron"):
        nn.to_torch(nn.Neuron([1.0]))


def test_without_torch_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        nn.to_torch(nn.Layer(1, 1))


def test_importing_nn_does_not_import_torch():
    code = "import sys, nn; nn.MLP(2, [2], ['relu']); sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


@pytest.mark.parametrize(("make", "message"), [
    (lambda: torch.nn.Linear(2, 3, dtype=torch.complex64), "weight of dtype torch.complex64"),
    (lambda: torch.nn.Linear(2, 3, dtype=torch.complex128), "weight of dtype torch.complex128"),
    (lambda: torch.nn.Linear(2, 3, device="meta"), "weight on the 'meta' device"),
    (lambda: torch.nn.LazyLinear(3), r"uninitialised weight \(a lazy module\)"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2, dtype=torch.float64), torch.nn.Tanh(),
                                 torch.nn.Linear(2, 1, device="meta")), r"module 2 \(Linear"),
])
def test_weights_that_hold_no_real_numbers_are_refused_by_module(make, message):
    import warnings

    module = make()
    before = [(p.dtype, p.device) for p in module.parameters()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's "discards the imaginary part" warning would fail here
        with pytest.raises(ValueError, match=message) as info:
            nn.from_torch(module)
    assert str(info.value).startswith("nn.from_torch: module ")
    assert [(p.dtype, p.device) for p in module.parameters()] == before  # the torch module is untouched
