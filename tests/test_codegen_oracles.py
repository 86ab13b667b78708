"""replay's generated code against closed forms: long gradient sums, custom ops, softmax, and the
terms a local derivative of 1, -1 or 0 writes.

Every expected number is computed here by hand (the sums are of small integers, exact in floats);
every expected position in the source is read back from the source with :mod:`ast`.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import pytest

from autograd import Value, apply
from autograd.extend import Op
from autograd.replay import node_lines, trace, written
from autograd.value import softmax


def _terms(line: str) -> list[tuple[int, int]]:
    """The (start, end) columns of the added terms of ``d_x = t1 + t2 + ...`` (or ``d_x = d_x + ...``)."""
    value = ast.parse(line.strip()).body[0].value  # type: ignore[attr-defined]
    indent = len(line) - len(line.lstrip())
    spans = []
    while isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        spans.append((value.right.col_offset + indent, value.right.end_col_offset + indent))  # type: ignore[operator]
        value = value.left
    spans.append((value.col_offset + indent, value.end_col_offset + indent))  # type: ignore[operator]
    return spans[::-1]


def test_a_gradient_of_more_than_128_terms_is_split_and_sums_every_term() -> None:
    # s = w*1 + w*2 + ... + w*130: ds/dw = 1 + 2 + ... + 130 = 8515, exact; s = 0.5 * 8515
    w = Value(0.5, "w")
    products = [w * float(k) for k in range(1, 131)]
    s = products[0]
    for p in products[1:]:
        s = s + p
    s.label = "s"
    step = trace(s, params=[w])
    value, grads = step()
    assert value == 4257.5 and list(grads) == [8515.0]
    lines = step.source.splitlines()
    statements = [lines[n - 1] for n in node_lines(step)[0].gradient]
    # 64 terms a statement: 64 + 64 + 2; the later ones add to the first
    assert [line.split(" = ")[0].strip() for line in statements] == ["d_w"] * 3
    assert [line.split(" = ")[1].startswith("d_w + ") for line in statements] == [False, True, True]
    assert [len(_terms(line)) for line in statements] == [64, 65, 3]  # the running sum is a term of the later ones
    code = written(s)
    spans = {(n, a, b) for n, a, b in code.term_span.values() if code.source.splitlines()[n - 1].strip()[:3] == "d_w"}
    numbers = node_lines(step)[0].gradient
    from_ast = {(n, a, b) for n in numbers for k, (a, b) in enumerate(_terms(lines[n - 1])) if n == numbers[0] or k}
    assert spans == from_ast and len(spans) == 130


def test_a_custom_op_is_called_through_one_binding_per_forward_and_param() -> None:
    def forward(xs: tuple[float, ...], p: float) -> float:
        return xs[0] ** 3 * p

    def local(m: object, out: object, xs: tuple, p: float) -> tuple:
        return (3.0 * p * xs[0] * xs[0],)

    twice, thrice = Op("cube", forward, local, param=2.0), Op("cube", forward, local, param=3.0)
    x = Value(1.5, "x")
    y = apply(twice, x) + apply(twice, x * 2.0) + apply(thrice, x)  # 2x^3 + 16x^3 + 3x^3 = 21x^3
    step = trace(y, params=[x])
    assert step() == (21 * 1.5**3, [63 * 1.5**2])
    x.data = 0.5
    assert step() == (21 * 0.5**3, [63 * 0.5**2])
    assert sum("the op's own forward function" in line for line in step.source.splitlines()) == 2


def _above(xs: tuple[float, ...], p: object) -> float:
    return xs[0] if xs[0] > 0.25 else 0.0


def _above_local(m: object, out: object, xs: tuple, p: object) -> tuple[float]:
    return (1.0,) if xs[0] > 0.25 else (0.0,)  # a branch: resolved at trace time, kept as a guard


def test_a_softmax_is_computed_once_for_its_value_and_its_derivatives() -> None:
    zs = [0.5, -1.0, 2.0]
    xs = [Value(z, f"x{i}") for i, z in enumerate(zs)]
    p = softmax(xs)
    y = p[0] * 2.0 + p[2] + apply(Op("above", _above, _above_local), p[2])
    step = trace(y, params=xs)
    value, grads = step()
    e = [math.exp(z) for z in zs]
    q = [t / sum(e) for t in e]
    # q2 = 0.79 > 0.25: y = 2 q0 + 2 q2, dy/dx_j = sum over a of c_a q_a (delta_aj - q_j), c = (2, 0, 2)
    want = [sum(c * q[a] * ((a == j) - q[j]) for a, c in enumerate((2, 0, 2))) for j in range(3)]
    assert math.isclose(value, 2 * q[0] + 2 * q[2], rel_tol=1e-15)
    assert all(math.isclose(g, t, rel_tol=1e-12, abs_tol=1e-15) for g, t in zip(grads, want))
    lines = step.source.splitlines()
    assert [line.strip() for line in lines if "softmax(" in line] == ["p_x0 = softmax((x0, x1, x2))"]
    # the traced probabilities resolve relu's branch as written code (a guard), not a rule called on floats
    assert "local_" not in step.source and any(line.strip() == "raise GuardFailed" for line in lines)
    # named after its first input, or "p_softmax" when that is a constant
    first_constant = softmax([0.5, xs[1]])
    named = trace(first_constant[0] * xs[0], params=xs[:2])
    assert "    p_softmax = softmax((0.5, x1))" in named.source.splitlines()
    # a softmax of constants only is folded into numbers: nothing to compute at replay time
    c = softmax([0.5, -1.0])
    z = xs[0] * c[0] + xs[1] * c[1]
    folded = trace(z, params=xs[:2])
    assert "softmax(" not in folded.source
    want = [1 / (1 + math.exp(-1.5)), 1 / (1 + math.exp(1.5))]  # the two-class softmax is a sigmoid
    assert all(math.isclose(g, t, rel_tol=1e-15) for g, t in zip(folded()[1], want))


def test_a_local_derivative_of_one_minus_one_or_zero_writes_the_plainest_term() -> None:
    a = Value(1.5, "a")
    y = (a - 2.0) * 0.0 + (2.0 - a)  # dy/da = -1; the path through * 0.0 contributes nothing
    y.label = "y"
    code = written(y)
    lines = code.source.splitlines()
    zeroed, minus = y.inputs  # (a - 2.0) * 0.0 and 2.0 - a

    def name(v: Value) -> str:
        return lines[code.value_line[v] - 1].split(" = ")[0].strip()

    assert trace(y, params=[a])()[1] == [-1.0]
    # d(y)/d(minus) = 1: the term is the gradient itself; d(minus)/da = -1: its negation
    line, start, end = code.term_span[(y, 1)]
    assert lines[line - 1][start:end] == "d_y" and lines[line - 1].strip() == f"d_{name(minus)} = d_y"
    assert lines[code.grad_line[a] - 1].strip() == f"d_a = -d_{name(minus)}"
    # d(zeroed)/d(a - 2.0) is the constant 0.0: no term, and a - 2.0 gets no gradient at all
    assert (zeroed, 0) not in code.term_span and zeroed.inputs[0] not in code.grad_line


def _capped_cos(xs: tuple[float, ...], cap: float | None) -> float:
    return math.cos(xs[0]) if cap is None else min(math.cos(xs[0]), cap)


def _capped_cos_local(m: object, out: object, xs: tuple, cap: float | None) -> tuple[float]:
    # math.sin takes floats only: on the code writer's symbols it raises TypeError, so the replay
    # calls this rule on floats at each step
    return (-math.sin(xs[0]) if cap is None or math.cos(xs[0]) < cap else 0.0,)


@pytest.mark.parametrize(("cap", "written_as"), [(None, "None"), (2.5, "2.5"), (0.5, "0.5"), (math.inf, "param")])
def test_a_rule_on_floats_only_is_called_at_each_step_with_its_param(cap: float | None, written_as: str) -> None:
    # y = 2 min(cos x, cap): dy/dx = -2 sin x below the cap, 0 above it; a number param is written
    # into the call, anything else (inf has no literal) is bound by name
    x = Value(1.0, "x")
    c = apply(Op("capped_cos", _capped_cos, _capped_cos_local, param=cap), x)
    c.label = "c"
    step = trace(c * 2.0, params=[x])
    assert f"    dl_c = local_capped_cos(FLOATS, c, (x,), {written_as})" in step.source.splitlines()
    for at in (1.0, 1.2):  # cos 1 = 0.54 is above the cap 0.5, cos 1.2 = 0.36 below it
        x.data = at
        capped = cap is not None and math.cos(at) > cap
        assert step() == (2 * (cap if capped else math.cos(at)), [0.0 if capped else -2 * math.sin(at)])


def _cos_local_via_m(m: Any, out: object, xs: tuple, cap: float | None) -> tuple[float]:
    # math.sin takes floats only (so the replay calls this on floats); m.exp reads the rule namespace
    return (-math.sin(xs[0]) * m.exp(0.0),)


def test_labels_that_are_the_codes_own_names_are_renamed_not_shadowing_them() -> None:
    # y = f cos(g) h + above(k) + m d a: the rule on floats reads FLOATS, a failed guard raises GuardFailed,
    # a non-finite number NotFinite; params are named like them, like the gradients and like another's gradient
    labels = ["FLOATS", "GuardFailed", "NotFinite", "grads", "params", "d_a", "a"]
    vs = [Value(1.0 + k / 4, label) for k, label in enumerate(labels)]
    cos = Op("cos", _capped_cos, _cos_local_via_m)
    y = vs[0] * apply(cos, vs[1]) * vs[2] + apply(Op("above", _above, _above_local), vs[3]) + vs[4] * vs[5] * vs[6]
    step = trace(y, params=vs)
    f, g, h, k, m, d, a = (v.data for v in vs)
    value, grads = step()
    assert math.isclose(value, f * math.cos(g) * h + k + m * d * a, rel_tol=1e-15)
    want = [math.cos(g) * h, -f * math.sin(g) * h, f * math.cos(g), 1.0, d * a, m * a, m * d]
    assert all(math.isclose(x, t, rel_tol=1e-15) for x, t in zip(grads, want)), (grads, want)
    vs[3].data = 0.125  # below 0.25: the guard fails, the step is computed op by op
    value, grads = step()
    assert math.isclose(value, f * math.cos(g) * h + m * d * a, rel_tol=1e-15) and grads[3] == 0.0
    vs[0].data, vs[2].data = 100.0, 1e308  # f cos(g) h overflows: NotFinite, then the engine's own error
    with pytest.raises(ValueError, match="overflows a float"):
        step()


class _Cube:
    """A forward function that is an object, with no ``__name__``."""

    def __call__(self, xs: tuple[float, ...], p: object) -> float:
        return xs[0] ** 3


def test_a_forward_with_no_name_is_called_forward() -> None:
    x = Value(1.5, "x")
    y = apply(Op("cube", _Cube(), lambda m, out, xs, p: (3.0 * xs[0] * xs[0],)), x)
    step = trace(y, params=[x])
    assert step() == (1.5**3, [3 * 1.5**2])
    assert "    # forward: the op's own forward function, called as it is" in step.source.splitlines()


def test_an_overflowing_local_derivative_raises_as_backward_does_though_nothing_reaches_it() -> None:
    # d log(x)/dx = 1/x overflows at the smallest subnormal, where log(x) = -744.4 is finite; the path
    # through log is multiplied by 0.0, so no gradient carries the overflow: only the check sees it
    x = Value(1.0, "x")
    y = x.log() * 0.0 + x
    step = trace(y, params=[x])
    assert step() == (1.0, [1.0])
    x.data = 5e-324
    message = r"the derivative of log at \(5e-324\) overflows a float"
    with pytest.raises(ValueError, match=message):
        step()
    with pytest.raises(ValueError, match=message):
        (Value(5e-324).log() * 0.0).backward()


def test_an_unlabelled_graph_is_written_as_a_reader_would_write_it() -> None:
    # tanh(x w + b), w and b the params, x an input; no labels: w0, w1, x0, v<k> and "output"
    w, b, x = Value(0.5), Value(-1.0), Value(2.0)
    step = trace((x * w + b).tanh(), params=[w, b], inputs=[x])
    assert step.source.splitlines()[2:] == [
        "    (w0, w1,) = params",
        "    (x0,) = inputs",
        "    # forward: every node from its inputs",
        "    v2 = x0 * w0",
        "    v4 = v2 + w1",
        "    output = tanh(v4)",
        "    # backward: d(output)/d(node) = sum over its users of (local derivative * the user's gradient)",
        "    d_output = 1.0",
        "    d_v4 = (1.0 - output * output) * d_output",
        "    d_w1 = d_v4",
        "    d_v2 = d_v4",
        "    d_w0 = x0 * d_v2",
        "    # chainrule's policy: every number finite (if not, the caller re-runs the step op by op)",
        "    grads = (d_w0 + 0.0, d_w1 + 0.0)",
        "    if not isfinite(sum((v2, v4, output, sum(grads)))):",
        "        raise NotFinite",
        "    return output, grads",
    ]
    # d tanh(z)/dw = x (1 - tanh(z)^2), d/db = 1 - tanh(z)^2 with z = 2 * 0.5 - 1 = 0
    assert step() == (0.0, [2.0, 1.0])


def test_names_given_for_leaves_name_their_variables() -> None:
    x, w = Value(2.0, "x"), Value(3.0, "w")
    code = written(x * w, names={x: "input one", w: "weight"})
    assert code.source.splitlines()[2].strip() == "(input_one, weight,) = params"


def test_a_custom_ops_traced_value_resolves_a_branch_after_it() -> None:
    # above(x^3) with x = 1.5: 3.375 > 0.25, so d/dx = 3x^2, written as code behind a guard
    x = Value(1.5, "x")
    cube = Op("cube", _Cube(), lambda m, out, xs, p: (3.0 * xs[0] * xs[0],))
    y = apply(Op("above", _above, _above_local), apply(cube, x))
    step = trace(y, params=[x])
    assert "local_" not in step.source and "raise GuardFailed" in step.source
    assert step() == (1.5**3, [3 * 1.5**2])


def test_a_value_that_overflows_where_no_gradient_shows_it_raises_as_the_engine_does() -> None:
    # y = (x * 1e300) * 0 + x: at x = 1e10, x * 1e300 is inf (and inf * 0 is nan), while dy/dx stays 1
    x = Value(1.0, "x")
    step = trace((x * 1e300) * 0.0 + x, params=[x])
    x.data = 1e10
    message = r"mul\(10000000000.0, 1e\+300\) overflows a float \(result inf\)"
    with pytest.raises(ValueError, match=message):
        step()
    with pytest.raises(ValueError, match=message):
        (Value(1e10) * 1e300) * 0.0


def _sin_times(xs: tuple[float, ...], k: list[float]) -> float:
    return math.sin(xs[0]) * k[0]


def _sin_times_local(m: object, out: object, xs: tuple, k: list[float]) -> tuple[float]:
    return (math.cos(xs[0]) * k[0],)  # math.cos: a rule on floats only


def test_a_param_that_is_no_number_reaches_a_rule_on_floats_by_name() -> None:
    x = Value(0.5, "x")
    step = trace(apply(Op("sin_times", _sin_times, _sin_times_local, param=[3.0]), x), params=[x])
    assert "(FLOATS, output, (x,), param)" in step.source
    assert step() == (math.sin(0.5) * 3.0, [math.cos(0.5) * 3.0])


def _refuses_two(xs: tuple[float, ...], p: object) -> float:
    if xs[0] == 2.0:
        raise ZeroDivisionError("two")
    return xs[0]


def test_a_traceback_through_the_generated_code_shows_its_lines() -> None:
    import inspect
    import traceback

    x = Value(1.0, "x")
    step = trace(apply(Op("refuses_two", _refuses_two, lambda m, out, xs, p: (1.0,)), x) * 3.0, params=[x])
    assert inspect.getsource(step._function) == step.source  # the code is registered under its own name
    x.data = 2.0
    with pytest.raises(ZeroDivisionError) as caught:
        step()
    shown = "".join(traceback.format_exception(caught.value))
    assert "    v1 = refuses_two(x)\n" in shown  # the replay failed there, then re-ran op by op
