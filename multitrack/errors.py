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
