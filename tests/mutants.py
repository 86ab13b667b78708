"""The mutation check (``make mutants``): mutmut over the engine's core, one file at a time.

Each file is mutated in a folder of its own (``out/mutants/<name>/``, a copy of the project with a
``[tool.mutmut]`` section for that file) and checked only by the tests that are about it, so a run
stays within a shared machine's budget. Hypothesis runs the ``mutants`` profile (derandomized, fewer
examples). mutmut keeps its results there, so a second run re-checks only what changed.

    python tests/mutants.py                      # every file below
    python tests/mutants.py nn/io.py             # one of them
    python tests/mutants.py --budget 600 ...     # at most 600 s per file; the rest stay "not checked"
    python tests/mutants.py --diffs ...          # with each unexplained survivor's diff
    python tests/mutants.py --again nn/io.py     # re-check only what the last run did not kill (new tests)

Prints, per file, the mutants generated, killed, survived (and any other outcome) and the time,
then each survivor's diff. docs/mutants.md lists the survivors judged equivalent, with the reason.
Exits 1 if a survivor is not listed there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "out" / "mutants"
MUTMUT = Path(sys.executable).parent / "mutmut"
COPIED = ("autograd", "nn", "tests", "docs", "examples", "pyproject.toml", "README.md")

# file -> the tests about it (the narrow selection each of its mutants is checked by)
TARGETS: dict[str, list[str]] = {
    "nn/io.py": ["tests/test_io.py", "tests/test_io_durability.py", "tests/test_io_messages.py",
                 "tests/test_io_bytes.py"],
    # the random-network search tests take seconds each: the worked examples exercise every verdict
    "autograd/diagnose/verdicts.py": ["tests/test_verdicts_oracles.py", "tests/test_diagnose.py",
                                      "-k", "not injected and not exact_answer"],
    # the long chain's page (39 s under mutmut) and the label fuzz (11 s) are the page's, not the record's
    "autograd/explorer/record.py": ["tests/test_record_oracles.py", "tests/test_explorer.py",
                                    "-k", "not shown_whole and not long_chain and not inert_json"],
    "autograd/replay/codegen.py": ["tests/test_codegen_oracles.py", "tests/test_replay.py",
                                   "tests/test_replay_written.py"],
    "autograd/ops.py": ["tests/test_ops.py", "tests/test_value.py", "tests/test_errors.py", "tests/test_faults.py",
                        "tests/test_ops_exact.py", "tests/test_ops_oracles.py"],
    # test_backward's 100k-node chain and random DAGs (a minute per mutant of Value's constructor) test
    # the sweep; its other tests stay
    "autograd/value.py": ["tests/test_value.py", "tests/test_value_exact.py", "tests/test_value_oracles.py",
                          "tests/test_ops.py", "tests/test_ops_oracles.py", "tests/test_micrograd_compat.py",
                          "tests/test_faults.py", "tests/test_errors.py", "tests/test_hooks.py",
                          "tests/test_backward.py", "-k", "not 100k and not random_dags and not deep_chain"],
    # the 100k-node chain checks graph.py's iterative sort (no recursion), not the sweep's arithmetic
    "autograd/sweep.py": [
        "tests/test_backward.py", "tests/test_hooks.py", "tests/test_higher_order.py", "tests/test_oracles.py",
        "tests/test_faults.py", "tests/test_sweep_exact.py", "tests/test_sweep_oracles.py", "-k", "not 100k",
    ],
}

# mutmut's exit codes, as its own stats module names them (3.8.1)
OUTCOME = {0: "survived", 1: "killed", 3: "killed", 33: "no tests", 34: "skipped", 36: "timeout", 24: "timeout",
           -24: "timeout", 152: "timeout", 255: "timeout", 37: "caught by type check", None: "not checked"}


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", path.removesuffix(".py"))


def prepare(path: str) -> Path:
    """A copy of the project with this file's [tool.mutmut] section; mutmut's results from a previous
    run stay (in ``mutants/``), and it re-checks only functions that changed."""
    folder = WORK / slug(path)
    folder.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source, target = ROOT / name, folder / name
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
        else:
            shutil.copyfile(source, target)
    section = {
        "source_paths": ["autograd", "nn"],
        "only_mutate": [path],
        "also_copy": ["docs", "examples", "README.md"],  # files some tests read
        "pytest_add_cli_args_test_selection": TARGETS[path],
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
    }
    lines = ["", "[tool.mutmut]", *(f"{key} = {json.dumps(value)}" for key, value in section.items())]
    with open(folder / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return folder


def outcomes(folder: Path, path: str) -> dict[str, str]:
    """Mutant name -> outcome, from the .meta file mutmut writes beside the mutated copy."""
    meta = json.loads((folder / "mutants" / (path + ".meta")).read_text(encoding="utf-8"))
    return {name: OUTCOME.get(code, "suspicious") for name, code in meta["exit_code_by_key"].items()}


def diff(folder: Path, name: str) -> str:
    res = subprocess.run([str(MUTMUT), "show", name], cwd=folder, capture_output=True, text=True, check=False)
    return res.stdout.strip()


# what a later run need not check again
SETTLED = ("killed", "timeout", "caught by type check")


def run(path: str, budget: float | None, again: bool = False) -> tuple[Counter[str], list[str], float]:
    """mutmut over one file; ``again``: only the mutants the last run left unkilled (after new tests:
    mutmut keeps every result, and re-checks by itself only the functions whose code changed)."""
    folder = prepare(path)
    names = []
    if again:
        if not (folder / "mutants" / (path + ".meta")).exists():
            sys.exit(f"--again: {path} has no earlier run in {folder}")
        names = sorted(n for n, outcome in outcomes(folder, path).items() if outcome not in SETTLED)
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutants", "PYTHONPATH": "", "CI": "true"}
    started = time.monotonic()
    # A session of its own, so that a run over budget is stopped with every worker it forked.
    proc = subprocess.Popen(
        ["nice", "-n", "10", str(MUTMUT), "run", "--max-children", "1", *names], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate()
    seconds = time.monotonic() - started
    if proc.returncode not in (0, -signal.SIGTERM):
        sys.exit(f"mutmut failed on {path} (exit {proc.returncode}):\n{out[-3000:]}")
    found = outcomes(folder, path)
    # a timeout counts as killed, as mutmut counts it; "not checked" is what a budget left out
    return Counter(found.values()), sorted(n for n, o in found.items() if o in ("survived", "suspicious")), seconds


def equivalent() -> set[str]:
    """The survivors docs/mutants.md lists as equivalent: a table row starting with a mutant's name in
    backquotes, in either section ("Equivalent survivors: engine files" or "...: tool files")."""
    text = (ROOT / "docs" / "mutants.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([^`]+__mutmut_\d+)`", text, re.M))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tests/mutants.py", description="mutmut over the engine's core")
    parser.add_argument("files", nargs="*", metavar="FILE", help="any of " + ", ".join(TARGETS) + " (default: all)")
    parser.add_argument("--budget", type=float, help="stop each file's run after this many seconds")
    parser.add_argument("--diffs", action="store_true", help="print each unexplained survivor's diff")
    parser.add_argument("--again", action="store_true", help="re-check only the mutants the last run did not kill")
    args = parser.parse_args(argv)
    paths, budget = args.files or list(TARGETS), args.budget
    for path in paths:
        if path not in TARGETS:
            parser.error(f"{path!r} is not a mutation target; the targets are {', '.join(TARGETS)}")
    listed = equivalent()
    unexplained: list[str] = []
    for path in paths:
        counts, others, seconds = run(path, budget, args.again)
        figures = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        print(f"{path}: {sum(counts.values())} mutants, {figures}; {seconds:.0f} s", flush=True)
        for name in others:
            mark = "equivalent (docs/mutants.md)" if name in listed else "NOT KILLED"
            print(f"  {name}: {mark}")
            if name not in listed:
                unexplained.append(name)
                if args.diffs:
                    print("    " + diff(WORK / slug(path), name).replace("\n", "\n    "))
    print(f"{len(unexplained)} mutant(s) neither killed nor listed as equivalent in docs/mutants.md")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
