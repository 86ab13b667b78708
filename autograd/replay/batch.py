"""The batched replay: trace ONE sample's graph, run it over a whole batch as array code.

:func:`batch` calls ``per_sample(x, y)`` once, on the first row of the data, to record the graph of
one sample's loss; finds the arrays in it (:mod:`.lift`: a layer of dot nodes reading one input
vector is one matrix product); and writes array code (:mod:`.batch_code`) computing the mean (or
sum) of the per-sample losses over every row, and its gradient for the params. See
docs/matrices.md for the tutorial network's code and how ``dW = X.T @ dZ`` comes from the scalar rule.
"""

from __future__ import annotations

import linecache
import math
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import count
from typing import Any

from ..sweep import accumulate, topological_order
from ..value import Value, as_float
from .arrays import BACKENDS, numpy_namespace, torch_namespace
from .batch_code import BatchCode, write
from .lift import Unit, lift
from .step import ReplayMismatch, _leaves, trace

_counter = count()


def _rows(data: Any, what: str) -> list[Any]:
    """``data`` (lists, or any array with ``tolist``) as a list of rows of floats (2-D) or of floats (1-D)."""
    if hasattr(data, "tolist"):
        data = data.tolist()
    if isinstance(data, str | bytes | Value) or not isinstance(data, Sequence) or not data:
        raise TypeError(f"batch's {what} must be a non-empty table of numbers (rows of samples), not {data!r:.80}")
    if isinstance(data[0], Sequence) and not isinstance(data[0], str | bytes):
        width = len(data[0])
        rows = []
        for s, row in enumerate(data):
            if isinstance(row, str | bytes) or not isinstance(row, Sequence) or len(row) != width or not width:
                raise ValueError(f"batch's {what}: row {s} must be {width or 'at least 1'} numbers like row 0, "
                                 f"got {row!r:.80}")
            rows.append([as_float(v, f"batch's {what}[{s}][{c}]") for c, v in enumerate(row)])
        return rows
    return [as_float(v, f"batch's {what}[{s}]") for s, v in enumerate(data)]


def _two_d(rows: list[Any]) -> bool:
    return isinstance(rows[0], list)


def _accessors(params: Sequence[Value]) -> tuple[Callable[[], list[float]], Callable[[list[float]], None]]:
    """``read()``: the params' ``.data`` as a list; ``write(numbers)``: set them, all at once.

    Straight-line code (``return [p0.data, p1.data, ...]``, ``p0.data, p1.data, ... = numbers``)
    rather than a loop: every step reads and writes each param once, and a loop over 337 params
    costs about 1.7x as much. ``write`` unpacks first, so a wrong count changes no param. Compiling
    them takes about 10 ms per 1,000 params, once per :func:`batch`.
    """
    namespace: dict[str, Any] = {f"p{k}": p for k, p in enumerate(params)}
    fields = ", ".join(f"p{k}.data" for k in range(len(params)))
    source = f"def read():\n    return [{fields}]\n\ndef write(numbers):\n    {fields}, = numbers\n"
    exec(compile(source, "<batch replay params>", "exec"), namespace)
    return namespace["read"], namespace["write"]


def _all_finite(a: Any) -> bool:
    """Whether every number of the array ``a`` (numpy or torch) is finite: its largest magnitude is
    (a NaN propagates through max). Not its sum: finite numbers can add up past the largest float."""
    return math.isfinite(abs(a).max())


def batch(
    per_sample: Callable[..., Value],
    params: Iterable[Value],
    X: Any,
    Y: Any = None,
    *,
    reduction: str = "mean",
    backend: str = "numpy",
    device: Any = None,
    names: Mapping[Value, str] | None = None,
) -> Batch:
    """Trace ``per_sample`` on one row and return a :class:`Batch` computing it over all of ``X``.

    ``per_sample(x)`` or, with targets, ``per_sample(x, y)`` builds one sample's loss: ``x`` is a
    list of Values (one per column of ``X``), ``y`` a Value (``Y`` 1-D) or a list of Values (``Y``
    2-D). Write the loss with these Values: a loss that reads targets as numbers (nn's losses) would
    be traced for the first row's targets only, which :func:`batch` refuses. ``reduction`` is
    ``"mean"`` or ``"sum"`` of the per-sample losses; ``backend`` is ``"numpy"`` or ``"torch"``
    (float64, on ``device``). ``params`` are read afresh at each call, as in :func:`trace`.

    >>> import nn
    >>> from autograd import replay
    >>> model = nn.MLP(2, [3, 1], ["tanh", "linear"], seed=0)
    >>> step = replay.batch(lambda x, y: (model(x)[0] - y) ** 2, model.parameters(),
    ...                     [[0.0, 1.0], [1.0, 0.5], [2.0, -1.0]], [1.0, 0.0, -1.0])
    >>> step.source.splitlines()[6].strip()
    'Z1 = X @ W_ij + b_j'
    >>> loss, grads = step()  # the mean of the three samples' losses, d(loss)/d(param) as an array
    >>> grads.shape
    (13,)
    """
    if not callable(per_sample):
        raise TypeError(f"batch takes a function of one sample (x, y) -> loss Value, not {per_sample!r}")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"batch's reduction is 'mean' or 'sum', not {reduction!r}")
    if backend not in BACKENDS:
        raise ValueError(f"batch's backend is one of {', '.join(BACKENDS)}, not {backend!r}")
    params = _leaves(params, "params")
    X = _rows(X, "X")
    if not _two_d(X):
        raise ValueError("batch's X must be 2-D: one row per sample, one column per input")
    Yrows = None if Y is None else _rows(Y, "Y")
    if Yrows is not None and len(Yrows) != len(X):
        raise ValueError(f"batch's X has {len(X)} rows but Y has {len(Yrows)}; one target per sample")
    x, ys, output = _one_sample(per_sample, X[0], None if Yrows is None else Yrows[0])
    return Batch(per_sample, output, params, x, ys, X, Yrows, reduction, backend, device, names or {})


def _one_sample(
    per_sample: Callable[..., Value], row: list[float], target: Any
) -> tuple[list[Value], list[Value], Value]:
    """Build one sample's graph: ``per_sample(x[, y])`` on Values made from ``row`` and ``target``."""
    x = [Value(v) for v in row]
    if target is None:
        output = per_sample(x)
        ys = []
    elif isinstance(target, list):
        ys = [Value(v) for v in target]
        output = per_sample(x, ys)
    else:
        ys = [Value(target)]
        output = per_sample(x, ys[0])
    if not isinstance(output, Value):
        raise TypeError(f"per_sample must return the sample's loss as a Value, not {type(output).__name__}")
    return x, ys, output


def _write(
    output: Value,
    order: list[Value],
    params: Sequence[Value],
    x: list[Value],
    ys: list[Value],
    one_d: bool,
    reduction: str,
    names: Mapping[Value, str],
) -> BatchCode:
    data = [Unit("data", list(x), wide=True, name="X")]
    if ys:
        data.append(Unit("data", ys, wide=not one_d, name="Y"))
    lifted = lift(order, data, params)
    if not lifted.varying.get(id(output)):
        raise ValueError("the loss does not depend on the sample x; a batch of it is the same number")
    return write(lifted, output, params, reduction, names)


def batch_source(
    per_sample: Callable[..., Value],
    params: Iterable[Value],
    x: Sequence[float],
    y: Any = None,
    *,
    reduction: str = "mean",
    names: Mapping[Value, str] | None = None,
) -> str:
    """The code :func:`batch` would run, from one sample ``x`` (and ``y``), without numpy."""
    params = _leaves(params, "params")
    row = _rows([x], "x")[0]
    target = None if y is None else _rows([y], "y")[0]
    xs, ys, output = _one_sample(per_sample, row, target)
    order = topological_order(output)
    return _write(output, order, params, xs, ys, y is not None and not isinstance(target, list), reduction,
                  names or {}).source


class Batch:
    """A traced sample run over a batch: ``step()`` returns ``(mean or sum of the losses, gradients)``.

    ``source`` is the generated code; ``params`` the Values it reads; ``slow_calls`` counts calls
    that were computed sample by sample (a number that was not finite, an op outside its domain):
    those give the engine's own numbers or raise its own error, naming the sample.
    """

    def __init__(
        self,
        per_sample: Callable[..., Value],
        output: Value,
        params: tuple[Value, ...],
        x: list[Value],
        ys: list[Value],
        X: list[Any],
        Y: list[Any] | None,
        reduction: str,
        backend: str,
        device: Any,
        names: Mapping[Value, str],
    ) -> None:
        # The sample's graph replayed from floats: the op-by-op path, check() and the constants' guard.
        self._sample = trace(output, params, inputs=[*x, *ys])
        order = topological_order(output)
        in_graph = {id(v) for v in order}
        if ys and not any(id(v) in in_graph for v in ys):
            raise ValueError(
                "the loss does not use the targets y as Values, so it holds the first sample's targets as "
                "numbers; write the loss with y (e.g. (o - y) ** 2) rather than a loss that takes numbers"
            )
        self._one_d = Y is not None and not _two_d(Y)
        code = _write(output, order, params, x, ys, self._one_d, reduction, names)
        self.source = code.source
        self.params = params
        # The code reads the params in its own order (each layer's W and b a slice of P).
        self._order = code.order
        self._ordered = [params[k] for k in code.order]
        self._read, self._write = _accessors(self._ordered)
        # The numbers sgd last wrote, and the array holding them: reused while the params still hold them.
        self._written: list[float] | None = None
        self._written_P: Any = None
        self.reduction = reduction
        self.backend = backend
        self.slow_calls = 0
        self._per_sample = per_sample
        self._x, self._ys = x, ys
        self._device = device
        namespace = self._namespace(code.constants)
        namespace.update(code.functions)
        inverse = [0] * len(params)
        for position, k in enumerate(code.order):
            inverse[k] = position
        self._inverse = None if inverse == list(range(len(params))) else self._index(inverse)
        filename = f"<batch replay {next(_counter)}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        exec(compile(self.source, filename, "exec"), namespace)
        self._function = namespace["batch_step"]
        weakref.finalize(self, linecache.cache.pop, filename, None)
        self.X, self.Y = self._array(X), None if Y is None else self._array(Y)

    def __repr__(self) -> str:
        return f"Batch({self._sample.n_nodes} nodes per sample, {len(self.params)} params, {self.backend})"

    # --- the backend --------------------------------------------------------------------------------

    def _namespace(self, constants: Mapping[str, tuple[list[Any], tuple[int, ...]]]) -> dict[str, Any]:
        try:
            import numpy as np
        except ImportError:
            raise ImportError(
                "replay.batch runs its code on numpy, which is not installed: pip install 'chainrule[arrays]' "
                "(replay.batch_source writes the code without it)"
            ) from None

        if self.backend == "torch":
            try:
                import torch
            except ImportError:
                raise ImportError("backend='torch' needs PyTorch: pip install 'chainrule[torch]'") from None

            self._torch = torch
            namespace = torch_namespace(self._device)
            for name, (values, shape) in constants.items():
                kind = torch.int64 if values and isinstance(values[0], int) else torch.float64
                namespace[name] = torch.tensor(values, dtype=kind, device=self._device).reshape(shape)
            return namespace
        self._np = np
        namespace = numpy_namespace()
        for name, (values, shape) in constants.items():
            namespace[name] = np.array(values).reshape(shape)
        return namespace

    def _array(self, rows: list[Any]) -> Any:
        if self.backend == "torch":
            return self._torch.tensor(rows, dtype=self._torch.float64, device=self._device)
        return self._np.array(rows, dtype=float)

    def _index(self, positions: list[int]) -> Any:
        if self.backend == "torch":
            return self._torch.tensor(positions, dtype=self._torch.int64, device=self._device)
        return self._np.array(positions)

    def _read_params(self) -> tuple[Any, bool]:
        """The params' numbers, in the code's order, and whether they are known to be finite.

        Every param is read. When they all still hold the numbers :meth:`sgd` wrote, its array of them
        is used again: sgd writes none of them as 0.0 or -0.0, so ``==`` means the same bits.
        """
        numbers = self._read()
        if numbers == self._written:
            return self._written_P, True
        if self.backend == "torch":
            return self._torch.tensor(numbers, dtype=self._torch.float64, device=self._device), False
        return self._np.fromiter(numbers, self._np.float64, len(numbers)), False

    # --- calls ---------------------------------------------------------------------------------------

    def __call__(self, X: Any = None, Y: Any = None) -> tuple[float, Any]:
        """The batch's loss and d(loss)/d(param) for each param (an array, in ``params`` order).

        ``X`` and ``Y``, if given, replace the traced batch for this call (any number of rows).
        """
        loss, grads, _ = self._run(X, Y)
        return loss, grads if self._inverse is None else grads[self._inverse]

    def _run(self, X: Any, Y: Any) -> tuple[float, Any, Any]:
        """The loss, the gradients and the params it read, in the code's order."""
        sample = self._sample
        if [c.data for c in sample._constants] != sample._constant_data:
            sample._constant_changed()
        X, Y = self._data(X, Y)
        P, finite = self._read_params()
        try:
            if not finite and not _all_finite(P):  # a NaN param passes numpy's traps quietly
                raise FloatingPointError("a param is not finite")
            if self.backend == "torch":
                loss, grads = self._function(P, X, Y)
            else:
                with self._np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                    loss, grads = self._function(P, X, Y)
        except (ArithmeticError, ValueError):
            # Rare: a number out of range. Sample by sample, the engine's own rules give its result or error.
            self.slow_calls += 1
            return (*self._by_sample(X, Y), P)
        return float(loss), grads, P

    def _data(self, X: Any, Y: Any) -> tuple[Any, Any]:
        if X is None and Y is None:
            return self.X, self.Y
        X = self._array(_rows(X, "X")) if X is not None else self.X
        Y = self._array(_rows(Y, "Y")) if Y is not None else self.Y
        if X.ndim != 2 or X.shape[1] != len(self._x):
            raise ValueError(f"this batch replay takes X with {len(self._x)} columns, got shape {tuple(X.shape)}")
        if Y is not None and (Y.shape[0] != X.shape[0] or (Y.ndim == 1) != self._one_d):
            raise ValueError(f"Y must have one target row per row of X ({X.shape[0]}), shaped like the traced Y")
        if (Y is None) != (self.Y is None):
            raise ValueError("this batch replay was traced " + ("without" if self.Y is None else "with") + " targets Y")
        return X, Y

    def _by_sample(self, X: Any, Y: Any) -> tuple[float, Any]:
        rows = X.tolist()
        targets = [] if Y is None else Y.tolist()
        values, total = [], [0.0] * len(self.params)
        for s, row in enumerate(rows):
            ys = [] if Y is None else [targets[s]] if self._one_d else targets[s]
            try:
                value, grads = self._sample([*row, *ys])
            except (ArithmeticError, ValueError) as err:
                raise type(err)(f"sample {s} of the batch: {err}") from None
            values.append(value)
            total = [t + g for t, g in zip(total, grads)]
        scale = 1.0 / len(rows) if self.reduction == "mean" else 1.0
        loss = math.fsum(values) * scale
        grads = [total[k] * scale for k in self._order]
        if not all(map(math.isfinite, [loss, *grads])):
            raise ValueError(f"the batch's {self.reduction} of the losses or of a gradient overflows a float")
        if self.backend == "torch":
            return loss, self._torch.tensor(grads, dtype=self._torch.float64, device=self._device)
        return loss, self._np.array(grads)

    def backward(self, X: Any = None, Y: Any = None) -> float:
        """Add each gradient to ``param.grad`` (as ``loss.backward()`` would); return the loss."""
        loss, grads, _ = self._run(X, Y)
        accumulate(self._ordered, grads.tolist())
        return loss

    def sgd(self, lr: float, X: Any = None, Y: Any = None) -> float:
        """One step of gradient descent: ``p.data -= lr * g`` for every param; return the loss before it."""
        lr = as_float(lr, "sgd's lr")
        loss, grads, P = self._run(X, Y)
        grads *= lr  # in place, on this call's gradients: the same numbers as P - lr * grads
        new = P - grads
        if not _all_finite(new):
            raise ValueError(f"sgd's step with lr={lr!r} takes a param beyond the largest float; no param was changed")
        numbers = new.tolist()
        self._write(numbers)
        # Kept for the next read, unless a number is 0.0 or -0.0 (== does not tell those apart).
        self._written, self._written_P = (numbers, new) if new.all() else (None, None)
        return loss

    def check(self, rows: Sequence[int] = (0, -1)) -> None:
        """Raise :class:`ReplayMismatch` unless ``per_sample`` builds the traced graph on these rows.

        A branch in ``per_sample`` on a number (``if x.data > 0``) can build another graph for another
        sample; the batched code computes the traced one for all of them.
        """
        X = self.X.tolist()
        Y = None if self.Y is None else self.Y.tolist()
        for s in rows:
            x = [Value(v) for v in X[s]]
            ys = [] if Y is None else [Value(Y[s])] if self._one_d else [Value(v) for v in Y[s]]
            y = None if Y is None else ys[0] if self._one_d else ys
            output = self._per_sample(x) if y is None else self._per_sample(x, y)
            try:
                self._sample.check(output, inputs=[*x, *ys])
            except ReplayMismatch as err:
                raise ReplayMismatch(f"sample {s}: {err}") from None
