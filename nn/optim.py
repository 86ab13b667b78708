"""Optimisers: SGD (with optional momentum) and Adam. Each has ``step()`` and ``zero_grad()``.

An update changes ``p.data`` in place with float arithmetic, so it records no graph (no ``no_grad``
needed); a gradient left as a Value by ``backward(create_graph=True)`` is used by its number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

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
        if not mu:
            for p in self.params:
                g = p.grad
                # number() only for a Value gradient: the call costs more than the update itself.
                p.data -= lr * (g if type(g) is float else number(g))
            return
        velocity = self._velocity
        for k, p in enumerate(self.params):
            g = velocity[k] = mu * velocity[k] + number(p.grad)
            p.data -= lr * g


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
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update (bias-corrected moments) of every parameter."""
        b1, b2 = self.betas
        self.t += 1
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        for k, p in enumerate(self.params):
            g = number(p.grad)
            m = self._m[k] = b1 * self._m[k] + (1.0 - b1) * g
            v = self._v[k] = b2 * self._v[k] + (1.0 - b2) * g * g
            p.data -= self.lr * (m / c1) / (math.sqrt(v / c2) + self.eps)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}
"""Optimiser classes by name."""
