"""nn.io: state dicts (names, all-or-nothing loads) and save/load (bit-exact, atomic, refusing bad files)."""

from __future__ import annotations

import functools
import json
import math
import os
import stat
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.lesson
from autograd import Value
from nn import io as nnio

ROOT = Path(__file__).resolve().parent.parent


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def resolve(model, path):
    """Follow a state-dict name as Python would: attribute for a name, index for a number."""
    return functools.reduce(lambda obj, part: obj[int(part)] if part.isdigit() else getattr(obj, part),
                            path.split("."), model)


def snapshot(model):
    return [bits(p.data) for p in model.parameters()]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- state dicts ---------------------------------------------------------------------------------


def test_names_are_attribute_paths_to_every_parameter():
    model = nn.MLP(2, [3, 2], ["tanh", "softmax"], seed=1)
    sd = model.state_dict()
    assert len(sd) == len(model.parameters()) == 2 * 3 + 3 + 3 * 2 + 2
    assert list(sd)[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
                            "layers.0.neurons.1.w.0"]
    for name, x in sd.items():
        assert resolve(model, name).data == x
    assert {id(resolve(model, n)) for n in sd} == {id(p) for p in model.parameters()}
    # in the tutorial's layout, layers.L.neurons.j.w.i is W[i][j]
    W = model.layers[1].weights()
    assert sd["layers.1.neurons.1.w.2"] == W[2][1]


def test_state_dict_is_a_copy():
    model = nn.MLP(2, [2], ["linear"], seed=0)
    sd = model.state_dict()
    before = snapshot(model)
    sd["layers.0.neurons.0.w.0"] = 123.0
    assert snapshot(model) == before


def test_load_state_dict_moves_a_model_into_another():
    a = nn.MLP(3, [4, 2], ["relu", "sigmoid"], seed=1)
    b = nn.MLP(3, [4, 2], ["relu", "sigmoid"], seed=2)
    x = [0.3, -0.7, 1.1]
    assert [o.data for o in a(x)] != [o.data for o in b(x)]
    b.load_state_dict(a.state_dict())
    assert snapshot(b) == snapshot(a)
    assert [o.data for o in a(x)] == [o.data for o in b(x)]


def bad_state_dicts(model):
    sd = model.state_dict()
    names = list(sd)
    missing = dict(sd)
    del missing[names[3]]
    extra = {**sd, "layers.0.neurons.9.w.0": 1.0}
    last_bad = {**sd, names[-1]: float("nan")}  # the bad number comes last: nothing before it may be written
    wrong_model = nn.MLP(2, [3, 2], ["tanh", "linear"], seed=0).state_dict()
    return [
        (missing, f"missing 1 parameter(s), the first {names[3]!r}"),
        (extra, "1 unexpected name(s), the first 'layers.0.neurons.9.w.0'"),
        (last_bad, f"state dict entry {names[-1]!r} must be finite"),
        ({**sd, names[-1]: "0.5"}, "must be a real number"),
        ({**sd, names[-1]: True}, "not a bool"),
        (wrong_model, "missing 5 parameter(s), the first 'layers.0.neurons.3.w.0'"),
    ]


@pytest.mark.parametrize("case", range(6))
def test_a_refused_load_changes_nothing(case):
    model = nn.MLP(2, [4, 2], ["tanh", "linear"], seed=3)
    state, message = bad_state_dicts(model)[case]
    for p in model.parameters():
        p.data += 0.5  # so the state dict's numbers differ from the model's
    before = snapshot(model)
    with pytest.raises((ValueError, TypeError)) as info:
        model.load_state_dict(state)
    assert message in str(info.value)
    assert snapshot(model) == before


def test_load_state_dict_needs_a_mapping():
    model = nn.Neuron([1.0, 2.0])
    with pytest.raises(TypeError, match="mapping of parameter names"):
        model.load_state_dict([1.0, 2.0, 3.0])


class Scaled(nn.Module):
    """A user's own module: a Layer, a shared parameter, a dict of Values, private scratch."""

    def __init__(self) -> None:
        self.body = nn.Layer(2, 2, "tanh", seed=0)
        self.scale = Value(2.0, "scale")
        self.extras = {"shift": Value(0.5, "shift"), "again": self.scale}
        self._cache = [Value(9.0)]  # private: not a parameter

    def parameters(self):
        return [*self.body.parameters(), self.scale, self.extras["shift"]]


def test_custom_modules_are_walked_and_shared_parameters_named_once():
    m = Scaled()
    sd = m.state_dict()
    assert set(sd) >= {"scale", "extras.shift", "body.neurons.1.w.0"}
    assert "extras.again" not in sd and len(sd) == len(m.parameters())
    m2 = Scaled()
    sd2 = {k: v + 1.0 for k, v in sd.items()}
    m2.load_state_dict(sd2)
    assert m2.scale.data == 3.0 and m2.extras["again"].data == 3.0


def test_a_parameter_the_walk_cannot_reach_is_an_error():
    class Hidden(nn.Module):
        def __init__(self) -> None:
            self._w = Value(1.0)

        def parameters(self):
            return [self._w]

    with pytest.raises(ValueError, match="not reachable through its public attributes"):
        Hidden().state_dict()


# --- save / load: exact, atomic ------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=25)
@given(weights=st.lists(finite, min_size=2 * 3 + 3 + 3 + 1, max_size=2 * 3 + 3 + 3 + 1))
def test_save_load_round_trips_to_the_same_bits(tmp_path_factory, weights):
    model = nn.MLP(2, [3, 1], ["relu", "sigmoid"], seed=0)
    for p, w in zip(model.parameters(), weights):
        p.data = w
    path = tmp_path_factory.mktemp("m") / "model.json"
    nn.save(model, path)
    copy = nn.load(path)
    assert snapshot(copy) == snapshot(model)
    assert repr(copy) == repr(model)
    # and the file itself holds the numbers (read with json, independently of nn.load)
    stored = json.loads(path.read_text())["state"]
    assert {n: bits(x) for n, x in stored.items()} == {n: bits(resolve(model, n).data) for n in stored}
    assert len(stored) == len(model.parameters())


def test_the_tutorial_network_round_trips_with_its_labels(tmp_path):
    model = nn.lesson.tutorial.network()
    nn.save(model, tmp_path / "tutorial.json")
    copy = nn.load(tmp_path / "tutorial.json")
    assert [p.label for p in copy.parameters()] == [p.label for p in model.parameters()]
    out, original = copy(nn.lesson.tutorial.INPUT), model(nn.lesson.tutorial.INPUT)
    assert [o.label for o in out] == [o.label for o in original] and all(o.label for o in out)
    assert [o.data for o in out] == [o.data for o in original]
    doc = json.loads((tmp_path / "tutorial.json").read_text())
    assert doc["format"] == "chainrule-model" and doc["version"] == 1
    assert [la["activation"] for la in doc["architecture"]["layers"]] == ["relu", "sigmoid", "softmax"]


def test_labels_set_by_hand_are_kept_and_a_file_without_labels_uses_the_names(tmp_path):
    model = nn.MLP(2, [2, 1], ["relu", "linear"], seed=0)
    model.layers[1].neurons[0].w[1].label = "the weight I watch"
    nn.save(model, tmp_path / "m.json")
    assert nn.load(tmp_path / "m.json").layers[1].neurons[0].w[1].label == "the weight I watch"
    doc = json.loads((tmp_path / "m.json").read_text())
    for layer in doc["architecture"]["layers"]:
        del layer["labels"]
    (tmp_path / "plain.json").write_text(json.dumps(doc))
    plain = nn.load(tmp_path / "plain.json")
    fresh = nn.MLP(2, [2, 1], ["relu", "linear"])
    assert [p.label for p in plain.parameters()] == [p.label for p in fresh.parameters()]


@pytest.mark.parametrize(
    "model", [nn.Layer(3, 2, "softmax", seed=4), nn.Neuron([0.25, -1.5], 0.125, activation="tanh")]
)
def test_layers_and_neurons_round_trip(tmp_path, model):
    nn.save(model, tmp_path / "m.json")
    copy = nn.load(tmp_path / "m.json")
    assert type(copy) is type(model) and repr(copy) == repr(model) and snapshot(copy) == snapshot(model)


def test_save_refuses_a_non_finite_weight_and_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.json"
    model = nn.MLP(2, [2], ["tanh"], seed=0)
    nn.save(model, path)
    old = path.read_bytes()
    model.layers[0].neurons[1].b.data = float("inf")  # set by hand, past the engine's checks
    with pytest.raises(ValueError, match=r"'layers.0.neurons.1.b' holds inf"):
        nn.save(model, path)
    assert path.read_bytes() == old and leftovers(tmp_path) == []


def test_a_saved_file_gets_the_permissions_of_any_file_the_user_writes(tmp_path):
    old_umask = os.umask(0o022)
    try:
        nn.save(nn.Layer(1, 1), tmp_path / "model.json")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old_umask)
    modes = [stat.S_IMODE((tmp_path / name).stat().st_mode) for name in ("model.json", "plain.txt")]
    assert modes[0] == modes[1] == 0o644


def test_save_refuses_other_modules_writing_nothing(tmp_path):
    with pytest.raises(TypeError, match="not Scaled"):
        nn.save(Scaled(), tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "model.json"
    nn.save(nn.MLP(2, [2], ["tanh"], seed=0), path)
    old = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "write":
        monkeypatch.setattr(nnio.json, "dumps", lambda *a, **k: "{" + "x" * 10_000)  # text, then a failing flush
        monkeypatch.setattr(nnio.os, "fsync", boom)
    else:
        monkeypatch.setattr(nnio.os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        nn.save(nn.MLP(2, [2], ["tanh"], seed=1), path)
    assert path.read_bytes() == old and leftovers(tmp_path) == []
    monkeypatch.undo()
    assert snapshot(nn.load(path)) == snapshot(nn.MLP(2, [2], ["tanh"], seed=0))


def test_a_crash_mid_save_never_leaves_a_half_written_file_under_the_real_name(tmp_path):
    """A process killed between writing and renaming: the real name still holds the complete old file."""
    path = tmp_path / "model.json"
    nn.save(nn.MLP(2, [2], ["tanh"], seed=0), path)
    old = path.read_bytes()
    script = textwrap.dedent(f"""
        import os, signal, nn
        from nn import io
        io.os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)   # die with the new bytes unsynced
        nn.save(nn.MLP(2, [2], ["tanh"], seed=1), {str(path)!r})
    """)
    res = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60)
    assert res.returncode == -9
    assert path.read_bytes() == old
    stray = leftovers(tmp_path)  # a killed process cannot clean up; its temp file is hidden and marked
    assert all(name.startswith(".model.json.") for name in stray)
    nn.load(path)


# --- load refuses bad files ----------------------------------------------------------------------


def good_document() -> dict:
    model = nn.MLP(2, [2, 1], ["relu", "linear"], seed=0)
    return {"format": "chainrule-model", "version": 1, "architecture": nnio.architecture(model),
            "state": model.state_dict()}


def edit(change):
    doc = good_document()
    change(doc)
    return json.dumps(doc).encode()


def first_state_key(doc):
    return next(iter(doc["state"]))


def first_weight_as(number: bytes) -> bytes:
    """A good file with its first weight written as ``number`` (JSON text)."""
    return edit(lambda d: d["state"].update({first_state_key(d): 7})).replace(b": 7", b": " + number, 1)


BAD_FILES = {
    "empty": (b"", "not valid JSON"),
    "garbage": (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    "pickle": (b"\x80\x04\x95\x10\x00\x00\x00", "not UTF-8"),
    "a list": (b"[1, 2, 3]", "not a chainrule model file"),
    "other json": (b'{"weights": [1, 2]}', "not a chainrule model file"),
    "version 2": (edit(lambda d: d.update(version=2)), "format version 2 is not supported"),
    "version as str": (edit(lambda d: d.update(version="1")), "format version '1' is not supported"),
    "version as bool": (edit(lambda d: d.update(version=True)), "format version True is not supported"),
    "no architecture": (edit(lambda d: d.pop("architecture")), "no 'architecture' entry"),
    "zero inputs": (edit(lambda d: d["architecture"]["layers"][0].update(n_in=0)), "'n_in' must be a positive int"),
    "size as str": (edit(lambda d: d["architecture"]["layers"][0].update(n_out="2")), "'n_out' must be a int"),
    "size as bool": (edit(lambda d: d["architecture"]["layers"][0].update(n_out=True)), "positive int, got True"),
    "activation": (edit(lambda d: d["architecture"]["layers"][1].update(activation="gelu")), "unknown activation"),
    "layer type": (edit(lambda d: d["architecture"].update(type="Transformer")), "unknown type 'Transformer'"),
    "sizes disagree": (edit(lambda d: d["architecture"]["layers"][1].update(n_in=3, labels=None)),
                       "layer 1 takes 3 inputs"),
    "label count": (edit(lambda d: d["architecture"]["layers"][0]["labels"]["biases"].pop()),
                    "biases must be 2 strings"),
    "label type": (edit(lambda d: d["architecture"]["layers"][1]["labels"]["weights"][0].__setitem__(0, 7)),
                   "weights row 0 must be 1 strings"),
    "missing weight": (edit(lambda d: d["state"].pop(first_state_key(d))), "missing 1 parameter(s)"),
    "extra weight": (edit(lambda d: d["state"].update({"layers.2.neurons.0.b": 0.0})), "unexpected name"),
    "weight as str": (edit(lambda d: d["state"].update({first_state_key(d): "0.5"})), "must be a real number"),
    "weight as null": (edit(lambda d: d["state"].update({first_state_key(d): None})), "must be a real number"),
    "NaN": (edit(lambda d: d["state"].update({first_state_key(d): float("nan")})), "holds NaN"),
    "Infinity": (edit(lambda d: d["state"].update({first_state_key(d): float("-inf")})), "holds -Infinity"),
    "overflow": (edit(lambda d: d["state"].update({first_state_key(d): 1.0})).replace(b"1.0", b"1e999", 1),
                 "must be finite"),
    "duplicate key": (b'{"format": "chainrule-model", "format": "chainrule-model"}', "appears twice"),
    "huge int": (first_weight_as(b"9" * 5000), "an integer of 5000 digits"),
    "int past a float": (first_weight_as(b"2" + b"0" * 308), "too large for a float"),  # 2e308: past the largest
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_load_refuses_bad_files_with_a_clear_error(tmp_path, name):
    data, message = BAD_FILES[name]
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        nn.load(path)
    text = str(info.value)
    assert message in text and str(path) in text and "not a loadable chainrule model" in text


def test_load_refuses_every_truncation_of_a_good_file(tmp_path):
    path = tmp_path / "model.json"
    nn.save(nn.MLP(2, [2, 1], ["relu", "linear"], seed=0), path)
    full = path.read_bytes()
    end = len(full.rstrip())  # a file missing only its final newline is complete
    cut = tmp_path / "cut.json"
    for n in range(0, end, 7):
        cut.write_bytes(full[:n])
        with pytest.raises(ValueError, match=r"not valid JSON|not UTF-8"):
            nn.load(cut)


def test_integers_in_a_hand_written_file_are_accepted_as_floats(tmp_path):
    doc = good_document()
    doc["state"] = {k: 1 for k in doc["state"]}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    model = nn.load(path)
    assert all(type(p.data) is float and p.data == 1.0 for p in model.parameters())
    assert math.isclose(model([1.0, 1.0])[0].data, 1.0 + 2 * 3.0)  # relu(1+1+1)=3, then 3+3+1


# --- files from someone else: limits checked before anything is allocated ---------------------------


def test_a_tiny_file_declaring_a_huge_layer_is_refused_before_allocating(tmp_path):
    """189 bytes asking for 10**10 parameters: refused from the sizes, not by running out of memory."""
    import tracemalloc

    path = tmp_path / "huge.json"
    arch = {"type": "Layer", "n_in": 100_000, "n_out": 100_000, "activation": "linear", "names": ["x", "h"]}
    path.write_text(json.dumps({"format": "chainrule-model", "version": 1, "architecture": arch, "state": {}}))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"declares 10000100000 parameters but the state holds 0") as info:
            nn.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 1_000_000  # bytes: nothing the size of the layer was made


def test_the_parameter_limit_is_documented_checked_and_overridable(tmp_path):
    path = tmp_path / "m.json"
    model = nn.MLP(3, [4, 2], ["tanh", "linear"], seed=0)  # (3+1)*4 + (4+1)*2 = 26 parameters
    nn.save(model, path)
    with pytest.raises(ValueError, match=r"declares 26 parameters, more than the limit of 25") as info:
        nn.load(path, max_parameters=25)
    assert str(path) in str(info.value) and "max_parameters" in str(info.value)
    assert snapshot(nn.load(path, max_parameters=26)) == snapshot(model)
    assert nnio.MAX_PARAMETERS >= 1_000_000 and "MAX_PARAMETERS" in nn.load.__doc__
    for bad in (0, -1, True, 2.5, "10"):
        with pytest.raises(ValueError, match="max_parameters must be a positive int"):
            nn.load(path, max_parameters=bad)


@pytest.mark.parametrize("depth", [nnio.MAX_DEPTH + 1, 100_000])
def test_deep_nesting_is_refused_before_parsing(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text('{"format": "chainrule-model", "version": 1, "x": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(ValueError, match=r"JSON nested more than 10 deep; a model file nests 7 deep") as info:
        nn.load(path)
    assert str(path) in str(info.value)


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    path = tmp_path / "m.json"
    model = nn.Neuron([0.5, -0.25], weight_labels=["[[[[[[[[[[[[", "{{{{{{{{{{{\\\"{{{"], bias_label="]]]")
    nn.save(model, path)
    assert [p.label for p in nn.load(path).parameters()] == ["[[[[[[[[[[[[", "{{{{{{{{{{{\\\"{{{", "]]]"]


def test_a_lone_surrogate_in_a_label_is_refused(tmp_path):
    doc = good_document()
    doc["architecture"]["layers"][0]["labels"]["biases"][0] = "\ud800"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))  # ensure_ascii: written as the escape \ud800
    with pytest.raises(ValueError, match="not valid Unicode") as info:
        nn.load(path)
    assert str(path) in str(info.value)
    doc["architecture"]["layers"][0]["labels"]["biases"][0] = "\U0001F600"  # a pair is a real character
    path.write_text(json.dumps(doc))
    assert nn.load(path).layers[0].neurons[0].b.label == "\U0001F600"


# --- save keeps what the user set up ---------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_re_saving_keeps_the_existing_files_permission_bits(tmp_path, mode):
    path = tmp_path / "model.json"
    nn.save(nn.Layer(2, 1), path)
    os.chmod(path, mode)
    nn.save(nn.MLP(2, [1], ["tanh"], seed=3), path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert snapshot(nn.load(path)) == snapshot(nn.MLP(2, [1], ["tanh"], seed=3)) and leftovers(tmp_path) == []


def test_saving_through_a_symbolic_link_updates_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.json"
    nn.save(nn.Layer(2, 1), target)
    os.chmod(target, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    model = nn.MLP(2, [1], ["tanh"], seed=4)
    nn.save(model, link)
    assert link.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert snapshot(nn.load(target)) == snapshot(model)


def test_save_errors_name_the_users_path_not_the_temporary_file(tmp_path):
    model = nn.Layer(2, 1)
    missing = tmp_path / "no such folder" / "m.json"
    with pytest.raises(FileNotFoundError) as info:
        nn.save(model, missing)
    assert str(missing) in str(info.value) and ".tmp" not in str(info.value)
    with pytest.raises(IsADirectoryError) as info:
        nn.save(model, tmp_path)
    assert str(tmp_path) in str(info.value) and ".tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_an_endless_or_oversized_file_is_refused_without_reading_it_all(tmp_path):
    limit = r"larger than 1051136 bytes, the most a model of at most 10 parameters"  # 256 * 10 + 2**20
    with pytest.raises(ValueError, match=limit) as info:
        nn.load("/dev/zero", max_parameters=10)  # endless: read no further than the limit
    assert str(info.value).startswith("/dev/zero: not a loadable chainrule model")
    path = tmp_path / "padded.json"
    model = nn.MLP(2, [3, 1], ["tanh", "linear"], seed=0)
    nn.save(model, path)
    path.write_text(path.read_text() + " " * (nnio.BYTES_PER_PARAMETER * 13 + 2**20))  # valid JSON, too long
    with pytest.raises(ValueError, match="larger than"):
        nn.load(path, max_parameters=13)
    assert nn.load(path).state_dict() == model.state_dict()  # the default limit reads it


@pytest.mark.parametrize(("path", "error", "message"), [
    ("a\0b.json", ValueError, "cannot name a file"),
    ("d\ud800.json", ValueError, "cannot name a file"),
    (3, TypeError, r"takes a file path \(a str or a pathlib.Path\), not int"),
    (b"m.json", TypeError, "not bytes"),
    (None, TypeError, "not NoneType"),
])
def test_a_path_that_cannot_name_a_file_is_refused_by_name(tmp_path, monkeypatch, path, error, message):
    monkeypatch.chdir(tmp_path)
    for who, call in (("nn.save", lambda: nn.save(nn.Layer(1, 1), path)), ("nn.load", lambda: nn.load(path))):
        with pytest.raises(error, match=message) as info:
            call()
        assert str(info.value).startswith(who)
    assert list(tmp_path.iterdir()) == []


def test_a_file_name_with_bytes_that_are_not_utf8_round_trips(tmp_path):
    path = os.path.join(os.fsdecode(bytes(tmp_path)), "model\udcff.json")  # as os.listdir names it
    model = nn.MLP(1, [1], ["tanh"], seed=2)
    nn.save(model, path)
    assert nn.load(path).state_dict() == model.state_dict()
