"""nn.save's durability order, observed on disk: the new bytes are written out before the file is
fsynced, the fsync comes before the rename, and the folder is fsynced after it (issue 21)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import nn
from nn import io as nnio


def test_the_bytes_are_in_the_file_when_it_is_fsynced_and_the_rename_follows(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "model.json"
    nn.save(nn.MLP(2, [2], ["tanh"], seed=0), path)
    old = path.read_bytes()
    model = nn.MLP(2, [3, 1], ["tanh", "linear"], seed=1)
    real_fsync = os.fsync
    seen: list[tuple[str, bytes, bytes]] = []  # (what was synced, its bytes read anew, the real name's bytes)

    def observing_fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            seen.append(("folder", b"", path.read_bytes()))
        else:
            # Another descriptor reads what the OS holds: bytes still in Python's buffer are not there.
            (tmp,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            with open(tmp, "rb") as other:
                seen.append(("file", other.read(), path.read_bytes()))
        real_fsync(fd)

    monkeypatch.setattr(nnio.os, "fsync", observing_fsync)
    nn.save(model, path)
    monkeypatch.undo()
    new = path.read_bytes()
    assert new != old
    assert [kind for kind, _, _ in seen][:1] == ["file"]
    _, synced, named = seen[0]
    assert synced == new  # flushed before fsync: every byte of the new file is there to be synced
    assert named == old  # fsynced before the rename: the real name still held the old file
    if os.name == "posix":  # a folder can be opened (and fsynced) here: that makes the rename durable
        assert seen[1:] == [("folder", b"", new)]
    assert nn.load(path).state_dict() == model.state_dict()


def test_text_written_atomically_reads_back_exactly(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    text = "first line\nsecond: ünïcode ✓\n"
    nnio.write_atomically(target, text)
    assert target.read_bytes() == text.encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_temporary_file_is_hidden_beside_the_target(tmp_path: Path, monkeypatch) -> None:
    names: list[str] = []
    real_replace = os.replace

    def watching_replace(src: str, dst: object) -> None:
        names.append(os.path.basename(src))
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(nnio.os, "replace", watching_replace)
    nnio.write_atomically(tmp_path / "m.json", "{}\n")
    (name,) = names
    assert name.startswith(".m.json.") and name.endswith(".tmp") and len(name) == len(".m.json.") + 8 + 4
