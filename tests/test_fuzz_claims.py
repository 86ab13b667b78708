"""Fuzz: claims, labels and answers files from someone else, through diagnose and `chainrule check`.

Every input gives a report or the documented error naming the entry; no other exception, and the
graph is left as it was (.data, .grad, labels), the answers file unchanged.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.diagnose import diagnose
from nn.lesson import tutorial
from nn.lesson.exercise import Exercise, check_main, template

numbers = st.one_of(
    st.integers(-(10**400), 10**400),
    st.floats(),
    st.decimals(),
    st.fractions(),
    st.floats(width=32).map(numpy.float32),
    st.floats().map(numpy.float64),
    st.integers(-(2**63), 2**63 - 1).map(numpy.int64),
)
texts = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"\A\s?[+-]?(\d{0,450}(\.\d{0,6})?([eE][+-]?\d{1,4})?|nan|inf|Infinity)\s?\Z"),
)
others = st.one_of(st.none(), st.booleans(), st.lists(st.integers(), max_size=2), st.complex_numbers(),
                   st.just(numpy.array([1.0])), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
claims = st.one_of(numbers, texts, others)


def graph() -> tuple[Value, Value, Value]:
    x = Value(2.0, "x")
    h = (x * x).tanh()
    h.label = "h"
    y = h * 3.0 + x
    y.label = "y"
    return x, h, y


def state(*values: Value) -> list[tuple[float, float, str]]:
    return [(v.data, v.grad, v.label) for v in values]


def finite_as_float(claim: object) -> bool:
    """Whether the claim is a number a float holds, computed here without diagnose's reader."""
    try:
        if isinstance(claim, str):
            number = Decimal(claim.strip())
        elif isinstance(claim, Fraction):
            return math.isfinite(claim.numerator / claim.denominator)
        else:
            number = Decimal(str(claim))
        return number.is_finite() and math.isfinite(float(number))
    except (ArithmeticError, ValueError, OverflowError):
        return False


@given(claim=claims, kind=st.sampled_from(["grads", "data", "updates"]))
def test_any_claim_is_judged_or_refused_naming_its_entry(claim, kind):
    x, h, y = graph()
    y.backward()
    before = state(x, h, y)
    entry = {"grads": "dy/dh", "data": "h", "updates": "x'"}[kind]
    label = "x" if kind == "updates" else "h"
    try:
        report = diagnose(y, lr=0.1, **{kind: {label: claim}})
    except ValueError as error:
        assert f"the claimed value for {entry} " in str(error)
        assert not finite_as_float(claim)
    except TypeError as error:
        assert f"the claimed value for {entry} must be a number as written" in str(error)
        assert isinstance(claim, bool | type(None) | list | dict | complex | numpy.ndarray)
    else:
        (e,) = report
        assert e.name == entry and e.verdict in ("agrees", "rounding", "wrong")
        assert math.isfinite(e.value) and finite_as_float(claim if not isinstance(claim, str) else claim.strip())
    assert state(x, h, y) == before


@given(label=st.text(max_size=10), key=st.text(max_size=10))
def test_any_label_and_any_key(label, key):
    x = Value(1.5, label)
    y = x * x
    try:
        report = diagnose(y, grads={key: "3.0"})
    except KeyError as error:
        assert (key != label or not key) and f"no Value labelled {key!r}" in error.args[0]
    else:
        assert key == label and [e.verdict for e in report] == ["agrees"]
    assert state(x, y) == [(1.5, 0.0, label), (2.25, 0.0, "")]


@given(container=st.one_of(st.lists(st.tuples(st.just("x"), st.just("1"))), st.sets(st.just(("x", "1"))),
                           st.tuples(st.just("x")), st.text(max_size=3), st.integers(), st.floats()))
def test_claims_that_are_not_mappings(container):
    x = Value(1.0, "x")
    y = x * 2.0
    with pytest.raises(TypeError, match="must be a mapping"):
        diagnose(y, grads=container)


# --- answers files ---------------------------------------------------------------------------------

QUANTITIES = Exercise.make().quantities()
toml_values = st.one_of(
    st.floats().map(lambda f: "nan" if math.isnan(f) else repr(f)),
    st.integers(-(10**30), 10**30).map(str),
    st.text(max_size=8).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.sampled_from(["true", "[1, 2]", "{a = 1}", "1979-05-27", '"1e999"', '"' + "9" * 400 + '"', "1e999",
                     "[" * 40 + "]" * 40, '"0.2040"', "0", '""']),
    st.from_regex(r"\A[ -~]{0,12}\Z"),  # any printable line: mostly not TOML at all
)


def filled(table: str, name: str, value: str) -> str:
    """The template with one answer written in as TOML text (``value`` pasted as is)."""
    lines, current = template(Exercise.make()).splitlines(), ""
    for k, line in enumerate(lines):
        if line.startswith("["):
            current = line[1:].split("]")[0]
        elif current == table and line == f'{name} = ""':
            lines[k] = f"{name} = {value}"
            break
    return "\n".join(lines) + "\n"


def toml_key(text: str) -> str:
    """Any text as a quoted TOML key (control characters written as escapes)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text
                         if ord(c) < 0x10000 and not 0xD800 <= ord(c) < 0xE000) + '"'


@settings(max_examples=40)  # each checked file runs a whole diagnosis of the tutorial's network
@given(table=st.sampled_from(sorted(QUANTITIES)), pick=st.integers(0, 100), value=toml_values,
       prefix=st.binary(max_size=3), key=st.none() | st.text(max_size=6))
def test_any_answer_in_an_answers_file(table, pick, value, prefix, key):
    names = QUANTITIES[table]
    text = filled(table, names[pick % len(names)], value)
    if key is not None:  # a name the template does not have, as a key or as a table
        text += f"\n[{table}]\n{toml_key(key)} = 1\n" if len(key) % 2 else f"\n[{toml_key(key)}]\n"
    data = prefix + text.encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answers.toml"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = check_main([str(path)])
        assert code in (0, 1, 2) and "Traceback" not in err.getvalue()
        if code == 2:
            assert err.getvalue().startswith("chainrule check: ") and err.getvalue().count("\n") == 1
            assert err.getvalue()[:-1].isprintable() and out.getvalue() == ""  # nothing for the terminal to obey
        else:
            assert err.getvalue() == "" and out.getvalue()
        assert os.listdir(folder) == ["answers.toml"] and path.read_bytes() == data


def test_the_tutorials_own_printed_numbers_as_an_answers_file_are_graded(tmp_path, capsys):
    """A right-or-wrong file, not a refusal: the fuzz above must not pass by refusing everything."""
    text = template(Exercise.make())
    for name, printed in tutorial.claims()["data"].items():
        text = text.replace(f'\n{name} = ""', f'\n{name} = "{printed}"', 1)  # the first is in [data]
    (tmp_path / "answers.toml").write_text(text)
    assert check_main([str(tmp_path / "answers.toml")]) == 1  # the tutorial's h2_in3 = 4.001 is a slip
    assert "h2_in3" in capsys.readouterr().out
