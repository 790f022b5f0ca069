"""OSC ``/multitrack/refine`` and ``/multitrack/rate`` over real UDP on 127.0.0.1, with the
tiny model writing real takes."""

from __future__ import annotations

import json
from pathlib import Path

from osc_testing import WAIT, running_server, take_complete

from bridge import protocol
from bridge.client import OscClient
from bridge.commands.serve import model_runner
from multitrack.prefs import PreferenceStore


def _state_or_error(client: OscClient, address: str, args: list[object]) -> tuple[str, list]:
    job = str(args[0])
    reply = client.request(
        address, args, timeout=WAIT,
        until=lambda r: r.job == job and r.address in (protocol.STATE, protocol.ERROR),
    )  # fmt: skip
    assert reply is not None
    return reply.address, list(reply.args)


def test_refine_and_rate_over_osc(tiny_checkpoint: Path, tmp_path: Path) -> None:
    runner = model_runner(tmp_path, tiny_checkpoint, soundfont=None, sample_rate=44100)
    with running_server(tmp_path, runner) as server, OscClient(*server.address, timeout=WAIT) as c:
        first = c.run_job(protocol.GENERATE, ["t1", "一段舒缓的古筝曲", "bars", 4, "steps", 2])
        assert first.ok, first.to_json()
        result = c.run_job(protocol.REFINE, ["t2", "t1", "太沉闷了,再快一点", "steps", 2])
        assert result.ok, result.to_json()
        assert result.attributes is not None
        assert result.attributes["from_job"] == "t1"
        assert result.attributes["feedback"]["energy"] == 1
        assert take_complete(tmp_path / "t2")
        record = json.loads((tmp_path / "t2" / "song.json").read_text(encoding="utf-8"))
        old = json.loads((tmp_path / "t1" / "song.json").read_text(encoding="utf-8"))
        assert record["refine"]["source_take"] == "t1" and record["tempo"] > old["tempo"]

        address, args = _state_or_error(c, protocol.RATE, ["t2", 1])
        assert address == protocol.STATE, args
        assert json.loads(args[1]) == {"rated": 1, "ratings": 1, "preferences_active": False}
        store = PreferenceStore.open(tmp_path)
        assert [(t, r) for t, r, _ in store.ratings()] == [("t2", 1)]
        assert store.feedback() == [("t1", "太沉闷了,再快一点", "t2")]
        store.close()

        # bad input: one error reply each, nothing written
        assert _state_or_error(c, protocol.RATE, ["t2", 2])[1][1] == "bad_value"
        assert _state_or_error(c, protocol.RATE, ["nope", 1])[1][1] == "unknown_take"
        bad = c.run_job(protocol.REFINE, ["t3", "t1", "嗯……"])
        assert bad.terminal is not None and bad.terminal.args[1] == "bad_feedback"
        # the CLI's words: it used to say "nothing ... says what to change"
        both = c.run_job(protocol.REFINE, ["t5", "t1", "faster, slower"])
        assert both.terminal is not None and both.terminal.args[1] == "bad_feedback"
        assert "cancel each other out" in both.terminal.args[2]
        missing = c.run_job(protocol.REFINE, ["t4", "nope", "more drums"])
        assert missing.terminal is not None and missing.terminal.args[1] == "unknown_take"
        assert not (tmp_path / "t3").exists() and not (tmp_path / "t4").exists()


def test_a_progression_longer_than_the_take_is_refused_over_osc(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    runner = model_runner(tmp_path, tiny_checkpoint, soundfont=None, sample_rate=44100)
    with running_server(tmp_path, runner) as server, OscClient(*server.address, timeout=WAIT) as c:
        first = c.run_job(protocol.GENERATE, ["t1", "pop in C", "bars", 4, "steps", 2])
        assert first.ok, first.to_json()
        long = c.run_job(protocol.REGENERATE, ["t2", "t1", "chords", "C G Am F C", "steps", 2])
        assert long.terminal is not None and long.terminal.address == protocol.ERROR
        assert long.terminal.args[1] == "bad_request"
        assert "lasts 5 bars but the take has 4" in str(long.terminal.args[2])
        assert not (tmp_path / "t2").exists()
        looped = c.run_job(protocol.REGENERATE, ["t3", "t1", "chords", "Am F", "steps", 2])
        assert looped.ok, looped.to_json()
        record = json.loads((tmp_path / "t3" / "song.json").read_text(encoding="utf-8"))
        assert [r["symbol"] for r in record["chords"]] == ["Am", "F", "Am", "F"]


def test_an_extend_that_adds_no_bars_is_refused(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """It regenerated every note of the take (osc.md promises every old note kept)."""
    runner = model_runner(tmp_path, tiny_checkpoint, soundfont=None, sample_rate=44100)
    with running_server(tmp_path, runner) as server, OscClient(*server.address, timeout=WAIT) as c:
        assert c.run_job(protocol.GENERATE, ["t1", "pop in C", "bars", 2, "steps", 2]).ok
        for job, args in (("t2", []), ("t3", ["bars", 0]), ("t4", ["bars", 0, "intro", 0])):
            result = c.run_job(protocol.EXTEND, [job, "t1", *args, "steps", 2])
            assert result.terminal is not None and result.terminal.args[1] == "bad_request"
            assert not (tmp_path / job).exists()
        assert c.run_job(protocol.EXTEND, ["t5", "t1", "intro", 1, "steps", 2]).ok


def test_osc_refuses_with_the_codes_its_docs_give(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """Empty feedback was bad_request "prompt is empty" (docs: bad_feedback); a form that
    does not fit was bad_value "an equal share of 0 bars" (docs: bad_request); keeping
    the chords under new ones kept a stem that contradicted its labels."""
    runner = model_runner(tmp_path, tiny_checkpoint, soundfont=None, sample_rate=44100)
    with running_server(tmp_path, runner) as server, OscClient(*server.address, timeout=WAIT) as c:
        assert c.run_job(protocol.GENERATE, ["t1", "pop in C", "bars", 2, "steps", 2]).ok
        empty = c.run_job(protocol.REFINE, ["t2", "t1", "  "])
        assert empty.terminal is not None and empty.terminal.args[1] == "bad_feedback"
        assert "feedback is empty" in str(empty.terminal.args[2])
        form = c.run_job(
            protocol.GENERATE, ["t3", "pop", "bars", 4, "form", "intro A A B A outro", "steps", 2]
        )
        assert form.terminal is not None and form.terminal.args[1] == "bad_request"
        assert "after 4 bars of intro and outro, 4 sections" in str(form.terminal.args[2])
        kept = c.run_job(
            protocol.REGENERATE, ["t4", "t1", "keep", "chords", "chords", "Dm G", "steps", 2]
        )
        assert kept.terminal is not None and kept.terminal.args[1] == "bad_request"
        assert not any((tmp_path / j).exists() for j in ("t2", "t3", "t4"))
