"""The OSC protocol: addresses, the typed requests, reply builders.

Every request lives under ``/multitrack/``. Positional arguments come first, then options as
key/value argument pairs (``bars 8 seed 3``). Which verbs exist, their arguments and limits
is the table in ``bridge.verbs``; turning a job into the ``GenerateRequest`` it runs is
``models.request.build_request``. docs/osc.md is the reference for clients.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.arguments import ProtocolError, check_job_id
from models.request import Ask
from multitrack.stems import STEMS

PROTOCOL_VERSION = "1"
PREFIX = "/multitrack"
PING, GENERATE, REGENERATE = f"{PREFIX}/ping", f"{PREFIX}/generate", f"{PREFIX}/regenerate"
CANCEL, STATUS = f"{PREFIX}/cancel", f"{PREFIX}/status"
REFINE, RATE = f"{PREFIX}/refine", f"{PREFIX}/rate"
EXTEND = f"{PREFIX}/extend"
PONG, ACCEPTED, PROGRESS = f"{PREFIX}/pong", f"{PREFIX}/accepted", f"{PREFIX}/progress"
NOTES, DONE, ERROR, STATE = (
    f"{PREFIX}/notes",
    f"{PREFIX}/done",
    f"{PREFIX}/error",
    f"{PREFIX}/state",
)
REPLIES: tuple[str, ...] = (PONG, ACCEPTED, PROGRESS, NOTES, DONE, ERROR, STATE)

MAX_PROMPT_CHARS = 2000
MAX_MESSAGE_CHARS = 1000  # error messages in replies stay well inside one datagram
# A state reply must fit one UDP datagram on every system a DAW runs on (macOS caps UDP
# datagrams at 9,216 bytes by default): longer status records are cut to fit, and say so.
MAX_STATE_BYTES = 8192
STATE_MESSAGE_CHARS = 200  # error messages in a cut status record
NOTES_PER_CHUNK = 128
DONE_FILES: tuple[str, ...] = ("json", "midi", *STEMS)  # the done reply's paths, in order
# Paths ``done`` appends after DONE_FILES only when the take has them, in this order: a peer
# that reads 8 arguments keeps working, one that knows reads a 9th when it is there.
OPTIONAL_DONE_FILES: tuple[str, ...] = ("ambience",)

Reply = tuple[str, list[Any]]


@dataclass(frozen=True)
class Envelope:
    """Where replies go and the shared secret: common to every request."""

    reply_port: int | None = None
    token: str | None = None


@dataclass(frozen=True)
class Control:
    """``ping``, ``status`` and ``cancel``: answered at once, with an optional job."""

    job: str | None
    envelope: Envelope = Envelope()


@dataclass(frozen=True)
class JobSpec:
    """A job verb's request: the job id, the verb (``kind``), the caller's typed ``Ask``,
    the take it edits (``source``, a folder in the output root read when the job runs: it
    may still be queued) and whether to send the notes before ``done``."""

    job: str
    kind: str
    ask: Ask
    source: str | None = None
    notes: bool = False


def resolve_take_dir(out_root: Path, name: str) -> Path:
    """The folder of take ``name`` inside ``out_root``; refuses anything that leaves it."""
    check_job_id(name, what="take name")
    root = out_root.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ProtocolError("bad_path", f"take {name!r} resolves outside the output folder")
    return path


# -- replies -------------------------------------------------------------------------------


def pong(version: str) -> Reply:
    return PONG, [version]


def accepted(job: str, attributes_json: str) -> Reply:
    return ACCEPTED, [job, attributes_json]


def progress(job: str, fraction: float, stage: str) -> Reply:
    return PROGRESS, [job, float(min(1.0, max(0.0, fraction))), stage[:200]]


def done(job: str, take_dir: Path, files: dict[str, Path]) -> Reply:
    """``done <job> <take_dir> <song.json> <song.mid> <melody.wav> <chords.wav> <bass.wav>
    <drums.wav> [<ambience.wav>]``, absolute paths; the ambience path only when the take has
    one (the prompt asked for rain, birds ...)."""
    extra = [str(files[key]) for key in OPTIONAL_DONE_FILES if key in files]
    return DONE, [job, str(take_dir), *(str(files[key]) for key in DONE_FILES), *extra]


def done_files(args: Sequence[Any]) -> dict[str, str]:
    """The files of a ``done`` reply's arguments by key (json, midi, the stems, and ambience
    when it was sent)."""
    paths = [str(a) for a in args[2:]]
    return dict(zip((*DONE_FILES, *OPTIONAL_DONE_FILES), paths, strict=False))


def error(job: str, code: str, message: str) -> Reply:
    text = message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS] + "…"
    return ERROR, [job[:100], code, text]


def state(job: str, record: dict[str, Any]) -> Reply:
    """``state <job> <json>``, cut to fit one datagram: error messages shortened, then the
    oldest job records left out; ``"truncated": true`` (and ``"omitted"``, a count) say so."""
    text = compact_json(record)
    if len(text.encode()) + 64 + len(job.encode()) <= MAX_STATE_BYTES:
        return STATE, [job, text]
    record = {**record, "truncated": True}
    for row in [record, *record.get("jobs", ())]:
        error = row.get("error")
        if isinstance(error, dict) and len(str(error.get("message", ""))) > STATE_MESSAGE_CHARS:
            row["error"] = {**error, "message": error["message"][:STATE_MESSAGE_CHARS] + "…"}
    jobs = list(record.get("jobs", ()))
    while True:
        text = compact_json({**record, "jobs": jobs} if "jobs" in record else record)
        if len(text.encode()) + 64 + len(job.encode()) <= MAX_STATE_BYTES or not jobs:
            break
        jobs.pop(0)
        record["omitted"] = record.get("omitted", 0) + 1
    return STATE, [job, text]


def compact_json(record: dict[str, Any]) -> str:
    """Records travel as compact UTF-8 JSON strings."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


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
