"""Fuzz: command lines from a careless user, through the `chainrule` command's option parsing.

Every command line gives exit status 0 or 2 (1 is for a wrong answer only), a one-line error and no
traceback on stderr, options that are finite and in range, and no file written where it should not be.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nn.lesson import cli, demo

words = st.one_of(
    st.sampled_from(["--loss", "--steps", "--lr", "--optimizer", "--init", "--seed", "--only", "--out",
                     "--no-progress", "--force", "--help", "-h", "--", "-", "tutorial", "categorical", "adam",
                     "random", "1,2", "6", "0", "-1", "inf", "nan", "1e999", "0.05", "1e-320", "99", "answers.toml",
                     "a-file", "a-file/x", ""]),
    st.from_regex(r"\A[ -~]{0,6}\Z"),
)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


@given(argv=st.lists(words, max_size=6))
def test_any_demo_command_line_parses_to_sane_options_or_exits_2(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = demo.parse_args(argv, prog="chainrule demo")
        except SystemExit as stop:
            assert stop.code in (0, 2)
            assert "Traceback" not in err.getvalue()
            if stop.code == 2:
                assert "chainrule demo: error: " in err.getvalue()
            return
    assert math.isfinite(args.lr) and args.lr > 0 and args.steps >= 0
    assert args.sections <= {1, 2, 3, 4, 5, 6}
    assert 6 not in args.sections or not Path(args.out).is_file()


@settings(max_examples=60)
@given(argv=st.lists(words, max_size=5), command=st.sampled_from(["exercise", "check", "bench-", "dmeo", "--help"]))
def test_any_exercise_or_check_command_line_exits_0_1_or_2_leaving_only_what_it_announced(argv, command):
    with tempfile.TemporaryDirectory() as folder:
        here = os.getcwd()
        os.chdir(folder)
        try:
            Path("a-file").write_text("mine")
            Path("answers.toml").write_text('[network]\nseed = "tutorial"\n[data]\nh1_in1 = "1.35"\n')
            before = {p: p.read_bytes() for p in Path(".").iterdir()}
            code, out, err = run([command, *argv])
            after = {p: p.read_bytes() for p in Path(".").rglob("*") if p.is_file()}
        finally:
            os.chdir(here)
    assert "Traceback" not in err
    assert code in (0, 1, 2)
    assert code != 1 or command == "check"  # 1 means an answer is wrong, nothing else
    if code == 2 and err:
        assert err.count("\n") <= 1 or "usage:" in err
    for path, content in before.items():  # nothing of the user's is changed or removed, unless forced
        assert after.get(path) == content or ("--force" in argv and path.name == "answers.toml"), path
    written = {p for p in after if p not in before}
    assert all(p.name in ("worksheet.md", "answers.toml") for p in written), written
    assert not written or (command == "exercise" and code == 0 and "Wrote" in out)
