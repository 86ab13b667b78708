"""What the ``chainrule`` commands share about the terminal: exit codes, and printing that stays quiet
when the reader goes away (``chainrule demo | head``).

>>> fail("chainrule demo", "--lr must be a finite number, not 'inf'")
2
"""

from __future__ import annotations

import os
import sys

OK = 0
"""Exit status: everything ran, every answer checked agrees."""

WRONG = 1
"""Exit status of ``chainrule check``: some answer is wrong (or none is filled in yet)."""

USAGE = 2
"""Exit status: a usage or file problem (a bad option, a file that cannot be read or written)."""

EXIT_CODES = "exit status: 0 all right, 1 an answer is wrong (check), 2 a usage or file problem"
"""The exit codes in one line, for every ``--help``."""


def fail(who: str, message: str) -> int:
    """Tell the user what went wrong in one line on stderr (no traceback); returns :data:`USAGE`."""
    print(f"{who}: {message}", file=sys.stderr)
    return USAGE


def say(text: str = "") -> None:
    """Print ``text`` and flush; if the reader has closed the pipe, drop this and all later output."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        stop_output()


def stop_output() -> None:
    """Send what is left for stdout to the null device, so a closed pipe ends no run with an error
    (and the interpreter's last flush at exit finds nothing to complain about)."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, sys.stdout.fileno())
    finally:
        os.close(null)
