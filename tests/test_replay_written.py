"""autograd.replay's source map and its one door for user text: ``written`` and ``identifier``.

Labels and op names are text; generated code holds them only as identifiers made by ``identifier``
(checked here on arbitrary text, including quotes, backslashes, newlines, NUL and lone surrogates).
The map ``written`` returns is checked against the source itself: each line and span it names holds
the statement or term it claims to.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import Dag, dags

import autograd
import nn
import nn.lesson
from autograd import Value, apply, replay
from autograd.ops import Op
from autograd.replay import identifier, written

# Any text: every Unicode category, lone surrogates included.
TEXT = st.text(st.characters(blacklist_categories=()), max_size=30)
INJECTIONS = ['x"""; print("RAN"); """', 'say """hi', "a\\", "line\nbreak", "nul\x00", "\ud800", "__import__", "lambda"]


@given(TEXT, st.sets(st.text(max_size=6), max_size=5))
def test_identifier_makes_any_text_a_fresh_valid_ascii_name(name: str, taken: set[str]) -> None:
    got = identifier(name, taken)
    assert got.isidentifier() and got.isascii()
    assert not keyword.iskeyword(got) and not keyword.issoftkeyword(got)
    assert not got.startswith("_") and got not in taken
    assert identifier(name, taken) == got  # a function of its arguments only
    compile(f"{got} = 1", "<test>", "exec")


def test_identifier_keeps_readable_names_and_refuses_non_text() -> None:
    names = ("W_ij", "h1_in1", "W_ij[0][1]", "E", "x·w")
    assert [identifier(s) for s in names] == ["W_ij", "h1_in1", "W_ij_0_1", "E", "x_w"]
    with pytest.raises(TypeError, match="identifier takes a str, not int"):
        identifier(3)  # type: ignore[arg-type]


def _string_constants(source: str) -> list[str]:
    return [n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _assert_no_user_text(source: str, docstring: str = "d(output)/d(params) for a graph of ") -> None:
    """The only string in the code is the fixed docstring; every name is ASCII."""
    strings = _string_constants(source)
    assert len(strings) == 1 and strings[0].startswith(docstring)
    assert source.isascii()


@pytest.mark.parametrize("label", INJECTIONS)
def test_a_label_never_becomes_code(label: str, capsys: pytest.CaptureFixture[str]) -> None:
    x = Value(3.0, label)
    y = x * x + 1.0
    y.label = label
    step = replay.trace(y, params=[x])
    assert step() == (10.0, [6.0])
    assert "RAN" not in capsys.readouterr().out
    _assert_no_user_text(step.source)


@settings(max_examples=40)
@given(dags(max_steps=8), st.lists(TEXT, min_size=30, max_size=30))
def test_arbitrary_labels_give_working_code_with_no_user_text(dag: Dag, labels: list[str]) -> None:
    nodes = dag.build()
    for node, label in zip(nodes, labels):
        node.label = label
    leaves, out = nodes[: len(dag.leaves)], nodes[-1]
    step = replay.trace(out, leaves)
    got = step()
    assert float(got[0]).hex() == float(out.data).hex()
    assert [g.hex() for g in got[1]] == [g.hex() for g in autograd.grad(out, leaves)]
    _assert_no_user_text(step.source)


def _square(xs: tuple[float, ...], p: Any) -> float:
    return xs[0] * xs[0]


@pytest.mark.parametrize("name", INJECTIONS)
def test_an_op_name_never_becomes_code(name: str) -> None:
    op = Op(name, _square, lambda m, out, xs, p: (2.0 * xs[0],))
    x = Value(1.5, "x")
    y = apply(op, x)
    step = replay.trace(y, params=[x])
    assert step() == (2.25, [3.0])
    _assert_no_user_text(step.source)


def test_labels_from_a_model_file_never_become_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.json"
    nn.save(nn.MLP(2, [2], ["tanh"], seed=1), path)
    data = json.loads(path.read_text())
    labels = data["architecture"]["layers"][0]["labels"]
    labels["weights"] = [['x"""; print("RAN"); """', "a\\"], ["line\nbreak", 'say """hi']]
    labels["biases"] = ["nul\x00", "__import__"]
    path.write_text(json.dumps(data))
    model = nn.load(path)
    assert model.parameters()[0].label == 'x"""; print("RAN"); """'
    out = model([0.5, -1.0])[0]
    step = replay.trace(out, model.parameters())
    assert [g.hex() for g in step()[1]] == [g.hex() for g in autograd.grad(out, model.parameters())]
    assert "RAN" not in capsys.readouterr().out
    _assert_no_user_text(step.source)


def test_labels_never_become_batched_code() -> None:
    model = nn.MLP(2, [3, 1], ["relu", "linear"], seed=0)
    for k, p in enumerate(model.parameters()):
        p.label = INJECTIONS[k % len(INJECTIONS)]
    source = replay.batch_source(lambda x, y: (model(x)[0] - y) ** 2, model.parameters(), [0.0, 1.0], 1.0)
    _assert_no_user_text(source, "The mean of the samples' losses and its gradient for ")


# --- the map --------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(dags(max_steps=10))
def test_the_map_points_at_each_values_statement_and_each_term(dag: Dag) -> None:
    nodes = dag.build([Value(x, f"leaf{i}") for i, x in enumerate(dag.leaves)])
    root = nodes[-1]
    code = written(root)
    lines = code.source.splitlines()
    var = {}
    for v, n in code.value_line.items():
        statement = lines[n - 1].strip()
        if v.is_leaf:  # a param: its unpacking line names it
            var[v] = identifier(v.label)
            assert var[v] in re.findall(r"\w+", statement), statement
        else:
            var[v] = statement.partition(" = ")[0]
            assert var[v].isidentifier()
    for v, n in code.grad_line.items():
        assert lines[n - 1].strip().startswith(f"d_{var[v]} = ")
    assert lines[code.grad_line[root] - 1].strip() == f"d_{var[root]} = 1.0"
    reached = 0
    for (consumer, i), (n, start, end) in code.term_span.items():
        term = lines[n - 1][start:end]
        receiver = consumer.inputs[i]
        assert lines[n - 1].strip().startswith(f"d_{var[receiver]} = ")
        assert term == f"d_{var[consumer]}" or term.endswith(f" * d_{var[consumer]}") or term == f"-d_{var[consumer]}"
        reached += 1
    # Every edge into a Value that has a gradient line has a term, unless its local derivative is 0.
    edges = [(c, i) for c in code.value_line if not c.is_leaf for i in range(len(c.inputs)) if c in code.grad_line]
    zero = [e for e in edges if e not in code.term_span]
    for c, i in zero:
        assert c.inputs[i] not in code.grad_line or c.local_grads[i] == 0.0 or c.inputs[i] not in code.value_line
    assert reached == len(edges) - len(zero)


def test_names_name_the_variables_through_identifier() -> None:
    x, w = Value(2.0, "x"), Value(3.0, "w")
    y = x * w
    code = written(y, names={x: "x", w: "w", y: "x·w"})
    lines = code.source.splitlines()
    assert lines[code.value_line[y] - 1].strip() == "x_w = x * w"
    assert lines[code.grad_line[y] - 1].strip() == "d_x_w = 1.0"


def test_written_on_the_tutorial_network() -> None:
    net = nn.lesson.tutorial.network()
    loss = nn.cross_entropy(net(list(nn.lesson.tutorial.INPUT)), nn.lesson.tutorial.TARGET)
    code = written(loss)
    lines = code.source.splitlines()
    w = net.parameters()[0]
    assert lines[code.grad_line[w] - 1].strip().startswith(f"d_{w.label} = ")
    assert all(math.isfinite(p.data) for p in net.parameters())
    assert len(code.grad_line) > len(net.parameters())


def test_the_rule_namespace_is_written_through_its_code_forms() -> None:
    x = Value(0.7, "x")
    y = x.sin() * x.cos() + x.sqrt() + (x * 2.0).relu()
    step = replay.trace(y, [x])
    assert "local_" not in step.source and "cos(x)" in step.source  # sin's rule, written from its code form
    value, grads = step()
    assert float(value).hex() == y.data.hex() and [g.hex() for g in grads] == [autograd.grad(y, [x])[0].hex()]
