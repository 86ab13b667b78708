"""nn.io at the level of bytes: the exact text a save writes, what a load reads (no more than its limit,
integers at a float's edge, brackets nested around numbers), parameter counts, and the errors of a
save that cannot write, word for word. Expected bytes and messages are written out here by hand."""

from __future__ import annotations

import errno
import json
import os
import secrets
from pathlib import Path

import pytest

import nn
from nn import io as nnio

SAVED_NEURON = """{
 "format": "chainrule-model",
 "version": 1,
 "architecture": {
  "type": "Neuron",
  "n_in": 1,
  "activation": "linear",
  "weight_labels": [
   "w"
  ],
  "bias_label": "b"
 },
 "state": {
  "w.0": 0.5,
  "b": -0.25
 }
}
"""


def neuron(label: str = "w") -> nn.Neuron:
    n = nn.Neuron([0.5], activation="linear", weight_labels=[label], bias_label="b")
    n.b.data = -0.25
    return n


def test_a_saved_file_is_json_indented_by_one_space_ending_in_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    nn.save(neuron(), path)
    assert path.read_bytes() == SAVED_NEURON.encode("utf-8")


def _load_with_weight(tmp_path: Path, number: str) -> nn.Module:
    path = tmp_path / "n.json"
    path.write_text(SAVED_NEURON.replace("0.5", number), encoding="utf-8")
    return nnio.load(path)


def test_integers_are_read_up_to_a_floats_edge_and_longer_ones_refused_by_their_digits(tmp_path: Path) -> None:
    assert _load_with_weight(tmp_path, "1" + "0" * 308).state_dict()["w.0"] == 1e308  # 309 digits
    where = f"{tmp_path / 'n.json'}: not a loadable chainrule model: "
    with pytest.raises(ValueError) as info:
        _load_with_weight(tmp_path, "1" + "0" * 309)  # 310 digits: parsed, then too large for a float
    assert str(info.value) == where + (
        "state dict entry 'w.0' must be finite, but this int is too large for a float (magnitude above about 1.8e308)"
    )
    with pytest.raises(ValueError) as info:
        _load_with_weight(tmp_path, "-1" + "0" * 310)  # 311 digits: refused before Python parses it
    assert str(info.value) == where + "the file holds an integer of 311 digits; a model's numbers fit a float"


def test_brackets_nested_around_numbers_and_strings_count_as_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 11 + '1, "]]"' + "]" * 11, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        nnio.load(path)
    assert str(info.value) == (f"{path}: not a loadable chainrule model: "
                               "JSON nested more than 10 deep; a model file nests 7 deep")
    assert not nnio.nests_deeper("[" * 10 + '1, "[[[["' + "]" * 10, nnio.JSON_STRINGS, 10)


def test_read_at_most_reads_exactly_the_limit_of_a_longer_file(tmp_path: Path) -> None:
    path = tmp_path / "big"
    data = os.urandom(200_000)
    path.write_bytes(data)
    for limit in (1, 65_536, 100_000, 199_999):
        assert nnio.read_at_most(path, limit) == data[:limit]
    assert nnio.read_at_most(path, 300_000) == data


def test_parameter_count_and_the_limit_it_is_checked_against() -> None:
    arch = {"type": "Neuron", "n_in": 3, "activation": "tanh", "weight_labels": ["a", "b", "c"], "bias_label": "d"}
    assert nnio.parameter_count(arch) == 4  # three weights and a bias
    assert len(nnio.build(arch, max_parameters=4).state_dict()) == 4
    with pytest.raises(ValueError) as info:
        nnio.build(arch, max_parameters=3)
    assert str(info.value) == ("the architecture declares 4 parameters, more than the limit of 3 "
                               "(nn.load(path, max_parameters=...) raises it for a file you trust)")


def test_layers_that_do_not_fit_are_named_with_their_neighbour() -> None:
    def layer(n_in: int, n_out: int) -> dict[str, object]:
        return {"type": "Layer", "n_in": n_in, "n_out": n_out, "activation": "tanh", "names": ["i", "j"]}

    arch = {"type": "MLP", "input_name": "x", "layers": [layer(2, 3), layer(3, 4), layer(5, 1)]}
    with pytest.raises(ValueError) as info:
        nnio.parameter_count(arch)
    assert str(info.value) == "layer 2 takes 5 inputs but layer 1 gives 4 outputs"


def test_a_label_that_is_not_unicode_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    with pytest.raises(ValueError) as info:
        nn.save(neuron("w\ud800"), path)
    assert str(info.value) == (
        "cannot save: a label holds text that is not valid Unicode ('\\ud800'); labels must be valid Unicode"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_save_that_cannot_write_names_the_users_path_and_keeps_the_error_number(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "n.json"
    with pytest.raises(FileNotFoundError) as info:
        nn.save(neuron(), path)
    assert info.value.errno == errno.ENOENT
    assert str(info.value) == f"[Errno 2] cannot save the model to {str(path)!r}: No such file or directory"


def test_a_save_finding_no_free_temporary_name_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "token_hex", lambda n: "0" * 8)
    (tmp_path / ".n.json.00000000.tmp").write_text("another save's", encoding="utf-8")
    path = tmp_path / "n.json"
    with pytest.raises(FileExistsError) as info:
        nn.save(neuron(), path)
    assert info.value.errno is None  # no "[Errno None]" in front of the message
    assert str(info.value) == (f"cannot save the model to {str(path)!r}: "
                               f"could not create a temporary file beside n.json in {tmp_path}")
    assert not path.exists()


def _file(tmp_path: Path, n_in: int, state: dict[str, float], padding: int = 0) -> Path:
    path = tmp_path / "n.json"
    arch = {"type": "Neuron", "n_in": n_in, "activation": "tanh", "weight_labels": ["w"] * n_in, "bias_label": "b"}
    doc = {"format": "chainrule-model", "version": 1, "architecture": arch, "state": state}
    path.write_text(json.dumps(doc) + " " * padding, encoding="utf-8")
    return path


def test_load_reads_a_file_of_exactly_its_byte_limit_and_refuses_one_byte_more(tmp_path: Path) -> None:
    limit = 256 * 2 + 2**20  # BYTES_PER_PARAMETER * max_parameters + a MiB
    size = len(_file(tmp_path, 1, {"w.0": 0.5, "b": 0.0}).read_bytes())
    path = _file(tmp_path, 1, {"w.0": 0.5, "b": 0.0}, padding=limit - size)  # JSON may end in spaces
    assert nnio.load(path, max_parameters=2).state_dict() == {"w.0": 0.5, "b": 0.0}
    path = _file(tmp_path, 1, {"w.0": 0.5, "b": 0.0}, padding=limit - size + 1)
    with pytest.raises(ValueError) as info:
        nnio.load(path, max_parameters=2)
    assert str(info.value) == (f"{path}: not a loadable chainrule model: larger than {limit} bytes, the most a "
                               "model of at most 2 parameters takes (nn.load(path, max_parameters=...) raises it)")


def test_a_limit_of_one_parameter_is_accepted_and_applied(tmp_path: Path) -> None:
    path = _file(tmp_path, 1, {"w.0": 0.5, "b": 0.0})
    with pytest.raises(ValueError) as info:
        nnio.load(path, max_parameters=1)
    assert str(info.value) == (f"{path}: not a loadable chainrule model: the architecture declares 2 parameters, more "
                               "than the limit of 1 (nn.load(path, max_parameters=...) raises it for a file you trust)")


def test_an_architecture_far_beyond_its_state_is_refused_before_building_and_a_near_one_after(tmp_path: Path) -> None:
    # one entry in the state: up to 2 * 1 + 1000 = 1002 declared parameters are built and then named precisely
    path = _file(tmp_path, 1001, {"b": 0.0})  # 1002 parameters
    with pytest.raises(ValueError) as info:
        nnio.load(path)
    assert "missing 1001 parameter(s), the first 'w.0'" in str(info.value)
    path = _file(tmp_path, 1002, {"b": 0.0})  # 1003 parameters
    with pytest.raises(ValueError) as info:
        nnio.load(path)
    assert str(info.value) == (f"{path}: not a loadable chainrule model: "
                               "the architecture declares 1003 parameters but the state holds 1")


class _BytesPath:
    """A path-like object whose path is bytes, which nn.save and nn.load do not take."""

    def __fspath__(self) -> bytes:
        return b"model.json"


def test_a_path_like_giving_bytes_is_refused_naming_what_it_gave() -> None:
    with pytest.raises(TypeError) as info:
        nn.save(neuron(), _BytesPath())  # type: ignore[arg-type]
    assert str(info.value) == "nn.save takes a file path as text, not bytes: b'model.json'"
