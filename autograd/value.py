"""`Value`: one scalar node of a computation graph, and the functions that build graphs of them.

A Value holds a float (``data``), the gradient backward() accumulates into it (``grad``) and the
record of how it was made: ``op`` (the operation's name), ``inputs`` (the Values it was computed
from) and ``local_grads`` (d(self)/d(input) for each input, evaluated when it was computed).
Operators are thin: each names an :class:`~autograd.ops.Op` and calls :func:`apply`.
"""

from __future__ import annotations

import math
import numbers
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias

from . import ops, rules
from .grad_mode import GradMode, _recording
from .graph import sorted_graph
from .ops import Op

Operand: TypeAlias = "Value | int | float"


def as_float(x: Any, what: str = "Value data") -> float:
    """Convert an accepted number to float, or raise naming what was passed and what is accepted.

    Accepted: int, float and any other real number type (numpy scalars, Fraction). Rejected:
    ``bool`` (a flag passed as a number is almost always a mistake; write 1.0 or 0.0), strings,
    None, containers, and NaN or infinity (chainrule keeps every recorded number finite).
    """
    if type(x) is float:
        f = x
    elif isinstance(x, bool) or type(x).__name__ == "bool_":  # numpy.bool_ is no Real, but say why
        raise TypeError(f"{what} must be a real number, not a bool ({x!r}); write 1.0 or 0.0 instead")
    elif isinstance(x, numbers.Real):
        try:
            f = float(x)
        except OverflowError:  # a huge int or Fraction: as non-finite as inf once it is a float
            raise ValueError(
                f"{what} must be finite, but this {type(x).__name__} is too large for a float "
                "(magnitude above about 1.8e308)"
            ) from None
    elif isinstance(x, Value):
        raise TypeError(f"{what} must be a number, not a Value ({x!r}); use the Value itself or .detach()")
    else:
        # at most 80 characters of what was passed: it may be a whole document read from a file
        raise TypeError(f"{what} must be a real number (int, float or numpy scalar), not {type(x).__name__}: {x!r:.80}")
    if not math.isfinite(f):
        raise ValueError(f"{what} must be finite, got {f!r}; chainrule rejects NaN and infinity at the boundary")
    return f


def number(x: Value | float) -> float:
    """The number in ``x``: a Value's ``data``, or ``x`` itself as a float.

    A ``.grad`` is a float, or a Value after ``backward(create_graph=True)``; code that reads
    gradients as numbers (optimisers, matrices, pictures) reads ``number(v.grad)``.
    """
    if type(x) is float:  # the common case, first
        return x
    return x.data if isinstance(x, Value) else float(x)


class Value:
    """A scalar with the record of how it was computed.

    >>> a, b = Value(2.0, "a"), Value(-3.0, "b")
    >>> c = a * b
    >>> c.local_grads            # d c/d a = b, d c/d b = a
    (-3.0, 2.0)
    >>> c.backward(); a.grad, b.grad
    (-3.0, 2.0)
    """

    # "__dict__" lets code written for micrograd's family attach attributes (an optimiser's moments,
    # a drawing colour); the dict itself is made only when first used. The pointer to it costs a
    # node 16 bytes on CPython 3.11, half of that paid back by keeping hooks there (below).
    # Hooks are rare, so they live in the instance dict of the few Values that have them (made on
    # first use), not in a slot every node would pay for; the class attribute is everyone else's None.
    __slots__ = ("data", "grad", "inputs", "local_grads", "label", "_rule", "__dict__", "__weakref__")

    data: float
    grad: float
    inputs: tuple[Value, ...]
    local_grads: tuple[float, ...]
    label: str
    _rule: Op | None
    _hooks: list[HookHandle] | None = None

    def __init__(self, data: Any, label: str = "", _children: Any = None, _op: Any = None) -> None:
        if _children is not None or _op is not None or type(label) is not str:
            _refuse_arguments(label, _children, _op)
        self.data = as_float(data)
        self.grad = 0.0
        self.inputs = ()
        self.local_grads = ()
        self.label = label
        self._rule = None

    @property
    def op(self) -> str:
        """The name of the operation that made this Value; ``""`` for a leaf."""
        return self._rule.name if self._rule is not None else ""

    _op = op  # micrograd's name for the op's name: code written for micrograd reads it

    @property
    def _prev(self) -> set[Value]:
        """The inputs as a set, as micrograd keeps them (``inputs`` is the ordered tuple to use here)."""
        return set(self.inputs)

    @property
    def is_leaf(self) -> bool:
        """True for a Value made by the user (or under ``no_grad``), not by an operation."""
        return not self.inputs

    def __repr__(self) -> str:
        extra = f", op={self.op!r}" if self._rule is not None else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    # --- operators: each one line, naming its Op -------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        return apply(ops.OP_ADD, self, _operand(other))

    def __radd__(self, other: Operand) -> Value:
        return apply(ops.OP_ADD, _operand(other), self)

    def __sub__(self, other: Operand) -> Value:
        return apply(ops.OP_SUB, self, _operand(other))

    def __rsub__(self, other: Operand) -> Value:
        return apply(ops.OP_SUB, _operand(other), self)

    def __mul__(self, other: Operand) -> Value:
        return apply(ops.OP_MUL, self, _operand(other))

    def __rmul__(self, other: Operand) -> Value:
        return apply(ops.OP_MUL, _operand(other), self)

    def __truediv__(self, other: Operand) -> Value:
        return apply(ops.OP_DIV, self, _operand(other))

    def __rtruediv__(self, other: Operand) -> Value:
        return apply(ops.OP_DIV, _operand(other), self)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return apply(ops.OP_POW, self, other)
        return apply(ops.op_pow_const(as_float(other, "an exponent")), self)

    def __rpow__(self, other: Operand) -> Value:
        return apply(ops.OP_POW, _operand(other), self)

    def __neg__(self) -> Value:
        return apply(ops.OP_NEG, self)

    def __abs__(self) -> Value:
        """|self|, differentiable: its derivative is the sign (0 at 0, as PyTorch takes it)."""
        return apply(ops.OP_ABS, self)

    # --- reading the number: plain floats and bools from .data, recording nothing ----------------
    # So that max(values), sorted(values) and `if loss < 0.01` work as in micrograd's family and
    # PyTorch. == and hashing stay by identity: the engine keys sets and dicts on Values.

    def item(self) -> float:
        """The number, as a plain float (PyTorch's name for ``.data``)."""
        return self.data

    def __float__(self) -> float:
        # math.exp(v) and friends call this: a float here would cut the graph without a word.
        raise TypeError(
            f"a Value is not converted to a float implicitly ({self!r}): math functions would drop "
            "it from the graph; use the Value's own methods (v.exp(), v.log(), v.sin(), v.sqrt(), ...), "
            "or v.data / v.item() for the number"
        )

    def __bool__(self) -> bool:
        return bool(self.data)

    def __lt__(self, other: Operand) -> bool:
        return self.data < _compared(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _compared(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _compared(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _compared(other)

    def exp(self) -> Value:
        """e ** self."""
        return apply(ops.OP_EXP, self)

    def log(self) -> Value:
        """Natural logarithm; needs a positive Value."""
        return apply(ops.OP_LOG, self)

    def sin(self) -> Value:
        """Sine (radians)."""
        return apply(ops.OP_SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return apply(ops.OP_COS, self)

    def sqrt(self) -> Value:
        """Square root; needs a positive Value (its derivative is infinite at 0)."""
        return apply(ops.OP_SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return apply(ops.OP_TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self), computed without overflow for any finite input."""
        return apply(ops.OP_SIGMOID, self)

    def relu(self) -> Value:
        """max(0, self); its derivative at 0 is taken as 0."""
        return apply(ops.OP_RELU, self)

    # --- graph-level conveniences (defined in backward.py, bound here for discoverability) -------

    def backward(self, *, create_graph: bool = False) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node of self's graph (see :func:`autograd.backward`)."""
        _sweep.backward(self, create_graph=create_graph)

    def _backward(self) -> None:
        """One chain-rule step by hand, as micrograd's lecture runs it: each input's ``grad`` gets
        ``local derivative x self.grad`` added (the engine's ``backward()`` does every step)."""
        for inp, local in zip(self.inputs, self.local_grads):
            inp.grad += local * self.grad

    # --- pickling and copying, flat: a graph of any depth, no recursion -----------------------
    # Pickling a Value's inputs as part of its state would recurse once per level of the graph.
    # Instead the first Value met (a root) puts its whole graph, inputs first, ahead of its own
    # state: each node is then pickled after its inputs, which are references by then. The nodes
    # of a root's graph are remembered (per thread) until the marker at the end of its state is
    # reached, so that they are not taken for roots themselves. Hooks are not pickled.

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        state = (self.data, self.grad, self.label, self._rule, self.inputs, self.local_grads, self._extra())
        graphs = _pickling.graphs
        if not self.inputs or any(id(self) in graph for graph in graphs):
            return (_new_value, (), state)
        ancestors = sorted_graph(self)[0][:-1]  # self comes last
        graph = {id(v) for v in ancestors}
        graphs.append(graph)
        return (_new_value, (), (ancestors, *state, _EndOfGraph(graph)))

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        if len(state) == 9:  # a root: its graph (already rebuilt), its own state, the marker
            state = state[1:8]
        self.data, self.grad, self.label, self._rule, self.inputs, self.local_grads, extra = state
        if extra:
            self.__dict__.update(extra)

    def __copy__(self) -> Value:
        """A shallow copy: a new node with the same record (the same inputs); hooks are not copied."""
        twin = _new_value()
        twin.__setstate__((self.data, self.grad, self.label, self._rule, self.inputs, self.local_grads, self._extra()))
        return twin

    def _extra(self) -> dict[str, Any] | None:
        """The attributes code has attached to this Value (an optimiser's moments), without hooks."""
        extra = self.__dict__
        if not extra:
            return None
        return {k: v for k, v in extra.items() if k != "_hooks"}

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this graph."""
        return Value(self.data, self.label)

    def register_hook(self, hook: Callable[[Any], Any]) -> HookHandle:
        """Call ``hook(grad)`` with the gradient arriving here during each backward pass (and ``grad()``).

        The gradient is a float, or a Value in a ``create_graph=True`` pass. If the hook returns
        something other than None, that replaces the gradient before it flows on to this Value's
        inputs (and is what is added to ``self.grad``): a number, or in a ``create_graph`` pass a
        number or a Value. Hooks run in the order they were registered, each seeing the previous
        one's result. Returns a handle whose ``remove()`` unregisters this registration only.
        """
        if not callable(hook):
            raise TypeError(f"a hook must be callable, taking the gradient (a float); got {hook!r}")
        handle = HookHandle(self, hook)
        if self._hooks is None:
            self._hooks = []
            _HOOKED.add(self)
        self._hooks.append(handle)
        return handle


def _new_value() -> Value:
    return Value.__new__(Value)


class _Pickling(threading.local):
    """The node ids of each graph being pickled or deep-copied in this thread (see Value.__reduce_ex__)."""

    def __init__(self) -> None:
        self.graphs: list[set[int]] = []


_pickling = _Pickling()


class _EndOfGraph:
    """The last item of a root's pickled state: reached when its whole graph is written, it ends the
    root; if pickling stops before (an unpicklable op), it ends the root when the state is dropped."""

    __slots__ = ("graph",)

    def __init__(self, graph: set[int]) -> None:
        self.graph = graph

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        self._end()
        return (type(None), ())

    def __del__(self) -> None:
        self._end()

    def _end(self) -> None:
        graphs = _pickling.graphs
        for k in range(len(graphs) - 1, -1, -1):
            if graphs[k] is self.graph:
                del graphs[k]
                return


class _Sweep:
    """Where ``Value.backward`` finds the reverse sweep: autograd.sweep imports this module and puts
    its ``backward`` here when it loads (so the two modules do not import each other)."""

    @staticmethod
    def backward(output: Value, *, create_graph: bool = False) -> None:
        raise RuntimeError("the reverse sweep is not loaded: import autograd (or autograd.sweep) first")


_sweep = _Sweep()


# The Values that have hooks (held weakly: a Value that dies leaves the set). While it is empty,
# backward() need not look at each node for hooks, and can skip the leaves altogether.
_HOOKED: weakref.WeakSet[Value] = weakref.WeakSet()


def hooks_registered() -> bool:
    """Whether any live Value has a hook registered."""
    # The WeakSet's underlying set, read in C: a dead Value's entry leaves it at once (and one
    # left while the set is being iterated only costs a slower sweep).
    return bool(_HOOKED.data)  # type: ignore[attr-defined]  # WeakSet.data: not in the stubs


class HookHandle:
    """Returned by :meth:`Value.register_hook`; ``remove()`` takes that registration off again.

    The Value keeps its handles (the handle *is* the registration, so registering the same function
    twice gives two independent handles); a handle refers back to its Value only weakly, so hooks
    create no reference cycle and a kept handle does not keep a graph alive.
    """

    __slots__ = ("_value", "hook")

    def __init__(self, value: Value, hook: Callable[[Any], Any]) -> None:
        self._value: weakref.ref[Value] | None = weakref.ref(value)
        self.hook = hook

    def remove(self) -> None:
        """Unregister the hook; calling it twice (or after the Value is gone) is harmless."""
        ref, self._value = self._value, None
        value = ref() if ref is not None else None
        if value is not None and value._hooks is not None:
            value._hooks = [h for h in value._hooks if h is not self] or None
            if value._hooks is None:
                _HOOKED.discard(value)

    def __repr__(self) -> str:
        state = "active" if self._value is not None and self._value() is not None else "removed"
        return f"HookHandle({self.hook!r}, {state})"


def _refuse_arguments(label: Any, children: Any, op: Any) -> None:
    """Refuse micrograd's Value(data, (a,), 'sin') saying where ops are made, and a label that is not a str."""
    if children is not None or op is not None or isinstance(label, tuple | list | set):
        raise TypeError(
            "Value(data, label) makes a leaf; an operation's result is not built by passing its "
            "inputs and op name (micrograd's Value(data, (a,), 'sin')): define the op with "
            "autograd.extend.Op and call autograd.extend.apply(op, a) -- see the README, "
            "'Adding an operation'"
        )
    if not isinstance(label, str):  # a str subclass is a str
        raise TypeError(f"label must be a str, not {type(label).__name__}: {label!r}")


def _compared(x: Operand) -> float:
    """The number a Value is compared with: another Value's data, or a real number."""
    if isinstance(x, Value):
        return x.data
    return as_float(x, "a number compared with a Value")


def _operand(x: Operand) -> Value:
    """A Value as is; a plain number wrapped as a constant leaf; anything else is refused."""
    if isinstance(x, Value):
        return x
    return Value(as_float(x, "an operand combined with a Value"))


def apply(op: Op, *inputs: Value) -> Value:
    """Compute ``op`` on the inputs' data and, when grad mode is on, record the graph edge data."""
    # Up to three inputs are read directly: a list comprehension is a function call before Python
    # 3.12 (its cost: docs/performance.md).
    n = len(inputs)
    xs: tuple[float, ...]
    if n == 2:
        xs = (inputs[0].data, inputs[1].data)
    elif n == 1:
        xs = (inputs[0].data,)
    elif n == 3:
        xs = (inputs[0].data, inputs[1].data, inputs[2].data)
    else:
        xs = tuple([v.data for v in inputs])
    out = Value.__new__(Value)
    out.grad = 0.0
    out.label = ""
    try:
        if GradMode.disabled == 0 or _recording.get():
            if op.fused is not None:  # forward and derivatives in one call (dot)
                out.data, out.local_grads = op.fused(xs, op.param)
            else:
                out.data = data = op.forward(xs, op.param)
                # Most ops cannot produce an infinite derivative from finite inputs: they skip
                # local_floats' check and its extra call (docs/performance.md has the cost).
                if op.checks_local:
                    out.local_grads = ops.local_floats(op, data, xs)
                else:
                    out.local_grads = op.local(ops.FLOATS, data, xs, op.param)
            out.inputs = inputs
            out._rule = op
        else:
            out.data = op.forward(xs, op.param)
            out.inputs = ()
            out.local_grads = ()
            out._rule = None
    except (TypeError, ValueError, ArithmeticError):
        # Every recorded number is finite, so a bad input was set by hand (v.data = nan, "3"):
        # name that Value instead of the op's arithmetic. Costs nothing unless something failed.
        check_data(inputs, f"an input of {op.name}")
        raise
    return out


def check_data(values: Iterable[Value], where: str) -> None:
    """Raise naming the first Value whose ``.data`` is not a finite real number (it was set by hand)."""
    for v in values:
        if type(v.data) is not float or not math.isfinite(v.data):
            try:
                as_float(v.data, ".data")
            except (TypeError, ValueError) as bad:
                raise type(bad)(f"{where} is {v!r}, whose {bad} (was it set by hand?)") from None


def value_list(items: Iterable[Value], what: str) -> list[Value]:
    """``items`` as a list, after checking that it is an iterable of Values (numbers are not wrapped)."""
    try:
        values = list(items)
    except TypeError:
        raise TypeError(f"{what} takes an iterable of Values, not {type(items).__name__}: {items!r}") from None
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(f"{what} takes Values, not {type(v).__name__}: {v!r}")
    return values


def _values(values: Iterable[Operand], what: str) -> tuple[Value, ...]:
    try:
        items = tuple(values)
    except TypeError:
        raise TypeError(f"{what} takes an iterable of Values or numbers, not {type(values).__name__}") from None
    if not items:
        raise ValueError(f"{what} needs at least one Value, got an empty sequence")
    for v in items:
        if type(v) is not Value:
            return tuple(_operand(v) for v in items)
    return items  # type: ignore[return-value]  # all Values (a layer's weights and inputs): nothing to wrap


def sum(values: Iterable[Operand]) -> Value:
    """One node for a whole sum: its inputs are all the terms, each with local derivative 1."""
    return apply(ops.OP_SUM, *_values(values, "sum"))


def dot(weights: Sequence[Operand], inputs: Sequence[Operand], bias: Operand | None = None) -> Value:
    """One node for ``sum(w_i * x_i) (+ bias)``: local derivatives ``x_i`` for ``w_i``, ``w_i`` for ``x_i``.

    This is a neuron's weighted input (the tutorial's ``h1_in``) as a single node.
    """
    ws, xs = _values(weights, "dot weights"), _values(inputs, "dot inputs")
    if len(ws) != len(xs):
        raise ValueError(f"dot needs as many weights as inputs; got {len(ws)} weights and {len(xs)} inputs")
    extra = () if bias is None else (_operand(bias),)
    return apply(ops.op_dot(len(ws)), *ws, *xs, *extra)


def softmax(values: Iterable[Operand]) -> list[Value]:
    """Softmax across ``values``: output ``a`` is one node whose inputs are *all* the values,
    with local derivatives the full Jacobian row ``o_a * (delta_ab - o_b)``."""
    zs = _values(values, "softmax")
    return [apply(ops.op_softmax(a), *zs) for a in range(len(zs))]


def logsumexp(values: Iterable[Operand]) -> Value:
    """``log(sum(exp(v)))`` computed stably (max subtracted); its local derivatives are the softmax."""
    return apply(ops.OP_LOGSUMEXP, *_values(values, "logsumexp"))


rules._Softmax.values = softmax  # the rule namespace's softmax on Values (rules cannot import this module)
