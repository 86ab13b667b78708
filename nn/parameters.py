"""Module, the base of every model: its parameters found from its attributes, its state dict.

A Module subclass needs no ``parameters()`` of its own: the leaf Values reachable through its public
attributes (Values, Modules, lists, tuples and dicts of them) are its parameters, named PyTorch-style
by their path (``w``, ``inner.w.0``, ``extra.1``) in :meth:`Module.state_dict`.

>>> from autograd import Value
>>> class Scaled(Module):
...     def __init__(self):
...         self.w = Value(2.0)
...         self.extra = [Value(0.5), Value(-1.0)]
...         self._offset = Value(10.0)                 # a leading underscore: not a parameter
...     def forward(self, x):
...         return self.w * x + self.extra[0] * self.extra[1] + self._offset
>>> m = Scaled()
>>> m.state_dict(), m(3.0).data
({'w': 2.0, 'extra.0': 0.5, 'extra.1': -1.0}, 15.5)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from autograd import Value
from autograd.value import as_float


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` did not match: the model's names it lacked, the names it had extra."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"  # PyTorch's words for the same result
        return f"IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"


class Module:
    """Anything holding parameters; a subclass's parameters are found from its attributes.

    Every public attribute that is a Value, a Module, or a list, tuple or dict of them (nested too)
    is walked in the order the attributes were set; the leaf Values found are the parameters, named
    by their path in :meth:`state_dict` (``w``, ``inner.w.0``, ``extra.1``). A Value kept under a
    name starting with ``_`` (or held as a float) is not a parameter.
    """

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order: by default the leaf Values the attribute walk finds.

        Below a sub-Module that defines its own ``parameters()``, only the Values that lists count.
        """
        chosen: dict[int, set[int]] = {}  # per such sub-Module, the ids its parameters() returns
        found = []
        for _, p, owner in attribute_values(self):
            if owner is not None and id(owner) not in chosen:
                chosen[id(owner)] = {id(q) for q in owner.parameters()}
            if p.is_leaf and (owner is None or id(p) in chosen[id(owner)]):
                found.append(p)
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``self.forward(*args, **kwargs)``, as in PyTorch (a subclass may define ``__call__`` instead)."""
        forward = getattr(self, "forward", None)
        if forward is None:
            raise TypeError(
                f"{type(self).__name__} defines no forward(); a Module subclass computes its output in "
                "forward(self, x) as in PyTorch (or in __call__)"
            )
        return forward(*args, **kwargs)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(label, parameter)`` pairs, in the order of :meth:`parameters`."""
        return [(p.label, p) for p in self.parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (before the next backward pass)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Each parameter's number by its attribute path, e.g. ``"layers.0.neurons.1.w.2"`` (a new dict)."""
        return {path: p.data for path, p in parameter_paths(self)}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Set the parameters from ``state`` (names as :meth:`state_dict` gives them), all or nothing.

        ``strict=True``: the names must be exactly the model's. ``strict=False``: the names that
        match are loaded and the others returned (``missing_keys``, ``unexpected_keys``). Either way
        every loaded entry is checked before the first write: one that is not a finite number (a
        list or an array where a parameter holds one number, a NaN, a bool) changes nothing.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict takes a mapping of parameter names to numbers, not {type(state).__name__}"
            )
        if not isinstance(strict, bool):
            raise TypeError(f"strict must be True or False, not {strict!r}")
        params = parameter_paths(self)
        names = [path for path, _ in params]
        known = set(names)
        missing = [n for n in names if n not in state]
        unexpected = [k for k in state if k not in known]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} parameter(s), the first {missing[0]!r}")
            if unexpected:
                parts.append(f"{len(unexpected)} unexpected name(s), the first {unexpected[0]!r}")
            raise ValueError(
                f"state dict does not fit this {type(self).__name__}: {'; '.join(parts)} "
                f"(the model has {len(names)} parameters, the state dict {len(state)} entries); "
                "strict=False loads the names that match"
            )
        loaded = [(p, _state_number(state[path], path)) for path, p in params if path in state]
        for p, x in loaded:
            p.data = x
        return IncompatibleKeys(missing, unexpected)


def _state_number(entry: Any, path: str) -> float:
    """A state dict entry as a float; a container or an array where one number belongs says so."""
    shape = getattr(entry, "shape", None)
    if isinstance(entry, list | tuple) or (shape is not None and tuple(shape) != ()):
        size = f"{len(entry)} entries" if shape is None else f"shape {tuple(shape)}"
        raise ValueError(
            f"state dict entry {path!r} is a {type(entry).__name__} of {size}; each chainrule parameter is one "
            "number (a PyTorch module's weights come in through nn.from_torch)"
        )
    return as_float(entry, f"state dict entry {path!r}")


def attribute_values(module: Module) -> list[tuple[str, Value, Module | None]]:
    """``(path, Value, owner)`` for every Value reachable through ``module``'s public attributes, once each.

    Lists, tuples and dicts (str or int keys) of Values and Modules are walked too, depth first in
    attribute order, then index order, as PyTorch names submodules; a Value or Module reached twice
    keeps its first path. ``owner`` is the innermost sub-Module below ``module`` that defines its own
    ``parameters()`` (None if there is none). Iterative, so nesting depth is no limit.
    """
    found: list[tuple[str, Value, Module | None]] = []
    seen: set[int] = set()
    todo: list[tuple[str, Any, Module | None]] = [("", module, None)]
    while todo:
        path, obj, owner = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Value):
            found.append((path, obj, owner))
            continue
        if obj is not module and isinstance(obj, Module) and type(obj).parameters is not Module.parameters:
            owner = obj
        # reversed: the first child is walked first
        todo.extend((child_path, child, owner) for child_path, child in reversed(_children(obj, path)))
    return found


def _children(obj: Any, path: str) -> list[tuple[str, Any]]:
    """The walkable members of one Module or container, with their paths."""
    if isinstance(obj, Module):
        items: list[tuple[Any, Any]] = [(k, v) for k, v in getattr(obj, "__dict__", {}).items() if k[:1] != "_"]
    elif isinstance(obj, list | tuple):
        items = list(enumerate(obj))
    else:  # a dict
        items = list(obj.items())
    children, names = [], set()
    for key, child in items:
        if isinstance(child, set | frozenset) and _holds_parameters(child):
            raise TypeError(
                f"{_join(path, str(key))} is a set of Values or Modules; a set has no stable order, so its "
                "parameters could not be named: keep them in a list"
            )
        if not isinstance(child, Value | Module | list | tuple | dict):
            continue
        name = str(key)
        if isinstance(key, bool) or not isinstance(key, str | int) or "." in name or name in names:
            if not _holds_parameters(child):
                continue  # nothing to name below it
            reason = f"a second key named {name!r}" if name in names else f"the key {key!r}"
            raise TypeError(
                f"{path or 'the module'} holds Values or Modules under {reason}; state dict names are built "
                "from distinct str keys without '.' and int keys"
            )
        names.add(name)
        children.append((_join(path, name), child))
    return children


def _holds_parameters(obj: Any) -> bool:
    """Whether a Value or a Module is ``obj`` or sits anywhere in the containers below it."""
    todo, seen = [obj], set()
    while todo:
        x = todo.pop()
        if isinstance(x, Value | Module):
            return True
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, list | tuple | set | frozenset):
            todo.extend(x)
    return False


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def parameter_paths(module: Module) -> list[tuple[str, Value]]:
    """``(path, parameter)`` for each of ``module.parameters()``, in the attribute walk's order.

    A custom :meth:`Module.parameters` may leave Values out; every Value it returns must be reachable
    through the attributes (else ValueError: a state dict must not silently leave a parameter out).
    """
    found = [(path, p) for path, p, _ in attribute_values(module)]
    by_id = {id(p): path for path, p in found}
    expected = module.parameters()
    for p in expected:
        if id(p) not in by_id:
            raise ValueError(
                f"{type(module).__name__}.parameters() returns {p!r}, which is not reachable through its public "
                "attributes (lists, tuples or dicts of Values and Modules); state_dict cannot name it"
            )
    expected_ids = {id(p) for p in expected}
    return [(path, p) for path, p in found if id(p) in expected_ids]
