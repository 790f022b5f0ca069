"""One request, built one way: the CLI and OSC make the same ``GenerateRequest`` (through
``models.request.build_request``) and write the same song.json ``edit`` record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from osc_testing import WAIT, running_server, tiny_checkpoint

from bridge import protocol, verbs
from bridge.cli import build_parser, main
from bridge.client import OscClient
from bridge.commands.generate import build_request as cli_request
from bridge.commands.serve import model_runner
from bridge.protocol import JobSpec
from bridge.resolution import job_request
from models.request import GenerateRequest
from multitrack.example import example_song
from multitrack.progression import read_progression
from multitrack.take import write_take

EDITS: list[tuple[list[str], list[object]]] = [
    (["--chords", "C Am:2 F:2 G7"], ["chords", "C Am:2 F:2 G7"]),
    (["--keep", "chords,bass", "--seed", "9"], ["keep", "chords,bass", "seed", 9]),
    (["--repaint", "3-4", "--guidance", "3.5", "--steps", "7"],
     ["repaint", "3-4", "guidance", 3.5, "steps", 7]),
]  # fmt: skip


def osc_request(out: Path, args: list[object]) -> GenerateRequest:
    _, spec = verbs.parse_request(protocol.REGENERATE, ["edit", "src", *args])
    assert isinstance(spec, JobSpec)
    return job_request(spec, out)


@pytest.mark.parametrize(("flags", "options"), EDITS)
def test_the_cli_and_osc_build_the_same_edit(
    tmp_path: Path, flags: list[str], options: list[object]
) -> None:
    write_take(example_song(), tmp_path, name="src", meta={"prompt": "lofi", "seed": 4})
    args = build_parser().parse_args(["generate", "", "--from", str(tmp_path / "src"), *flags])
    from_cli, from_osc = cli_request(args), osc_request(tmp_path, options)
    assert from_cli == from_osc
    assert from_cli.edit_record() == from_osc.edit_record()
    assert (from_cli.prompt, from_cli.source is not None) == ("lofi", True)


def test_chords_are_typed_once_where_they_enter(tmp_path: Path) -> None:
    write_take(example_song(), tmp_path, name="src", meta={"prompt": "x"})
    request = osc_request(tmp_path, ["chords", "Cmin7 | F G |"])
    assert request.progression == read_progression("Cmin7 | F G |")
    assert [c.symbol for c in request.progression.chords] == ["Cm7", "F", "G"]
    assert request.edit_record() == {
        "keep": [], "repaint": None, "forced_chords": True, "extend": 0, "prepend": 0,
    }  # fmt: skip


def test_song_json_edit_record_is_the_same_from_the_cli_and_osc(tmp_path: Path) -> None:
    checkpoint = str(tiny_checkpoint())
    out = tmp_path / "out"
    common = ["--bars", "2", "--steps", "2", "--out", str(out), "--checkpoint", checkpoint]
    assert main(["generate", "pop in C", "--name", "src", *common]) == 0
    edit = ["--chords", "C:2 Am:2 F:2 G7:2", "--keep", "drums"]
    assert main(["generate", "", "--from", str(out / "src"), "--name", "cli", *edit,
                 "--out", str(out), "--checkpoint", checkpoint, "--steps", "2"]) == 0  # fmt: skip
    runner = model_runner(out, tiny_checkpoint(), soundfont=None, sample_rate=44100)
    with running_server(out, runner) as server, OscClient(*server.address, timeout=WAIT) as c:
        options = ["chords", "C:2 Am:2 F:2 G7:2", "keep", "drums", "steps", 2]
        assert c.run_job(protocol.REGENERATE, ["osc", "src", *options]).ok
    records = [
        json.loads((out / n / "song.json").read_text(encoding="utf-8")) for n in ("cli", "osc")
    ]
    assert records[0]["edit"] == records[1]["edit"] == {
        "keep": ["drums"], "repaint": None, "forced_chords": True, "extend": 0, "prepend": 0,
    }  # fmt: skip
    assert [r["chords"] for r in records[0:1]] == [records[1]["chords"]]


def test_a_long_chords_clip_is_sent_compact_and_reads_as_the_same_chords() -> None:
    from bridge.arguments import compact_chord_notes, parse_chord_notes
    from bridge.wire import encode_message
    from models.request import recognise_chord_notes
    from multitrack.song import Meter, Song, Stem
    from multitrack.theory import Key

    # 64 bars of eighth-note comping, four voices, a chord a bar, written as REAPER does
    roots = [0, 9, 5, 7] * 16
    raw = " ".join(f"{48 + r + d} {b * 4 + e * 0.5:.4f} {0.5:.4f}"
                   for b, r in enumerate(roots) for e in range(8) for d in (0, 4, 7, 12))  # fmt: skip
    small = compact_chord_notes(raw)
    wire = len(
        encode_message("/multitrack/regenerate", ["live-1", "take-001", "chord_notes", small])
    )
    assert len(raw) > 9216 and wire < 9216  # macOS's default UDP datagram
    stems = {s: Stem(s, (), 0) for s in ("melody", "chords", "bass", "drums")}
    song = Song(tempo=100.0, meter=Meter(4, 4), key=Key.parse("C major"), bars=64, stems=stems)
    read = [s.symbol for s in recognise_chord_notes(parse_chord_notes(raw), song)]
    assert [s.symbol for s in recognise_chord_notes(parse_chord_notes(small), song)] == read
    assert read[:4] == ["C", "A", "F", "G"]  # major triads on C, A, F, G
