"""``multitrack send``: one JSON line and an exit code a DAW script can trust."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from osc_testing import ServeProcess, running_server, take_complete, tiny_checkpoint

from bridge.arguments import JOB_ID
from bridge.cli import main
from bridge.client import new_job_id


def send(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["send", *argv])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return code, json.loads(lines[0])


def test_send_generate_wait_prints_the_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_server(tmp_path) as server:
        port = str(server.address[1])
        code, record = send(
            capsys, "generate", "一段舒缓的古筝独奏", "--bars", "8", "--bpm", "72",
            "--job", "zheng", "--wait", "--notes", "--port", port,
        )  # fmt: skip
        assert code == 0 and record["ok"] is True
        assert record["job"] == "zheng" and record["take_dir"] == str(tmp_path / "zheng")
        assert set(record["files"]) == {"json", "midi", "melody", "chords", "bass", "drums"}
        assert record["song"]["prompt"] == "一段舒缓的古筝独奏"
        assert record["song"]["tempo"] == 72.0
        assert record["attributes"]["bars"] == 8
        assert sorted(record["notes"]) == ["bass", "chords", "drums", "melody"]
        assert take_complete(tmp_path / "zheng")

        code, record = send(capsys, "regenerate", "zheng", "--chords", "Dm G C Am",
                            "--job", "zheng-2", "--wait", "--port", port)  # fmt: skip
        assert code == 0 and record["take_dir"] == str(tmp_path / "zheng-2")

        code, record = send(capsys, "status", "zheng", "--port", port)
        assert code == 0 and record["state"]["state"] == "done"
        code, record = send(capsys, "ping", "--port", port)
        assert code == 0 and record["version"].endswith("osc/1")


def test_send_wait_shows_the_ambience_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A prompt asking for rain gets ambience.wav; `done` carries its path (a 9th argument)
    and the JSON's files name it. The real server, model pipeline and take writer."""
    out = tmp_path / "out"
    server = ServeProcess(out, "--checkpoint", str(tiny_checkpoint()), log=tmp_path / "serve.log")
    try:
        port = str(server.port)
        code, record = send(capsys, "generate", "一段古筝独奏,带有雨声环境音", "--bars", "2",
                            "--steps", "2", "--job", "rain", "--wait", "--port", port)  # fmt: skip
        assert code == 0 and record["ok"] is True, record
        ambience = out.resolve() / "rain" / "ambience.wav"
        assert record["files"]["ambience"] == str(ambience) and ambience.is_file()
        assert record["song"]["files"]["ambience"] == "ambience.wav"
        code, record = send(capsys, "generate", "一段古筝独奏", "--bars", "2", "--steps", "2",
                            "--job", "dry", "--wait", "--port", port)  # fmt: skip
        assert code == 0 and "ambience" not in record["files"]
        assert len(record["files"]) == 6
    finally:
        server.kill()


def test_send_without_wait_prints_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_server(tmp_path) as server:
        port = str(server.address[1])
        code, record = send(capsys, "generate", "lofi", "--port", port)
        assert code == 0 and record["ok"] is True
        assert JOB_ID.fullmatch(record["job"]) and "attributes" in record
        code, state = send(capsys, "status", record["job"], "--port", port)
        assert code == 0 and state["state"]["job"] == record["job"]


def test_send_error_reply_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_server(tmp_path) as server:
        port = str(server.address[1])
        code, record = send(capsys, "generate", "p", "--bars", "0", "--job", "b", "--port", port)
        assert code == 1
        assert record == {
            "ok": False, "job": "b", "code": "bad_value", "message": "bars must be 1-64, got 0",
        }  # fmt: skip
        code, record = send(capsys, "regenerate", "missing", "--job", "r", "--wait", "--port", port)
        assert (code, record["code"]) == (1, "unknown_take")
        code, record = send(capsys, "cancel", "ghost", "--port", port)
        assert (code, record["code"]) == (1, "unknown_job")


def test_send_times_out_with_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        port = str(silent.getsockname()[1])
        code, record = send(capsys, "ping", "--port", port, "--timeout", "0.3")
        assert code == 3 and record["code"] == "timeout"
        code, record = send(capsys, "generate", "p", "--wait", "--port", port, "--timeout", "0.3")
        assert code == 3 and record["code"] == "timeout" and record["ok"] is False


def test_send_checks_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "ping", "--port", "70000"]) == 2
    assert "--port must be 1-65535" in capsys.readouterr().err


def test_new_job_ids_are_valid_and_distinct() -> None:
    ids = {new_job_id() for _ in range(100)}
    assert len(ids) == 100 and all(JOB_ID.fullmatch(i) for i in ids)


def test_a_query_to_a_silent_port_gives_up_in_seconds_not_a_jobs_two_minutes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`multitrack send ping` with no server waited the jobs' 120 s."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, so no port-unreachable: it just never answers
        code, record = send(capsys, "ping", "--port", str(silent.getsockname()[1]))
    assert code == 3 and record["code"] == "timeout"
    assert " in 5 s" in record["message"]
