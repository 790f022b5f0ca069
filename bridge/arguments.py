"""Reading argument values where they enter: OSC arguments and CLI flags.

Each ``read_*`` turns one raw OSC value into a typed one (a checked number, a ``Key``, a
``Meter``, a ``Progression`` of parsed chords, the DAW's chord notes) or raises. Refusals of
the request's shape are ``ProtocolError``; a value outside its limit is the same
``LimitError``/``MusicError``/``ChordSymbolError`` the CLI gets, so both answer with one code
and one message. ``finite_float`` is the argparse type of every float CLI flag.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from typing import Any

from models.request import ChordNote, Limit, LimitError, parse_bar_range, parse_stem_list
from multitrack.errors import CODES, ChordSymbolError, MultitrackError
from multitrack.progression import Progression, read_progression
from multitrack.song import Meter
from multitrack.theory import Key

MAX_TEXT_CHARS = 4000  # chords, keep, key, meter …
MAX_CHORD_NOTES = 4096
JOB_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")

Reader = Callable[[str, Any], Any]  # (option name, raw OSC value) -> typed value


class ProtocolError(MultitrackError):
    """A request the server refuses; ``code`` (one of ``multitrack.errors.CODES``) is the
    error code sent back."""

    def __init__(self, code: str, message: str) -> None:
        assert code in CODES, code
        super().__init__(message)
        self.code = code


def finite_float(text: str) -> float:
    """argparse type for float flags: refuses nan, inf and what is not a number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def add_precision(parser: argparse.ArgumentParser) -> None:
    """``--precision fp32|bf16|int8`` (models.precision), shared by generate and serve."""
    from models.precision import DEFAULT_PRECISION, PRECISIONS

    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=DEFAULT_PRECISION,
        help=f"inference precision (default {DEFAULT_PRECISION}; int8 falls back to fp32 "
        "where torch has no quantised engine, and says so)",
    )


def check_job_id(value: Any, *, what: str = "job id") -> str:
    """A job id is also a take folder name: 1-64 of A-Z a-z 0-9 . _ -, not starting with
    '.' or '-' (a folder named ``-rf`` is a trap in any shell)."""
    if not isinstance(value, str):
        raise ProtocolError("bad_job", f"{what} must be a string, got {type_name(value)}")
    if not JOB_ID.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ProtocolError(
            "bad_job",
            f"{what} {shown!r} must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter, a digit or '_'",
        )
    return value


def read_job(name: str, value: Any) -> str:
    return check_job_id(value, what="job id" if name == "job" else name)


def read_integer(limit: Limit) -> Reader:
    """An integer (``i``, ``h``, a whole float or a digit string) inside ``limit``."""

    def read(name: str, value: Any) -> int:
        number: int | None = None
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,19}", value.strip()):
            number = int(value)
        elif isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            number = int(value)
        elif is_int(value):
            number = value
        if number is None:
            raise LimitError(f"{name} must be an integer, got {short(value)}")
        limit.check(number)
        return number

    return read


def read_number(limit: Limit) -> Reader:
    """A finite number (``i``, ``h``, ``f``, ``d`` or a numeric string) inside ``limit``."""

    def read(name: str, value: Any) -> float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise LimitError(f"{name} must be a number, got {short(value)}")
        return float(limit.check(float(value)))

    return read


def read_text(name: str, value: Any, *, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str):
        raise LimitError(f"{name} must be a string, got {type_name(value)}")
    if len(value) > limit:
        raise LimitError(f"{name} is {len(value)} characters; at most {limit}")
    return value


def read_feedback(name: str, value: Any) -> str:
    """Refine feedback: a prompt's limits, refused as ``bad_feedback`` (docs/osc.md)."""
    return _read_words(value, "feedback", "bad_feedback", 'say what to change, e.g. "more drums"')


def read_prompt(name: str, value: Any) -> str:
    return _read_words(value, "prompt", "bad_request", "describe the music you want")


def _read_words(value: Any, what: str, code: str, hint: str) -> str:
    """A prompt-like string: a string, not blank, at most ``MAX_PROMPT_CHARS``; else
    ``code``, naming it ``what``."""
    from bridge.protocol import MAX_PROMPT_CHARS

    if not isinstance(value, str):
        raise ProtocolError(code, f"{what} must be a string, got {type_name(value)}")
    if not value.strip():
        raise ProtocolError(code, f"{what} is empty; {hint}")
    if len(value) > MAX_PROMPT_CHARS:
        raise ProtocolError(code, f"{what} is {len(value)} characters; at most {MAX_PROMPT_CHARS}")
    return value


def read_key(name: str, value: Any) -> Key:
    return Key.parse(read_text(name, value))


def read_meter(name: str, value: Any) -> Meter:
    return Meter.parse(read_text(name, value))


def read_stems(name: str, value: Any) -> tuple[str, ...]:
    return parse_stem_list(read_text(name, value))


def read_bar_range(name: str, value: Any) -> tuple[int, int]:
    return parse_bar_range(read_text(name, value))


def read_chords(name: str, value: Any) -> Progression:
    """Chord symbols parsed here, at the request: "Am Hmaj13" is refused now, not when the
    job runs."""
    text = read_text(name, value)
    if not text.strip():
        raise ChordSymbolError(f"{name} is empty; e.g. 'Am F C G' or 'Am:2 F:2'")
    return read_progression(text)


def read_flag(name: str, value: Any) -> bool:
    if value in (0, False, "0", "false", "no"):
        return False
    if value in (1, True, "1", "true", "yes"):
        return True
    raise LimitError(f"{name} must be 0 or 1, got {short(value)}")


def read_port(name: str, value: Any) -> int:
    return port_number(value)


def read_chord_notes(name: str, value: Any) -> tuple[ChordNote, ...]:
    return parse_chord_notes(read_text(name, value, limit=MAX_CHORD_NOTES * 24))


def compact_chord_notes(text: str) -> str:
    """The same chords clip in fewer bytes: a pitch struck again as it ends is read as one
    held note (chord recognition reads what sounds, not the strikes), and numbers lose
    their trailing zeros. A 64-bar funk take's comping came to 13.7 KB as REAPER wrote it,
    past the 9,216-byte UDP datagram macOS sends by default. Bad triples raise as
    ``parse_chord_notes`` does."""
    merged: list[list[float]] = []
    for pitch, start, length in sorted(parse_chord_notes(text)):
        last = merged[-1] if merged else None
        if last is not None and last[0] == pitch and start <= last[1] + last[2] + 1e-6:
            last[2] = max(last[2], start + length - last[1])
        else:
            merged.append([pitch, start, length])

    def num(x: float) -> str:
        return f"{x:.4f}".rstrip("0").rstrip(".")

    merged.sort(key=lambda n: (n[1], n[0]))
    return " ".join(f"{int(p)} {num(a)} {num(d)}" for p, a, d in merged)


def parse_chord_notes(text: str) -> tuple[ChordNote, ...]:
    """'48 0 4 52 0 4 …' -> ((48, 0.0, 4.0), (52, 0.0, 4.0), …): pitch, start beat, length
    beat triples in quarter notes; spaces, commas or semicolons separate the numbers."""
    fields = [f for f in re.split(r"[\s,;]+", text.strip()) if f]
    if not fields:
        raise ChordSymbolError("chord_notes is empty; send 'pitch start length' triples")
    if len(fields) % 3:
        raise ChordSymbolError(
            f"chord_notes has {len(fields)} numbers; send 'pitch start length' triples"
        )
    if len(fields) // 3 > MAX_CHORD_NOTES:
        raise ChordSymbolError(f"chord_notes has more than {MAX_CHORD_NOTES} notes")
    notes: list[ChordNote] = []
    for i in range(0, len(fields), 3):
        try:
            pitch, start, length = int(fields[i]), float(fields[i + 1]), float(fields[i + 2])
        except ValueError:
            shown = " ".join(fields[i : i + 3])
            raise ChordSymbolError(f"chord note {shown!r} is not numbers") from None
        if not 0 <= pitch <= 127:
            raise ChordSymbolError(f"chord note pitch must be 0-127, got {pitch}")
        if not (0 <= start < 1e5 and 0 < length < 1e5):  # also refuses nan and inf
            raise ChordSymbolError(
                f"chord note at {start:g} beats with length {length:g} is out of range"
            )
        notes.append((pitch, start, length))
    return tuple(notes)


def port_number(value: Any) -> int:
    port = value
    if isinstance(value, str) and value.strip().isdigit():
        port = int(value)
    if is_int(port) and 1 <= port <= 65535:
        return int(port)
    raise LimitError(f"reply_port must be a port number 1-65535, got {short(value)}")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    for kind, name in names.items():
        if type(value) is kind:
            return name
    return "a blob" if isinstance(value, bytes) else "nil" if value is None else "another type"


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def read_form(name: str, value: Any) -> str:
    """A song form ("AABA", "intro A A B A outro", "主歌-副歌-主歌-副歌"), its words checked
    now (whether it fits the take's bars is checked when the job runs)."""
    from multitrack.form import FormError, form_letters

    if not isinstance(value, str):
        raise ProtocolError("bad_value", f"{name} must be a string, got {type_name(value)}")
    try:
        form_letters(value)
    except FormError as exc:
        raise ProtocolError("bad_value", str(exc)) from None
    return value
