"""The ``chainrule`` command: one entry point for the walkthrough, exercises and benchmarks.

    chainrule demo [options]       the tutorial walkthrough; pictures and the explorer into ./out
    chainrule exercise [options]   write a worksheet with a hand derivation to check
    chainrule check FILE           check a filled-in worksheet
    chainrule bench [options]      the benchmarks (from a source checkout)

Each subcommand passes the rest of the command line to its own program, so ``chainrule demo --help``
is the walkthrough's own help. Exit status: 0 all right, 1 an answer is wrong (``check``), 2 a usage
or file problem; a user's mistake is one line on stderr, never a traceback. ``main`` returns the
exit status instead of exiting, for tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from importlib import machinery, metadata
from importlib.machinery import ModuleSpec

from . import terminal

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


def find_benchmarks() -> ModuleSpec | None:
    """The ``benchmarks`` package that ``python -m benchmarks`` would run from here, if it is importable
    (in a clone of the repository: the current folder, or the source tree on the path)."""
    return machinery.PathFinder.find_spec("benchmarks", [os.getcwd(), *sys.path])


def _bench(argv: list[str]) -> int:
    if find_benchmarks() is None:
        return terminal.fail(f"{PROG} bench", "the benchmarks are not installed with the package; in a clone of "
                             "the chainrule repository run `make bench` (or `pip install -e '.[bench,torch]' && "
                             "python -m benchmarks`)")
    # A separate process, as `python -m benchmarks` runs: timings are not disturbed by this one.
    return subprocess.call([sys.executable, "-m", "benchmarks", *argv])


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
        epilog=f"'{PROG} COMMAND --help' shows a command's own options. {terminal.EXIT_CODES}.",
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
            return terminal.USAGE
        return terminal.OK  # pragma: no cover (every command is dispatched above)
    except SystemExit as stop:  # argparse's --help (0) and usage errors (2), from any subcommand
        code = stop.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
        return code if isinstance(code, int) else (terminal.OK if code is None else terminal.USAGE)
    except BrokenPipeError:  # the reader left (`chainrule demo | head`) while argparse or a command printed
        terminal.stop_output()
        return terminal.OK
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
