"""``python -m benchmarks``: every workload, every engine, one table. ``--help`` for the options."""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial

from . import mlp, scale, tutorial
from .harness import Row, Skipped, Timing, interleaved, machine, paired_ratio, render, seconds, times

WORKLOADS = ("A", "B", "chain", "scale", "memory")


class Settings:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.rounds = 3 if quick else 7
        self.block = 0.1 if quick else 0.3
        self.chain = 20_000 if quick else 100_000  # long chain, operations
        self.scale = (100_000, 1_000_000)  # N and 10N
        self.scale_repeats = 1 if quick else 3
        self.memory_nodes = 20_000 if quick else 100_000


def _build(factories: Sequence[Callable[[], object]], rows: list[Row], workload: str) -> dict[str, object]:
    """Instantiate the engines; a missing peer becomes a 'skipped' row."""
    engines: dict[str, object] = {}
    for make in factories:
        try:
            engine = make()
        except Skipped as why:
            name = str(getattr(make, "name", None) or getattr(getattr(make, "func", None), "name", "?"))
            rows.append(Row(workload, name, "skipped", notes=str(why)))
            continue
        engines[engine.name] = engine  # type: ignore[attr-defined]
    return engines


def _agree(engines: dict[str, object], workload: str) -> None:
    """Before timing: the engines' first losses must agree (they compute the same thing)."""
    losses = {name: e.step() for name, e in engines.items()}  # type: ignore[attr-defined]
    ref = next(iter(losses.values()))
    for name, value in losses.items():
        tol = 1e-5 if "float32" in name else 1e-9
        if abs(value - ref) > tol * max(1.0, abs(ref)):
            raise SystemExit(f"{workload}: {name} computed loss {value!r}, others {ref!r}; the comparison is void")


def _timed_rows(
    workload: str,
    timings: dict[str, Timing],
    reference: str | None,
    floor: str | None,
    notes: dict[str, str],
) -> list[Row]:
    rows = []
    for name, t in timings.items():
        rows.append(
            Row(
                workload,
                name,
                seconds(t.median),
                f"±{t.spread / 2:.0%}",
                times(paired_ratio(timings[reference], t)) if reference in timings else "",
                times(paired_ratio(t, timings[floor])) if floor in timings else "",
                notes.get(name, ""),
            )
        )
    return rows


def workload_a(s: Settings, rows: list[Row]) -> None:
    label = "A: micrograd demo step (MLP 2-16-16-1, 100 points)"
    init = mlp.problem()
    factories: list[Callable[[], object]] = [partial(E, init) for E in mlp.ENGINES]
    engines = _build(factories, rows, label)
    _agree(engines, label)
    steps = {name: e.step for name, e in engines.items()}  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    probe = mlp.ChainruleReplay(init)
    traced = time.perf_counter() - t0
    notes = {
        "chainrule replay": f"traced + compiled once: {seconds(traced)}, {probe.replay.n_nodes} nodes, "
        f"{probe.replay.source.count(chr(10))} lines of code",
    }
    timings = interleaved(steps, s.rounds, s.block)
    rows.extend(_timed_rows(label, timings, "micrograd 0.1.0", "floats by hand (floor)", notes))


def workload_b(s: Settings, rows: list[Row]) -> None:
    label = "B: tutorial network step (3-3-3-3)"
    engines = _build(tutorial.ENGINES, rows, label)
    _agree(engines, label)
    timings = interleaved({n: e.step for n, e in engines.items()}, s.rounds, s.block)  # type: ignore[attr-defined]
    torch64 = next((n for n in timings if "float64" in n), None)
    notes: dict[str, str] = {}
    if torch64 is not None:
        for name in ("chainrule", "chainrule replay"):
            if name in timings:
                notes[name] = f"{times(paired_ratio(timings[torch64], timings[name]))} faster than {torch64}"
    reference = next((n for n in timings if n.startswith("micrograd")), None)
    rows.extend(_timed_rows(label, timings, reference, "floats by hand (floor)", notes))


def long_chain(s: Settings, rows: list[Row]) -> None:
    label = f"long chain ({s.chain:,} ops, build + backward)"
    engines: dict[str, object] = {}
    names = {"micrograd 0.1.0": "micrograd", "chainrule": "chainrule", "floats by hand (floor)": "floor"}
    for name, engine in names.items():
        try:
            engines[name] = scale.ChainStep(engine, s.chain)
        except Skipped as why:
            rows.append(Row(label, name, "skipped", notes=str(why)))
    timings = interleaved({n: e.step for n, e in engines.items()}, s.rounds, s.block)  # type: ignore[attr-defined]
    rows.extend(_timed_rows(label, timings, "micrograd 0.1.0", "floats by hand (floor)", {}))


def _subprocess(kind: str, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", kind, str(n)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def scale_rows(s: Settings, rows: list[Row]) -> None:
    for kind, what in (("chain", "node chain"), ("sum", "term sum")):
        runs: dict[int, Timing] = {}
        detail: dict[int, dict[str, float]] = {}
        for _ in range(s.scale_repeats):  # sizes interleaved, each run in a fresh process
            for n in s.scale:
                r = _subprocess(kind, n)
                runs.setdefault(n, Timing(f"chainrule {n}")).samples.append(r["build"] + r["backward"])
                best = detail.get(n)
                if best is None or r["build"] + r["backward"] < best["build"] + best["backward"]:
                    detail[n] = r
        small, big = s.scale
        growth = paired_ratio(runs[big], runs[small])
        for n in s.scale:
            d = detail[n]
            note = f"build {seconds(d['build'])} + backward {seconds(d['backward'])}; peak +{d['peak_mb']:.0f} MB"
            if n == big:
                note += f"; t(10N)/t(N) = {growth:.1f}"
            t = runs[n]
            rows.append(Row(f"{n:,}-{what}", "chainrule", seconds(t.median), f"±{t.spread / 2:.0%}", notes=note))


def memory_rows(s: Settings, rows: list[Row]) -> None:
    label = f"memory per node (chain of {s.memory_nodes:,})"
    ours = scale.bytes_per_node(scale.chainrule_chain, s.memory_nodes)
    try:
        theirs: float | None = scale.bytes_per_node(scale.micrograd_chain, s.memory_nodes)
    except Skipped as why:
        theirs = None
        rows.append(Row(label, "micrograd 0.1.0", "skipped", notes=str(why)))
    if theirs is not None:
        rows.append(Row(label, "micrograd 0.1.0", f"{theirs:.0f} B", notes="bytes per node, graph alive"))
    rows.append(
        Row(
            label,
            "chainrule",
            f"{ours:.0f} B",
            speedup=f"{theirs / ours:.2f}x less" if theirs else "",
            notes=f"{ours / theirs:.2f} of micrograd's" if theirs else "",
        )
    )


def show_code() -> None:
    """Print the tutorial network's replay: its backward pass, written out."""
    import nn.lesson
    from autograd import replay

    net = nn.lesson.tutorial.network()
    loss = nn.cross_entropy(net(list(nn.lesson.tutorial.INPUT)), nn.lesson.tutorial.TARGET)
    print(replay.trace(loss, net.parameters()).source)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="chainrule against micrograd, PyTorch and hand-written floats: one table of medians and ratios.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller graphs (about 30 s)")
    parser.add_argument(
        "--only", default=",".join(WORKLOADS), help=f"comma-separated subset of {', '.join(WORKLOADS)} (default: all)"
    )
    parser.add_argument("--show-code", action="store_true", help="print the tutorial network's replay code and exit")
    args = parser.parse_args(argv)
    if args.show_code:
        show_code()
        return 0
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    s = Settings(args.quick)
    started = time.perf_counter()
    print(f"chainrule benchmarks, {datetime.date.today().isoformat()}, {machine()}")
    print(
        f"{'quick' if s.quick else 'full'} run: {s.rounds} interleaved rounds, blocks of >= {s.block:g} s, gc enabled; "
        "speed-up = the workload's first engine's time / this one's (paired per round, median); "
        "vs floor = this time / the hand-written floats' time"
    )
    rows: list[Row] = []
    runners = {"A": workload_a, "B": workload_b, "chain": long_chain, "scale": scale_rows, "memory": memory_rows}
    for w in chosen:
        print(f"... {w}", file=sys.stderr, flush=True)
        runners[w](s, rows)
    print()
    print(render(rows))
    rerun = "python -m benchmarks" + (" --quick" if s.quick else "")
    print(f"\n(total {time.perf_counter() - started:.0f} s; rerun: {rerun})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
