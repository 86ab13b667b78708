"""The ``chainrule`` command: one entry point for the walkthrough, exercises and benchmarks.

    chainrule demo [options]       the tutorial walkthrough; pictures and the explorer into ./out
    chainrule exercise [options]   write a worksheet with a hand derivation to check
    chainrule check FILE           check a filled-in worksheet
    chainrule bench [options]      the benchmarks (from a source checkout)

Each subcommand passes the rest of the command line to its own program, so ``chainrule demo --help``
is the walkthrough's own help. ``main`` returns the exit status instead of exiting, for tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

PROG = "chainrule"


def _demo(argv: list[str]) -> int:
    from . import demo

    return demo.main(argv, prog=f"{PROG} demo")


def _exercise(argv: list[str]) -> int:
    from . import exercise  # imported when asked for: the other commands do not need it

    return exercise.main(argv)


def _check(argv: list[str]) -> int:
    from . import exercise

    return exercise.check_main(argv)


def benchmarks_folder() -> Path | None:
    """The source checkout's ``benchmarks/`` beside the ``nn`` package (an editable install), if it is there."""
    folder = Path(__file__).resolve().parents[2] / "benchmarks"
    return folder if (folder / "__main__.py").is_file() else None


def _bench(argv: list[str]) -> int:
    folder = benchmarks_folder()
    if folder is None:
        print(f"{PROG}: the benchmarks are not installed with the package; in a clone of the chainrule "
              "repository run `make bench` (or `pip install -e '.[bench,torch]' && python -m benchmarks`)",
              file=sys.stderr)
        return 1
    # A separate process, as `python -m benchmarks` runs: timings are not disturbed by this one.
    return subprocess.call([sys.executable, "-m", "benchmarks", *argv], cwd=folder.parent)


COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "demo": (_demo, "work the tutorial's network exactly, beside its printed numbers; pictures and the "
             "step-through explorer into ./out"),
    "exercise": (_exercise, "write an exercise: a hand derivation for a learner to check"),
    "check": (_check, "check a filled-in exercise FILE and point at the first mistake"),
    "bench": (_bench, "compare chainrule's speed with micrograd and PyTorch (source checkout only)"),
}


def parser() -> argparse.ArgumentParser:
    """The top-level parser; its help lists every subcommand."""
    p = argparse.ArgumentParser(
        prog=PROG,
        description="chainrule: a scalar autodiff engine that shows backpropagation happen.",
        epilog=f"'{PROG} COMMAND --help' shows a command's own options.",
    )
    p.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return p


def _version() -> str:
    try:
        return metadata.version("chainrule")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``chainrule`` with ``argv`` (default: the command line); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in COMMANDS:
            run, _ = COMMANDS[args[0]]
            return run(args[1:])
        parsed = parser().parse_args(args)  # --help, --version, or a mistake: argparse explains
        if parsed.command is None:
            parser().print_help()
            return 2
        return 0  # pragma: no cover (every command is dispatched above)
    except SystemExit as stop:  # argparse's --help (0) and usage errors (2), from any subcommand
        code = stop.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
        return code if isinstance(code, int) else (0 if code is None else 1)


if __name__ == "__main__":
    sys.exit(main())
