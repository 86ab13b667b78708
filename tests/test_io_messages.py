"""nn.io's refusals word for word, and the corners of its file handling (issue 21: mutants that
survived tests matching only part of a message, or never reaching a branch).

Each message below is written out by hand: it says where in the file the problem is (which layer,
which entry) and what was found, so a user can fix the file."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nn
from autograd import Value
from nn import io as nnio

ROOT = Path(__file__).resolve().parent.parent

MLP_ARCH = {"type": "MLP", "input_name": "x", "layers": [
    {"type": "Layer", "n_in": 2, "n_out": 1, "activation": "relu", "names": ["i", "j"], "node_names": None,
     "labels": {"weights": [["W_ij[0][0]"], ["W_ij[1][0]"]], "biases": ["b_j[0]"], "nodes": None}}]}
LAYER_ARCH = {"type": "Layer", "n_in": 2, "n_out": 1, "activation": "tanh", "names": ["i", "j"],
              "node_names": ["z", "a"],
              "labels": {"weights": [["W_ij[0][0]"], ["W_ij[1][0]"]], "biases": ["b_j[0]"],
                         "nodes": [["z[0]"], ["a[0]"]]}}
NEURON_ARCH = {"type": "Neuron", "n_in": 2, "activation": "tanh", "weight_labels": ["w[0]", "w[1]"], "bias_label": "b"}


def changed(arch: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    arch = copy.deepcopy(arch)
    change(arch)
    return arch


def layer0(arch: dict[str, Any]) -> dict[str, Any]:
    return arch["layers"][0]  # type: ignore[no-any-return]


LABELS = "Layer architecture: 'labels'"
BAD_ARCHITECTURES: dict[str, tuple[Any, str]] = {
    "not an object": ([], "architecture must be a JSON object, got list"),
    "no type": ({}, "architecture has no 'type' entry"),
    "type not a str": ({"type": 3}, "architecture: 'type' must be a str, got 3"),
    "unknown type": ({"type": "RNN"}, "architecture: unknown type 'RNN'; accepted: 'MLP', 'Layer', 'Neuron'"),
    "MLP without layers": (changed(MLP_ARCH, lambda a: a.pop("layers")), "MLP architecture has no 'layers' entry"),
    "MLP layers not a list": (changed(MLP_ARCH, lambda a: a.update(layers={})),
                              "MLP architecture: 'layers' must be a list, got {}"),
    "MLP with no layer": (changed(MLP_ARCH, lambda a: a.update(layers=[])),
                          "MLP architecture: 'layers' is empty; an MLP needs at least one layer"),
    "MLP layer without n_in": (changed(MLP_ARCH, lambda a: layer0(a).pop("n_in")),
                               "layer 0 architecture has no 'n_in' entry"),
    "MLP without input name": (changed(MLP_ARCH, lambda a: a.pop("input_name")),
                               "MLP architecture has no 'input_name' entry"),
    "Layer without n_out": (changed(LAYER_ARCH, lambda a: a.pop("n_out")), "Layer architecture has no 'n_out' entry"),
    "Layer n_in zero": (changed(LAYER_ARCH, lambda a: a.update(n_in=0)),
                        "Layer architecture: 'n_in' must be a positive int, got 0"),
    "Layer activation": (changed(LAYER_ARCH, lambda a: a.update(activation="gelu")),
                         "Layer architecture: unknown activation 'gelu'; "
                         "accepted: relu, sigmoid, tanh, linear, softmax"),
    "Layer without activation": (changed(LAYER_ARCH, lambda a: a.pop("activation")),
                                 "Layer architecture has no 'activation' entry"),
    "names too short": (changed(LAYER_ARCH, lambda a: a.update(names=["i"])),
                        "Layer architecture: 'names' must be two strings, got ['i']"),
    "names a string": (changed(LAYER_ARCH, lambda a: a.update(names="ij")),
                       "Layer architecture: 'names' must be a list, got 'ij'"),
    "node_names a string": (changed(LAYER_ARCH, lambda a: a.update(node_names="za")),
                            "Layer architecture: 'node_names' must be two strings, got 'za'"),
    "names too long": (changed(LAYER_ARCH, lambda a: a.update(names=["i", "j", "k"])),
                       "Layer architecture: 'names' must be two strings, got ['i', 'j', 'k']"),
    "names not strings": (changed(LAYER_ARCH, lambda a: a.update(names=["i", 2])),
                          "Layer architecture: 'names' must be two strings, got ['i', 2]"),
    "labels not an object": (changed(LAYER_ARCH, lambda a: a.update(labels=[])),
                             f"{LABELS} must be a JSON object, got list"),
    "labels without weights": (changed(LAYER_ARCH, lambda a: a["labels"].pop("weights")),
                               f"{LABELS} has no 'weights' entry"),
    "labels without biases": (changed(LAYER_ARCH, lambda a: a["labels"].pop("biases")),
                              f"{LABELS} has no 'biases' entry"),
    "weight rows": (changed(LAYER_ARCH, lambda a: a["labels"]["weights"].pop()),
                    f"{LABELS}: 'weights' must have 2 rows of 1 labels, got 1 rows"),
    "nodes without node_names": (changed(MLP_ARCH, lambda a: layer0(a)["labels"].update(nodes=[["z"], ["a"]])),
                                 "layer 0 architecture: 'labels': 'nodes' must be null, or two lists of labels "
                                 "for a layer with node_names"),
    "nodes a string": (changed(LAYER_ARCH, lambda a: a["labels"].update(nodes="za")),
                       f"{LABELS}: 'nodes' must be null, or two lists of labels for a layer with node_names"),
    "three node lists": (changed(LAYER_ARCH, lambda a: a["labels"].update(nodes=[["z"], ["a"], ["q"]])),
                         f"{LABELS}: 'nodes' must be null, or two lists of labels for a layer with node_names"),
    "first node labels": (changed(LAYER_ARCH, lambda a: a["labels"].update(nodes=[["z", "y"], ["a"]])),
                          f"{LABELS} nodes must be 1 strings, got ['z', 'y']"),
    "second node labels": (changed(LAYER_ARCH, lambda a: a["labels"].update(nodes=[["z"], [7]])),
                           f"{LABELS} nodes must be 1 strings, got [7]"),
    "Neuron without n_in": (changed(NEURON_ARCH, lambda a: a.pop("n_in")), "Neuron architecture has no 'n_in' entry"),
    "Neuron labels missing": (changed(NEURON_ARCH, lambda a: a.pop("weight_labels")),
                              "Neuron architecture has no 'weight_labels' entry"),
    "Neuron label count": (changed(NEURON_ARCH, lambda a: a.update(weight_labels=["w"])),
                           "Neuron architecture: 'weight_labels' must be 2 strings, got ['w']"),
    "Neuron label type": (changed(NEURON_ARCH, lambda a: a.update(weight_labels=["w", 0])),
                          "Neuron architecture: 'weight_labels' must be 2 strings, got ['w', 0]"),
    "Neuron activation": (changed(NEURON_ARCH, lambda a: a.pop("activation")),
                          "Neuron architecture has no 'activation' entry"),
    "Neuron softmax": (changed(NEURON_ARCH, lambda a: a.update(activation="softmax")),
                       "Neuron architecture: softmax acts across a layer, a Neuron cannot have it"),
    "Neuron bias label": (changed(NEURON_ARCH, lambda a: a.pop("bias_label")),
                          "Neuron architecture has no 'bias_label' entry"),
}


@pytest.mark.parametrize("case", BAD_ARCHITECTURES)
def test_a_malformed_architecture_is_refused_in_so_many_words(case: str) -> None:
    arch, message = BAD_ARCHITECTURES[case]
    with pytest.raises(ValueError) as info:
        nnio.build(arch)
    assert str(info.value) == message


@pytest.mark.parametrize("arch", [MLP_ARCH, LAYER_ARCH, NEURON_ARCH], ids=["MLP", "Layer", "Neuron"])
def test_the_well_formed_architectures_above_build(arch: dict[str, Any]) -> None:
    assert nnio.architecture(nnio.build(arch)) == arch


@pytest.mark.parametrize("missing", ["architecture", "state"])
def test_load_names_the_file_and_the_missing_entry(tmp_path: Path, missing: str) -> None:
    path = tmp_path / "model.json"
    nn.save(nn.Neuron([0.5, 0.25]), path)
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    del document[missing]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(info.value) == f"{path}: not a loadable chainrule model: the file has no {missing!r} entry"


def test_state_dict_refusals_in_so_many_words() -> None:
    model = nn.Neuron([0.5, 0.25])
    with pytest.raises(TypeError) as info:
        model.load_state_dict([("w.0", 1.0)])  # type: ignore[arg-type]
    assert str(info.value) == "load_state_dict takes a mapping of parameter names to numbers, not list"
    with pytest.raises(ValueError) as value_info:
        model.load_state_dict({"w.0": 1.0, "b": 0.0, "w.9": 2.0, "x": 1.0})
    assert str(value_info.value).startswith(
        "state dict does not fit this Neuron: missing 1 parameter(s), the first 'w.1'; "
        "2 unexpected name(s), the first 'w.9' "
    )


def test_save_refuses_another_module_in_so_many_words(tmp_path: Path) -> None:
    class Pair(nn.Module):
        def __init__(self) -> None:
            self.a = Value(1.0)

        def parameters(self) -> list[Value]:
            return [self.a]

    with pytest.raises(TypeError) as info:
        nn.save(Pair(), tmp_path / "pair.json")
    assert str(info.value) == (
        "nn.save writes Neuron, Layer and MLP models, not Pair; for other Modules save module.state_dict() "
        "yourself and rebuild the module before load_state_dict"
    )


def test_an_unreachable_parameter_is_named_in_so_many_words() -> None:
    hidden = Value(2.0, "h")

    class Hiding(nn.Module):
        def parameters(self) -> list[Value]:
            return [hidden]

    with pytest.raises(ValueError) as info:
        Hiding().state_dict()
    assert str(info.value) == (
        f"Hiding.parameters() returns {hidden!r}, which is not reachable through its public attributes "
        "(lists, tuples or dicts of Values and Modules); state_dict cannot name it"
    )


def test_a_module_that_refers_to_itself_is_walked_once() -> None:
    model = nn.Neuron([0.5, 0.25])
    model.me = model  # type: ignore[attr-defined]  # a cycle of modules: the walk must not go round it
    model.others = [model, {"again": model}]  # type: ignore[attr-defined]
    assert list(model.state_dict()) == ["w.0", "w.1", "b"]


def test_node_labels_round_trip_each_to_its_own_place(tmp_path: Path) -> None:
    layer = nn.Layer.from_matrices([[0.5], [0.25]], [0.1], "tanh", names=("i", "j"), node_names=("z", "a"))
    path = tmp_path / "layer.json"
    nn.save(layer, path)
    assert nnio.architecture(nn.load(path))["labels"]["nodes"] == [["z[0]"], ["a[0]"]]


def test_a_failed_write_whose_cleanup_also_fails_raises_the_first_error(tmp_path: Path, monkeypatch) -> None:
    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    def gone(*args: object) -> None:
        raise FileNotFoundError(2, "already removed")

    monkeypatch.setattr(nnio.os, "replace", full)
    monkeypatch.setattr(nnio.os, "unlink", gone)
    with pytest.raises(OSError, match="No space left on device"):
        nnio.write_atomically(tmp_path / "m.json", "{}\n")


def test_a_taken_temporary_name_is_skipped_and_a_hundred_are_too_many(tmp_path: Path, monkeypatch) -> None:
    names = iter(["aaaaaaaa", "bbbbbbbb"])
    monkeypatch.setattr(nnio.secrets, "token_hex", lambda n: next(names))
    (tmp_path / ".m.json.aaaaaaaa.tmp").write_text("someone else's", encoding="utf-8")
    nnio.write_atomically(tmp_path / "m.json", "{}\n")
    assert (tmp_path / "m.json").read_text(encoding="utf-8") == "{}\n"
    assert (tmp_path / ".m.json.aaaaaaaa.tmp").read_text(encoding="utf-8") == "someone else's"
    tries: list[int] = []
    monkeypatch.setattr(nnio.secrets, "token_hex", lambda n: tries.append(n) or "aaaaaaaa")
    with pytest.raises(FileExistsError) as info:
        nnio.write_atomically(tmp_path / "m.json", "[]\n")
    assert str(info.value) == f"could not create a temporary file beside m.json in {tmp_path}"
    assert tries == [4] * 100 and (tmp_path / "m.json").read_text(encoding="utf-8") == "{}\n"


def test_build_makes_every_parameter_zero() -> None:
    for arch in (MLP_ARCH, LAYER_ARCH, NEURON_ARCH):
        assert set(nnio.build(arch).state_dict().values()) == {0.0}


def test_an_architecture_over_the_parameter_limit_is_refused_in_so_many_words() -> None:
    with pytest.raises(ValueError) as info:
        nnio.build(LAYER_ARCH, max_parameters=2)
    assert str(info.value) == (
        "the architecture declares 3 parameters, more than the limit of 2 "
        "(nn.load(path, max_parameters=...) raises it for a file you trust)"
    )


def test_io_load_state_dict_passes_strict_on() -> None:
    model = nn.Neuron([0.5, 0.25])
    result = nnio.load_state_dict(model, {"w.0": 2.0, "extra": 1.0}, strict=False)
    assert (result.missing_keys, result.unexpected_keys) == (["w.1", "b"], ["extra"])
    assert model.state_dict() == {"w.0": 2.0, "w.1": 0.25, "b": 0.0}
