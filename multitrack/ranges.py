"""The lowest note a bass instrument plays, and a bass part folded into it.

The corpus's bass lines go below a four-string bass's low E (3.5% of the held-out windows'
bass notes, the lowest at D0), and the model's takes follow them (2.2%): a B0 under an
electric bass is a note no player has, and a cello's part below its C2 is another
instrument's. ``playable_bass`` raises such notes by octaves into the instrument's range,
keeping their pitch class (so the chord symbols, read from pitch classes, stay as they are).
Instruments not listed (a synth bass, a piano) are left as written.
"""

from __future__ import annotations

from dataclasses import replace

from multitrack.song import Song

# GM program (0-based) -> its lowest playable MIDI note.
LOWEST: dict[int, int] = {
    **dict.fromkeys(range(32, 38), 28),  # acoustic and electric basses: E1
    42: 36,  # cello: C2
    43: 28,  # contrabass: E1
    58: 26,  # tuba: D1
    70: 34,  # bassoon: Bb1
    57: 40,  # trombone: E2
    67: 33,  # baritone sax: A1
}


def playable_bass(song: Song, span: tuple[int, int] | None = None) -> Song:
    """``song`` with its bass notes (those starting inside ``span`` of grid steps, default
    all) below their program's lowest note raised by octaves into its range."""
    stem = song.stems.get("bass")
    low = None if stem is None else LOWEST.get(stem.program)
    if stem is None or low is None:
        return song
    a, b = span if span is not None else (0, song.steps)

    def raised(pitch: int) -> int:
        return pitch + 12 * -(-(low - pitch) // 12) if pitch < low else pitch

    notes = tuple(replace(n, pitch=raised(n.pitch)) if a <= n.start < b else n for n in stem.notes)
    if notes == stem.notes:
        return song
    return replace(song, stems={**song.stems, "bass": replace(stem, notes=notes)})
