"""The errors a producer can cause. Each carries a message meant to be read as is.

Everything raised for bad user input derives from ``MultitrackError`` (a ``ValueError``), so
the CLI and the OSC server can answer it with one clear line instead of a traceback.
"""

from __future__ import annotations


class MultitrackError(ValueError):
    """Base of every user-facing error. ``code`` is the OSC error code."""

    code = "bad_request"


class MusicError(MultitrackError):
    """A musical value out of range: tempo, bars, meter, pitch, stem name."""

    code = "bad_value"


class ChordSymbolError(MultitrackError):
    """A chord symbol that does not parse."""

    code = "bad_chord"


class MidiFileError(MultitrackError):
    """A MIDI file that is missing, truncated or not MIDI."""

    code = "bad_midi"


class OutputError(MultitrackError):
    """An output folder that cannot be written, or a take that would be overwritten."""

    code = "bad_output"


class SoundFontError(MultitrackError):
    """A SoundFont that is missing or unreadable."""

    code = "bad_soundfont"


class DiskFullError(OutputError):
    """The disk holding the output folder ran out of space (nothing partial is left)."""

    code = "disk_full"


# Every error code the project answers with, and when: the one vocabulary. OSC sends the
# code in ``/multitrack/error``; the CLI prints the same message on one line (exit 2).
# docs/osc.md lists these (a test keeps the two equal).
CODES: dict[str, str] = {
    "bad_request": "the request's shape is wrong: a missing or repeated argument, an unknown "
    "option, an option without a value, a prompt that is not a string, empty or too long, "
    "options that exclude each other, an edit option without a source take",
    "bad_value": "an option's value is of the wrong type, out of its range or unreadable: "
    "bars, bpm, guidance, steps, seed, variations (not finite, too small, too large), key, "
    "meter, stems, keep, repaint, reply_port",
    "bad_job": "a job id or from_job that is not a valid name",
    "bad_path": "a take name that resolves outside the output folder",
    "bad_chord": "chords or chord_notes that do not parse, or hold no note inside the take",
    "bad_midi": "a MIDI file that is missing, truncated or not MIDI",
    "bad_output": "the output folder cannot be written, or a source take is not a take",
    "disk_full": "the disk holding the output folder is full; nothing partial was left",
    "bad_soundfont": "a SoundFont that is missing or unreadable",
    "bad_checkpoint": "a model checkpoint that is missing, corrupt or incompatible",
    "bad_reference": "a reference file for evaluation that cannot be read",
    "mma_failed": "the accompaniment generator failed while building the corpus",
    "unknown_address": "no such request address",
    "unknown_job": "status or cancel of a job this server does not know",
    "unknown_take": "regenerate, refine or rate a take that is neither on disk nor queued",
    "bad_feedback": "refine feedback that is empty, too long, or names nothing to change",
    "preferences": "the preference store (ratings, feedback) cannot be written",
    "duplicate_job": "the job id is in use (a known job or an existing take folder)",
    "busy": "the queue is full; try again",
    "unauthorized": "a missing or wrong token",
    "shutting_down": "the server is stopping",
    "cancelled": "the job was cancelled (by request or by shutdown); nothing was written",
    "server": "the server cannot start as configured (port in use, output folder locked)",
    "internal": "a bug: the message names the exception; the server logs the traceback",
}
