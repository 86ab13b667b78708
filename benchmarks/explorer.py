"""The explorer page's build time and size (``python -m benchmarks.explorer``).

- MLP: ``nn.draw.explore`` on a 2-16-16-1 MLP (ReLU, ReLU, linear) with a squared-error loss over
  4 samples (the issue's case: 20 s before the page drew itself), and over 2 samples.
- Chain: ``autograd.draw.explore`` on a 50,000-operation chain (capped at 500 Values): the cap bounds
  the page, code pane included.

Each build is timed ``--rounds`` times in this process (the median is printed); nothing here is a
test: the figures go to docs/explorer.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import nn
from autograd import Value
from autograd.explorer import Explorer, explore
from nn.draw import explore as nn_explore


def mlp_page(samples: int) -> Callable[[], Explorer]:
    rng = random.Random(0)
    model = nn.MLP(2, [16, 16, 1], ["relu", "relu", "linear"], seed=0)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(samples)]
    ys = [rng.choice((-1.0, 1.0)) for _ in range(samples)]
    loss = Value(0.0)
    for x, y in zip(xs, ys):
        loss = loss + (model(x)[0] - y) ** 2
    loss.label = "loss"
    return lambda: nn_explore(model, loss)


def chain_page(n: int) -> Callable[[], Explorer]:
    x = Value(0.5, "x")
    y = x
    for _ in range(n):
        y = y * 0.99999
    y.label = "y"
    return lambda: explore(y)


def measure(name: str, make: Callable[[], Explorer], rounds: int) -> None:
    times, page = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        page = make()
        times.append(time.perf_counter() - start)
    assert page is not None
    start = time.perf_counter()
    size = len(page.html().encode())
    write = time.perf_counter() - start
    shown = sum(1 for n in page.record["nodes"] if n["box"])
    print(
        f"{name}: {len(page.record['nodes']):,} values ({shown:,} drawn), {page.n_steps:,} steps; "
        f"explore() median {statistics.median(times):.3f} s (min {min(times):.3f}, {rounds} rounds); "
        f"html() {write:.3f} s, {size:,} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="builds per case (default 5)")
    rounds = parser.parse_args().rounds
    measure("MLP 2-16-16-1, 4 samples", mlp_page(4), rounds)
    measure("MLP 2-16-16-1, 2 samples", mlp_page(2), rounds)
    measure("chain of 50,000 operations", chain_page(50_000), rounds)


if __name__ == "__main__":
    main()
