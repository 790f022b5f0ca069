"""The OSC protocol: addresses, argument parsing into typed requests, reply builders.

Turning a parsed job into the ``GenerateRequest`` it runs (reading the source take,
recognising an edited chord clip) is ``bridge.resolution``; this module only checks arguments.

Every request lives under ``/multitrack/``. Positional arguments come first, then options as
key/value argument pairs (``bars 8 seed 3``). Parsing checks every argument where it enters
and raises ``ProtocolError`` (a ``MultitrackError``) whose ``code`` is the OSC error code and
whose message is read by a producer as is. docs/osc.md is the reference for clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.arguments import (
    MAX_CHORD_NOTES,
    ChordNote,
    ProtocolError,
    check_job_id,
    flag_option,
    integer_option,
    is_int,
    number_option,
    parse_chord_notes,
    port_number,
    short,
    text_option,
    type_name,
)
from models.request import (
    GenerateRequest,
    parse_bar_range,
    parse_stem_list,
)
from multitrack.song import MAX_BPM, MIN_BPM

PROTOCOL_VERSION = "1"
PREFIX = "/multitrack"
PING, GENERATE, REGENERATE = f"{PREFIX}/ping", f"{PREFIX}/generate", f"{PREFIX}/regenerate"
CANCEL, STATUS = f"{PREFIX}/cancel", f"{PREFIX}/status"
PONG, ACCEPTED, PROGRESS = f"{PREFIX}/pong", f"{PREFIX}/accepted", f"{PREFIX}/progress"
NOTES, DONE, ERROR, STATE = (
    f"{PREFIX}/notes",
    f"{PREFIX}/done",
    f"{PREFIX}/error",
    f"{PREFIX}/state",
)
REQUESTS: tuple[str, ...] = (PING, GENERATE, REGENERATE, CANCEL, STATUS)
REPLIES: tuple[str, ...] = (PONG, ACCEPTED, PROGRESS, NOTES, DONE, ERROR, STATE)

DEFAULT_GUIDANCE = GenerateRequest.guidance
DEFAULT_STEPS = GenerateRequest.steps
MAX_PROMPT_CHARS = 2000
MAX_MESSAGE_CHARS = 1000  # error messages in replies stay well inside one datagram
NOTES_PER_CHUNK = 128
DONE_FILES: tuple[str, ...] = ("json", "midi", "melody", "chords", "bass", "drums")

GENERATE_KEYS = ("bars", "seed", "bpm", "key", "meter", "guidance", "steps", "stems", "notes")
REGENERATE_KEYS = ("keep", "chords", "chord_notes", "repaint", "seed", "guidance", "steps", "notes")
ENVELOPE_KEYS = ("reply_port", "token")

Reply = tuple[str, list[Any]]


@dataclass(frozen=True)
class Envelope:
    """Where replies go and the shared secret: common to every request."""

    reply_port: int | None = None
    token: str | None = None


@dataclass(frozen=True)
class PingRequest:
    envelope: Envelope


@dataclass(frozen=True)
class StatusRequest:
    job: str | None
    envelope: Envelope


@dataclass(frozen=True)
class CancelRequest:
    job: str
    envelope: Envelope


@dataclass(frozen=True)
class GenerateSpec:
    """``/multitrack/generate``: a fresh take from a prompt, checked into a request."""

    job: str
    request: GenerateRequest
    notes: bool = False


@dataclass(frozen=True)
class RegenerateSpec:
    """``/multitrack/regenerate``: an edit of the take ``from_job`` (a folder in the output
    root), resolved into a ``GenerateRequest`` when it runs (the source may still be queued).
    ``chord_notes`` are (pitch, start beat, length beat) in quarter notes from bar 1."""

    job: str
    from_job: str
    keep: tuple[str, ...] = ()
    chords: str | None = None
    chord_notes: tuple[ChordNote, ...] | None = None
    repaint: tuple[int, int] | None = None
    seed: int | None = None
    guidance: float | None = None
    steps: int | None = None
    notes: bool = False


JobSpec = GenerateSpec | RegenerateSpec
Request = PingRequest | StatusRequest | CancelRequest | GenerateSpec | RegenerateSpec


def resolve_take_dir(out_root: Path, name: str) -> Path:
    """The folder of take ``name`` inside ``out_root``; refuses anything that leaves it."""
    check_job_id(name, what="take name")
    root = out_root.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ProtocolError("bad_path", f"take {name!r} resolves outside the output folder")
    return path


def parse_request(address: str, args: Sequence[Any]) -> Request:
    """Turn one OSC message into a typed request, or raise ``ProtocolError``."""
    if address == PING:
        positional, options = _split(address, args, 1 if args and is_int(args[0]) else 0)
        envelope = _envelope(address, options, ())
        if positional:
            envelope = Envelope(port_number(positional[0]), envelope.token)
        return PingRequest(envelope)
    if address == STATUS:
        positional, options = _split(address, args, len(args) % 2)
        job = check_job_id(positional[0]) if positional else None
        return StatusRequest(job, _envelope(address, options, ()))
    if address == CANCEL:
        positional, options = _split(address, args, 1)
        return CancelRequest(check_job_id(positional[0]), _envelope(address, options, ()))
    if address == GENERATE:
        positional, options = _split(address, args, 2)
        _envelope(address, options, GENERATE_KEYS)
        return _generate(check_job_id(positional[0]), positional[1], options)
    if address == REGENERATE:
        positional, options = _split(address, args, 2)
        _envelope(address, options, REGENERATE_KEYS)
        job = check_job_id(positional[0])
        from_job = check_job_id(positional[1], what="from_job")
        return _regenerate(job, from_job, options)
    raise ProtocolError("unknown_address", f"unknown address {short(address)}; try {PING}")


def parse_envelope(address: str, args: Sequence[Any]) -> Envelope:
    """Best-effort reply port and token of a message, even one whose other arguments are bad,
    so an error still reaches ``reply_port``. Never raises."""
    fixed = {GENERATE: 2, REGENERATE: 2, CANCEL: 1}.get(address)
    if fixed is None:
        fixed = len(args) % 2 if address == STATUS else (1 if args and is_int(args[0]) else 0)
    reply_port: int | None = None
    token: str | None = None
    rest = list(args[fixed:])
    for i in range(0, len(rest) - 1, 2):
        key, value = rest[i], rest[i + 1]
        if key == "reply_port" and reply_port is None:
            try:
                reply_port = port_number(value)
            except ProtocolError:
                pass
        elif key == "token" and isinstance(value, str) and token is None:
            token = value
    if address == PING and fixed == 1 and reply_port is None:
        try:
            reply_port = port_number(args[0])
        except ProtocolError:
            pass
    return Envelope(reply_port, token)


# -- replies -------------------------------------------------------------------------------


def pong(version: str) -> Reply:
    return PONG, [version]


def accepted(job: str, attributes_json: str) -> Reply:
    return ACCEPTED, [job, attributes_json]


def progress(job: str, fraction: float, stage: str) -> Reply:
    return PROGRESS, [job, float(min(1.0, max(0.0, fraction))), stage[:200]]


def done(job: str, take_dir: Path, files: dict[str, Path]) -> Reply:
    """``done <job> <take_dir> <song.json> <song.mid> <melody.wav> <chords.wav> <bass.wav>
    <drums.wav>``, absolute paths."""
    return DONE, [job, str(take_dir), *(str(files[key]) for key in DONE_FILES)]


def error(job: str, code: str, message: str) -> Reply:
    text = message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS] + "…"
    return ERROR, [job[:100], code, text]


def state(job: str, state_json: str) -> Reply:
    return STATE, [job, state_json]


def notes_chunks(
    job: str, stem: str, notes: Sequence[tuple[int, float, float, int]]
) -> list[Reply]:
    """``notes <job> <stem> <index> <count> (pitch:i start:f length:f velocity:i)…``, with
    start and length in quarter-note beats from bar 1; a stem without notes is one empty
    chunk so a client knows every stem it will get."""
    chunks = [notes[i : i + NOTES_PER_CHUNK] for i in range(0, len(notes), NOTES_PER_CHUNK)]
    chunks = chunks or [()]
    replies: list[Reply] = []
    for index, chunk in enumerate(chunks):
        flat: list[Any] = [job, stem, index, len(chunks)]
        for pitch, start, length, velocity in chunk:
            flat += [int(pitch), float(start), float(length), int(velocity)]
        replies.append((NOTES, flat))
    return replies


def error_job_of(address: str, args: Sequence[Any]) -> str:
    """The job id to put in an error reply: the request's own job argument when it is a
    string (truncated), else ""."""
    if address in (GENERATE, REGENERATE, CANCEL) and args and isinstance(args[0], str):
        return args[0][:100]
    if address == STATUS and len(args) % 2 == 1 and isinstance(args[0], str):
        return args[0][:100]
    return ""


# -- parsing helpers -----------------------------------------------------------------------


def _split(address: str, args: Sequence[Any], fixed: int) -> tuple[list[Any], dict[str, Any]]:
    names = {GENERATE: "<job> <prompt>", REGENERATE: "<job> <from_job>", CANCEL: "<job>"}
    if len(args) < fixed:
        raise ProtocolError("bad_request", f"{address} needs {names.get(address, 'arguments')}")
    positional, rest = list(args[:fixed]), list(args[fixed:])
    if len(rest) % 2:
        raise ProtocolError(
            "bad_request",
            f"{address}: options come in key value pairs; {short(rest[-1])} has no value",
        )
    options: dict[str, Any] = {}
    for key, value in zip(rest[::2], rest[1::2], strict=True):
        if not isinstance(key, str):
            raise ProtocolError(
                "bad_request", f"{address}: option names are strings, got {type_name(key)}"
            )
        if key in options:
            raise ProtocolError("bad_request", f"{address}: option {short(key)} given twice")
        options[key] = value
    return positional, options


def _envelope(address: str, options: dict[str, Any], allowed: Sequence[str]) -> Envelope:
    for key in options:
        if key not in allowed and key not in ENVELOPE_KEYS:
            known = ", ".join((*allowed, *ENVELOPE_KEYS))
            raise ProtocolError(
                "bad_request", f"{address}: unknown option {short(key)}; options are {known}"
            )
    port = options.get("reply_port")
    token = options.get("token")
    if token is not None and not isinstance(token, str):
        raise ProtocolError("unauthorized", "token must be a string")
    return Envelope(None if port is None else port_number(port), token)


def _generate(job: str, prompt: Any, options: dict[str, Any]) -> GenerateSpec:
    if not isinstance(prompt, str):
        raise ProtocolError("bad_request", f"prompt must be a string, got {type_name(prompt)}")
    if not prompt.strip():
        raise ProtocolError("bad_request", "prompt is empty; describe the music you want")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ProtocolError(
            "bad_request", f"prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS}"
        )
    bpm = number_option(options, "bpm")
    if bpm is not None and not MIN_BPM <= bpm <= MAX_BPM:
        raise ProtocolError("bad_value", f"bpm must be {MIN_BPM:g}-{MAX_BPM:g}, got {bpm:g}")
    key = text_option(options, "key")
    if key is not None:
        from multitrack.theory import Key

        Key.parse(key)
    stems = text_option(options, "stems")
    seed, guidance, steps = (
        integer_option(options, "seed"),
        number_option(options, "guidance"),
        integer_option(options, "steps"),
    )
    request = GenerateRequest(
        prompt=prompt,
        bars=integer_option(options, "bars"),
        seed=0 if seed is None else seed,
        bpm=bpm,
        key=key,
        meter=text_option(options, "meter"),
        guidance=DEFAULT_GUIDANCE if guidance is None else guidance,
        steps=DEFAULT_STEPS if steps is None else steps,
        stems=None if stems is None else parse_stem_list(stems),
    )
    return GenerateSpec(job, request, notes=flag_option(options, "notes"))


def _regenerate(job: str, from_job: str, options: dict[str, Any]) -> RegenerateSpec:
    if from_job == job:
        raise ProtocolError("bad_request", f"job {job!r} cannot regenerate from itself")
    keep = text_option(options, "keep")
    chords = text_option(options, "chords")
    chord_notes_text = text_option(options, "chord_notes", limit=MAX_CHORD_NOTES * 24)
    if chords is not None and chord_notes_text is not None:
        raise ProtocolError("bad_request", "give chords or chord_notes, not both")
    if chords is not None and not chords.strip():
        raise ProtocolError("bad_chord", "chords is empty; e.g. 'Am F C G' or 'Am:2 F:2'")
    repaint = text_option(options, "repaint")
    seed = integer_option(options, "seed")
    if seed is not None and not 0 <= seed < 2**63:
        raise ProtocolError("bad_request", f"seed must be a non-negative integer, got {seed}")
    guidance = number_option(options, "guidance")
    steps = integer_option(options, "steps")
    # Checked now with a stand-in request so a bad value is refused before queueing.
    GenerateRequest(
        prompt="-",
        guidance=DEFAULT_GUIDANCE if guidance is None else guidance,
        steps=DEFAULT_STEPS if steps is None else steps,
    )
    return RegenerateSpec(
        job=job,
        from_job=from_job,
        keep=() if keep is None else parse_stem_list(keep),
        chords=chords,
        chord_notes=None if chord_notes_text is None else parse_chord_notes(chord_notes_text),
        repaint=None if repaint is None else parse_bar_range(repaint),
        seed=seed,
        guidance=guidance,
        steps=steps,
        notes=flag_option(options, "notes"),
    )
