"""The read-only-folder branches, checked as a user who cannot write there, also when the tests run
as root (CI does, and root writes anywhere): the check runs in a child process which, started as
root, first writes once where it may (so every lazy import is done: root's Python may be out of
nobody's reach), then drops to the unprivileged ``nobody`` user (uid and gid 65534)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534

# Run in the child: what each writer does with a folder it may not write to.
CHILD = """
import json, os, sys
from pathlib import Path
import nn
from autograd import Value
from autograd.draw import draw_graph

locked, warm = Path(sys.argv[1]), Path(sys.argv[2])
writers = {
    "picture": lambda folder: draw_graph(Value(1.0, "a") * 2.0).save_svg(folder / "g.svg"),
    "model": lambda folder: nn.save(nn.MLP(2, [1], ["linear"], seed=0), folder / "model.json"),
}
for write in writers.values():
    write(warm)
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
out = {"uid": os.geteuid(), "writable": os.access(locked, os.W_OK)}
for name, write in writers.items():
    try:
        write(locked)
        out[name] = ["wrote", ""]
    except Exception as err:
        out[name] = [type(err).__name__, str(err)]
print(json.dumps(out))
"""


@pytest.fixture
def locked_folder() -> Iterator[Path]:
    """A folder the child may read but not write: ours with mode 0o500, or root's 0o755 under root."""
    if os.name != "posix":
        pytest.skip("folder permissions as tested here are POSIX ones")
    base = Path(tempfile.mkdtemp(prefix="chainrule-readonly-"))
    locked = base / "locked"
    locked.mkdir()
    try:
        base.chmod(0o755)  # the unprivileged child must reach the folder
        locked.chmod(0o755 if os.geteuid() == 0 else 0o500)
        yield locked
    finally:
        locked.chmod(0o700)
        for p in locked.iterdir():
            p.unlink()
        locked.rmdir()
        base.rmdir()


def run_unprivileged(locked: Path, warm: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-c", f"NOBODY = {NOBODY}\n{CHILD}", str(locked), str(warm)],
        capture_output=True, text=True, timeout=120, env=env, cwd=locked.parent, check=False,
    )
    assert res.returncode == 0, res.stderr
    return dict(json.loads(res.stdout))


def test_writers_refuse_a_read_only_folder_with_one_clear_error_and_leave_it_empty(
    locked_folder: Path, tmp_path: Path
) -> None:
    out = run_unprivileged(locked_folder, tmp_path)
    assert out["uid"] != 0 and out["writable"] is False
    kind, message = out["picture"]  # type: ignore[misc]
    assert kind == "PermissionError" and f"cannot write the picture to {locked_folder / 'g.svg'}" in message
    assert len(message.splitlines()) == 1
    kind, message = out["model"]  # type: ignore[misc]
    assert kind == "PermissionError" and str(locked_folder) in message
    assert list(locked_folder.iterdir()) == []  # no picture, no model, no temporary file
