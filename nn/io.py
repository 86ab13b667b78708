"""Weights that outlive the process: ``state_dict`` / ``load_state_dict`` and ``save`` / ``load`` (JSON).

A state dict maps a parameter's *path* to its number. The path is how Python reaches the parameter
from the module, PyTorch-style, so ``"layers.0.neurons.1.w.2"`` is ``model.layers[0].neurons[1].w[2]``
(in the tutorial's layout that is ``W[2][1]`` of the first layer) and ``"layers.0.neurons.1.b"`` its
bias. One number per name, because chainrule's parameters are scalars.

A saved file is JSON: a format marker and version, the architecture (layer sizes, activations and the
index names the labels come from) and the state dict. Floats are written with ``repr``, which reads
back to the same bits. The file is written to a temporary file in the same folder, flushed and
fsynced, then renamed over the real name, so a crash leaves either the old file or the new one, never
a half-written one. Nothing is pickled: loading a file runs no code from it, and a file is read as data
with limits (:data:`MAX_PARAMETERS`, :data:`MAX_DEPTH`) checked before anything is allocated.

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
import re
import secrets
import stat
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

MAX_PARAMETERS = 1_000_000
""":func:`load` refuses a file declaring more parameters than this (pass ``max_parameters`` to raise it).

A scalar engine trains a few thousand parameters; a million Values already take hundreds of MB, so a
file that declares more is refused before one is made (a 189-byte file could otherwise ask for 10**10)."""

MAX_DEPTH = 10
""":func:`load` refuses JSON nested deeper than this (a saved model nests 7 deep), before parsing it."""

BYTES_PER_PARAMETER = 256
""":func:`load` reads at most this many bytes per allowed parameter, plus a MiB (a saved model takes
about 75 per parameter): a file larger than that, or an endless one (``/dev/zero``), is refused."""


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


def build(arch: Any, max_parameters: int = MAX_PARAMETERS) -> Module:
    """A fresh module (all parameters 0.0) from :func:`architecture`'s description; ValueError if malformed
    or if it declares more than ``max_parameters`` parameters (checked before any is made)."""
    declared = parameter_count(arch)
    if declared > max_parameters:
        raise ValueError(f"the architecture declares {declared} parameters, more than the limit of {max_parameters} "
                         "(nn.load(path, max_parameters=...) raises it for a file you trust)")
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
            raise ValueError(f"Neuron architecture: 'weight_labels' must be {n_in} strings, got {labels!r:.80}")
        activation = _activation(arch, "Neuron")
        if activation == "softmax":
            raise ValueError("Neuron architecture: softmax acts across a layer, a Neuron cannot have it")
        return Neuron([0.0] * n_in, activation=activation, weight_labels=labels,
                      bias_label=_field(arch, "bias_label", str, "Neuron architecture"))
    raise ValueError(f"architecture: unknown type {kind!r:.80}; accepted: 'MLP', 'Layer', 'Neuron'")


def parameter_count(arch: Any) -> int:
    """How many parameters :func:`build` would make, read from the sizes alone (ValueError if malformed)."""
    kind = _field(arch, "type", str, "architecture")
    if kind == "MLP":
        layers = _field(arch, "layers", list, "MLP architecture")
        total = 0
        for k, la in enumerate(layers):
            total += _layer_count(la, f"layer {k}")
            if k and la["n_in"] != layers[k - 1]["n_out"]:
                raise ValueError(f"layer {k} takes {la['n_in']} inputs but layer {k - 1} gives "
                                 f"{layers[k - 1]['n_out']} outputs")
        return total
    if kind == "Layer":
        return _layer_count(arch, "Layer")
    if kind == "Neuron":
        return _size(arch, "n_in", "Neuron") + 1
    raise ValueError(f"architecture: unknown type {kind!r:.80}; accepted: 'MLP', 'Layer', 'Neuron'")


def _layer_count(arch: Any, who: str) -> int:
    return (_size(arch, "n_in", who) + 1) * _size(arch, "n_out", who)


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
        raise ValueError(f"{who}: {key!r} must be a {kind.__name__}, got {value!r:.80}")
    return value


def _size(arch: Any, key: str, who: str) -> int:
    n = _field(arch, key, int, f"{who} architecture")
    if isinstance(n, bool) or n < 1:
        raise ValueError(f"{who} architecture: {key!r} must be a positive int, got {n!r}")
    return int(n)


def _activation(arch: Any, who: str) -> str:
    name = _field(arch, "activation", str, f"{who} architecture")
    if name not in F.ACTIVATIONS:
        raise ValueError(f"{who} architecture: unknown activation {name!r:.80}; accepted: {', '.join(F.ACTIVATIONS)}")
    return str(name)


def _pair(value: Any, who: str, key: str) -> tuple[str, str]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(s, str) for s in value)):
        raise ValueError(f"{who} architecture: {key!r} must be two strings, got {value!r:.80}")
    return (value[0], value[1])


# --------------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------------


def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module`` (a Neuron, Layer or MLP) to ``path`` as JSON, atomically.

    The text goes to a temporary file in the same folder (named ``.<name>.*.tmp``), is flushed and
    fsynced, and then replaces ``path`` in one rename: a reader sees the old file or the new one.
    An existing file keeps its permission bits (a private 0600 file stays private) and a symbolic
    link keeps pointing where it did; a new file gets the permissions the umask gives any file.
    Refuses (writing nothing) a model whose numbers are not finite or whose labels are not valid
    Unicode (a lone surrogate); an OSError names ``path``.
    """
    target = file_path(path, "nn.save")
    arch = architecture(module)
    state = state_dict(module)
    for name, x in state.items():
        if type(x) is not float or not math.isfinite(x):
            raise ValueError(f"cannot save: parameter {name!r} holds {x!r}; a saved model holds finite floats only")
    document = {"format": FORMAT, "version": VERSION, "architecture": arch, "state": state}
    # allow_nan=False: a non-finite number can never reach the file even if a check above is missed.
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    try:
        _require_unicode(text, document)
    except ValueError as error:
        raise ValueError(f"cannot save: a label holds {error}; labels must be valid Unicode") from None
    try:
        write_atomically(Path(os.path.realpath(target)), text)
    except OSError as error:
        # The user's own path in the message, not the hidden temporary file's name.
        reason = error.strerror or str(error)
        message = f"cannot save the model to {target!r}: {reason}"
        # An error without a number (no free temporary name) would print as "[Errno None] ..."
        raise (type(error)(message) if error.errno is None else type(error)(error.errno, message)) from None


def file_path(path: Any, who: str) -> str:
    """``path`` as a str the operating system can take, or a TypeError / ValueError naming it."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{who} takes a file path (a str or a pathlib.Path), not {type(path).__name__}: {path!r:.80}")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"{who} takes a file path as text, not {type(text).__name__}: {text!r:.80}")
    try:
        ok = b"\0" not in os.fsencode(text)  # the file system's own encoding (undecodable bytes round-trip)
    except UnicodeEncodeError:
        ok = False
    if not ok:
        raise ValueError(f"{who}: {text!r:.80} cannot name a file (a NUL, or text the file system cannot encode)")
    return text


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by a file holding ``text`` (UTF-8) so that no reader ever sees a partial file;
    an existing file's permission bits are kept."""
    folder = path.parent
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp_name = _create_temporary(folder, path.name)
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # before any byte is written: a private file is never readable by others
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


def load(path: str | os.PathLike[str], *, max_parameters: int = MAX_PARAMETERS) -> Module:
    """Read a model written by :func:`save`: the same architecture, labels and bit-identical weights.

    Raises ValueError, naming the file and the problem, for anything else: not UTF-8, not JSON
    (e.g. truncated), JSON nested deeper than :data:`MAX_DEPTH`, another format, an unknown
    version, a malformed architecture, more than ``max_parameters`` parameters (default
    :data:`MAX_PARAMETERS`) or far more than the file holds numbers for (over ``2 * numbers +
    1000``; both checked before any parameter is made), more bytes than such a model takes
    (:data:`BYTES_PER_PARAMETER`, read no further), NaN/Infinity or numbers too large for a
    float, duplicate keys, text that is not valid Unicode, or weights that do not fit the
    architecture. A file that cannot be read is an OSError.
    """
    if isinstance(max_parameters, bool) or not isinstance(max_parameters, int) or max_parameters < 1:
        raise ValueError(f"max_parameters must be a positive int, got {max_parameters!r}")
    path = Path(file_path(path, "nn.load"))
    limit = BYTES_PER_PARAMETER * max_parameters + 2**20
    raw = read_at_most(path, limit + 1)
    try:
        if len(raw) > limit:
            raise ValueError(f"larger than {limit} bytes, the most a model of at most {max_parameters} parameters "
                             "takes (nn.load(path, max_parameters=...) raises it)")
        document = parse(raw)
        arch = _field(document, "architecture", dict, "the file")
        state = _field(document, "state", dict, "the file")
        declared = parameter_count(arch)
        # Far more than the file holds numbers for: refused before building (a near miss is built and
        # then named precisely by load_state_dict), so what is made stays in proportion to the file.
        if declared > 2 * len(state) + 1000:
            raise ValueError(f"the architecture declares {declared} parameters but the state holds {len(state)}")
        module = build(arch, max_parameters)
        load_state_dict(module, state)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: not a loadable chainrule model: {error}") from None
    return module


def read_at_most(path: str | os.PathLike[str], limit: int) -> bytes:
    """The first ``limit`` bytes of a file (all of it if shorter), read in pieces: memory follows what
    the file holds, not the limit, and an endless file (``/dev/zero``) stops at the limit."""
    chunks: list[bytes] = []
    size = 0
    with open(path, "rb") as f:
        while size < limit:
            chunk = f.read(min(2**16, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


def parse(raw: bytes) -> dict[str, Any]:
    """The checked top level of a saved file (format and version); ValueError otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text (byte {error.start}): not a file nn.save wrote") from None
    if nests_deeper(text, JSON_STRINGS, MAX_DEPTH):
        raise ValueError(f"JSON nested more than {MAX_DEPTH} deep; a model file nests 7 deep")
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_int=_integer,
                              object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON, truncated or damaged? ({error})") from None
    _require_unicode(text, document)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"not a chainrule model file (no \"format\": {FORMAT!r} at the top level)")
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ValueError(f"format version {version!r} is not supported; this chainrule reads version {VERSION}")
    return document


JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
"""JSON's strings, for :func:`nests_deeper`."""

_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"[\[{][\]}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def nests_deeper(text: str, strings: re.Pattern[str], limit: int) -> bool:
    """Whether the brackets of ``text`` nest more than ``limit`` deep outside its ``strings`` (and
    comments, if the pattern has them): asked before a recursive parser (json, tomllib) could run
    out of stack. Each of at most ``limit`` passes removes the innermost pairs, in C, without recursion."""
    brackets = _NOT_BRACKETS.sub("", strings.sub("", text))
    for _ in range(limit):
        brackets, removed = _INNERMOST.subn("", brackets)
        if not removed:
            return False
    return _INNERMOST.search(brackets) is not None  # a pair left after `limit` levels: one more level


def _require_unicode(text: str, document: Any) -> None:
    """Refuse a lone surrogate ("\\ud800" in the JSON ``text``): no file, page or terminal can hold it."""
    if _SURROGATE_ESCAPE.search(text):  # only an escape can make one; most files have none
        try:
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(f"text that is not valid Unicode ({error.object[error.start:error.end]!r})") from None


def _integer(token: str) -> int:
    # Python refuses to read ints of more than 4300 digits with advice about an interpreter setting;
    # any int past a float's 309 digits can only be refused here, so say it in the file's terms.
    if len(token.lstrip("-")) > 310:
        raise ValueError(f"the file holds an integer of {len(token.lstrip('-'))} digits; a model's numbers fit a float")
    return int(token)


def _refuse_constant(token: str) -> float:
    raise ValueError(f"the file holds {token}; a saved model holds finite numbers only")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r:.80} appears twice in one object")
        result[key] = value
    return result
