"""diagnose on deep graphs: one wrong gradient claim on a chain of N nodes, time and sweeps.

The chain alternates ``tanh`` and ``* 1.0001`` from a leaf ``x``; the claim is dy/dx with its sign
lost. A deep graph has a sign site per layer; the number of sweeps must stay flat as N grows, so the
time grows linearly (docs/diagnose.md states the figures).

    python -m benchmarks.diagnose_depth 400 4000
"""

from __future__ import annotations

import sys
import time

from autograd import Value
from autograd.diagnose import diagnose


def chain(n: int) -> tuple[Value, Value]:
    """``x`` and ``y``: n operations from x, alternating tanh and multiplication by 1.0001."""
    x = Value(0.5, "x")
    h = x
    for k in range(n):
        h = h * 1.0001 if k % 2 else h.tanh()
    h.label = "y"
    return x, h


def measure(n: int) -> tuple[float, int, tuple[str, ...]]:
    """Seconds for one diagnosis of the sign-lost claim, its sweeps, and the causes it names."""
    x, y = chain(n)
    y.backward()
    started = time.perf_counter()
    report = diagnose(y, grads={"x": f"{-x.grad:.4f}"})
    return time.perf_counter() - started, report.sweeps, report["dy/dx"].causes


def main(argv: list[str]) -> None:
    for n in map(int, argv or ["400", "4000"]):
        seconds, sweeps, causes = measure(n)
        print(f"{n:>7} nodes  {seconds:8.2f} s  {sweeps:5} sweeps  causes {', '.join(causes)}")


if __name__ == "__main__":
    main(sys.argv[1:])
