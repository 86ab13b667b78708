"""Weights that outlive the process: ``state_dict`` / ``load_state_dict`` and ``save`` / ``load`` (JSON).

A state dict maps a parameter's *path* to its number. The path is how Python reaches the parameter
from the module, PyTorch-style, so ``"layers.0.neurons.1.w.2"`` is ``model.layers[0].neurons[1].w[2]``
(in the tutorial's layout that is ``W[2][1]`` of the first layer) and ``"layers.0.neurons.1.b"`` its
bias. One number per name, because chainrule's parameters are scalars.

A saved file is JSON: a format marker and version, the architecture (layer sizes, activations and the
index names the labels come from) and the state dict. Floats are written with ``repr``, which reads
back to the same bits. The file is written to a temporary file in the same folder, flushed and
fsynced, then renamed over the real name, so a crash leaves either the old file or the new one, never
a half-written one. Nothing is pickled: loading a file runs no code from it.

>>> import nn, tempfile, os
>>> model = nn.MLP(2, [3, 1], ["tanh", "linear"], seed=0)
>>> sorted(model.state_dict())[:2]
['layers.0.neurons.0.b', 'layers.0.neurons.0.w.0']
>>> path = os.path.join(tempfile.mkdtemp(), "model.json")
>>> nn.save(model, path)
>>> copy = nn.load(path)
>>> copy.state_dict() == model.state_dict()
True
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import functional as F
from .modules import MLP, Layer, Module, Neuron
from .parameters import IncompatibleKeys

FORMAT = "chainrule-model"
"""The value of a saved file's ``"format"`` key."""

VERSION = 1
"""The file-format version this chainrule writes and reads."""


# --------------------------------------------------------------------------------------------------
# state dicts
# --------------------------------------------------------------------------------------------------


def state_dict(module: Module) -> dict[str, float]:
    """``module.state_dict()``: every parameter's number by its path (what :func:`save` writes)."""
    return module.state_dict()


def load_state_dict(module: Module, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
    """``module.load_state_dict(state, strict)``: all or nothing (see :meth:`nn.Module.load_state_dict`)."""
    return module.load_state_dict(state, strict)


# --------------------------------------------------------------------------------------------------
# architecture: what to build before the numbers go in
# --------------------------------------------------------------------------------------------------


def architecture(module: Module) -> dict[str, Any]:
    """A JSON-ready description of a Neuron, Layer or MLP: sizes, activations and label names."""
    if isinstance(module, MLP):
        return {"type": "MLP", "input_name": module.input_name, "layers": [_layer_arch(la) for la in module.layers]}
    if isinstance(module, Layer):
        return _layer_arch(module)
    if isinstance(module, Neuron):
        return {
            "type": "Neuron",
            "n_in": module.n_in,
            "activation": module.activation,
            "weight_labels": [w.label for w in module.w],
            "bias_label": module.b.label,
        }
    raise TypeError(
        f"nn.save writes Neuron, Layer and MLP models, not {type(module).__name__}; for other Modules save "
        "module.state_dict() yourself and rebuild the module before load_state_dict"
    )


def _layer_arch(layer: Layer) -> dict[str, Any]:
    nodes = layer._node_labels
    return {
        "type": "Layer",
        "n_in": layer.n_in,
        "n_out": layer.n_out,
        "activation": layer.activation,
        "names": list(layer.names),
        "node_names": None if layer.node_names is None else list(layer.node_names),
        # The labels themselves, whatever style made them (the walkthrough and pictures show them).
        "labels": {
            "weights": [[n.w[i].label for n in layer.neurons] for i in range(layer.n_in)],
            "biases": [n.b.label for n in layer.neurons],
            "nodes": None if nodes is None else [list(nodes[0]), list(nodes[1])],
        },
    }


def build(arch: Any) -> Module:
    """A fresh module (all parameters 0.0) from :func:`architecture`'s description; ValueError if malformed."""
    kind = _field(arch, "type", str, "architecture")
    if kind == "MLP":
        layers = _field(arch, "layers", list, "MLP architecture")
        if not layers:
            raise ValueError("MLP architecture: 'layers' is empty; an MLP needs at least one layer")
        built = [_build_layer(la, f"layer {k}") for k, la in enumerate(layers)]
        return MLP.from_layers(built, input_name=_field(arch, "input_name", str, "MLP architecture"))
    if kind == "Layer":
        return _build_layer(arch, "Layer")
    if kind == "Neuron":
        n_in = _size(arch, "n_in", "Neuron")
        labels = _field(arch, "weight_labels", list, "Neuron architecture")
        if len(labels) != n_in or not all(isinstance(s, str) for s in labels):
            raise ValueError(f"Neuron architecture: 'weight_labels' must be {n_in} strings, got {labels!r}")
        activation = _activation(arch, "Neuron")
        if activation == "softmax":
            raise ValueError("Neuron architecture: softmax acts across a layer, a Neuron cannot have it")
        return Neuron([0.0] * n_in, activation=activation, weight_labels=labels,
                      bias_label=_field(arch, "bias_label", str, "Neuron architecture"))
    raise ValueError(f"architecture: unknown type {kind!r}; accepted: 'MLP', 'Layer', 'Neuron'")


def _build_layer(arch: Any, who: str) -> Layer:
    n_in, n_out = _size(arch, "n_in", who), _size(arch, "n_out", who)
    names = _pair(_field(arch, "names", list, f"{who} architecture"), who, "names")
    raw_nodes = arch.get("node_names")
    node_names = None if raw_nodes is None else _pair(raw_nodes, who, "node_names")
    layer = Layer.from_matrices([[0.0] * n_out for _ in range(n_in)], [0.0] * n_out, _activation(arch, who),
                                names=names, node_names=node_names)
    if arch.get("labels") is not None:  # optional: without it, the labels follow from the names
        _restore_labels(layer, arch["labels"], f"{who} architecture: 'labels'")
    return layer


def _restore_labels(layer: Layer, labels: Any, who: str) -> None:
    """Give ``layer`` the saved labels, after checking every one (a bad entry changes nothing)."""
    n_in, n_out = layer.n_in, layer.n_out
    weights = _field(labels, "weights", list, who)
    biases = _strings(_field(labels, "biases", list, who), n_out, f"{who} biases")
    if len(weights) != n_in:
        raise ValueError(f"{who}: 'weights' must have {n_in} rows of {n_out} labels, got {len(weights)} rows")
    rows = [_strings(row, n_out, f"{who} weights row {i}") for i, row in enumerate(weights)]
    nodes = labels.get("nodes")
    if nodes is not None:
        if layer.node_names is None or not isinstance(nodes, list) or len(nodes) != 2:
            raise ValueError(f"{who}: 'nodes' must be null, or two lists of labels for a layer with node_names")
        nodes = (_strings(nodes[0], n_out, f"{who} nodes"), _strings(nodes[1], n_out, f"{who} nodes"))
    for j, neuron in enumerate(layer.neurons):
        for i in range(n_in):
            neuron.w[i].label = rows[i][j]
        neuron.b.label = biases[j]
    if nodes is not None:
        layer._set_node_labels(nodes)


def _strings(value: Any, n: int, who: str) -> list[str]:
    if not (isinstance(value, list) and len(value) == n and all(isinstance(s, str) for s in value)):
        raise ValueError(f"{who} must be {n} strings, got {value!r:.80}")
    return value


def _field(obj: Any, key: str, kind: type, who: str) -> Any:
    if not isinstance(obj, dict):
        raise ValueError(f"{who} must be a JSON object, got {type(obj).__name__}")
    if key not in obj:
        raise ValueError(f"{who} has no {key!r} entry")
    value = obj[key]
    if not isinstance(value, kind):
        raise ValueError(f"{who}: {key!r} must be a {kind.__name__}, got {value!r}")
    return value


def _size(arch: Any, key: str, who: str) -> int:
    n = _field(arch, key, int, f"{who} architecture")
    if isinstance(n, bool) or n < 1:
        raise ValueError(f"{who} architecture: {key!r} must be a positive int, got {n!r}")
    return int(n)


def _activation(arch: Any, who: str) -> str:
    name = _field(arch, "activation", str, f"{who} architecture")
    if name not in F.ACTIVATIONS:
        raise ValueError(f"{who} architecture: unknown activation {name!r}; accepted: {', '.join(F.ACTIVATIONS)}")
    return str(name)


def _pair(value: Any, who: str, key: str) -> tuple[str, str]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(s, str) for s in value)):
        raise ValueError(f"{who} architecture: {key!r} must be two strings, got {value!r}")
    return (value[0], value[1])


# --------------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------------


def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module`` (a Neuron, Layer or MLP) to ``path`` as JSON, atomically.

    The text goes to a temporary file in the same folder (named ``.<name>.*.tmp``), is flushed and
    fsynced, and then replaces ``path`` in one rename: a reader sees the old file or the new one.
    Refuses (writing nothing) a model whose numbers are not finite.
    """
    arch = architecture(module)
    state = state_dict(module)
    for name, x in state.items():
        if type(x) is not float or not math.isfinite(x):
            raise ValueError(f"cannot save: parameter {name!r} holds {x!r}; a saved model holds finite floats only")
    document = {"format": FORMAT, "version": VERSION, "architecture": arch, "state": state}
    # allow_nan=False: a non-finite number can never reach the file even if a check above is missed.
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    write_atomically(Path(path), text)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by a file holding ``text`` (UTF-8) so that no reader ever sees a partial file."""
    folder = path.parent
    fd, tmp_name = _create_temporary(folder, path.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp_name, path)
    except BaseException:
        # Any failure (including KeyboardInterrupt) removes the temporary file; `path` is untouched.
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_folder(folder)


def _create_temporary(folder: Path, name: str) -> tuple[int, str]:
    """A new hidden file ``.<name>.<random>.tmp`` beside the target, opened for writing.

    Made with mode 0o666 so the user's umask decides the permissions, as for any file they write
    (tempfile.mkstemp would make every saved model private to its owner, 0o600).
    """
    for _ in range(100):
        tmp_name = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp_name
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {name} in {folder}")


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows opening a folder (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path: str | os.PathLike[str]) -> Module:
    """Read a model written by :func:`save`: the same architecture, labels and bit-identical weights.

    Raises ValueError, naming the file and the problem, for anything else: not UTF-8, not JSON
    (e.g. truncated), another format, an unknown version, a malformed architecture, NaN/Infinity or
    numbers too large for a float, duplicate keys, or weights that do not fit the architecture.
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        document = parse(raw)
        module = build(_field(document, "architecture", dict, "the file"))
        load_state_dict(module, _field(document, "state", dict, "the file"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: not a loadable chainrule model: {error}") from None
    return module


def parse(raw: bytes) -> dict[str, Any]:
    """The checked top level of a saved file (format and version); ValueError otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text (byte {error.start}): not a file nn.save wrote") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON, truncated or damaged? ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"not a chainrule model file (no \"format\": {FORMAT!r} at the top level)")
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ValueError(f"format version {version!r} is not supported; this chainrule reads version {VERSION}")
    return document


def _refuse_constant(token: str) -> float:
    raise ValueError(f"the file holds {token}; a saved model holds finite numbers only")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result
