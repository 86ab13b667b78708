"""Optimisers: SGD (with optional momentum) and Adam, each with ``step()`` and ``zero_grad()``.

A step updates ``p.data`` with float arithmetic (no graph), all or nothing: a non-finite new number
raises naming the parameter and changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NoReturn

from autograd import Value
from autograd.value import as_float, number


class Optimizer:
    """Holds a fixed list of parameters (leaf Values, each once) and clears their gradients."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        if isinstance(params, Value):
            raise TypeError("an optimiser takes an iterable of parameters (e.g. model.parameters()), not one Value")
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError("an optimiser needs at least one parameter; got an empty list")
        seen: set[int] = set()
        for k, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"parameter {k} must be a Value, not {type(p).__name__}: {p!r}")
            if not p.is_leaf:
                raise ValueError(
                    f"parameter {k} ({p!r}) was computed by an operation; only leaf Values can be trained "
                    "(changing a computed value's data would not change what it was computed from)"
                )
            if id(p) in seen:
                raise ValueError(f"parameter {k} ({p!r}) appears twice; it would be updated twice per step")
            seen.add(id(p))
        self.lr = as_float(lr, "learning rate lr")
        if self.lr <= 0.0:
            raise ValueError(f"learning rate lr must be positive, got {lr!r}")

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:  # pragma: no cover - overridden
        """Update every parameter from its ``.grad``."""
        raise NotImplementedError

    def _commit(self, new_data: list[float], *state: list[float]) -> None:
        """Write ``new_data`` (and keep the new ``state`` lists) only if every number is finite."""
        try:
            finite = math.isfinite(sum(new_data))
            for s in state:
                finite = finite and math.isfinite(sum(s))
        except TypeError:  # a .data or .grad that is no number, set by hand
            finite = False
        if not finite:
            self._refuse(new_data, state)
        for p, x in zip(self.params, new_data):
            p.data = x

    def _refuse(self, new_data: list[float], state: tuple[list[float], ...]) -> NoReturn:
        name = type(self).__name__
        for k, p in enumerate(self.params):
            for what, x in (("data", p.data), ("grad", number(p.grad))):
                if type(x) is not float or not math.isfinite(x):
                    raise ValueError(
                        f"{name}.step(): parameter {k} ({p!r}) has {what} {x!r}; every number must be finite "
                        "(was it set by hand?). No parameter was changed"
                    )
            if new_data and not all(math.isfinite(x) for x in (new_data[k], *(s[k] for s in state))):
                raise ValueError(
                    f"{name}.step(): the update of parameter {k} ({p!r}) overflows a float "
                    f"(lr={self.lr!r}, grad={number(p.grad)!r}); lower the learning rate or scale the loss. "
                    "No parameter was changed"
                )
        raise ValueError(f"{name}.step(): a number overflowed a float; no parameter was changed")  # sums only


class SGD(Optimizer):
    """Gradient descent: ``v = momentum*v + grad``; ``p -= lr*v`` (plain ``p -= lr*grad`` when momentum is 0).

    >>> w = Value(0.5, "w"); loss = (w - 2.0) ** 2; loss.backward()
    >>> opt = SGD([w], lr=0.1); opt.step(); round(w.data, 10)
    0.8
    """

    def __init__(self, params: Iterable[Value], lr: float = 0.01, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = as_float(momentum, "momentum")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self._velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        lr, mu = self.lr, self.momentum
        params = self.params
        if mu:
            try:
                velocity = [mu * v + number(p.grad) for v, p in zip(self._velocity, params)]
                new_data = [p.data - lr * v for p, v in zip(params, velocity)]
            except TypeError:  # a .data or .grad that is no number, set by hand: _refuse names it
                self._refuse([], ())
            self._commit(new_data, velocity)
            self._velocity = velocity
            return
        # The plain step is most of a small network's update time: it writes in place and checks
        # the sum of what it wrote, putting the saved numbers back in the rare case of a failure.
        saved = [p.data for p in params]
        total = 0.0
        try:
            for p in params:
                g = p.grad
                # number() only for a Value gradient: the call costs more than the update itself.
                p.data = x = p.data - lr * (g if type(g) is float else number(g))
                total += x
        except TypeError:  # a .data or .grad that is no number, set by hand
            total = math.nan
        if not math.isfinite(total):  # (or the sum of finite numbers overflowed: then all is well)
            new_data = [p.data for p in params]
            for p, x in zip(params, saved):
                p.data = x
            self._commit(new_data)


class Adam(Optimizer):
    """Adam (Kingma & Ba): per-parameter step sizes from running means of the gradient and its square."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        b1, b2 = (as_float(b, "Adam beta") for b in betas)
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"Adam betas must each be in [0, 1), got {betas!r}")
        self.betas = (b1, b2)
        self.eps = as_float(eps, "eps")
        if self.eps <= 0.0:
            raise ValueError(f"eps must be positive, got {eps!r}")
        self.t = 0
        self._m = [0.0] * len(self.params)
        # The root of the running mean of squared gradients, kept instead of the mean itself:
        # math.hypot updates it without ever squaring a gradient, so one gradient of 1e160 (whose
        # square overflows) still gives an ordinary step. Textbook Adam to rounding.
        self._rms = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update (bias-corrected moments) of every parameter."""
        b1, b2 = self.betas
        t = self.t + 1
        c1, root_c2 = 1.0 - b1**t, math.sqrt(1.0 - b2**t)
        keep, add = math.sqrt(b2), math.sqrt(1.0 - b2)
        try:
            gs = [number(p.grad) for p in self.params]
            m = [b1 * m0 + (1.0 - b1) * g for m0, g in zip(self._m, gs)]
            rms = [math.hypot(keep * r, add * g) for r, g in zip(self._rms, gs)]
            new_data = [p.data - self.lr * (a / c1) / (r / root_c2 + self.eps) for p, a, r in zip(self.params, m, rms)]
        except (TypeError, ValueError):  # a .data or .grad that is no number, set by hand: _refuse names it
            self._refuse([], ())
        self._commit(new_data, m, rms)
        self.t, self._m, self._rms = t, m, rms


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}
"""Optimiser classes by name."""
