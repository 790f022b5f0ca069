"""What a MIDI file says about itself: tempo, meter, key signature, programs, length in bars.

Read with mido directly, not through ``midi_io``, so a check of a written file tests the
file and not our own reader. ``midi_agreement`` compares the facts with what was asked
(issue 5: tempo, meter, bar count and programs exact).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from multitrack.errors import MidiFileError
from multitrack.stems import DRUM_CHANNEL, STEMS

TEMPO_TOLERANCE_BPM = 0.01  # a MIDI tempo is whole microseconds a beat


@dataclass(frozen=True)
class MidiFacts:
    """The file's own account. ``tempo`` in BPM from the first set_tempo (None if the file has
    none, which MIDI reads as 120); ``meter`` "N/D" from the first time signature (None if
    absent, read as 4/4); ``key_signature`` as mido spells it ("Am", "Eb"); ``programs`` the
    first program change (0-127) of each track named after a stem; ``drums_on_channel_10``
    whether every note of the track named "drums" is on channel 10 (None without that track);
    ``bars`` the file's length (last event of any track) in bars of its first meter."""

    path: Path
    midi_type: int
    ticks_per_beat: int
    tempo: float | None
    tempo_changes: int
    meter: str | None
    key_signature: str | None
    programs: dict[str, int] = field(default_factory=dict)
    drums_on_channel_10: bool | None = None
    bars: int = 0
    markers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "midi_type": self.midi_type,
            "ticks_per_beat": self.ticks_per_beat,
            "tempo": self.tempo,
            "tempo_changes": self.tempo_changes,
            "meter": self.meter,
            "key_signature": self.key_signature,
            "programs": dict(self.programs),
            "drums_on_channel_10": self.drums_on_channel_10,
            "bars": self.bars,
            "markers": list(self.markers),
        }


def read_midi_facts(path: Path) -> MidiFacts:
    """Read ``path`` with mido; a missing, truncated or non-MIDI file raises MidiFileError."""
    import mido

    path = Path(path)
    if not path.is_file():
        raise MidiFileError(f"{path}: no such MIDI file")
    try:
        midi = mido.MidiFile(path)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise MidiFileError(f"{path}: not a readable MIDI file ({exc})") from None
    if midi.type == 2:
        raise MidiFileError(f"{path}: MIDI type 2 (independent sequences) is not supported")

    tempos: list[tuple[int, int]] = []
    meters: list[tuple[int, str]] = []
    key_signature: str | None = None
    programs: dict[str, int] = {}
    drums_ok: bool | None = None
    markers: list[tuple[int, str]] = []
    end = 0
    for track in midi.tracks:
        name = ""
        tick = 0
        drums_notes_ok = True
        for msg in track:
            tick += msg.time
            if msg.type == "track_name" and not name:
                name = msg.name.strip().lower()
            elif msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif msg.type == "time_signature":
                meters.append((tick, f"{msg.numerator}/{msg.denominator}"))
            elif msg.type == "key_signature" and key_signature is None:
                key_signature = msg.key
            elif msg.type == "marker":
                markers.append((tick, msg.text))
            elif msg.type == "program_change" and name in STEMS and name not in programs:
                programs[name] = msg.program
            elif msg.type == "note_on" and name == "drums":
                drums_notes_ok &= msg.channel == DRUM_CHANNEL
        end = max(end, tick)
        if name == "drums":
            drums_ok = drums_notes_ok
    tempos.sort()
    meters.sort()
    meter = meters[0][1] if meters else None
    num, den = (int(x) for x in (meter or "4/4").split("/"))
    ticks_per_bar = midi.ticks_per_beat * 4 * num / den
    return MidiFacts(
        path=path,
        midi_type=midi.type,
        ticks_per_beat=midi.ticks_per_beat,
        tempo=round(mido.tempo2bpm(tempos[0][1]), 4) if tempos else None,
        tempo_changes=len({t for _, t in tempos}) - 1 if tempos else 0,
        meter=meter,
        key_signature=key_signature,
        programs=programs,
        drums_on_channel_10=drums_ok,
        bars=math.ceil(end / ticks_per_bar - 1e-9),
        markers=tuple(text for _, text in sorted(markers)),
    )


def midi_agreement(
    facts: MidiFacts,
    *,
    tempo: float | None = None,
    meter: str | None = None,
    bars: int | None = None,
    programs: Mapping[str, int] | None = None,
) -> dict[str, bool]:
    """Which asked values the file holds exactly: keys ``midi_tempo_ok`` (within 0.01 BPM),
    ``midi_meter_ok``, ``midi_bars_ok``, ``midi_programs_ok`` (the pitched stems' programs,
    and drums on channel 10), for each value given."""
    out: dict[str, bool] = {}
    if tempo is not None:
        out["midi_tempo_ok"] = facts.tempo is not None and abs(facts.tempo - tempo) <= (
            TEMPO_TOLERANCE_BPM
        )
    if meter is not None:
        out["midi_meter_ok"] = (facts.meter or "4/4") == meter
    if bars is not None:
        out["midi_bars_ok"] = facts.bars == bars
    if programs is not None:
        pitched = {k: v for k, v in programs.items() if k != "drums"}
        same = all(facts.programs.get(k) == v for k, v in pitched.items())
        out["midi_programs_ok"] = same and facts.drums_on_channel_10 is not False
    return out
