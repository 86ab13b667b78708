"""Long chains, wide sums and memory per node.

- Long chain (interleaved, in process): ``v = v * c`` and ``v = v + d`` alternately, ``c`` and ``d``
  shared leaves, so a chain of L operations has L + 3 nodes; build + backward.
- 10^N scale (each size in a fresh subprocess, so its peak memory is its own): the same chain, and a
  sum of N fresh leaves as one ``sum`` node; build and backward timed apart; peak RSS reported.
- Memory per node (tracemalloc): the long chain's graph, alive, divided by its node count.

``python -m benchmarks.scale chain 1000000`` runs one size and prints JSON (used by the table).
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from .harness import Skipped

C, D, X0 = 0.999999, 1e-6, 0.5


# --- chain builders: the same graph in each engine --------------------------------------------


def chainrule_chain(n: int) -> tuple[Any, Any]:
    from autograd import Value

    x, c, d = Value(X0), Value(C), Value(D)
    v = x
    for i in range(n):
        v = v * c if i % 2 else v + d
    return x, v


def micrograd_chain(n: int) -> tuple[Any, Any]:
    try:
        from micrograd.engine import Value
    except ImportError:
        raise Skipped("micrograd is not installed: pip install micrograd==0.1.0") from None
    x, c, d = Value(X0), Value(C), Value(D)
    v = x
    for i in range(n):
        v = v * c if i % 2 else v + d
    return x, v


def floor_chain(n: int) -> float:
    """The chain on floats: value forward, derivative d(v)/d(x) backward (the floor)."""
    v = X0
    factors = []
    for i in range(n):
        if i % 2:
            factors.append(C)
            v = v * C
        else:
            factors.append(1.0)
            v = v + D
    g = 1.0
    for f in reversed(factors):
        g *= f
    return g


class ChainStep:
    """Build the chain and backpropagate through it, once per step."""

    def __init__(self, engine: str, n: int) -> None:
        self.engine, self.n = engine, n
        if engine == "micrograd":
            micrograd_chain(1)  # raises Skipped early when micrograd is absent

    def step(self) -> float:
        if self.engine == "floor":
            return floor_chain(self.n)
        if self.engine == "micrograd":
            # micrograd sorts the graph recursively: a chain this long needs a deeper stack.
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(limit, 2 * self.n + 1000))
            try:
                x, v = micrograd_chain(self.n)
                v.backward()
            finally:
                sys.setrecursionlimit(limit)
            return float(x.grad)
        x, v = chainrule_chain(self.n)
        v.backward()
        return x.grad


def bytes_per_node(build: Callable[[int], tuple[Any, Any]], n: int) -> float:
    """Memory held by a built chain of ``n`` operations, per node (tracemalloc)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        graph = build(n)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del graph
    return (after - before) / (n + 3)


# --- one size in a subprocess -------------------------------------------------------------------


def _memory_kib(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process, in KiB (Linux); else ru_maxrss.

    /proc is read because ru_maxrss of a child process can carry its parent's peak across exec.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def measure(kind: str, n: int) -> dict[str, float]:
    """Build and backward timings and the peak memory of one graph of size ``n``."""
    from autograd import Value
    from autograd import sum as vsum

    base = _memory_kib("VmRSS")
    t0 = time.perf_counter()
    if kind == "chain":
        x, out = chainrule_chain(n)
    elif kind == "sum":
        leaves = [Value(0.5 + (k % 7) * 0.125) for k in range(n)]
        out = vsum(leaves)
        x = leaves[-1]
    else:
        raise ValueError(f"unknown kind {kind!r}; accepted: chain, sum")
    t1 = time.perf_counter()
    out.backward()
    t2 = time.perf_counter()
    peak = _memory_kib("VmHWM")
    expected = C ** (n // 2) if kind == "chain" else 1.0
    if abs(x.grad - expected) > 1e-9 * abs(expected):
        raise AssertionError(f"{kind} {n}: gradient {x.grad} != {expected}")
    return {"build": t1 - t0, "backward": t2 - t1, "peak_mb": (peak - base) / 1024, "n": n}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m benchmarks.scale chain|sum N")
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))
