"""The atomic writer: whole file or the old one, never a temporary left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from multitrack.atomic import DIR_MODE, FILE_MODE, atomic_file, atomic_path, write_text_atomic
from multitrack.errors import OutputError


def test_writes_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "song.json"
    write_text_atomic(target, "新的 take\n")
    assert target.read_text(encoding="utf-8") == "新的 take\n"
    assert [p.name for p in tmp_path.iterdir()] == ["song.json"]


def test_a_failing_writer_keeps_the_old_file_and_removes_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "song.mid"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="synth crashed"), atomic_file(target) as handle:
        handle.write(b"half a fi")
        raise RuntimeError("synth crashed")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["song.mid"]


def test_a_path_writer_is_renamed_into_place(tmp_path: Path) -> None:
    target = tmp_path / "melody.wav"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".melody.wav.")
        tmp.write_bytes(b"RIFF")
    assert target.read_bytes() == b"RIFF"
    assert [p.name for p in tmp_path.iterdir()] == ["melody.wav"]


def test_a_missing_folder_is_an_output_error_naming_the_file(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "song.json"
    with pytest.raises(OutputError, match=r"cannot write .*nowhere/song\.json"):
        write_text_atomic(target, "{}")


def test_a_file_system_error_inside_the_block_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "x.npz"
    with pytest.raises(OutputError, match="cannot write"), atomic_path(target) as tmp:
        tmp.write_bytes(b"part")
        raise OSError(28, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_files_get_the_mode_open_would_give_not_a_private_one(tmp_path: Path) -> None:
    """A temporary file is created 0600; renamed as it was, a take would be unreadable to
    a DAW or server running as another user."""
    write_text_atomic(tmp_path / "song.json", "{}")
    with atomic_path(tmp_path / "a.wav") as tmp:
        tmp.write_bytes(b"RIFF")
    for name in ("song.json", "a.wav"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == FILE_MODE
    assert FILE_MODE == 0o666 & ~_umask() and DIR_MODE == 0o777 & ~_umask()


def test_a_library_write_failing_on_a_full_disk_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libsndfile says "System error." on a full disk; the temporary file it left was
    removed before anyone looked at the free space, so the failure read as a crash."""
    import errno

    import multitrack.atomic as atomic

    monkeypatch.setattr(atomic, "_nearly_full", lambda folder: True)
    with pytest.raises(OSError) as caught, atomic_path(tmp_path / "drums.wav") as tmp:
        tmp.write_bytes(b"RIFF")
        raise RuntimeError("System error.")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(
        tmp_path / "drums.wav"
    )
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(atomic, "_nearly_full", lambda folder: False)
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "drums.wav"):
        raise RuntimeError("a bug of ours")
