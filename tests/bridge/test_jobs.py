"""The job board: bounded queue, one worker, cancel, status, exactly one terminal reply."""

from __future__ import annotations

import json
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from osc_testing import WAIT, Collector, gated, take_complete, terminal_count

from bridge import protocol
from bridge.commands.serve import example_runner
from bridge.jobs import JobBoard
from bridge.protocol import JobSpec, ProtocolError
from bridge.verbs import parse_request
from multitrack.errors import MusicError


def spec(job: str, prompt: str = "happy pop", *options: Any) -> JobSpec:
    _, parsed = parse_request(protocol.GENERATE, [job, prompt, *options])
    assert isinstance(parsed, JobSpec)
    return parsed


def accepted(job: str) -> protocol.Reply:
    return protocol.accepted(job, json.dumps({"job": job}))


def test_a_job_is_accepted_then_progresses_then_is_done(tmp_path: Path) -> None:
    board = JobBoard(example_runner(tmp_path))
    board.start()
    replies = Collector()
    board.submit(spec("j1", "a", "bpm", 96), replies, accepted("j1"))
    replies.wait_for(lambda r: terminal_count(r, "j1") == 1)
    board.shutdown(grace=0)
    addresses = replies.addresses("j1")
    assert addresses[0] == "/multitrack/accepted"
    assert addresses[-1] == "/multitrack/done"
    assert "/multitrack/progress" in addresses
    fractions = [args[1] for a, args in replies.replies if a == "/multitrack/progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    done = replies.replies[-1][1]
    assert done[1] == str(tmp_path / "j1")
    assert [Path(p).name for p in done[2:]] == [
        "song.json", "song.mid", "melody.wav", "chords.wav", "bass.wav", "drums.wav",
    ]  # fmt: skip
    assert take_complete(tmp_path / "j1")
    record = json.loads((tmp_path / "j1" / "song.json").read_text(encoding="utf-8"))
    assert (record["job"], record["prompt"], record["tempo"]) == ("j1", "a", 96.0)
    assert board.status("j1")["state"] == "done"


def test_bounded_queue_refuses_busy_and_duplicates(tmp_path: Path) -> None:
    gate, started = threading.Event(), threading.Event()
    board = JobBoard(gated(example_runner(tmp_path), gate, started), capacity=2)
    board.start()
    replies = Collector()
    board.submit(spec("run"), replies, accepted("run"))
    assert started.wait(WAIT)  # the worker holds "run"; the queue is empty again
    board.submit(spec("q1"), replies, accepted("q1"))
    board.submit(spec("q2"), replies, accepted("q2"))
    with pytest.raises(ProtocolError) as busy:
        board.submit(spec("q3"), replies, accepted("q3"))
    assert busy.value.code == "busy"
    with pytest.raises(ProtocolError) as dup:
        board.submit(spec("q1"), replies, accepted("q1"))
    assert dup.value.code == "duplicate_job"
    status = board.status()
    assert (status["running"], status["queued"], status["capacity"]) == ("run", 2, 2)
    assert board.status("q2")["position"] == 2
    gate.set()
    replies.wait_for(lambda r: all(terminal_count(r, j) == 1 for j in ("run", "q1", "q2")))
    board.shutdown(grace=0)
    assert not board.knows("q3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q1", "q2", "run"]


def test_cancel_a_queued_job(tmp_path: Path) -> None:
    gate, started = threading.Event(), threading.Event()
    board = JobBoard(gated(example_runner(tmp_path), gate, started))
    board.start()
    replies = Collector()
    board.submit(spec("first"), replies, accepted("first"))
    assert started.wait(WAIT)
    board.submit(spec("second"), replies, accepted("second"))
    snapshot = board.cancel("second")
    assert snapshot["state"] == "cancelled"
    gate.set()
    replies.wait_for(lambda r: terminal_count(r, "first") == 1)
    board.shutdown(grace=0)
    assert replies.addresses("second") == ["/multitrack/accepted", "/multitrack/error"]
    error = replies.replies[replies.addresses().index("/multitrack/error")][1]
    assert error[:2] == ["second", "cancelled"]
    assert not (tmp_path / "second").exists()
    with pytest.raises(ProtocolError) as unknown:
        board.cancel("never")
    assert unknown.value.code == "unknown_job"


def test_cancel_mid_take_leaves_nothing_half_written(tmp_path: Path) -> None:
    board = JobBoard(example_runner(tmp_path))
    board.start()
    replies = Collector()
    asked: list[dict[str, Any]] = []

    def cancel_when_rendering(address: str, args: list[Any]) -> None:
        if address == "/multitrack/progress" and args[2] == "rendering chords" and not asked:
            asked.append(board.cancel("mid"))

    replies.hook = cancel_when_rendering
    board.submit(spec("mid"), replies, accepted("mid"))
    replies.wait_for(lambda r: terminal_count(r, "mid") == 1)
    board.shutdown(grace=0)
    assert asked[0]["state"] == "running" and asked[0]["stage"] == "cancelling"
    address, args = replies.replies[-1]
    assert (address, args[:2]) == ("/multitrack/error", ["mid", "cancelled"])
    assert "nothing was written" in args[2]
    assert list(tmp_path.iterdir()) == []  # neither the take nor its hidden build folder
    assert board.status("mid")["state"] == "cancelled"


def test_runner_failures_become_error_replies(tmp_path: Path) -> None:
    def fails(job_spec: Any, progress: Any, cancelled: Any) -> Any:
        if job_spec.job == "music":
            raise MusicError("tempo must be 20-400 BPM, got 900")
        raise RuntimeError("the model fell over")

    board = JobBoard(fails)
    board.start()
    replies = Collector()
    board.submit(spec("music"), replies, accepted("music"))
    board.submit(spec("crash"), replies, accepted("crash"))
    replies.wait_for(lambda r: terminal_count(r, "music") + terminal_count(r, "crash") == 2)
    board.shutdown(grace=0)
    errors = {args[0]: args[1:] for a, args in replies.replies if a == "/multitrack/error"}
    assert errors["music"] == ["bad_value", "tempo must be 20-400 BPM, got 900"]
    assert errors["crash"] == ["internal", "internal error: RuntimeError: the model fell over"]
    assert board.status("crash")["error"]["code"] == "internal"


def test_shutdown_answers_every_job_once(tmp_path: Path) -> None:
    gate, started = threading.Event(), threading.Event()
    board = JobBoard(gated(example_runner(tmp_path), gate, started))
    board.start()
    replies = Collector()
    for job in ("a", "b", "c"):
        board.submit(spec(job), replies, accepted(job))
    assert started.wait(WAIT)
    gate.set()  # "a" runs on; "b" and "c" are still queued
    board.shutdown(grace=WAIT)
    for job in ("a", "b", "c"):
        assert terminal_count(replies.replies, job) == 1
    assert replies.addresses("a")[-1] == "/multitrack/done"
    for job in ("b", "c"):
        last = [args for a, args in replies.replies if args[0] == job][-1]
        assert last[1] == "cancelled" and "shutting down" in last[2]
    with pytest.raises(ProtocolError) as info:
        board.submit(spec("late"), replies, accepted("late"))
    assert info.value.code == "shutting_down"


def test_shutdown_cancels_a_running_job_after_the_grace(tmp_path: Path) -> None:
    board = JobBoard(example_runner(tmp_path, pause=WAIT))  # each stage would wait WAIT s
    board.start()
    replies = Collector()
    board.submit(spec("slow"), replies, accepted("slow"))
    replies.wait_for(lambda r: board.status("slow")["state"] == "running")
    board.shutdown(grace=0)
    assert terminal_count(replies.replies, "slow") == 1
    assert replies.replies[-1][1][:2] == ["slow", "cancelled"]
    assert list(tmp_path.iterdir()) == []


def finished(replies: list[tuple[str, list[Any]]], *, job: str) -> bool:
    return terminal_count(replies, job) == 1


def test_history_is_bounded(tmp_path: Path) -> None:
    board = JobBoard(example_runner(tmp_path), history=1)
    board.start()
    replies = Collector()
    for job in ("h1", "h2"):
        board.submit(spec(job, "x", "bpm", 100), replies, accepted(job))
        replies.wait_for(partial(finished, job=job))
    board.shutdown(grace=0)
    assert not board.knows("h1") and board.knows("h2")


def test_a_job_whose_accepted_record_fails_is_dropped_with_its_error(tmp_path: Path) -> None:
    board = JobBoard(example_runner(tmp_path))
    board.start()
    replies = Collector()

    def refuse() -> protocol.Reply:
        raise MusicError("meter 5/4 is not supported; use one of 4/4, 3/4, 2/4, 6/8")

    board.submit(spec("odd"), replies, refuse)
    board.submit(spec("fine"), replies, lambda: accepted("fine"))
    replies.wait_for(lambda r: terminal_count(r, "odd") + terminal_count(r, "fine") == 2)
    board.shutdown(grace=0)
    assert replies.addresses("odd") == ["/multitrack/error"]
    assert replies.replies[0][1][:2] == ["odd", "bad_value"]
    assert replies.addresses("fine")[0] == "/multitrack/accepted"
    assert board.status("odd")["state"] == "failed"
    assert [p.name for p in tmp_path.iterdir()] == ["fine"]
