"""autograd.diagnose: claimed numbers against the recorded graph, and the cause of each difference.

The derivations diagnose is tested on are worked by hand below (:func:`derive`, plain floats, no
autograd or nn): the forward and backward pass of a small dense network the way a student would
do it, with one mistake of a kind injected. Labels follow nn's layers: layer k (1-based) has
pre-activations ``z{k}[j]``, outputs ``a{k}[j]`` (none for a linear layer), weights
``W_{src}{dst}[i][j]`` and biases ``b_{dst}[j]``.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn.lesson
from autograd import Value
from autograd.diagnose import CAUSES, diagnose, search

# --- the hand derivation ----------------------------------------------------------------------------

LETTERS = "ijklmnpq"
KINDS = ("sign", "factor", "diagonal-jacobian", "single-path", "transposed", "rounded-input", "slip")


@dataclass
class Net:
    """Weights ``Ws[k][i][j]``, biases ``bs[k][j]``, activations, input, one-hot target, loss name."""

    Ws: list[list[list[float]]]
    bs: list[list[float]]
    acts: list[str]
    x: list[float]
    y: list[float]
    loss: str  # "bce" (the tutorial's mean binary cross-entropy) or "ce" (categorical)

    @property
    def width(self) -> int:
        return len(self.bs[0])


def random_net(rng: random.Random) -> Net:
    """2-4 square layers of 2-3 neurons, hidden activations of every kind, a softmax or sigmoid output,
    the tutorial's loss or categorical cross-entropy (with a softmax output)."""
    depth, width = rng.randint(2, 4), rng.randint(2, 3)
    acts = [rng.choice(["relu", "sigmoid", "tanh", "linear"]) for _ in range(depth - 1)]
    acts.append(rng.choice(["softmax", "sigmoid"]))
    Ws = [[[round(rng.uniform(-1.5, 1.5), 2) for _ in range(width)] for _ in range(width)] for _ in range(depth)]
    bs = [[round(rng.uniform(-0.5, 0.5), 2) for _ in range(width)] for _ in range(depth)]
    x = [round(rng.uniform(-1.0, 1.0), 2) for _ in range(width)]
    y = [0.0] * width
    y[rng.randrange(width)] = 1.0
    # Categorical cross-entropy is for outputs that sum to 1: it gets a softmax.
    loss = rng.choice(["bce", "ce"])
    if loss == "ce":
        acts[-1] = "softmax"
    return Net(Ws, bs, acts, x, y, loss)


def names(k: int) -> tuple[str, str]:
    return LETTERS[k], LETTERS[k + 1]


def _act(name: str, z: list[float]) -> list[float]:
    if name == "relu":
        return [max(0.0, t) for t in z]
    if name == "sigmoid":
        return [1.0 / (1.0 + math.exp(-t)) for t in z]
    if name == "tanh":
        return [math.tanh(t) for t in z]
    if name == "softmax":
        top = max(z)
        e = [math.exp(t - top) for t in z]
        return [t / sum(e) for t in e]
    return list(z)


def _sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


def applicable(net: Net, kind: str) -> bool:
    """Whether a mistake of this kind can happen in this network at all."""
    if kind == "diagonal-jacobian":
        return net.acts[-1] == "softmax"
    if kind == "sign":
        return net.loss == "bce" or any(a not in ("linear", "relu") for a in net.acts[:-1])
    return True


def with_a_place_for(net: Net, kind: str) -> Net:
    """``net`` changed just enough for a ``kind`` mistake to have somewhere to happen.

    A diagonal-only Jacobian needs a softmax output: the output layer gets one. A lost sign needs a
    derivative with one to lose: the tutorial's loss has its d(1 - o)/do; categorical cross-entropy
    has none, and neither has a linear or relu layer (derivatives 1 and 0), so there the first
    hidden layer becomes tanh. Every other kind can happen in any network.
    """
    acts = list(net.acts)
    if kind == "diagonal-jacobian":
        acts[-1] = "softmax"
    if kind == "sign" and not applicable(net, kind):
        acts[0] = "tanh"
    return Net(net.Ws, net.bs, acts, net.x, net.y, net.loss)


@dataclass
class Work:
    """The numbers written down: ``data`` and ``grads`` by label, as printed (str)."""

    data: dict[str, str]
    grads: dict[str, str]


def derive(net: Net, mistake: str | None = None, rng: random.Random | None = None, digits: int = 6) -> Work:
    """Work the network by hand, printing every number to ``digits`` significant digits."""
    rng = rng or random.Random(0)
    n, depth = net.width, len(net.Ws)
    rounding = 3 if mistake == "rounded-input" else None
    # Forward, carrying rounded numbers if that is the mistake.
    a_prev, zs, outs = list(net.x), [], []
    for W, b, act in zip(net.Ws, net.bs, net.acts):
        z = [sum(a_prev[i] * W[i][j] for i in range(n)) + b[j] for j in range(n)]
        if rounding:
            z = [_sig(t, rounding) for t in z]
        a = _act(act, z)
        if rounding:
            a = [_sig(t, rounding) for t in a]
        zs.append(z)
        outs.append(a)
        a_prev = a
    o, y = outs[-1], net.y
    # Where a mistake goes: which hidden layer's derivative loses its sign, which layer is transposed.
    nonlinear = [k for k in range(depth - 1) if net.acts[k] not in ("linear", "relu")]
    in_hidden = mistake == "sign" and nonlinear and (net.loss != "bce" or rng.random() < 0.5)
    sign_layer = rng.choice(nonlinear) if in_hidden else None
    if mistake == "sign" and net.loss != "bce" and not nonlinear:
        raise ValueError("no place for a sign mistake")
    # dE/do
    if net.loss == "bce":
        lost = mistake == "sign" and sign_layer is None  # the sign of d(1-o)/do, as the tutorial lost it
        dO = [-(y[a] / o[a] + (1 if lost else -1) * (1 - y[a]) / (1 - o[a])) / n for a in range(n)]
        if mistake == "factor":
            dO = [g * n for g in dO]  # the 1/n dropped
    else:
        dO = [-y[a] / o[a] if y[a] else 0.0 for a in range(n)]
        if mistake == "factor":
            dO = [2 * g for g in dO]
    grads: dict[str, float] = {}
    data: dict[str, float] = {}
    single = rng.randrange(depth - 1) if mistake == "single-path" else None
    da = dO
    for k in range(depth - 1, -1, -1):
        z, a, act = zs[k], outs[k], net.acts[k]
        if act == "softmax":
            if mistake == "diagonal-jacobian":
                dz = [da[b] * a[b] * (1 - a[b]) for b in range(n)]
            else:
                dz = [sum(da[c] * a[c] * ((1.0 if c == b else 0.0) - a[b]) for c in range(n)) for b in range(n)]
        else:
            d = {"relu": [1.0 if t > 0 else 0.0 for t in z], "sigmoid": [t * (1 - t) for t in a],
                 "tanh": [1 - t * t for t in a], "linear": [1.0] * n}[act]
            if k == sign_layer:
                d = [-t for t in d]
            dz = [g * t for g, t in zip(da, d)]
        src, dst = names(k)
        a_in = net.x if k == 0 else outs[k - 1]
        for j in range(n):
            data[f"z{k + 1}[{j}]"] = z[j]
            grads[f"z{k + 1}[{j}]"] = dz[j]
            if act != "linear":
                data[f"a{k + 1}[{j}]"] = a[j]
                grads[f"a{k + 1}[{j}]"] = da[j]
            grads[f"b_{dst}[{j}]"] = dz[j]
            for i in range(n):
                grads[f"W_{src}{dst}[{i}][{j}]"] = a_in[i] * dz[j]
        if mistake == "transposed" and k == depth - 1:
            for i in range(n):
                for j in range(n):
                    grads[f"W_{src}{dst}[{i}][{j}]"] = a_in[j] * dz[i]
        if k > 0:
            W = net.Ws[k]
            if single == k - 1:  # each output of layer k-1 gets only the path through its own index
                da = [W[j][j] * dz[j] for j in range(n)]
            else:
                da = [sum(W[j][m] * dz[m] for m in range(n)) for j in range(n)]
    printed_data = {key: f"{v:.{rounding or digits}g}" for key, v in data.items()}
    printed_grads = {key: f"{v:.{digits}g}" for key, v in grads.items()}
    if mistake == "slip":  # one number mis-copied; the work goes on with the right one
        key = rng.choice(sorted(printed_data))
        v = data[key]
        third = 10 ** (math.floor(math.log10(abs(v) or 1)) - 2)  # its third significant digit
        printed_data[key] = f"{v + math.copysign(3 * third, v):.{digits}g}"
    return Work(printed_data, printed_grads)


# --- the same network in the engine ------------------------------------------------------------------


def graph(net: Net) -> Value:
    """The network's loss as a graph, labelled as :func:`derive` labels its numbers."""
    layers = [
        nn.Layer.from_matrices(W, b, act, names=names(k), node_names=(f"z{k + 1}", f"a{k + 1}"))
        for k, (W, b, act) in enumerate(zip(net.Ws, net.bs, net.acts))
    ]
    h = [Value(v, f"x[{i}]") for i, v in enumerate(net.x)]
    for layer in layers:
        h = layer(h)
    E = (nn.binary_cross_entropy if net.loss == "bce" else nn.cross_entropy)(h, net.y)
    E.label = "E"
    return E


NOISE = 1e-12
"""Below this (times the number's size, at least 1) a difference is float noise, as diagnose's docs say:
a sum that cancels to zero comes out as 1e-17 or so in one order of additions and 0.0 in another."""


def agrees(x: float, text: str) -> bool:
    """``text`` is ``x`` rounded to the digits it shows (a bare 0 means zero), up to float noise."""
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int)
    value = float(text)
    if value == 0.0 and exponent >= 0:
        return abs(x) < NOISE
    return abs(x - value) <= 0.5 * 10.0**exponent * (1 + 1e-9) + NOISE * max(1.0, abs(value))


def check(net: Net, work: Work):
    """Diagnose a hand derivation (the outputs a categorical loss does not use are not in its graph)."""
    E = graph(net)
    labels = {v.label for v in autograd.topological_order(E)}
    keep = {kind: {k: v for k, v in claims.items() if k in labels} for kind, claims in vars(work).items()}
    return diagnose(E, **keep)


Miss = tuple[str, str, tuple[str, ...]]


def named_first(net: Net, kind: str, seed: int, tied: bool = False) -> tuple[int, int, list[Miss]]:
    """Diagnose a derivation with one ``kind`` mistake: (entries the mistake changed, of those named
    with ``kind`` first, the misses). With ``tied``, an equally simple alternative naming it first counts."""
    right = derive(net, digits=17)
    work = derive(net, kind, random.Random(seed))
    report = check(net, work)
    changed = hits = 0
    misses = []
    for e in report:
        truth = float((right.data if e.kind == "data" else right.grads)[e.key])  # type: ignore[index]
        if agrees(truth, e.claimed):
            continue
        changed += 1
        if (e.causes and e.causes[0] == kind) or (tied and any(alt[0] == kind for alt in e.alternatives)):
            hits += 1
        else:
            misses.append((e.name, e.claimed, e.causes))
    return changed, hits, misses


nets = st.builds(lambda seed: random_net(random.Random(seed)), st.integers(0, 10**6))


# --- the catalogue, one cause at a time ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=4, deadline=None)
@given(net=nets, seed=st.integers(0, 1000))
def test_an_injected_mistake_is_named_first(kind, net, seed):
    net = with_a_place_for(net, kind)
    assert applicable(net, kind)
    # With ties: in a 2-class softmax some mistakes give the very same numbers (the diagonal-only
    # Jacobian is then exactly a factor 1/2), and diagnose names both; docs/diagnose.md gives the rates.
    changed, hits, misses = named_first(net, kind, seed, tied=True)
    assert hits == changed, misses


@settings(max_examples=15, deadline=None)
@given(net=nets, digits=st.integers(1, 8))
def test_an_exact_answer_printed_at_any_precision_is_never_wrong(net, digits):
    report = check(net, derive(net, digits=digits))
    assert all(e.verdict != "wrong" for e in report), [e for e in report if e.verdict == "wrong"]
    assert all(e.verdict == "agrees" for e in report if e.kind == "grad")


def test_rounded_inputs_are_rounding_not_wrong():
    net = random_net(random.Random(3))
    report = check(net, derive(net, "rounded-input"))
    assert not report.wrong
    assert {e.verdict for e in report} == {"agrees", "rounding"}
    assert all(e.causes in ((), ("rounded-input",), ("truncated",)) for e in report)


# --- small graphs, worked out by hand ------------------------------------------------------------------


def test_sign_and_factor_on_one_node():
    x = Value(2.0, "x")
    y = (x * x).sigmoid()
    y.label = "y"
    s = 1 / (1 + math.exp(-4.0))
    exact = s * (1 - s) * 4.0  # dy/dx = sigmoid'(x^2) * 2x
    report = diagnose(y, grads={"x": f"{-exact:.4g}"})
    (entry,) = report
    assert entry.name == "dy/dx" and entry.kind == "grad" and entry.verdict == "wrong"
    assert entry.causes == ("sign",) and entry.exact == pytest.approx(exact, rel=1e-12)
    assert diagnose(y, grads={"x": f"{exact / 2:.4g}"})["dy/dx"].causes == ("factor",)
    assert diagnose(y, grads={"x": f"{exact:.3g}"})["dy/dx"].verdict == "agrees"


def test_transposed_matrix_entry():
    W = [[Value(v, f"W[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate([[0.5, -1.0], [2.0, 0.3]])]
    x = [Value(1.5, "x[0]"), Value(-0.5, "x[1]")]
    out = [sum((x[i] * W[i][j] for i in range(2)), Value(0.0)).tanh() for j in range(2)]
    E = out[0] * out[1]
    E.label = "E"
    z = [1.5 * 0.5 + -0.5 * 2.0, 1.5 * -1.0 + -0.5 * 0.3]
    t = [math.tanh(v) for v in z]
    dz = [t[1] * (1 - t[0] ** 2), t[0] * (1 - t[1] ** 2)]
    dW = [[[1.5, -0.5][i] * dz[j] for j in range(2)] for i in range(2)]
    report = diagnose(E, grads={"W[0][1]": f"{dW[1][0]:.6g}", "W[1][0]": f"{dW[0][1]:.6g}"})
    assert [e.causes for e in report] == [("transposed",), ("transposed",)]


def test_transposed_in_the_tutorials_1_based_names():
    # dE/dW_k2l1 = -0.3424984 (test_tutorial checks it against the closed-form derivation); written
    # where dE/dW_k1l2 (0.08332074) was asked for, it is the transposed entry.
    model = nn.lesson.tutorial.network()
    E = nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)
    report = diagnose(E, grads={"W_k1l2": "-0.3424984", "W_k1l1": "-0.3418996"})
    assert report["dout/dW_k1l2"].causes == ("transposed",) and report["dout/dW_k1l1"].verdict == "agrees"


def test_three_mistakes_at_once_are_named_together():
    # The tutorial's recipe for dE/dW_kl worked with exact numbers in plain floats: the sign of the
    # (1-y) term lost, the 1/n dropped and only the diagonal of softmax's Jacobian kept.
    T = nn.lesson.tutorial
    net = Net([list(map(list, W)) for W in (T.W_IJ, T.W_JK, T.W_KL)], [[1.0] * 3] * 3,
              ["relu", "sigmoid", "softmax"], list(T.INPUT), list(T.TARGET), "bce")
    exact = derive(net, digits=17)
    h = [float(exact.data[f"a2[{k}]"]) for k in range(3)]
    o = [float(exact.data[f"a3[{m}]"]) for m in range(3)]
    y = net.y
    dO = [-(y[m] / o[m] + (1 - y[m]) / (1 - o[m])) for m in range(3)]  # sign lost, no 1/3
    dz = [dO[m] * o[m] * (1 - o[m]) for m in range(3)]  # the diagonal only
    claims = {f"W_kl[{k}][{m}]": f"{h[k] * dz[m]:.6g}" for k in range(3) for m in range(3)}
    report = diagnose(graph(net), grads=claims)
    for k in range(3):
        assert report[f"dE/dW_kl[{k}][0]"].causes == ("factor", "diagonal-jacobian")  # y = 1: no (1-y) term
        for m in (1, 2):
            assert report[f"dE/dW_kl[{k}][{m}]"].causes == ("sign", "factor", "diagonal-jacobian")


def test_a_slip_with_right_inputs():
    a, b = Value(1.35, "a"), Value(0.5, "b")
    c = a * b + 1.0
    c.label = "c"
    report = diagnose(c, data={"a": "1.35", "b": "0.5", "c": "1.6525"})  # exact 1.675
    assert report["c"].verdict == "wrong" and report["c"].causes == ("slip",)
    assert report["a"].verdict == "agrees"


def test_the_report_prints_a_summary_and_a_table_in_100_columns():
    net = random_net(random.Random(5))
    report = check(net, derive(net, "factor"))
    text = str(report)
    assert text.splitlines()[0].startswith(f"{len(report)} numbers checked against dE")
    assert "First wrong step:" in text and "Expected " in text and "Cause: factor" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    first = report.first_wrong_step()
    assert first is not None and first.causes[0] == "factor"
    for cause in report.causes_used():
        assert cause in CAUSES and f"{cause}: {CAUSES[cause]}"[:60] in text.replace("\n    ", " ")


def test_claims_outside_an_ops_domain_are_judged_not_crashed_on():
    # Carried forward, O_out2 = 1.5 makes the loss's log(1 - O_out2) undefined, and O_out1 = 0 its log(O_out1).
    model = nn.lesson.tutorial.network()
    E = nn.binary_cross_entropy(model(nn.lesson.tutorial.INPUT), nn.lesson.tutorial.TARGET)
    report = diagnose(E, data={"O_out2": "1.5", "O_out1": "0"}, grads={"O_out2": "0.4664", "O_out3": "0.6890"})
    assert [e.verdict for e in report] == ["wrong", "wrong", "agrees", "agrees"]


def test_bad_input_is_refused_by_name():
    x = Value(1.0, "x")
    y = x * 3.0
    with pytest.raises(KeyError, match="no Value labelled 'z'"):
        diagnose(y, grads={"z": "1"})
    with pytest.raises(ValueError, match="not a number"):
        diagnose(y, grads={"x": "three"})
    with pytest.raises(TypeError, match="number as written"):
        diagnose(y, grads={"x": [3]})
    with pytest.raises(ValueError, match="lr"):
        diagnose(y, updates={"x": "0.9"})
    with pytest.raises(TypeError, match="output Value"):
        diagnose(3.0)  # type: ignore[arg-type]
    claims = {"x": "3"}
    diagnose(y, grads=claims)
    assert claims == {"x": "3"} and x.grad == 0.0 and y.grad == 0.0  # nothing passed in is changed


@pytest.mark.parametrize("claim", ["-4.0", -4, -4.0, Decimal("-4.0"), Fraction(-4, 1), "numpy.float64",
                                   "numpy.float32", "numpy.int64"])
def test_every_kind_of_number_is_read_as_the_number_it_is(claim):
    import numpy

    if isinstance(claim, str) and claim.startswith("numpy."):
        claim = getattr(numpy, claim.split(".")[1])(-4)
    x = Value(2.0, "x")
    y = x * x  # dy/dx = 4, so -4 is the sign lost
    entry = diagnose(y, grads={"x": claim})["dout/dx"]
    assert entry.verdict == "wrong" and entry.causes == ("sign",) and float(entry.claimed) == -4.0


def test_numpy_and_fraction_claims_keep_their_own_digits():
    import numpy

    x = Value(0.1, "x")
    y = x * 1.0
    # float32(0.1) is written 0.1 by numpy; as a float64 it is 0.10000000149..., which would be "wrong"
    assert diagnose(y, data={"x": numpy.float32(0.1)})["x"].verdict == "agrees"
    assert diagnose(y, grads={"x": Fraction(1, 1)})["dout/dx"].verdict == "agrees"


@pytest.mark.parametrize("claim", ["1e400", "9" * 400, 10**400, -(10**400), Decimal("1e400"), Fraction(10**400, 3),
                                   "nan", "-inf", "Infinity", float("inf"), float("nan"), Decimal("NaN")])
def test_numbers_a_float_cannot_hold_are_refused_naming_the_entry(claim):
    x = Value(3.0, "x")
    y = x * x
    y.label = "y"
    with pytest.raises(ValueError, match=r"the claimed value for dy/dx must be a finite number"):
        diagnose(y, grads={"x": claim})
    with pytest.raises(ValueError, match=r"the claimed value for x must be a finite number"):
        diagnose(y, data={"x": claim})


@pytest.mark.parametrize("claims", [[("x", "6")], {("x", "6")}, "x=6", 6.0, [["x", "6"]]])
def test_claims_come_in_a_mapping_only(claims):
    x = Value(3.0, "x")
    y = x * x
    for argument in ("grads", "data", "updates"):
        with pytest.raises(TypeError, match=rf"diagnose's {argument} must be a mapping"):
            diagnose(y, lr=0.1, **{argument: claims})


def test_a_graph_whose_exact_gradient_overflows_is_refused_as_backward_refuses_it():
    x = Value(1e-300, "x")
    h = x * 1e300
    h.label = "h"
    y = h * 1e300  # y = 1e300 is finite; dy/dx = 1e600 is not
    y.label = "y"
    refusal = r"the gradient reaching Value\(data=1e-300, .*label='x'\) overflowed to inf"
    with pytest.raises(ValueError, match=refusal):
        y.backward()
    with pytest.raises(ValueError, match=refusal):
        diagnose(y, grads={"x": "1"})
    assert x.grad == 0.0 and h.grad == 0.0 and y.grad == 0.0


def test_in_a_deep_graph_the_estimate_still_finds_a_lost_sign_in_terms_and_updates():
    """200 layers: more sites than are run whole, so the first-order ranking picks which are."""
    w = Value(0.5, "w")
    h = w
    for k in range(200):
        h = h * 1.0001 if k % 2 else h.tanh()
        if k == 120:
            h.label, before = "h", h.inputs[0]
            before.label = "g"
    y = h * 1.0
    y.label = "y"
    # independent of the engine: d tanh(u)/du = 1 - tanh(u)**2 and d(u * c)/du = c, multiplied along the chain
    x, dy_dw, dy_dh = 0.5, 1.0, 1.0
    locals_ = []
    for k in range(200):
        d = 1.0001 if k % 2 else 1.0 - math.tanh(x) ** 2
        x = x * 1.0001 if k % 2 else math.tanh(x)
        locals_.append(d)
    for d in locals_:
        dy_dw *= d
    for d in locals_[121:]:
        dy_dh *= d
    dh_dg = locals_[120]
    report = diagnose(y, terms={("h", "g"): f"{-dy_dh * dh_dg:.6g}"}, updates={"w": f"{0.5 + 0.1 * dy_dw:.8f}"},
                      lr=0.1)
    assert report["dy/dh*dh/dg"].causes[0] == "sign"
    assert report["w'"].causes[0] == "sign"
    assert report.sweeps <= 2 * search.SINGLES + 2 * search.BEAM**2


def test_an_update_whose_exact_value_overflows_is_refused_not_graded():
    x = Value(2.0, "x")
    y = x * x  # dy/dx = 4; with lr = 1e308 the exact update 2 - 4e308 is -inf
    with pytest.raises(ValueError, match=r"the exact value of x' overflows a float \(-inf\)"):
        diagnose(y, updates={"x": "1.6"}, lr=1e308)
    assert diagnose(y, updates={"x": "1.6"}, lr=0.1)["x'"].verdict == "agrees"  # 2 - 0.1 * 4


def test_the_search_runs_a_bounded_number_of_sweeps_however_deep_the_graph():
    """The cost of a claim is linear in the graph: each sweep is, and their number does not grow with depth."""
    sweeps = []
    for layers in (30, 120):  # 60 and 240 operations: more sign sites than are run whole, in both
        x = y = Value(0.5, "x")
        for _ in range(layers):
            y = (y * 1.0001).tanh()
        y.label = "y"
        exact = autograd.grad(y, [x])[0]
        report = diagnose(y, grads={"x": f"{-exact:.4f}"})
        assert report["dy/dx"].causes == ("sign",)
        sweeps.append(report.sweeps)
    assert sweeps[1] <= sweeps[0] <= 2 * search.SINGLES + 2 * search.BEAM**2


# --- the tutorial: every finding the demo prints, found from its printed numbers alone --------------------


@pytest.fixture(scope="module")
def tutorial_report():
    model = nn.lesson.tutorial.network()
    E = nn.binary_cross_entropy(model(nn.lesson.tutorial.inputs()), nn.lesson.tutorial.TARGET)
    E.label = "E"
    return diagnose(E, **nn.lesson.tutorial.claims(), lr=nn.lesson.tutorial.LEARNING_RATE)


def test_tutorial_sign_error_and_dropped_1_over_n_in_dE_dO_out(tutorial_report):
    r = tutorial_report
    # y = (1, 0, 0): the tutorial's -(y/o + (1-y)/(1-o)) loses the sign of d(1-o)/do where y = 0 ...
    for a in (2, 3):
        e = r[f"dE/dO_out{a}"]
        assert e.causes[:2] == ("sign", "factor")
        assert e.details["sign"] == "the sign of d(1−O_out2)/dO_out2, and 1 like it"
    assert "sign" not in r["dE/dO_out1"].causes
    # ... and every entry drops the loss's 1/3; its numbers are still not its own outputs' (unexplained).
    assert all(r[f"dE/dO_out{a}"].details["factor"].startswith("x3: 1/3") for a in (1, 2, 3))
    assert all(r[f"dE/dO_out{a}"].causes[-1] == "unexplained" for a in (1, 2, 3))


def test_tutorial_diagonal_softmax_wrong_index_and_single_path(tutorial_report):
    r = tutorial_report
    for k in (1, 2, 3):
        for m in (1, 3):
            assert r[f"dE/dW_k{k}l{m}"].causes[0] == "diagonal-jacobian"
        assert r[f"dE/dh1_out{k}"].causes[0] == "single-path"
        assert r[f"dE/dh1_out{k}"].details["single-path"].endswith("the path with the same index")
    # 0.3685 = O_out3 * (1 - O_out2): the rule o_a * (1 - o_a) read at the wrong index
    e = r["dO_out3/dO_in3"]
    assert e.verdict == "wrong" and e.causes[0] == "wrong-index"
    assert e.details["wrong-index"] == "inputs 2 and 3 swapped"
    assert round(0.51583 * (1 - 0.28559), 4) == 0.3685 and e.exact == pytest.approx(0.2497376, abs=1e-7)


def test_tutorial_slip_and_rounded_values_carried_forward(tutorial_report):
    r = tutorial_report
    assert r["h2_in3"].causes == ("slip",) and r["h2_in3"].exact == pytest.approx(4.004, abs=1e-12)
    assert r.first_wrong_step() is r["h2_in3"]
    assert r["h2_out1"].causes == ("truncated",)  # 0.93883 cut to 0.938
    for name in ("O_in1", "O_in2", "O_in3", "O_out1", "dh2_out3/dh2_in3", "dO_in1/dW_k1l1"):
        assert r[name].verdict == "rounding" and r[name].causes == ("rounded-input",), name
    # 0.98 * 0.02 = 0.0196, 11 % above the exact sigmoid derivative: rounding, not a mistake
    assert r["dh2_out3/dh2_in3"].exact == pytest.approx(0.01759472, abs=1e-8)
    # what follows from earlier wrong numbers says which
    assert r["W_k1l1'"].causes == ("upstream",) and r["W_k1l1'"].details["upstream"] == "from dE/dW_k1l1"
    assert r["dE/dW_j1k1"].details["upstream"] == "from dE/dh2_out1"
    slips = {e.name for e in r if e.kind == "update" and "slip" in e.causes}
    assert slips == {"W_k2l1'", "W_k3l1'", "W_k2l3'", "W_k3l3'", "W_j3k3'"}
    # the work, not the clock (timings are in docs/diagnose.md): 59 sets of mutations in 3 contexts
    assert r.sweeps == 177


# --- measuring (not run by pytest): python tests/test_diagnose.py [networks per kind] -------------------


def measure(n: int) -> None:
    """The detection rate per kind over ``n`` random networks, and the time per diagnosis."""
    for kind in KINDS:
        changed = hits = tied = runs = 0
        started = time.perf_counter()
        for seed in range(n):
            net = random_net(random.Random(seed))
            if not applicable(net, kind):
                continue
            c, h, _ = named_first(net, kind, seed)
            changed, hits, runs = changed + c, hits + h, runs + 1
            tied += named_first(net, kind, seed, tied=True)[1]
        per = (time.perf_counter() - started) / max(runs, 1) / 2
        print(f"{kind:18} {hits:5}/{changed:<5} = {hits / max(changed, 1):6.1%} named first, "
              f"{tied / max(changed, 1):6.1%} with ties  ({runs} networks, {per:.2f} s each)")


if __name__ == "__main__":
    import sys

    measure(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
