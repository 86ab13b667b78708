"""Exercise mode: a worksheet and a template, filled in and checked.

The right answers come from test_tutorial's independent plain-float derivation (``reference``, full
softmax Jacobian, written from the calculus), never from the engine.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from test_tutorial import reference

from nn.lesson import exercise, tutorial
from nn.lesson.exercise import Exercise, check_main, main

NODES = ("h1_in", "h1_out", "h2_in", "h2_out", "O_in", "O_out")
MATRICES = ("W_ij", "W_jk", "W_kl")


def right_answers(ex: Exercise, scale: float = 1.0) -> dict[str, dict[str, float]]:
    """Every quantity of the template, from the independent derivation (gradients times ``scale``)."""
    Ws = [[list(row) for row in W] for W in ex.weights]
    ref = reference("tutorial", Ws=Ws)
    data = {f"{n}{j + 1}": ref[n][j] for n in NODES for j in range(3)}
    grads = {f"{n}{j + 1}": scale * ref[f"dE/d{n}"][j] for n in NODES for j in range(3)}
    updates = {}
    for m, W in zip(MATRICES, Ws):
        a, b = m[2], m[3]
        for i in range(3):
            for j in range(3):
                g = scale * ref[f"dE/d{m}"][i][j]
                grads[f"W_{a}{i + 1}{b}{j + 1}"] = g
                updates[f"W_{a}{i + 1}{b}{j + 1}"] = W[i][j] - tutorial.LEARNING_RATE * g
    return {"data": data, "grads": grads, "updates": updates}


def fill(template: str, answers: dict[str, dict[str, float]], digits: int = 6) -> str:
    """The template with every blank replaced by the answer, printed to ``digits`` significant digits."""
    out, table = [], ""
    for line in template.splitlines():
        if line.startswith("["):
            table = line[1:].split("]")[0]
        if line.endswith(' = ""') and table in answers:
            name = line.split(" = ")[0]
            line = f'{name} = "{answers[table][name]:.{digits}g}"'
        out.append(line)
    return "\n".join(out) + "\n"


def test_worksheet_and_template_round_trip(tmp_path):
    assert main(["--seed", "7", "--out", str(tmp_path)]) == 0
    sheet = (tmp_path / "worksheet.md").read_text()
    doc = tomllib.loads((tmp_path / "answers.toml").read_text())
    ex = Exercise.make(7)
    assert doc["network"]["seed"] == 7 and doc["network"]["learning_rate"] == 0.01
    # one blank key per quantity, named the tutorial's way
    assert set(doc["data"]) == {f"{n}{j}" for n in NODES for j in (1, 2, 3)}
    assert len(doc["grads"]) == 18 + 27 and len(doc["updates"]) == 27
    assert "W_k1l2" in doc["grads"] and "W_i3j1" in doc["updates"]
    assert all(v == "" for table in ("data", "grads", "updates") for v in doc[table].values())
    # the worksheet shows this network's numbers and names every quantity
    for W in ex.weights:
        for row in W:
            assert " | ".join(f"{v:g}" for v in row) in sheet
    assert "dE/dW_k1l2" in sheet and "W_k1l2'" in sheet and "h1_in1" in sheet
    assert max(len(line) for line in sheet.splitlines()) <= 100
    # read back: the same exercise, nothing answered
    back, answers = exercise.read_answers(tmp_path / "answers.toml")
    assert back == ex and answers == {"data": {}, "grads": {}, "updates": {}}


def test_seeds_give_each_student_their_own_numbers():
    tut, a, b = Exercise.make(), Exercise.make(1), Exercise.make(2)
    assert tut.weights == (tutorial.W_IJ, tutorial.W_JK, tutorial.W_KL) and tut.seed is None
    assert a.weights != b.weights and a.weights != tut.weights
    assert Exercise.make(1) == a  # the same seed, the same network
    assert all(0.1 <= v <= 0.9 for W in a.weights for row in W for v in row)


def test_right_answers_agree(tmp_path, capsys):
    main(["--seed", "3", "--out", str(tmp_path)])
    template = (tmp_path / "answers.toml").read_text()
    (tmp_path / "filled.toml").write_text(fill(template, right_answers(Exercise.make(3))))
    assert check_main([str(tmp_path / "filled.toml")]) == 0
    out = capsys.readouterr().out
    assert "\n90 numbers checked against dE: 90 agree" in out


def test_a_planted_mistake_is_graded_with_its_cause(tmp_path, capsys):
    main(["--out", str(tmp_path)])  # the tutorial's own network
    template = (tmp_path / "answers.toml").read_text()
    answers = right_answers(Exercise.make())
    answers["grads"]["O_out2"] *= -1  # a sign error in one gradient, the rest right
    (tmp_path / "sign.toml").write_text(fill(template, answers))
    assert check_main([str(tmp_path / "sign.toml")]) == 1
    out = capsys.readouterr().out
    assert "First wrong step: dE/dO_out2." in out and "Cause: sign" in out
    assert "89 agree" in out

    # The loss's 1/n dropped: every gradient 3 times too large, and the updates made with them.
    (tmp_path / "factor.toml").write_text(fill(template, right_answers(Exercise.make(), scale=3.0)))
    assert check_main([str(tmp_path / "factor.toml")]) == 1
    out = capsys.readouterr().out
    assert "Cause: factor" in out and "x3: 1/3 in the graph (E) dropped" in out
    assert "18 agree" in out  # only the forward pass is right


def test_unanswered_template_and_partial_answers(tmp_path, capsys):
    main(["--out", str(tmp_path)])
    assert check_main([str(tmp_path / "answers.toml")]) == 1
    assert "no answers filled in" in capsys.readouterr().out
    text = (tmp_path / "answers.toml").read_text().replace('h1_in1 = ""', "h1_in1 = 1.35", 1)  # a TOML number
    (tmp_path / "one.toml").write_text(text)
    assert check_main([str(tmp_path / "one.toml")]) == 0
    out = capsys.readouterr().out
    assert "1 numbers checked" in out and "(89 quantities left blank.)" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("[network\nseed = 1", "not valid TOML"),
        ("[data]\nh1_in1 = 1.0\n", "no [network] table with a seed"),
        ('[network]\nseed = "x"\n', 'seed must be an integer or "tutorial"'),
        ("[network]\nseed = 1\n[data]\nh9_in1 = 1.0\n", "has no quantity h9_in1"),
        ("[network]\nseed = 1\n[data]\nh1_in1 = [1.0]\n", "must be a number"),
        ("[network]\nseed = 1\n[data]\nh1_in1 = \"one\"\n", "not a number"),
        ("[network]\nseed = 1\n[extra]\n", "unknown table(s) extra"),
        ("[network]\nseed = 1\nlearning_rate = 0.1\n", "learning_rate is 0.1"),
        ("[network]\nseed = 1\n[data]\nh1_in1 = 1e999\n", "h1_in1 must be a finite number"),
        ("[network]\nseed = 1\n[data]\nh1_in1 = nan\n", "h1_in1 must be a finite number"),
        ('[network]\nseed = 1\n[grads]\nW_i1j1 = "' + "9" * 400 + '"\n', "dE/dW_i1j1 must be a finite number"),
        (b"[network]\nseed = 1\n[data]\nh1_in1 = \"1.35\xe9\"\n", "not UTF-8 text (byte 40)"),
        ("[network]\nseed = 1\n[data]\nh1_in1 = " + "[" * 5000 + "]" * 5000 + "\n", "tables more than 10 deep"),
        ("[network]\nseed = 1\n[data]\nh1_in1 = {a = {b = {c = 1}}}\n", "must be a number"),
        ("[network]\nseed = 1\n[data.h1_in1]\nx = 1\n", "must be a number"),
        ("[network]\nseed = 1\nlearning_rate = nan\n", "learning_rate is nan"),
        ('[network]\nseed = 1\n[data]\n"\\u001b[2Jx\\nnew line" = 1\n', r"has no quantity '\x1b[2Jx\nnew line'"),
        ('[network]\nseed = 1\n["\\u001b]0;title\\u0007"]\n', r"unknown table(s) '\x1b]0;title\x07'"),
    ],
)
def test_a_bad_file_exits_2_with_a_clear_message(tmp_path, capsys, content, message):
    path = tmp_path / "answers.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert check_main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule check: ") and message in err and "Traceback" not in err
    assert err.count("\n") == 1  # one line


def test_an_endless_or_huge_answers_file_is_refused_unread(tmp_path, capsys):
    assert check_main(["/dev/zero"]) == 2
    assert "/dev/zero is larger than 1000000 bytes" in capsys.readouterr().err
    path = tmp_path / "answers.toml"
    path.write_text(exercise.template(Exercise.make()) + "#" * exercise.MAX_BYTES)
    assert check_main([str(path)]) == 2
    assert "larger than" in capsys.readouterr().err


def test_many_unknown_names_are_summed_up_in_one_short_line(tmp_path, capsys):
    path = tmp_path / "answers.toml"
    path.write_text("[network]\nseed = 1\n[data]\n" + "".join(f"q{k} = 1\n" for k in range(10_000)))
    assert check_main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "has no quantity q0, q1, q10, q100, q1000 and 9995 more" in err and len(err) < 300


def test_brackets_inside_strings_and_comments_are_not_nesting(tmp_path, capsys):
    main(["--out", str(tmp_path)])
    text = (tmp_path / "answers.toml").read_text()
    text = text.replace('h1_in1 = ""', 'h1_in1 = "1.35"  # [[[[[[[[[[[[[[[[ worked out ]]]]]]]]]]]]]]]]', 1)
    (tmp_path / "answers.toml").write_text("# " + "{" * 20 + "\n" + text)
    assert check_main([str(tmp_path / "answers.toml")]) == 0


def test_a_filled_answers_file_is_never_overwritten_without_force(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--out", str(tmp_path)]) == 0  # the same blank template again: nothing is lost
    answers = tmp_path / "answers.toml"
    filled = answers.read_text().replace('h1_in1 = ""', 'h1_in1 = "1.35"')
    answers.write_text(filled)
    worksheet = (tmp_path / "worksheet.md").read_bytes()
    capsys.readouterr()
    for argv in (["--out", str(tmp_path)], ["--seed", "5", "--out", str(tmp_path)]):
        assert main(argv) == 2
        assert "already holds other answers" in capsys.readouterr().err
        assert answers.read_text() == filled and (tmp_path / "worksheet.md").read_bytes() == worksheet
    assert main(["--seed", "5", "--out", str(tmp_path), "--force"]) == 0
    assert 'h1_in1 = ""' in answers.read_text() and "seed = 5" in answers.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.toml", "worksheet.md"]


def test_out_must_be_a_folder_that_can_be_written(tmp_path, capsys):
    file = tmp_path / "taken"
    file.write_text("mine")
    assert main(["--out", str(file)]) == 2
    assert "is a file" in capsys.readouterr().err and file.read_text() == "mine"
    assert main(["--out", str(file / "sub")]) == 2  # a folder under a file: cannot be made, even by root
    err = capsys.readouterr().err
    assert err.startswith("chainrule exercise: cannot write into --out") and "Not a directory" in err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root writes anywhere: then only the case above applies
            assert main(["--out", str(locked / "ex")]) == 2
            err = capsys.readouterr().err
            assert err.startswith("chainrule exercise: cannot write into --out") and "Traceback" not in err
            assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_the_module_runs_as_a_program(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    res = subprocess.run([sys.executable, "-m", "nn.lesson.exercise", "--seed", "2", "--out", str(tmp_path)],
                         cwd=root, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and (tmp_path / "worksheet.md").exists()
    res = subprocess.run([sys.executable, "-m", "nn.lesson.exercise", "check", str(tmp_path / "answers.toml")],
                         cwd=root, capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and "no answers filled in" in res.stdout
