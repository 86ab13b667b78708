"""Workload B, old code against new, paired: ``python -m benchmarks.paired OLD_TREE [NEW_TREE] [--rounds N]``.

For a change to a hot path. Each tree (a checkout, e.g. ``git worktree add /tmp/old HEAD~3``) runs
in a process of its own, with this Python, importing that tree's ``autograd`` and ``nn``. The two
processes take turns, 2,000 steps of the tutorial network each per round, so the machine's load falls
on both alike; the ratio new/old is taken per round and its median (and quartiles) printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

# The child: build the step once, then time `n` steps each time a line with n arrives.
_WORKER = """
import sys, time
from benchmarks.tutorial import Chainrule
engine = Chainrule(); engine.step()
for line in sys.stdin:
    n = int(line)
    start = time.perf_counter()
    for _ in range(n):
        engine.step()
    print((time.perf_counter() - start) / n, flush=True)
"""

STEPS = 2000


def _start(tree: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER], cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def _time(worker: subprocess.Popen[str]) -> float:
    assert worker.stdin is not None and worker.stdout is not None
    worker.stdin.write(f"{STEPS}\n")
    worker.stdin.flush()
    return float(worker.stdout.readline())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.paired", description=__doc__.split("\n\n")[0])
    p.add_argument("old", type=Path, help="the tree with the code before the change")
    p.add_argument("new", type=Path, nargs="?", default=Path.cwd(), help="the tree after it (default: here)")
    p.add_argument("--rounds", type=int, default=40, help="alternating rounds (default 40)")
    args = p.parse_args(argv)
    for tree in (args.old, args.new):
        if not (tree / "autograd").is_dir():
            p.error(f"{tree} has no autograd/ package: pass the root of a chainrule checkout")
    old, new = _start(args.old.resolve()), _start(args.new.resolve())
    times_old: list[float] = []
    times_new: list[float] = []
    try:
        for k in range(args.rounds):  # alternate who goes first, so neither always follows the other
            pair = ((old, times_old), (new, times_new)) if k % 2 == 0 else ((new, times_new), (old, times_old))
            for worker, times in pair:
                times.append(_time(worker))
    finally:
        for worker in (old, new):
            worker.kill()
    ratios = [b / a for a, b in zip(times_old, times_new)]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    print(
        f"B, {args.rounds} rounds of {STEPS} steps: old {statistics.median(times_old) * 1e6:.2f} µs, "
        f"new {statistics.median(times_new) * 1e6:.2f} µs; new/old {statistics.median(ratios):.3f} "
        f"(quartiles {q1:.3f} to {q3:.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
