"""How the benchmarks time things, and the one table they print.

Method (the same for every workload):

- Every engine of a workload runs in this process, on the same data and the same initial weights,
  and computes the same numbers (checked before timing: the first step's losses must agree).
- Timing is interleaved: each *round* runs one block of steps per engine, the engines' order
  rotating from round to round, so drift (thermal, other load) hits every engine alike. A block
  is long enough (``block_seconds``) for the clock to be exact; its time is divided by its steps.
- The garbage collector stays enabled. Everything built before timing is frozen out of its scans
  (``gc.freeze()``), so an engine pays for collecting its *own* objects, not its neighbours'; each
  block ends with a ``gc.collect()`` inside the timed region, so an engine whose graphs are
  reference cycles (micrograd) also pays for freeing the garbage its last step left behind.
- Reported: the median over rounds, the spread (interquartile range over median), and ratios
  taken round by round (paired) and then their median.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Step = Callable[[], object]


class Skipped(Exception):
    """An engine that cannot run here (a peer not installed); the message says why."""


@dataclass
class Timing:
    """Per-step seconds of one engine, one sample per round."""

    engine: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """Interquartile range over median (0.05 = the middle half of the rounds lies within 5%)."""
        if len(self.samples) < 3:
            return (max(self.samples) - min(self.samples)) / self.median
        q1, _, q3 = statistics.quantiles(self.samples, n=4, method="inclusive")
        return (q3 - q1) / self.median


def paired_ratio(numerator: Timing, denominator: Timing) -> float:
    """Median over rounds of numerator/denominator (the speed-up of ``denominator`` over ``numerator``)."""
    return statistics.median(a / b for a, b in zip(numerator.samples, denominator.samples))


def interleaved(steps: dict[str, Step], rounds: int, block_seconds: float, min_steps: int = 1) -> dict[str, Timing]:
    """Time each engine's ``step()`` in ``rounds`` interleaved blocks; see the module docstring."""
    per_block: dict[str, int] = {}
    for name, step in steps.items():  # calibration: one untimed step each, then the block size
        t0 = time.perf_counter()
        step()
        once = time.perf_counter() - t0
        per_block[name] = max(min_steps, math.ceil(block_seconds / max(once, 1e-7)))
    names = list(steps)
    timings = {name: Timing(name) for name in names}
    gc.collect()
    gc.freeze()
    try:
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                step, n = steps[name], per_block[name]
                gc.collect()
                t0 = time.perf_counter()
                for _ in range(n):
                    step()
                gc.collect()  # charged to the block: freeing what it left behind
                timings[name].samples.append((time.perf_counter() - t0) / n)
    finally:
        gc.unfreeze()
    return timings


def machine() -> str:
    """One line naming the interpreter and the machine."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{python}, {cpu}, {os.cpu_count()} cores, {platform.system()}"


# --- the table ----------------------------------------------------------------------------------


@dataclass
class Row:
    workload: str
    engine: str
    median: str = ""
    spread: str = ""
    speedup: str = ""
    floor: str = ""
    notes: str = ""


def seconds(t: float) -> str:
    """A duration with a unit that keeps 3 significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def times(x: float) -> str:
    return f"{x:.3g}x" if x < 1000 else f"{x:,.0f}x"


HEADERS = ("workload", "engine", "median", "spread", "speed-up", "vs floor", "notes")


def render(rows: list[Row]) -> str:
    """The rows as an aligned Markdown table (reads well in a terminal too)."""
    cells = [HEADERS] + [(r.workload, r.engine, r.median, r.spread, r.speedup, r.floor, r.notes) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    right = {2, 3, 4, 5}

    def line(c: tuple[str, ...]) -> str:
        padded = (s.rjust(w) if i in right else s.ljust(w) for i, (s, w) in enumerate(zip(c, widths)))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    out, last = [line(cells[0]), rule], None
    for r, c in zip(rows, cells[1:]):  # a workload's name only on its first row
        out.append(line(c if r.workload != last else ("", *c[1:])))
        last = r.workload
    return "\n".join(out)
