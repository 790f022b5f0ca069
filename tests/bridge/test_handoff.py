"""``multitrack generate`` handing a plain new take to a running server (real sockets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from osc_testing import free_port, preview_appears, running_server, take_complete

from bridge.cli import build_parser, main
from bridge.handoff import can_hand_off, hand_off, served
from models.precision import DEFAULT_PRECISION, PRECISIONS


def _args(*flags: str) -> object:
    return build_parser().parse_args(["generate", "pop", *flags])


NOT_DEFAULT = next(p for p in PRECISIONS if p != DEFAULT_PRECISION)


def test_only_plain_new_takes_are_handed_off() -> None:
    assert can_hand_off(_args("--bars", "4", "--seed", "2", "--key", "Am", "--form", "AABA"))
    for flags in (["--local"], ["--from", "out/take-001"], ["--chords", "Am F"],
                  ["--checkpoint", "x.pt"], ["--soundfont", "a.sf2"], ["--sample-rate", "48000"],
                  ["--precision", NOT_DEFAULT], ["--extend", "4"], ["--keep", "bass"]):  # fmt: skip
        assert not can_hand_off(_args(*flags)), flags


def test_generate_hands_the_job_to_the_server_owning_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_server(tmp_path) as server:
        monkeypatch.setenv("MULTITRACK_SERVE_PORT", str(server.address[1]))
        assert served(tmp_path)
        code = main(["generate", "upbeat pop", "--bars", "4", "--bpm", "100", "--out",
                     str(tmp_path), "--json"])  # fmt: skip
        assert code == 0
        out, err = capsys.readouterr()
        assert "handing the job to multitrack serve on udp://127.0.0.1:" in err
        record = json.loads(out)
        assert record["model"] == "example" and record["take"] == "take-001"  # the server's
        assert record["tempo"] == 100.0
        assert take_complete(tmp_path / "take-001") and preview_appears(tmp_path / "take-001")
        # the server's own refusal comes back as the command's one-line error
        assert main(["generate", "pop", "--name", "take-001", "--out", str(tmp_path)]) == 2
        notice, error = capsys.readouterr().err.strip().splitlines()
        assert notice.startswith("multitrack: handing the job to multitrack serve")
        assert error.startswith("multitrack: error: multitrack serve: a take named 'take-001'")


def test_no_hand_off_without_a_server_owning_out_or_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = build_parser().parse_args(["generate", "pop", "--out", str(tmp_path / "a")])
    assert not served(tmp_path / "a") and hand_off(args) is None  # no server owns the folder
    with running_server(tmp_path / "a"):
        monkeypatch.setenv("MULTITRACK_SERVE_PORT", str(free_port()))  # nothing answers there
        assert served(tmp_path / "a") and hand_off(args) is None
    assert not served(tmp_path / "a")  # the stopped server's lock is gone
