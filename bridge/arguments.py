"""Checking OSC argument values where they enter: job ids, numbers, strings, flags, ports
and the DAW's chord notes. Every refusal is a ``ProtocolError`` whose ``code`` goes back to
the client in ``/multitrack/error`` and whose message a producer reads as is.
"""

from __future__ import annotations

import re
from typing import Any

from multitrack.errors import MultitrackError

MAX_TEXT_CHARS = 4000  # chords, keep, key, meter …
MAX_CHORD_NOTES = 4096
JOB_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")

ChordNote = tuple[int, float, float]  # pitch, start and length in quarter-note beats


class ProtocolError(MultitrackError):
    """A request the server refuses; ``code`` is the error code sent back."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_job_id(value: Any, *, what: str = "job id") -> str:
    """A job id is also a take folder name: 1-64 of A-Z a-z 0-9 . _ -, no leading dot."""
    if not isinstance(value, str):
        raise ProtocolError("bad_job", f"{what} must be a string, got {type_name(value)}")
    if not JOB_ID.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ProtocolError(
            "bad_job",
            f"{what} {shown!r} must be 1-64 letters, digits, '.', '_' or '-', not starting with '.'",
        )
    return value


def parse_chord_notes(text: str) -> tuple[ChordNote, ...]:
    """'48 0 4 52 0 4 …' -> ((48, 0.0, 4.0), (52, 0.0, 4.0), …): pitch, start beat, length
    beat triples in quarter notes; spaces, commas or semicolons separate the numbers."""
    fields = [f for f in re.split(r"[\s,;]+", text.strip()) if f]
    if not fields:
        raise ProtocolError("bad_chord", "chord_notes is empty; send 'pitch start length' triples")
    if len(fields) % 3:
        raise ProtocolError(
            "bad_chord", f"chord_notes has {len(fields)} numbers; send 'pitch start length' triples"
        )
    if len(fields) // 3 > MAX_CHORD_NOTES:
        raise ProtocolError("bad_chord", f"chord_notes has more than {MAX_CHORD_NOTES} notes")
    notes: list[ChordNote] = []
    for i in range(0, len(fields), 3):
        try:
            pitch, start, length = int(fields[i]), float(fields[i + 1]), float(fields[i + 2])
        except ValueError:
            shown = " ".join(fields[i : i + 3])
            raise ProtocolError("bad_chord", f"chord note {shown!r} is not numbers") from None
        if not 0 <= pitch <= 127:
            raise ProtocolError("bad_chord", f"chord note pitch must be 0-127, got {pitch}")
        if not (0 <= start < 1e5 and 0 < length < 1e5):
            raise ProtocolError(
                "bad_chord", f"chord note at {start:g} beats with length {length:g} is out of range"
            )
        notes.append((pitch, start, length))
    return tuple(notes)


def integer_option(options: dict[str, Any], key: str) -> int | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,19}", value.strip()):
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ProtocolError("bad_value", f"{key} must be an integer, got {short(value)}")


def number_option(options: dict[str, Any], key: str) -> float | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        if abs(value) < 1e9:
            return float(value)
    raise ProtocolError("bad_value", f"{key} must be a number, got {short(value)}")


def text_option(options: dict[str, Any], key: str, *, limit: int = MAX_TEXT_CHARS) -> str | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError("bad_value", f"{key} must be a string, got {type_name(value)}")
    if len(value) > limit:
        raise ProtocolError("bad_value", f"{key} is {len(value)} characters; at most {limit}")
    return value


def flag_option(options: dict[str, Any], key: str) -> bool:
    value = options.get(key)
    if value is None or value in (0, False, "0", "false", "no"):
        return False
    if value in (1, True, "1", "true", "yes"):
        return True
    raise ProtocolError("bad_value", f"{key} must be 0 or 1, got {short(value)}")


def port_number(value: Any) -> int:
    port = value
    if isinstance(value, str) and value.strip().isdigit():
        port = int(value)
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return port
    raise ProtocolError(
        "bad_value", f"reply_port must be a port number 1-65535, got {short(value)}"
    )


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
