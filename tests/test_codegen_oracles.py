"""replay's generated code against closed forms: long gradient sums, custom ops, softmax, and the
terms a local derivative of 1, -1 or 0 writes.

Every expected number is computed here by hand (the sums are of small integers, exact in floats);
every expected position in the source is read back from the source with :mod:`ast`.
"""

from __future__ import annotations

import ast
import math

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


def test_a_softmax_is_computed_once_for_its_value_and_its_derivatives() -> None:
    zs = [0.5, -1.0, 2.0]
    xs = [Value(z, f"x{i}") for i, z in enumerate(zs)]
    p = softmax(xs)
    y = p[0] * 2.0 + p[2]
    step = trace(y, params=xs)
    value, grads = step()
    e = [math.exp(z) for z in zs]
    q = [t / sum(e) for t in e]
    # d(2 q0 + q2)/dx_j = 2 q0 (delta_0j - q_j) + q2 (delta_2j - q_j)
    want = [2 * q[0] * ((j == 0) - q[j]) + q[2] * ((j == 2) - q[j]) for j in range(3)]
    assert math.isclose(value, 2 * q[0] + q[2], rel_tol=1e-15)
    assert all(math.isclose(g, t, rel_tol=1e-12, abs_tol=1e-15) for g, t in zip(grads, want))
    assert step.source.count("softmax(") == 1
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
