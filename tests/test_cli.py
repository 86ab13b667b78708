"""The `chainrule` command: help lists every subcommand, each dispatches, and it runs outside the repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from conftest import in_ci

from nn.lesson import cli

ROOT = Path(__file__).resolve().parent.parent
SUBCOMMANDS = ("demo", "exercise", "check", "bench")


def test_help_lists_every_subcommand(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert f"    {name} " in out
    assert set(cli.COMMANDS) == set(SUBCOMMANDS)


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_an_unknown_command_is_named(capsys):
    assert cli.main(["dmeo"]) == 2
    assert "invalid choice: 'dmeo'" in capsys.readouterr().err


def test_demo_runs_the_walkthrough_and_writes_pictures_into_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--only", "1,6"]) == 0
    out = capsys.readouterr().out
    assert "== 1. Forward pass" in out and "== 6. Pictures" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "tutorial_explorer.html", "tutorial_flow.svg", "tutorial_graph.svg", "tutorial_network.svg"]
    page = (tmp_path / "out" / "tutorial_explorer.html").read_text()
    assert page.count("<svg") >= 1 and "<script" in page  # one self-contained page


def test_demo_options_and_errors_are_the_walkthroughs_own(capsys):
    assert cli.main(["demo", "--help"]) == 0
    assert "usage: chainrule demo" in capsys.readouterr().out
    assert cli.main(["demo", "--only", "9"]) == 2
    assert "sections are 1 to 6" in capsys.readouterr().err


def test_exercise_writes_a_worksheet_and_check_grades_its_template(tmp_path, capsys):
    assert cli.main(["exercise", "--seed", "4", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.toml", "worksheet.md"]
    capsys.readouterr()
    assert cli.main(["check", str(tmp_path / "answers.toml")]) == 1  # nothing filled in yet
    said = capsys.readouterr()
    assert "no answers filled in yet" in said.out + said.err


def test_bench_runs_the_benchmarks_when_python_can_import_them(monkeypatch, capsys, tmp_path):
    seen = []
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd: seen.append(cmd) or 0)
    monkeypatch.chdir(ROOT)  # a clone: `python -m benchmarks` works here
    assert cli.find_benchmarks() is not None
    assert cli.main(["bench", "--quick"]) == 0
    assert seen == [[sys.executable, "-m", "benchmarks", "--quick"]]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli.sys, "path", [p for p in sys.path if Path(p or ".").resolve() != ROOT])
    assert cli.find_benchmarks() is None  # found by importing, not by a path relative to the source
    assert cli.main(["bench"]) == 2 and len(seen) == 1
    err = capsys.readouterr().err
    assert "in a clone of the chainrule repository run `make bench`" in err and err.count("\n") == 1


def test_every_help_states_the_exit_codes(capsys):
    for argv in (["--help"], ["demo", "--help"], ["exercise", "--help"], ["check", "--help"]):
        assert cli.main(argv) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "0 all right, 1 an answer is wrong (check), 2 a usage or file problem" in out, argv


@pytest.mark.parametrize("argv", [["demo", "--lr", "inf"], ["demo", "--lr", "-inf"], ["demo", "--lr", "nan"],
                                  ["demo", "--lr", "1e999"], ["demo", "--steps", "1e3"], ["demo", "--seed", "x"],
                                  ["exercise", "--seed", "1.5"], ["check"], ["check", "a", "b"],
                                  ["demo", "--out", "a-file", "--only", "6"]])
def test_usage_errors_exit_2_with_one_message_and_no_traceback(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("mine")
    assert cli.main(argv) == 2
    said = capsys.readouterr()
    assert "error:" in said.err and "Traceback" not in said.err and said.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"] and (tmp_path / "a-file").read_text() == "mine"


def test_a_learning_rate_that_makes_training_overflow_is_a_usage_error(capsys):
    argv = ["demo", "--only", "5", "--steps", "50", "--lr", "1e300", "--optimizer", "adam", "--init", "random"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule demo: training stopped: ") and "a smaller --lr" in err
    assert err.count("\n") == 1


def test_demo_into_a_folder_it_cannot_make_exits_2_after_printing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("mine")
    assert cli.main(["demo", "--only", "1,6", "--out", "a-file/pictures"]) == 2
    said = capsys.readouterr()
    assert "== 1. Forward pass" in said.out and "Traceback" not in said.err
    assert said.err.startswith("chainrule demo: cannot write the pictures into --out 'a-file/pictures'")


@pytest.mark.parametrize(("argv", "status"), [(["demo", "--only", "1,2,5", "--steps", "3"], 0),
                                              (["check", "{right}"], 0), (["check", "{wrong}"], 1),
                                              (["exercise", "--out", "ex"], 0), (["--help"], 0)])
def test_a_reader_that_stops_early_gets_no_traceback_and_the_real_exit_status(argv, status, tmp_path):
    """`chainrule demo | head`: the reader has closed the pipe; the command ends quietly with its own status."""
    from nn.lesson import tutorial

    printed = tutorial.claims()["data"]["h1_in1"]
    for name, value in (("right", printed), ("wrong", "-" + printed)):
        (tmp_path / f"{name}.toml").write_text(f'[network]\nseed = "tutorial"\n[data]\nh1_in1 = "{value}"\n')
    argv = [a.format(right=tmp_path / "right.toml", wrong=tmp_path / "wrong.toml") for a in argv]
    proc = subprocess.Popen([sys.executable, "-m", "nn.lesson.cli", *argv], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command has printed a line (it is still importing)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == status and err == ""


def test_the_console_script_works_from_outside_the_repo(tmp_path):
    script = Path(sys.executable).parent / "chainrule"
    if not script.exists():
        assert not in_ci(), f"CI installs the project, so {script} must exist"
        pytest.skip(f"the console script is not installed beside {sys.executable} (pip install -e . makes it)")
    res = subprocess.run([str(script), "demo", "--only", "6"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(list((tmp_path / "out").glob("*.svg"))) == 3 and (tmp_path / "out" / "tutorial_explorer.html").exists()
    res = subprocess.run([str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and all(name in res.stdout for name in SUBCOMMANDS)


def test_a_regular_install_needs_nothing_from_the_source_tree(tmp_path):
    """Install a copy of the package (not editable) and run the command from elsewhere: no demo.py, no repo."""
    try:
        backend = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        backend = "0"
    if int(backend.split(".")[0]) < 77:
        assert not in_ci(), "the test extra installs setuptools>=77"
        pytest.skip(f"building chainrule needs setuptools>=77 in this environment, found {backend}")
    src = tmp_path / "src"
    for name in ("autograd", "nn"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    site = tmp_path / "site"
    res = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(site), str(src)],
        capture_output=True, text=True, timeout=180,
    )
    assert res.returncode == 0, res.stderr
    run = tmp_path / "elsewhere"
    run.mkdir()
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); import nn.lesson, nn.lesson.cli; "
            f"assert nn.__file__.startswith({str(site)!r}), nn.__file__; sys.exit(nn.lesson.cli.main())")
    res = subprocess.run([sys.executable, "-P", "-c", code, "demo", "--only", "2,6"], cwd=run,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "== 2a." in res.stdout and len(list((run / "out").glob("*.svg"))) == 3
    # the explorer's script, styles and template came from the installed package data
    assert "<script" in (run / "out" / "tutorial_explorer.html").read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_only_chainrule_and_make_test_everything_ci_needs(tmp_path):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)

    def planned(target):  # make -n: the commands a fresh clone would run, without running them
        res = subprocess.run(["make", "-n", target], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return [line for line in res.stdout.splitlines() if " install " in line]

    assert [line.split(" install ")[1] for line in planned("demo")] == ["-e ."]
    (test_install,) = planned("test")
    assert all(extra in test_install for extra in ("test", "lint", "torch"))
