"""Faults against the real `multitrack serve` process: SIGKILL mid-job then restart, cancel
mid-job, SIGTERM with jobs in flight. Takes are all or nothing; earlier takes stay intact."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from osc_testing import WAIT, ServeProcess, preview_appears, take_complete, tiny_checkpoint

from bridge import protocol
from bridge.client import OscClient, Reply
from bridge.outdir import LOCK_NAME


def snapshot(take_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(take_dir.iterdir())}


def visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name != LOCK_NAME)


def wait_progress(client: OscClient, job: str, stage_prefix: str) -> Reply:
    """The first progress reply of ``job`` whose stage starts with ``stage_prefix``."""
    while True:
        reply = client.receive(WAIT)
        assert reply is not None, f"no {stage_prefix} progress for {job}"
        assert reply.address not in (protocol.DONE, protocol.ERROR) or reply.job != job, reply
        if reply.address == protocol.PROGRESS and reply.job == job:
            if str(reply.args[2]).startswith(stage_prefix):
                return reply


def terminals(client: OscClient, *jobs: str) -> dict[str, Reply]:
    """The terminal reply of each job, in whatever order they come."""
    found: dict[str, Reply] = {}
    while len(found) < len(jobs):
        reply = client.receive(WAIT)
        assert reply is not None, f"no terminal reply for {set(jobs) - set(found)}"
        if reply.job in jobs and reply.address in (protocol.DONE, protocol.ERROR):
            assert reply.job not in found, f"two terminal replies for {reply.job}"
            found[reply.job] = reply
    return found


def test_sigkill_mid_job_then_restart_then_cancel(tmp_path: Path) -> None:
    out, log = tmp_path / "out", tmp_path / "serve.log"
    model = ["--checkpoint", str(tiny_checkpoint())]
    server = ServeProcess(out, *model, log=log)
    with OscClient("127.0.0.1", server.port, timeout=WAIT) as client:
        assert client.run_job(protocol.GENERATE, ["before", "pop", "bars", 2, "steps", 4]).ok
        assert preview_appears(out / "before")  # drawn just after `done`
        before = snapshot(out / "before")
        client.send(protocol.GENERATE, ["victim", "pop", "bars", 2, "steps", 4])
        wait_progress(client, "victim", "rendering")  # the take is being written now
        server.kill()
    # Whatever the kill interrupted is either whole or invisible.
    assert visible(out) in (["before"], ["before", "victim"])
    for name in visible(out):
        assert take_complete(out / name)
    server = ServeProcess(out, *model, log=log)
    try:
        assert hidden(out) == []  # the unfinished build folder was removed at start
        assert snapshot(out / "before") == before
        taken = visible(out)
        with OscClient("127.0.0.1", server.port, timeout=WAIT) as client:
            # Cancel mid-job on the restarted server: nothing half-written stays behind.
            client.send(protocol.GENERATE, ["stop-me", "pop", "steps", 200])
            wait_progress(client, "stop-me", "sampling")
            client.send(protocol.CANCEL, ["stop-me"])
            reply = terminals(client, "stop-me")["stop-me"]
            assert reply.address == protocol.ERROR and reply.args[1] == "cancelled", reply
            # The cancel's own acknowledgement (running, "cancelling") is sent by the receive
            # loop and may arrive after the job's terminal error; the job's state once both
            # are in is what counts: the second status answers after both.
            states = [client.status("stop-me") for _ in range(2)]
            assert states[-1] is not None and json.loads(states[-1].args[1])["state"] == "cancelled"
            assert visible(out) == taken and hidden(out) == []
            again = "victim" if "victim" not in taken else "victim-2"
            assert client.run_job(protocol.GENERATE, [again, "pop", "bars", 2, "steps", 4]).ok
        assert snapshot(out / "before") == before
    finally:
        server.kill()


def test_sigkill_while_half_written_then_sigterm_without_grace(tmp_path: Path) -> None:
    """The example runner pauses inside the take writer, so the kill surely lands mid-write;
    the restarted server (--grace 0) then cancels its running job on SIGTERM."""
    out, log = tmp_path / "out", tmp_path / "serve.log"
    slow = ["--example", "--example-pause", "30"]
    server = ServeProcess(out, *slow, log=log)
    with OscClient("127.0.0.1", server.port, timeout=WAIT) as client:
        client.send(protocol.GENERATE, ["half", "pop"])
        wait_progress(client, "half", "rendering")
        server.kill()
    assert visible(out) == [] and len(hidden(out)) == 1
    assert (out / hidden(out)[0] / "song.mid").is_file()  # really half a take
    server = ServeProcess(out, *slow, "--grace", "0", log=log)
    assert hidden(out) == [] and visible(out) == []
    with OscClient("127.0.0.1", server.port, timeout=WAIT) as client:
        client.send(protocol.GENERATE, ["running", "pop"])
        wait_progress(client, "running", "rendering")
        server.proc.send_signal(signal.SIGTERM)
        reply = terminals(client, "running")["running"]
        code, stdout = server.terminate()
    assert code == 0 and "stopped" in stdout
    assert reply.address == protocol.ERROR and reply.args[1] == "cancelled"
    assert "shutting down" in reply.args[2]
    assert visible(out) == [] and hidden(out) == []


def test_sigterm_finishes_the_running_job_and_cancels_the_queue(tmp_path: Path) -> None:
    out = tmp_path / "out"
    model = ["--checkpoint", str(tiny_checkpoint())]
    server = ServeProcess(out, *model, "--grace", str(WAIT), log=tmp_path / "serve.log")
    with OscClient("127.0.0.1", server.port, timeout=WAIT) as client:
        for job in ("first", "second", "third"):
            client.send(protocol.GENERATE, [job, "pop", "bars", 2, "steps", 4])
        wait_progress(client, "first", "sampling")
        server.proc.send_signal(signal.SIGTERM)
        replies = terminals(client, "first", "second", "third")
        code, stdout = server.terminate()
    assert code == 0 and "stopped" in stdout
    assert replies["first"].address == protocol.DONE, replies["first"]
    assert replies["third"].address == protocol.ERROR and replies["third"].args[1] == "cancelled"
    assert "shutting down" in replies["third"].args[2]
    assert replies["second"].address in (protocol.DONE, protocol.ERROR)
    for name in visible(out):
        assert take_complete(out / name)
    assert "first" in visible(out) and "third" not in visible(out) and hidden(out) == []
