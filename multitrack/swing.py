"""Swing: the off-beat of each pair of 8ths (or 16ths) played late, in time only.

A style's feel (``multitrack.styles.Style.swing``, ``swing_unit``) is applied where grid steps
become MIDI ticks (``multitrack.midi_io.song_to_midi``): inside each pair the first note lasts
``ratio`` of the pair (0.5 straight, 2/3 the triplet feel of a jazz swing), positions between
are warped linearly and pair boundaries stay put. The Song, song.json and the grid the model
sees stay straight; reading our own file back undoes the warp (``unswung``).
"""

from __future__ import annotations

import mido


def swing_of(style: str | None) -> tuple[float, int]:
    """The (ratio, unit in steps) a style swings with; (0.5, 2) is straight."""
    if style is None:
        return 0.5, 2
    from multitrack.styles import style as style_of

    s = style_of(style)
    return s.swing, s.swing_unit


def swing_ticks(step: int, ticks_per_step: int, *, ratio: float, unit: int) -> int:
    """The tick of grid ``step`` with swing: inside each pair of ``unit``-step notes the
    first lasts ``ratio`` of the pair, so the second (the off-beat) starts late; positions
    between are warped linearly and pair boundaries stay put. ``ratio`` 0.5 is straight."""
    if not 0.5 <= ratio < 1.0:
        raise ValueError(f"swing ratio must be 0.5-1 (0.5 straight), got {ratio}")
    pair = 2 * unit * ticks_per_step
    base, within = divmod(step * ticks_per_step, pair)
    half = pair / 2
    if within <= half:
        warped = within * (ratio * pair) / half
    else:
        warped = ratio * pair + (within - half) * ((1 - ratio) * pair) / half
    return int(base * pair + round(warped))


def unswing_ticks(tick: int, ticks_per_step: int, *, ratio: float, unit: int) -> float:
    """The inverse of ``swing_ticks`` on ticks: a swung tick back to straight ticks."""
    pair = 2 * unit * ticks_per_step
    base, within = divmod(tick, pair)
    half = pair / 2
    if within <= ratio * pair:
        straight = within * half / (ratio * pair)
    else:
        straight = half + (within - ratio * pair) * half / ((1 - ratio) * pair)
    return base * pair + straight


def unswung(mid: mido.MidiFile, swing: tuple[float, int], ticks_per_step: int) -> mido.MidiFile:
    """A copy of a file we wrote with swing, its note events moved back to the straight grid
    (``unswing_ticks``), so the swung ticks read as the grid the take was made on."""
    ratio, unit = swing
    out = mido.MidiFile(type=mid.type, ticks_per_beat=mid.ticks_per_beat)
    for track in mid.tracks:
        timed: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []
        tick = 0
        for order, msg in enumerate(track):
            tick += msg.time
            at = tick
            if msg.type in ("note_on", "note_off"):
                at = round(unswing_ticks(tick, ticks_per_step, ratio=ratio, unit=unit))
            timed.append((at, order, msg))
        new = mido.MidiTrack()
        now = 0
        for at, _, msg in sorted(timed, key=lambda e: (e[0], e[1])):
            new.append(msg.copy(time=at - now))
            now = at
        out.tracks.append(new)
    return out
