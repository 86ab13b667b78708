"""``python -m benchmarks.batched``: micrograd's demo step (workload A) as arrays, side by side.

The same step as workload A (``MLP(2, [16, 16, 1])``, ReLU, ReLU, linear; 100 moons points; hinge
loss + L2; forward, backward and SGD update) by: chainrule's dynamic graph, its scalar replay, its
batched replay (:func:`autograd.replay.batch`), numpy written by hand, and JAX's jit (an optional
peer; float64; reported as skipped when JAX is not importable). Every engine's first loss is checked
against the others before timing. ``--quick`` for fewer rounds; ``--cpu`` to time CPU time instead of
wall time (on a machine shared with other work).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import autograd
from autograd import Value, replay

from . import mlp
from .data import learning_rate
from .harness import Row, Skipped, Timing, interleaved, machine, paired_ratio, render, seconds, times

ALPHA = mlp.ALPHA


def _per_sample(model: object, params: list[Value]) -> Callable[[list[Value], Value], Value]:
    """One sample's loss as a user writes it: hinge on the score, plus the (shared) L2 term."""

    def per_sample(x: list[Value], y: Value) -> Value:
        score = model(x)[0]  # type: ignore[operator]
        return (1.0 + -y * score).relu() + ALPHA * autograd.sum([p * p for p in params])

    return per_sample


class BatchedReplay:
    """chainrule's batched replay: one sample traced once (not timed), then the whole batch as arrays."""

    name = "chainrule batched replay"

    def __init__(self, init: mlp.Init, backend: str = "numpy") -> None:
        points, labels, weights = init
        self.model = mlp._chainrule_model(weights)
        self.params = self.model.parameters()
        self.batch = replay.batch(_per_sample(self.model, self.params), self.params, points, labels, backend=backend)
        self.k = 0

    def step(self) -> float:
        loss = self.batch.sgd(learning_rate(self.k))
        self.k += 1
        return loss


class HandNumpy:
    """The step written by hand in numpy: what an array library is bounded by here."""

    name = "numpy by hand"

    def __init__(self, init: mlp.Init) -> None:
        import numpy as np

        points, labels, weights = init
        self.np = np
        self.X, self.y = np.array(points), np.array(labels)
        self.layers = [(np.array(W), np.array(b)) for W, b in weights]
        self.k = 0

    def step(self) -> float:
        np, X, y = self.np, self.X, self.y
        (W1, b1), (W2, b2), (W3, b3) = self.layers
        n = len(X)
        z1 = X @ W1 + b1
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0.0)
        score = (h2 @ W3 + b3)[:, 0]
        margin = 1.0 - y * score
        data_loss = np.maximum(margin, 0.0).sum() / n
        reg = sum(float((W * W).sum() + (b * b).sum()) for W, b in self.layers)
        ds = np.where(margin > 0.0, -y / n, 0.0)[:, None]
        dz2 = (ds @ W3.T) * (z2 > 0.0)
        dz1 = (dz2 @ W2.T) * (z1 > 0.0)
        grads = ((X.T @ dz1, dz1.sum(axis=0)), (h1.T @ dz2, dz2.sum(axis=0)), (h2.T @ ds, ds.sum(axis=0)))
        lr = learning_rate(self.k)
        for (W, b), (dW, db) in zip(self.layers, grads):
            W -= lr * (dW + 2.0 * ALPHA * W)
            b -= lr * (db + 2.0 * ALPHA * b)
        self.k += 1
        return float(data_loss + ALPHA * reg)


class JaxJit:
    """JAX's jit of the same step (float64), the gradient by ``jax.value_and_grad``."""

    name = "JAX jit"

    def __init__(self, init: mlp.Init) -> None:
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:
            raise Skipped("JAX is not installed: pip install jax") from None
        jax.config.update("jax_enable_x64", True)
        points, labels, weights = init
        self.X, self.y = jnp.array(points), jnp.array(labels)
        self.params = [(jnp.array(W), jnp.array(b)) for W, b in weights]

        def loss(params: list, X: object, y: object) -> object:
            h = X
            for k, (W, b) in enumerate(params):
                h = h @ W + b
                if k < len(params) - 1:
                    h = jnp.maximum(h, 0.0)
            data = jnp.maximum(1.0 - y * h[:, 0], 0.0).mean()
            return data + ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in params)

        def step(params: list, X: object, y: object, lr: float) -> tuple[object, list]:
            value, grads = jax.value_and_grad(loss)(params, X, y)
            return value, jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)

        self._step = jax.jit(step)
        self.k = 0

    def step(self) -> float:
        value, self.params = self._step(self.params, self.X, self.y, learning_rate(self.k))
        self.k += 1
        return float(value)


def cpu_interleaved(steps: dict[str, Callable[[], float]], rounds: int, block: float) -> dict[str, Timing]:
    """Like ``harness.interleaved``, timing CPU time: another process's load barely moves it."""
    timings = {name: Timing(name) for name in steps}
    count = {}
    for name, step in steps.items():
        t0 = time.process_time()
        step()
        count[name] = max(1, math.ceil(block / max(time.process_time() - t0, 1e-6)))
    for _ in range(rounds):
        for name, step in steps.items():
            t0 = time.process_time()
            for _ in range(count[name]):
                step()
            timings[name].samples.append((time.process_time() - t0) / count[name])
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batched", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--cpu", action="store_true",
                        help="time the process's CPU time, not wall time (steadier on a shared machine)")
    args = parser.parse_args(argv)
    init = mlp.problem()
    label = "A as arrays: micrograd demo step (MLP 2-16-16-1, 100 points)"
    makers: list[Callable[[], object]] = [
        lambda: mlp.Chainrule(init), lambda: mlp.ChainruleReplay(init), lambda: BatchedReplay(init),
        lambda: HandNumpy(init), lambda: JaxJit(init),
    ]
    rows: list[Row] = []
    engines: dict[str, object] = {}
    for make in makers:
        try:
            engine = make()
        except Skipped as why:
            rows.append(Row(label, "JAX jit", "skipped", notes=str(why)))
            continue
        engines[engine.name] = engine  # type: ignore[attr-defined]
    losses = {name: e.step() for name, e in engines.items()}  # type: ignore[attr-defined]
    ref = losses["chainrule"]
    for name, value in losses.items():
        if abs(value - ref) > 1e-9 * max(1.0, abs(ref)):
            raise SystemExit(f"{name} computed loss {value!r}, chainrule {ref!r}: the comparison is void")
    rounds, block = (3, 0.1) if args.quick else (7, 0.3)
    steps = {n: e.step for n, e in engines.items()}  # type: ignore[attr-defined]
    timings = cpu_interleaved(steps, rounds * 2, block) if args.cpu else interleaved(steps, rounds, block)
    hand, jax = timings["numpy by hand"], timings.get("JAX jit")
    for name, t in timings.items():
        # The batched replay's other goal is JAX's jit: its time over JAX's, round by round.
        note = f"{paired_ratio(t, jax):.2f}x JAX jit's time" if jax and name == BatchedReplay.name else ""
        rows.append(Row(label, name, seconds(t.median), f"±{t.spread / 2:.0%}",
                        times(paired_ratio(timings["chainrule"], t)), times(paired_ratio(t, hand)), notes=note))
    print(machine())
    print(render(rows).replace("vs floor", "vs numpy by hand"))


if __name__ == "__main__":
    main()
