"""Fuzz: model files from someone else, and models with any labels, through nn.load and nn.save.

Every input gives a model that round-trips or a ValueError naming the file, in the documented words;
no other exception, and nothing left behind (no temporary file, an existing file unchanged).
Hypothesis runs these with the project's profile (deterministic in CI, tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

import nn
from nn import io as nnio

# Any JSON value, small; hypothesis grows it where it finds something.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def good_document(seed: int) -> dict[str, Any]:
    model = nn.MLP(2, [2, 1], ["tanh", "linear"], seed=seed)
    return {"format": nnio.FORMAT, "version": nnio.VERSION, "architecture": nnio.architecture(model),
            "state": model.state_dict()}


def paths_in(document: Any) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (as a path of keys and indices), found without recursion."""
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    while stack:
        path, node = stack.pop()
        found.append(path)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack.extend(((*path, k), v) for k, v in children)
    return sorted(found, key=repr)


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return document


def refused_cleanly(data: bytes) -> None:
    """Load ``data`` from a fresh folder: a model that round-trips, or the documented ValueError; no leftovers."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        path.write_bytes(data)
        try:
            model = nn.load(path)
        except ValueError as error:
            assert str(error).startswith(f"{path}: not a loadable chainrule model: "), error
            assert "\n" not in str(error) and len(str(error)) < len(str(path)) + 400  # one short line
        else:  # whatever was accepted saves and loads back to the same bits
            again = Path(folder) / "again.json"
            nn.save(model, again)
            assert nn.load(again).state_dict() == model.state_dict()
            again.unlink()
        assert os.listdir(folder) == ["model.json"] and path.read_bytes() == data


@given(seed=st.integers(0, 50), choice=st.integers(0, 10**6), value=json_values)
def test_any_field_of_a_model_file_replaced_by_any_json(seed, choice, value):
    document = good_document(seed)
    places = paths_in(document)
    document = replaced(document, places[choice % len(places)], value)
    refused_cleanly(json.dumps(document).encode())


@given(seed=st.integers(0, 50), cut=st.integers(0, 10**6), junk=st.binary(max_size=20))
def test_a_model_file_cut_anywhere_and_anything_appended(seed, cut, junk):
    data = json.dumps(good_document(seed)).encode()
    refused_cleanly(data[: cut % (len(data) + 1)] + junk)


@given(data=st.binary(max_size=200))
def test_any_bytes_at_all(data):
    refused_cleanly(data)


@given(n_in=st.integers(1, 10**9), n_out=st.integers(1, 10**9), depth=st.integers(0, 3000))
def test_sizes_and_nesting_from_someone_else(n_in, n_out, depth):
    """Sizes are checked before a parameter is made, nesting before the parser runs."""
    arch = {"type": "Layer", "n_in": n_in, "n_out": n_out, "activation": "linear", "names": ["x", "h"], "extra": 0}
    text = json.dumps({"format": nnio.FORMAT, "version": nnio.VERSION, "architecture": arch, "state": {}})
    refused_cleanly(text.replace('"extra": 0', '"extra": ' + "[" * depth + "]" * depth).encode())


@given(labels=st.lists(st.text(max_size=12), min_size=3, max_size=3), mode=st.sampled_from([0o600, 0o640, 0o644]))
def test_any_labels_save_and_load_back_or_are_refused_leaving_the_old_file(labels, mode):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        nn.save(nn.Neuron([0.5, -0.5]), path)
        os.chmod(path, mode)
        old = path.read_bytes()
        model = nn.Neuron([0.25, 4.0], weight_labels=labels[:2], bias_label=labels[2])
        try:
            nn.save(model, path)
        except ValueError as error:
            assert "labels must be valid Unicode" in str(error)
            assert path.read_bytes() == old
        else:
            copy = nn.load(path)
            assert [p.label for p in copy.parameters()] == labels
            assert copy.state_dict() == model.state_dict()
        assert os.listdir(folder) == ["model.json"] and stat.S_IMODE(path.stat().st_mode) == mode


@given(max_parameters=st.one_of(st.integers(-5, 40), st.floats(), st.text(max_size=3), st.none(), st.booleans()))
def test_the_parameter_limit_option(max_parameters):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        model = nn.MLP(2, [3, 1], ["tanh", "linear"], seed=0)  # 13 parameters
        nn.save(model, path)
        valid = isinstance(max_parameters, int) and not isinstance(max_parameters, bool) and max_parameters >= 1
        assume(valid or max_parameters is not None)
        try:
            copy = nn.load(path, max_parameters=max_parameters)
        except ValueError as error:
            assert ("max_parameters must be a positive int" in str(error)) != valid
            assert not valid or ("more than the limit" in str(error) and max_parameters < 13)
        else:
            assert valid and max_parameters >= 13 and copy.state_dict() == model.state_dict()


@given(name=st.text(max_size=20).filter(lambda n: not n.startswith("/") and ".." not in n.split("/")))
def test_any_file_name(name):
    """A name is written exactly where it says, or refused naming it; nothing else appears.
    (Names stay inside the test's folder: no absolute paths, no ``..``.)"""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        model = nn.Neuron([0.5, 2.0])
        try:
            nn.save(model, path)
        except (OSError, ValueError) as error:
            assert repr(path)[:40] in str(error) or repr(path)[1:40] in str(error), error
            leftover = [p for p in Path(folder).rglob("*") if p.is_file()]
            assert leftover == []
        else:
            assert nn.load(path).state_dict() == model.state_dict()
            files = [p for p in Path(folder).rglob("*") if p.is_file()]
            assert files == [Path(os.path.realpath(path))]
