"""The OSC protocol: argument parsing into typed requests, replies, the wire format."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge import protocol, verbs, wire
from bridge.protocol import Control, Envelope, JobSpec, ProtocolError
from models.request import build_request, prompt_seed
from multitrack.errors import CODES, MultitrackError
from multitrack.song import Meter
from multitrack.theory import Key


def parse_request(address: str, args: list[object]) -> object:
    return verbs.parse_request(address, args)[1]


def code_of(address: str, args: list[object]) -> str:
    with pytest.raises(MultitrackError) as info:
        parse_request(address, args)
    code = str(getattr(info.value, "code", ""))
    assert code in CODES
    return code


def test_ping_forms() -> None:
    assert parse_request(protocol.PING, []) == Control(None, Envelope())
    assert parse_request(protocol.PING, [9001]) == Control(None, Envelope(9001))
    assert parse_request(protocol.PING, ["reply_port", 9002, "token", "s"]) == Control(
        None, Envelope(9002, "s")
    )
    assert code_of(protocol.PING, [0]) == "bad_value"
    assert code_of(protocol.PING, [9001, "reply_port"]) == "bad_request"


def test_generate_options_become_a_checked_request() -> None:
    spec = parse_request(
        protocol.GENERATE,
        [
            *("take-1", "欢快的流行歌", "bars", 8, "seed", "42", "bpm", 96, "key", "Am"),
            *("meter", "3/4", "guidance", 2.5, "steps", 10, "stems", "melody,bass", "notes", 1),
        ],
    )
    assert isinstance(spec, JobSpec)
    assert spec.job == "take-1" and spec.notes is True and spec.kind == "generate"
    r = build_request(spec.ask)
    assert (r.prompt, r.bars, r.seed, r.bpm, r.key, r.meter) == (
        "欢快的流行歌",
        8,
        42,
        96.0,
        Key(9, "minor"),
        Meter(3, 4),
    )
    assert (r.guidance, r.steps, r.stems) == (2.5, 10, ("melody", "bass"))


def test_generate_defaults() -> None:
    spec = parse_request(protocol.GENERATE, ["a", "lofi"])
    assert isinstance(spec, JobSpec)
    request = build_request(spec.ask)
    # docs/osc.md: no seed is the prompt's own
    assert (request.seed, request.guidance, request.steps) == (prompt_seed(request.prompt), 2.0, 8)
    assert request.bars is None and spec.notes is False


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], "bad_request"),
        (["job"], "bad_request"),
        ([5, "prompt"], "bad_job"),
        (["../evil", "prompt"], "bad_job"),
        (["/abs", "prompt"], "bad_job"),
        ([".hidden", "prompt"], "bad_job"),
        (["x" * 65, "prompt"], "bad_job"),
        (["a", 3.0], "bad_request"),
        (["a", "   "], "bad_request"),
        (["a", "p" * 2001], "bad_request"),
        (["a", "p", "bars"], "bad_request"),
        (["a", "p", "bars", 0], "bad_value"),
        (["a", "p", "bars", 65], "bad_value"),
        (["a", "p", "bars", "eight"], "bad_value"),
        (["a", "p", "bars", 8, "bars", 8], "bad_request"),
        (["a", "p", "tempo", 120], "bad_request"),
        (["a", "p", 7, 120], "bad_request"),
        (["a", "p", "bpm", 1000], "bad_value"),
        (["a", "p", "bpm", "fast"], "bad_value"),
        (["a", "p", "meter", "5/4"], "bad_value"),
        (["a", "p", "key", "H minor"], "bad_value"),
        (["a", "p", "stems", "vocals"], "bad_value"),
        (["a", "p", "steps", 0], "bad_value"),
        (["a", "p", "guidance", -1.0], "bad_value"),
        (["a", "p", "seed", -3], "bad_value"),
        (["a", "p", "notes", 2], "bad_value"),
        (["a", "p", "reply_port", 70000], "bad_value"),
        (["a", "p", "token", 5], "unauthorized"),
        (["a", "p", "guidance", float("nan")], "bad_value"),
        (["a", "p", "guidance", float("inf")], "bad_value"),
        (["a", "p", "guidance", "nan"], "bad_value"),
        (["a", "p", "bpm", float("nan")], "bad_value"),
        (["a", "p", "bpm", "-inf"], "bad_value"),
        (["-rf", "p"], "bad_job"),
    ],
)
def test_generate_refusals(args: list[object], code: str) -> None:
    assert code_of(protocol.GENERATE, args) == code


def test_regenerate_options() -> None:
    spec = parse_request(
        protocol.REGENERATE,
        [
            *("take-2", "take-1", "keep", "chords,bass", "repaint", "5-8", "seed", 7),
            *("chord_notes", "57 0 4, 60 0 4; 64 0 4  53 4 4 57 4 4 60 4 4"),
        ],
    )
    assert isinstance(spec, JobSpec) and spec.kind == "regenerate"
    assert (spec.job, spec.source, spec.ask.keep, spec.ask.repaint, spec.ask.seed) == (
        "take-2",
        "take-1",
        ("chords", "bass"),
        (5, 8),
        7,
    )
    assert spec.ask.chord_notes == (
        (57, 0.0, 4.0),
        (60, 0.0, 4.0),
        (64, 0.0, 4.0),
        (53, 4.0, 4.0),
        (57, 4.0, 4.0),
        (60, 4.0, 4.0),
    )
    chords = parse_request(protocol.REGENERATE, ["b", "a", "chords", "Am F C G"])
    assert isinstance(chords, JobSpec) and chords.ask.progression is not None
    assert [c.symbol for c in chords.ask.progression.chords] == ["Am", "F", "C", "G"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["a", "a"], "bad_request"),
        (["b", "../a"], "bad_job"),
        (["b", "a", "keep", "guitar"], "bad_value"),
        (["b", "a", "repaint", "8-5"], "bad_value"),
        (["b", "a", "chords", "Am", "chord_notes", "57 0 4"], "bad_request"),
        (["b", "a", "chords", ""], "bad_chord"),
        (["b", "a", "chord_notes", "57 0"], "bad_chord"),
        (["b", "a", "chord_notes", "57 x 4"], "bad_chord"),
        (["b", "a", "chord_notes", "200 0 4"], "bad_chord"),
        (["b", "a", "chord_notes", "60 0 0"], "bad_chord"),
        (["b", "a", "chord_notes", 60], "bad_value"),
        (["b", "a", "bars", 8], "bad_request"),
        (["b", "a", "steps", 500], "bad_value"),
        (["b", "a", "chords", "Xyz"], "bad_chord"),
        (["b", "a", "chords", "Am Hmaj13"], "bad_chord"),
        (["b", "a", "chords", "Am:x"], "bad_chord"),
        (["b", "a", "chord_notes", "60 nan 4"], "bad_chord"),
        (["b", "a", "guidance", float("nan")], "bad_value"),
        (["b", "-a"], "bad_job"),
    ],
)
def test_regenerate_refusals(args: list[object], code: str) -> None:
    assert code_of(protocol.REGENERATE, args) == code


def test_status_and_cancel_forms() -> None:
    assert parse_request(protocol.STATUS, []) == Control(None, Envelope())
    assert parse_request(protocol.STATUS, ["j1"]) == Control("j1", Envelope())
    assert parse_request(protocol.STATUS, ["token", "t"]) == Control(None, Envelope(None, "t"))
    assert parse_request(protocol.STATUS, ["j1", "reply_port", 9]) == Control("j1", Envelope(9))
    assert parse_request(protocol.CANCEL, ["j1"]) == Control("j1", Envelope())
    assert code_of(protocol.CANCEL, []) == "bad_request"
    assert code_of("/multitrack/explode", []) == "unknown_address"
    assert code_of("/live/song/get/tempo", []) == "unknown_address"


def test_parse_envelope_never_raises_and_finds_the_reply_port() -> None:
    assert verbs.parse_envelope(protocol.GENERATE, ["j", "p", "bars", "x", "reply_port", 9001]) == (
        Envelope(9001)
    )
    assert verbs.parse_envelope(protocol.PING, [9003]) == Envelope(9003)
    assert verbs.parse_envelope(protocol.GENERATE, [1]) == Envelope()
    assert verbs.parse_envelope("/nowhere", [None, b"x", "token", "t"]) == Envelope(None, "t")
    assert verbs.error_job_of(protocol.GENERATE, ["j9", 1]) == "j9"
    assert verbs.error_job_of(protocol.PING, ["j9"]) == ""


def test_take_dirs_stay_inside_the_output_root(tmp_path: Path) -> None:
    assert protocol.resolve_take_dir(tmp_path, "take-1") == tmp_path.resolve() / "take-1"
    for bad in ("..", "../x", "/etc", "a/b", ".x", ""):
        with pytest.raises(ProtocolError):
            protocol.resolve_take_dir(tmp_path, bad)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = tmp_path / "out"
    root.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(ProtocolError) as info:
        protocol.resolve_take_dir(root, "link")
    assert info.value.code == "bad_path"


def test_replies() -> None:
    files = {k: Path(f"/t/{k}") for k in protocol.DONE_FILES}
    assert protocol.done("j", Path("/t"), files) == (
        "/multitrack/done",
        ["j", "/t", "/t/json", "/t/midi", "/t/melody", "/t/chords", "/t/bass", "/t/drums"],
    )
    _, args = protocol.done("j", Path("/t"), {**files, "ambience": Path("/t/ambience.wav")})
    assert args[2:8] == [str(files[k]) for k in protocol.DONE_FILES], "the first 8 stay put"
    assert args[8:] == ["/t/ambience.wav"], "ambience is a 9th argument, appended"
    assert protocol.done_files(args) == {**{k: f"/t/{k}" for k in protocol.DONE_FILES},
                                         "ambience": "/t/ambience.wav"}  # fmt: skip
    assert "ambience" not in protocol.done_files(protocol.done("j", Path("/t"), files)[1])
    assert protocol.progress("j", 1.5, "render") == ("/multitrack/progress", ["j", 1.0, "render"])
    address, args = protocol.error("j", "busy", "x" * 5000)
    assert address == "/multitrack/error" and len(args[2]) == protocol.MAX_MESSAGE_CHARS + 1
    notes = [(60 + i % 12, i * 0.25, 0.25, 90) for i in range(300)]
    chunks = protocol.notes_chunks("j", "melody", notes)
    assert [c[1][2:4] for c in chunks] == [[0, 3], [1, 3], [2, 3]]
    assert chunks[0][1][4:8] == [60, 0.0, 0.25, 90]
    assert sum((len(c[1]) - 4) // 4 for c in chunks) == 300
    assert protocol.notes_chunks("j", "drums", []) == [("/multitrack/notes", ["j", "drums", 0, 1])]


def test_wire_round_trip_keeps_types_and_chinese() -> None:
    data = wire.encode_message("/multitrack/generate", ["j", "悲伤的古筝", 8, 2.5, True, 2**40])
    assert wire.decode_packet(data) == [
        ("/multitrack/generate", ["j", "悲伤的古筝", 8, 2.5, True, 2**40])
    ]


def _bundle(*contents: bytes) -> bytes:
    head = b"#bundle\x00" + b"\x00" * 7 + b"\x01"
    return head + b"".join(struct.pack(">i", len(c)) + c for c in contents)


def test_wire_decodes_nested_bundles_in_order() -> None:
    ping = wire.encode_message("/multitrack/ping", [])
    status = wire.encode_message("/multitrack/status", [])
    data = _bundle(ping, _bundle(status, _bundle(ping)), status)
    assert [a for a, _ in wire.decode_packet(data)] == [
        "/multitrack/ping",
        "/multitrack/status",
        "/multitrack/ping",
        "/multitrack/status",
    ]
    builder = OscBundleBuilder(IMMEDIATELY)
    builder.add_content(OscMessageBuilder("/multitrack/ping").build())
    assert wire.decode_packet(builder.build().dgram) == [("/multitrack/ping", [])]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"/multitrack/ping",  # no padding
        b"/multitrack/ping\x00\x00\x00\x00,x\x00\x00",  # unsupported type tag
        b"/multitrack/ping\x00\x00\x00\x00i\x00\x00\x00",  # tags without comma
        b"/multitrack/ping\x00\x00\x00\x00,i\x00\x00\x00\x01",  # truncated int
        b"/\xff\xfe\x00,\x00\x00\x00",  # not UTF-8
        b"#bundle\x00\x00\x00",  # short bundle
        _bundle(b"\x00\x00\x00\x00"),  # element that is neither
        b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 400) + b"/a\x00\x00",
    ],
)
def test_wire_refuses_malformed_packets(data: bytes) -> None:
    with pytest.raises(wire.MalformedPacket):
        wire.decode_packet(data)


def test_wire_limits_bundle_depth() -> None:
    data = wire.encode_message("/multitrack/ping", [])
    for _ in range(wire.MAX_BUNDLE_DEPTH + 1):
        data = _bundle(data)
    with pytest.raises(wire.MalformedPacket, match="nested"):
        wire.decode_packet(data)


@pytest.mark.parametrize("framing", [wire.SLIP, wire.SIZED])
def test_frame_reader_splits_a_stream_in_any_pieces(framing: str) -> None:
    packets = [wire.encode_message("/a", [i, "x" * i]) for i in range(5)]
    packets.append(b"\xc0\xdb" * 4)  # bytes SLIP must escape
    stream = b"".join(wire.frame(p, framing) for p in packets)
    reader = wire.FrameReader()
    got: list[bytes] = []
    for i in range(0, len(stream), 7):
        got += reader.feed(stream[i : i + 7])
    assert got == packets and reader.framing == framing


def test_frame_reader_refuses_oversized_frames() -> None:
    with pytest.raises(wire.MalformedPacket):
        wire.FrameReader().feed(struct.pack(">I", wire.MAX_FRAME + 1))


def test_docs_done_row_lists_the_paths_in_order() -> None:
    """docs/osc.md's `done` row: the always-sent paths, then the optional ones in brackets."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "osc.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if line.startswith("| `/multitrack/done` |"))
    arguments = row.split("|")[2].strip().strip("`").split()
    names = {"json": "song.json:s", "midi": "song.mid:s"}
    fixed = [names.get(key, f"{key}.wav:s") for key in protocol.DONE_FILES]
    optional = [f"[{key}.wav:s]" for key in protocol.OPTIONAL_DONE_FILES]
    assert arguments == ["job:s", "take_dir:s", *fixed, *optional]


def test_a_new_take_without_a_seed_takes_its_prompts_and_two_prompts_differ() -> None:
    def seed(*args: object) -> int:
        spec = parse_request(protocol.GENERATE, list(args))
        assert isinstance(spec, JobSpec)
        return build_request(spec.ask).seed

    assert seed("a", "lofi") == seed("b", "lofi") == seed("c", "  lofi ")  # stable
    assert seed("a", "lofi") != seed("a", "一段古筝独奏")
