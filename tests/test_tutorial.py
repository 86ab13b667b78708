"""The tutorial's network worked by the engine, checked against an independent plain-Python derivation.

`reference()` below is written out by hand from the calculus (full softmax Jacobian, both losses);
it does not import nn.lesson or autograd. Finite differences of `loss_of()` (plain floats too) check the
parameter gradients a second way. Every number the walkthrough (and so the demo) prints for the
tutorial network is compared with these to 1e-9 or better.

The tutorial's weights and printed numbers are transcribed here again, on purpose, so a typo in
nn/lesson/tutorial.py cannot agree with itself.
"""

from __future__ import annotations

import math

import pytest

import nn.lesson
from autograd.diagnose import CAUSES
from nn.lesson import experiments as ex
from nn.lesson import walkthrough as wt
from nn.lesson.tutorial import PRINTED

X = [0.1, 0.2, 0.7]
Y = [1.0, 0.0, 0.0]
W_IJ = [[0.1, 0.2, 0.3], [0.3, 0.2, 0.7], [0.4, 0.3, 0.9]]
W_JK = [[0.2, 0.3, 0.5], [0.3, 0.5, 0.7], [0.6, 0.4, 0.8]]
W_KL = [[0.1, 0.4, 0.8], [0.3, 0.7, 0.2], [0.5, 0.2, 0.9]]
B = [[1.0] * 3 for _ in range(3)]
LR = 0.01
TOL = 1e-9
R = range(3)


# --- the independent derivation -----------------------------------------------------------------


def _affine(v, W, b):
    return [sum(v[i] * W[i][j] for i in range(len(v))) + b[j] for j in range(len(b))]


def _softmax(z):
    top = max(z)
    e = [math.exp(t - top) for t in z]
    s = sum(e)
    return [t / s for t in e]


def forward(Ws, Bs, x):
    h1i = _affine(x, Ws[0], Bs[0])
    h1o = [max(0.0, t) for t in h1i]
    h2i = _affine(h1o, Ws[1], Bs[1])
    h2o = [1.0 / (1.0 + math.exp(-t)) for t in h2i]
    oi = _affine(h2o, Ws[2], Bs[2])
    return h1i, h1o, h2i, h2o, oi, _softmax(oi)


def loss_value(o, y, loss):
    if loss == "tutorial":
        n = len(o)
        return -sum(y[a] * math.log(o[a]) + (1 - y[a]) * math.log(1 - o[a]) for a in range(n)) / n
    return -sum(y[a] * math.log(o[a]) for a in range(len(o)) if y[a])


def reference(loss, Ws=(W_IJ, W_JK, W_KL), Bs=B, x=X, y=Y):
    """Every quantity of the walkthrough, by hand: forward, full-Jacobian backward, one SGD step."""
    h1i, h1o, h2i, h2o, oi, o = forward(Ws, Bs, x)
    n = len(o)
    if loss == "tutorial":
        dE_do = [-(y[a] / o[a] - (1 - y[a]) / (1 - o[a])) / n for a in R]
    else:
        dE_do = [-y[a] / o[a] for a in R]
    J = [[o[a] * ((1.0 if a == b else 0.0) - o[b]) for b in R] for a in R]
    dz3 = [sum(dE_do[a] * J[a][b] for a in R) for b in R]
    dh2o = [sum(Ws[2][k][m] * dz3[m] for m in R) for k in R]
    sig = [h * (1 - h) for h in h2o]
    dz2 = [dh2o[k] * sig[k] for k in R]
    dh1o = [sum(Ws[1][j][k] * dz2[k] for k in R) for j in R]
    relu = [1.0 if t > 0 else 0.0 for t in h1i]
    dz1 = [dh1o[j] * relu[j] for j in R]
    gW = [[[v[i] * dz[j] for j in R] for i in R] for v, dz in ((x, dz1), (h1o, dz2), (h2o, dz3))]
    return {
        "h1_in": h1i, "h1_out": h1o, "h2_in": h2i, "h2_out": h2o, "O_in": oi, "O_out": o,
        "E": loss_value(o, y, loss),
        "dE/dO_out": dE_do,
        "dO_out/dO_in": J,
        "dE/dO_in paths": [[dE_do[a] * J[a][m] for m in R] for a in R],
        "dE/dO_in": dz3,
        "dO_in/dW_kl": [[h2o[k]] * 3 for k in R],
        "dE/dW_kl": gW[2],
        "dE/dh2_out paths": [[Ws[2][k][m] * dz3[m] for m in R] for k in R],
        "dE/dh2_out": dh2o,
        "dh2_out/dh2_in": sig,
        "dE/dh2_in": dz2,
        "dh2_in/dW_jk": [[h1o[j]] * 3 for j in R],
        "dE/dW_jk": gW[1],
        "dE/dh1_out paths": [[Ws[1][j][k] * dz2[k] for k in R] for j in R],
        "dE/dh1_out": dh1o,
        "dh1_out/dh1_in": relu,
        "dE/dh1_in": dz1,
        "dh1_in/dW_ij": [[x[i]] * 3 for i in R],
        "dE/dW_ij": gW[0],
        "W_kl'": [[Ws[2][k][m] - LR * gW[2][k][m] for m in R] for k in R],
        "W_jk'": [[Ws[1][j][k] - LR * gW[1][j][k] for k in R] for j in R],
        "W_ij'": [[Ws[0][i][j] - LR * gW[0][i][j] for j in R] for i in R],
        "dE/db_j": dz1, "dE/db_k": dz2, "dE/db_l": dz3,
        "b_j'": [Bs[0][j] - LR * dz1[j] for j in R],
        "b_k'": [Bs[1][k] - LR * dz2[k] for k in R],
        "b_l'": [Bs[2][m] - LR * dz3[m] for m in R],
        "dz/db": [[1.0] * 3 for _ in R],
    }


def loss_of(loss, Ws, Bs, x=X, y=Y):
    return loss_value(forward(Ws, Bs, x)[-1], y, loss)


def finite_difference_grads(loss, x=X, y=Y, h=1e-5):
    """Central differences of the plain-float loss for every weight and bias.

    Keys: ('W', layer, i, j) and ('b', layer, j).
    """
    out = {}
    for layer in R:
        for slot in [("W", layer, i, j) for i in R for j in R] + [("b", layer, j) for j in R]:
            vals = []
            for sign in (1, -1):
                Ws = [[row[:] for row in W] for W in (W_IJ, W_JK, W_KL)]
                Bs = [b[:] for b in B]
                if slot[0] == "W":
                    Ws[layer][slot[2]][slot[3]] += sign * h
                else:
                    Bs[layer][slot[2]] += sign * h
                vals.append(loss_of(loss, Ws, Bs, x, y))
            out[slot] = (vals[0] - vals[1]) / (2 * h)
    return out


def _flat(v):
    return [t for row in v for t in row] if v and isinstance(v[0], list) else list(v)


# --- every number the walkthrough shows ----------------------------------------------------------


@pytest.fixture(scope="module", params=["tutorial", "categorical"])
def walk_and_ref(request):
    return wt.build(request.param), reference(request.param)


def test_every_walkthrough_number_matches_the_independent_derivation(walk_and_ref):
    walk, ref = walk_and_ref
    quantities = walk.all_quantities()
    assert len(quantities) == 34  # 6 forward + 6 + 6 + 6 backward + 3 updates + 7 bias tables
    for q in quantities:
        ours, theirs = _flat(q.values()), _flat(ref[q.key])
        assert len(ours) == len(theirs), q.key
        for a, (u, v) in enumerate(zip(ours, theirs)):
            assert abs(u - v) <= TOL, (q.key, a, u, v)
    assert abs(walk.E - ref["E"]) <= 1e-12
    other = reference("categorical" if walk.loss == "tutorial" else "tutorial")
    assert abs(walk.E_other - other["E"]) <= 1e-12
    for q in walk.variant:  # the other loss's output-layer gradients
        for u, v in zip(_flat(q.values()), _flat(other[q.key])):
            assert abs(u - v) <= TOL


def test_known_exact_values():
    # A few values worked out by hand on paper, as a sanity anchor for the reference itself.
    ref = reference("tutorial")
    assert ref["h1_in"] == pytest.approx([1.35, 1.27, 1.8], abs=1e-15)
    assert ref["h2_in"] == pytest.approx([2.731, 2.76, 4.004], abs=1e-14)
    # With a one-hot target, categorical CE through softmax gives dE/dO_in = O_out - y.
    cat = reference("categorical")
    assert cat["dE/dO_in"] == pytest.approx([o - y for o, y in zip(cat["O_out"], Y)], abs=1e-15)


@pytest.mark.parametrize("loss", ["tutorial", "categorical"])
def test_parameter_gradients_match_finite_differences(loss):
    model = nn.lesson.tutorial.network()
    E = (nn.binary_cross_entropy if loss == "tutorial" else nn.cross_entropy)(model(X), Y)
    E.backward()
    fd = finite_difference_grads(loss)
    for layer, L in enumerate(model.layers):
        for i in R:
            for j in R:
                assert L.neurons[j].w[i].grad == pytest.approx(fd[("W", layer, i, j)], abs=TOL)
        for j in R:
            assert L.neurons[j].b.grad == pytest.approx(fd[("b", layer, j)], abs=TOL)


def test_batch_gradient_is_the_mean_of_example_gradients():
    res = ex.batch_experiment("tutorial")
    per = []
    for x, y in zip(ex.BATCH_INPUTS, ex.BATCH_TARGETS):
        r = reference("tutorial", x=list(x), y=list(y))
        per.append([r["dE/dW_ij"][2][2], r["dE/dW_jk"][0][0], r["dE/dW_kl"][0][0], r["dE/db_l"][0]])
    assert res.params == ("W_i3j3", "W_j1k1", "W_k1l1", "b_l1")
    for e, row in enumerate(per):
        assert res.per_example[e] == pytest.approx(row, abs=TOL)
    means = [sum(col) / len(col) for col in zip(*per)]
    assert res.batch == pytest.approx(means, abs=TOL)
    losses = [loss_value(forward((W_IJ, W_JK, W_KL), B, list(x))[-1], list(y), "tutorial")
              for x, y in zip(ex.BATCH_INPUTS, ex.BATCH_TARGETS)]
    assert res.losses == pytest.approx(losses, abs=1e-12)
    assert res.mean_loss == pytest.approx(sum(losses) / 3, abs=1e-12)


def test_tutorial_network_layout_and_labels():
    model = nn.lesson.tutorial.network()
    assert [L.activation for L in model.layers] == ["relu", "sigmoid", "softmax"]
    for L, W in zip(model.layers, (W_IJ, W_JK, W_KL)):
        assert L.weights() == W
        assert L.biases() == [1.0, 1.0, 1.0]
    # the tutorial's own 1-based names: W_i1j2 connects input i1 to neuron j2
    assert model.layers[0].neurons[1].w[0].label == "W_i1j2"
    assert model.layers[1].neurons[1].w[2].label == "W_j3k2"
    assert model.layers[2].neurons[2].b.label == "b_l3"
    assert nn.lesson.tutorial.INPUT == (0.1, 0.2, 0.7) and nn.lesson.tutorial.TARGET == (1.0, 0.0, 0.0)
    assert nn.lesson.tutorial.LEARNING_RATE == 0.01
    outs = model.trace(X)
    assert [z.label for z in outs[1][0]] == ["h2_in1", "h2_in2", "h2_in3"]
    assert [o.label for o in outs[2][1]] == ["O_out1", "O_out2", "O_out3"]
    # each weighted input is ONE dot node; each softmax output has every O_in as input
    z = outs[0][0][0]
    assert z.op == "dot" and len(z.inputs) == 7
    assert all(o.op == "softmax" and list(o.inputs) == outs[2][0] for o in outs[2][1])
    assert nn.lesson.tutorial.network() is not model  # a fresh copy each call


def test_the_tutorials_names_and_the_labels_hook():
    label = nn.lesson.tutorial.tutorial_labels
    assert [label("W_kl", (0, 1)), label("b_j", (0,)), label("h1_in", (2,)), label("O_out", (2,))] == [
        "W_k1l2", "b_j1", "h1_in3", "O_out3"]
    layer = nn.Layer.from_matrices([[1.0, 2.0]], [0.0, 0.0], "relu", names=("k", "l"), node_names=("z", "a"),
                                   labels=label)
    assert [p.label for p in layer.parameters()] == ["W_k1l1", "W_k1l2", "b_l1", "b_l2"]
    zs = layer.pre_activations([1.0])
    assert [z.label for z in zs] == ["z1", "z2"] and [a.label for a in layer.activate(zs)] == ["a1", "a2"]
    plain = nn.Layer.from_matrices([[1.0, 2.0]], [0.0, 0.0], names=("k", "l"))  # other networks: 0-based
    assert [p.label for p in plain.parameters()] == ["W_kl[0][0]", "W_kl[0][1]", "b_l[0]", "b_l[1]"]
    with pytest.raises(TypeError, match="labels must be a function"):
        nn.Layer.from_matrices([[1.0]], [0.0], labels="tutorial")  # type: ignore[arg-type]


# --- the comparison marks --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk():
    return wt.build("tutorial")


def _status(walk, key, *index):
    return walk.quantity(key).cell(*index).status


def test_marks_forward_pass(walk):
    assert all(c.status == "match" for _, c in walk.quantity("h1_in").cells())
    assert all(c.status == "match" for _, c in walk.quantity("h1_out").cells())
    h2_in = walk.quantity("h2_in")
    assert [h2_in.cell(a).status for a in R] == ["match", "match", "error"]
    assert h2_in.cell(2).printed == "4.001" and h2_in.cell(2).reasons == ("slip",)
    assert h2_in.cell(2).details["slip"] == "h2_in3 = 4.001 where its own numbers give 4.004"
    assert walk.quantity("h2_out").cell(0).reasons == ("truncated",)  # 0.93883 cut to 0.938
    assert all("rounded-input" in c.reasons for q in ("O_in", "O_out") for _, c in walk.quantity(q).cells())
    assert [_status(walk, "h2_out", a) for a in R] == ["rounding", "match", "match"]
    assert all(_status(walk, "O_in", a) == "rounding" for a in R)
    assert all(_status(walk, "O_out", a) == "rounding" for a in R)


def test_marks_backward_pass(walk):
    # Every cause below was found by autograd.diagnose from the printed numbers alone.
    d = walk.quantity("dE/dO_out")
    assert all(d.cell(a).status == "error" and "factor" in d.cell(a).reasons for a in R)  # the 1/n dropped
    assert "sign" not in d.cell(0).reasons  # y = 1 there: the sign of the (1-y) term does not matter
    assert all("sign" in d.cell(a).reasons for a in (1, 2))
    assert "d(1−O_out2)/dO_out2" in d.cell(1).details["sign"]  # the sign lost inside the (1 - o) factor
    J = walk.quantity("dO_out/dO_in")
    assert [J.cell(a, a).status for a in R] == ["rounding", "rounding", "error"]
    assert J.cell(2, 2).reasons[0] == "wrong-index"  # 0.3685 = O_out3 * (1 - O_out2)
    assert all(J.cell(a, b).status == "absent" for a in R for b in R if a != b)  # the dropped off-diagonal
    gkl = walk.quantity("dE/dW_kl")
    assert all(c.status == "error" for _, c in gkl.cells())
    assert all(gkl.cell(k, m).reasons[0] == "diagonal-jacobian" for k in R for m in (0, 2))
    assert all(gkl.cell(k, 1).reasons[0] == "slip" for k in R)  # it used 0.204 twice: no rule explains that
    assert all(_status(walk, "dh2_out/dh2_in", k) == "rounding" for k in R)
    assert all(_status(walk, "dh1_out/dh1_in", j) == "match" for j in R)
    assert all(c.status == "match" for _, c in walk.quantity("dh1_in/dW_ij").cells())
    assert all(c.status == "match" for _, c in walk.quantity("dh2_in/dW_jk").cells())
    assert [_status(walk, "dO_in/dW_kl", 0, m) for m in R] == ["rounding"] * 3
    assert all(c.reasons[0] == "single-path" for _, c in walk.quantity("dE/dh1_out").cells())
    assert all(c.reasons[0] == "upstream" for _, c in walk.quantity("dE/dW_jk").cells())
    slips = {idx for idx, c in walk.quantity("W_kl'").cells() if "slip" in c.reasons}
    assert slips == {(1, 0), (2, 0), (1, 2), (2, 2)}


def test_every_difference_has_a_cause_from_the_catalogue(walk):
    counts = {"match": 0, "rounding": 0, "error": 0}
    for q in walk.all_quantities():
        for idx, c in q.cells():
            if c.status in ("match", "absent"):
                assert c.reasons == (), (q.key, idx)
            if c.status in ("rounding", "error"):
                assert c.reasons and all(k in CAUSES for k in c.reasons), (q.key, idx, c)
            if c.status == "rounding":
                assert set(c.reasons) <= {"rounded-input", "truncated"}
            if c.status in counts:
                counts[c.status] += 1
    assert counts == {"match": 37, "rounding": 15, "error": 77}  # as docs/tutorial-differences.md says


def test_every_printed_number_is_compared(walk):
    keys = {q.key for q in walk.all_quantities()}
    assert set(PRINTED) <= keys
    n_printed = sum(1 for q in walk.all_quantities() for _, c in q.cells() if c.printed is not None)
    assert n_printed == 11 * 3 + 2 * 3 + 10 * 9  # vectors, diagonals, matrices


def test_categorical_loss_does_not_compare_gradients():
    walk = wt.build("categorical")
    assert _status(walk, "h2_in", 2) == "error"  # the forward pass is the same
    assert _status(walk, "dh2_out/dh2_in", 0) == "rounding"  # local derivatives do not depend on the loss
    assert all(c.status == "n/a" for _, c in walk.quantity("dE/dW_kl").cells())
    assert all(c.status == "n/a" for _, c in walk.quantity("W_ij'").cells())


# --- the reasons, re-derived from the tutorial's own printed numbers --------------------------------


def _p(key):
    return [[float(t) if t is not None else None for t in row] if isinstance(row, tuple) else float(row)
            for row in PRINTED[key].values]


def _round_to(value, text):
    return abs(value - float(text)) <= 0.5 * 10.0 ** -len(text.split(".")[1]) * (1 + 1e-9)


def test_carried_forward_values_follow_from_the_tutorials_own_rounded_inputs():
    h2o = _p("h2_out")
    o_in = _affine(h2o, W_KL, [1.0] * 3)
    assert all(_round_to(v, t) for v, t in zip(o_in, PRINTED["O_in"].values))
    sig = [h * (1 - h) for h in h2o]
    assert all(_round_to(v, t) for v, t in zip(sig, PRINTED["dh2_out/dh2_in"].values))
    # and truncation, not rounding, gives 0.938
    exact = reference("tutorial")["h2_out"][0]
    assert math.floor(exact * 1000) / 1000 == 0.938 and round(exact, 3) == 0.939


def test_softmax_index_slip_and_double_factor():
    o = _p("O_out")
    assert _round_to(o[2] * (1 - o[1]), "0.3685")
    assert not _round_to(o[2] * (1 - o[2]), "0.3685")
    assert _round_to(-1.4755 * 0.2040, "-0.301")
    assert _round_to(-0.301 * 0.204 * 0.938, "-0.0576")  # the printed column l=1 used 0.204 twice
    # columns 0 and 2 of dE/dW_kl are its dE_l/dO_out[l] * dO_out[l]/dO_in[l] * h2_out[k] (per output l)
    dW = PRINTED["dE/dW_kl"].values
    for m, (g, s) in ((0, (-3.7064, 0.1591)), (2, (-1.6886, 0.3685))):
        for k, h in enumerate((0.938, 0.94, 0.98)):
            assert abs(g * s * h - float(dW[k][m])) < 2e-4


def test_dE_dO_out_is_not_reproducible_from_the_tutorials_outputs():
    o = _p("O_out")
    printed = _p("dE/dO_out")
    own_formula = [-(Y[a] / o[a] + (1 - Y[a]) / (1 - o[a])) for a in R]
    assert all(abs(u - v) > 0.05 for u, v in zip(own_formula, printed))
    implied = [-1 / printed[0], 1 + 1 / printed[1], 1 + 1 / printed[2]]
    assert [round(v, 3) for v in implied] == [0.270, 0.322, 0.408]
    assert abs(sum(implied) - 1) < 1e-3  # ... which is itself a probability vector


def test_update_slips_are_exactly_where_the_tutorials_own_arithmetic_fails(walk):
    for grad_key, new_key, W in (("dE/dW_kl", "W_kl'", W_KL), ("dE/dW_jk", "W_jk'", W_JK), ("dE/dW_ij", "W_ij'", W_IJ)):
        g, new = PRINTED[grad_key].values, PRINTED[new_key].values
        failing = {(r, c) for r in R for c in R if not _round_to(W[r][c] - LR * float(g[r][c]), new[r][c])}
        found = {idx for idx, c in walk.quantity(new_key).cells() if "slip" in c.reasons}
        assert failing == found, new_key


def test_diagonal_only_chain_rule_reproduces_dE_dh1_out():
    d2, s = _p("dE/dh2_out"), _p("dh2_out/dh2_in")
    for j, t in enumerate(PRINTED["dE/dh1_out"].values):
        assert abs(d2[j] * s[j] * W_JK[j][j] - float(t)) < 1e-4


def test_most_tutorial_updates_move_the_wrong_way(walk):
    wrong = 0
    for key in ("dE/dW_kl", "dE/dW_jk", "dE/dW_ij"):
        q = walk.quantity(key)
        wrong += sum(1 for _, c in q.cells() if (c.ours > 0) != (float(c.printed) > 0))
    assert wrong == 24  # all 27 tutorial gradients are negative; only W_kl's column l=0 truly is


def test_tutorials_recipe_done_right_is_the_categorical_gradient():
    # The tutorial's dW_kl[k][l] = dE_l/dO_out[l] * dO_out[l]/dO_in[l] * h2_out[k], with E_l output l's own
    # binary cross-entropy term. With correct derivatives that is (o_l - y_l) * h2_out[k] ...
    ref = reference("tutorial")
    o, h = ref["O_out"], ref["h2_out"]
    recipe = [[(-(Y[m] / o[m]) + (1 - Y[m]) / (1 - o[m])) * o[m] * (1 - o[m]) * h[k] for m in R] for k in R]
    # ... which is the true gradient of categorical cross-entropy, as the engine computes it,
    cat = wt.build("categorical").quantity("dE/dW_kl").values()
    assert _flat(recipe) == pytest.approx(_flat(cat), abs=TOL)
    # ... and not the gradient of the loss the tutorial wrote down.
    tut = wt.build("tutorial").quantity("dE/dW_kl").values()
    assert all(abs(a - b) > 0.05 for a, b in zip(_flat(recipe), _flat(tut)))
