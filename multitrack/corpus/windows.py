"""Windows: cut a harmonised tune into 4- and 8-bar training examples.

One tune becomes one or more *versions* (a style per version); each version is cut into
windows of 4 bars (hop 2) and 8 bars (hop 4). Every window draws its own transposition
(-6..+6 semitones, kept so the melody stays in MIDI 48-96), tempo from the style's natural
range, groove among the style's MMA grooves for the meter, and programs. All draws come from
a ``random.Random`` seeded by (build seed, piece, version), so a build is deterministic.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from multitrack.chords import Chord, format_chord, parse_chord
from multitrack.corpus.accompaniment import Accompaniment, Chart, Groove, grooves_for, monophonic
from multitrack.corpus.captions import CaptionFacts, captions
from multitrack.corpus.store import Example
from multitrack.corpus.tunes import Tune
from multitrack.song import ChordSpan, Meter, Note, Song, Stem
from multitrack.styles import STYLES, style
from multitrack.theory import Key
from multitrack.voicing import voice_progression

WINDOWS: tuple[tuple[int, int], ...] = ((4, 2), (8, 4))  # (bars, hop in bars)
MELODY_LOW, MELODY_HIGH = 48, 96
TEST_PERCENT = 5
# Melody timbres that read as Chinese (GM, 0-based): koto, shakuhachi, pan flute, fiddle
# (erhu-like), shamisen, sitar (pipa-like), flute (dizi-like).
CHINESE_MELODY_PROGRAMS: tuple[int, ...] = (107, 77, 75, 110, 106, 104, 73)
CHINESE_CHORD_PROGRAMS: tuple[int, ...] = (46, 107, 0, 48)


def split_of(piece: str) -> str:
    """'test' for a fixed ~5% of pieces (by a hash of the piece name), else 'train'."""
    return "test" if zlib.crc32(piece.encode("utf-8")) % 100 < TEST_PERCENT else "train"


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator seeded by the build seed and a stable hash of ``parts``."""
    text = "\x1f".join(str(p) for p in parts)
    return random.Random(seed * 1_000_003 + zlib.crc32(text.encode("utf-8")))


def styles_for_meter(meter: str) -> tuple[str, ...]:
    """Style ids with at least one groove in ``meter`` (guofeng excluded: it is chosen)."""
    return tuple(s.id for s in STYLES if s.id != "guofeng" and grooves_for(s.grooves, meter))


def regrid(tune: Tune, style_id: str) -> tuple[str, str] | None:
    """(meter the window is labelled with, meter its groove renders in) for a tune in a
    style, or None when the style cannot play the tune's meter. A 2/4 tune stays in 2/4 and
    is accompanied by a 4/4 groove over pairs of bars, unless the style implies 4/4 (then it
    is re-barred as 4/4)."""
    st = style(style_id)
    if grooves_for(st.grooves, tune.meter):
        return tune.meter, tune.meter
    if tune.meter == "2/4" and grooves_for(st.grooves, "4/4"):
        return ("4/4", "4/4") if st.meter == "4/4" else ("2/4", "4/4")
    return None


def choose_styles(tune: Tune, rng: random.Random) -> list[str]:
    """The style of each version of a tune: Chinese Han tunes play as guofeng and once more
    in another style; chorales as hymns; the rest in one style drawn for their meter."""
    if tune.chinese:
        first = "guofeng" if regrid(tune, "guofeng") else None
        others = [
            s for s in ("pop", "ballad", "lofi", "folk", "lullaby", "hiphop") if regrid(tune, s)
        ]
        chosen = [first] if first else []
        if others:
            chosen.append(rng.choice(others))
        return chosen
    if tune.source == "chorales":
        return ["hymn"] if regrid(tune, "hymn") else []
    pool = [s.id for s in STYLES if s.id not in ("guofeng", "hymn") and regrid(tune, s.id)]
    if not pool:
        return []
    # 3/4 and 6/8 have few styles; tunes playable in 4/4 play twice to share them out evenly
    versions = 2 if tune.meter in ("4/4", "2/4") and len(pool) > 1 else 1
    return rng.sample(pool, versions)


def transpose_symbol(symbol: str, shift: int, *, flats: bool) -> str:
    chord = parse_chord(symbol)
    if chord.root is None:
        return symbol
    bass = None if chord.bass is None else (chord.bass + shift) % 12
    return format_chord(Chord((chord.root + shift) % 12, chord.quality, bass), flats=flats)


def slice_spans(spans: Sequence[ChordSpan], start: int, end: int) -> list[ChordSpan]:
    """The spans sounding in [start, end), clipped and shifted to start at 0."""
    out = []
    for s in spans:
        lo, hi = max(s.start, start), min(s.start + s.duration, end)
        if lo < hi:
            out.append(ChordSpan(lo - start, hi - lo, s.symbol))
    return out


@dataclass(frozen=True)
class WindowPlan:
    """Everything drawn for one window before its accompaniment is rendered."""

    tune: Tune
    style: str
    meter: Meter
    first_bar: int
    bars: int
    shift: int
    key: Key
    tempo: int
    groove: Groove
    render_meter: Meter
    melody: tuple[Note, ...]
    chords: tuple[ChordSpan, ...]
    programs: tuple[int, int, int]
    split: str

    def chart(self) -> Chart:
        """The MMA chart: in the groove's meter (2/4 windows render as half as many 4/4 bars)."""
        bars = self.bars * self.meter.steps_per_bar // self.render_meter.steps_per_bar
        return Chart(self.groove, self.chords, bars, self.render_meter)


def _melody_velocity(start: int, meter: Meter) -> int:
    if start % meter.steps_per_bar == 0:
        return 100
    return 88 if start % meter.steps_per_beat == 0 else 78


def plan_windows(
    tune: Tune, spans: Sequence[ChordSpan], key: Key, *, seed: int
) -> list[WindowPlan]:
    """Every window of every version of a harmonised tune (``spans`` in the tune's key)."""
    rng = rng_for(seed, tune.piece)
    plans: list[WindowPlan] = []
    split = split_of(tune.piece)
    pitches = [p for _, p, _ in tune.notes]
    lo, hi = min(pitches), max(pitches)
    shifts = [s for s in range(-6, 7) if lo + s >= MELODY_LOW and hi + s <= MELODY_HIGH] or [0]
    for version, style_id in enumerate(choose_styles(tune, rng)):
        st = style(style_id)
        meters = regrid(tune, style_id)
        assert meters is not None
        meter, render_meter = Meter.parse(meters[0]), Meter.parse(meters[1])
        grooves = grooves_for(st.grooves, meters[1])
        bar = meter.steps_per_bar
        total_bars = -(-tune.steps // bar)
        vr = rng_for(seed, tune.piece, version)
        for length, hop in WINDOWS:
            for first in range(0, total_bars - length + 1, hop):
                start, end = first * bar, (first + length) * bar
                notes = [(s, p, d) for s, p, d in tune.notes if start <= s < end]
                if len(notes) < 4:
                    continue
                shift = vr.choice(shifts)
                new_key = Key((key.tonic + shift) % 12, key.mode)
                melody = tuple(
                    Note(s - start, p + shift, min(d, end - s), _melody_velocity(s - start, meter))
                    for s, p, d in notes
                )
                chords = tuple(
                    ChordSpan(
                        c.start, c.duration, transpose_symbol(c.symbol, shift, flats=new_key.flats)
                    )
                    for c in slice_spans(spans, start, end)
                )
                if style_id == "guofeng":
                    programs = (
                        vr.choice(CHINESE_MELODY_PROGRAMS),
                        vr.choice(CHINESE_CHORD_PROGRAMS),
                        st.programs[2],
                    )
                else:
                    programs = st.programs
                plans.append(
                    WindowPlan(
                        tune=tune,
                        style=style_id,
                        meter=meter,
                        first_bar=first,
                        bars=length,
                        shift=shift,
                        key=new_key,
                        tempo=vr.randint(*st.bpm),
                        groove=vr.choice(grooves),
                        render_meter=render_meter,
                        melody=melody,
                        chords=chords,
                        programs=programs,
                        split=split,
                    )
                )
    return plans


def fill_bass(
    bass: Sequence[Note], chords: Sequence[ChordSpan], meter: Meter, bars: int
) -> list[Note]:
    """The groove's bass, with chord roots (``voice_progression``'s bass line) in the bars
    where the groove has none (arpeggio and lullaby grooves leave the bass to the chords)."""
    bar = meter.steps_per_bar
    have = {n.start // bar for n in bass}
    if len(have) >= bars:
        return list(bass)
    _, roots = voice_progression(chords, meter)
    return monophonic(
        [*bass, *(n for n in roots if n.start // bar not in have and n.start < bars * bar)]
    )


def assemble(plan: WindowPlan, acc: Accompaniment, *, seed: int) -> Example:
    """The example of a planned window with its rendered accompaniment and captions."""
    song = Song(
        bars=plan.bars,
        tempo=float(plan.tempo),
        meter=plan.meter,
        key=str(plan.key),
        stems={
            "melody": Stem("melody", plan.melody, plan.programs[0]),
            "chords": Stem("chords", acc.chords, plan.programs[1]),
            "bass": Stem(
                "bass",
                tuple(fill_bass(acc.bass, plan.chords, plan.meter, plan.bars)),
                plan.programs[2],
            ),
            "drums": Stem("drums", acc.drums, 0),
        },
        chords=plan.chords,
        style=plan.style,
    )
    facts = CaptionFacts(
        style=plan.style,
        key=str(plan.key),
        bpm=plan.tempo,
        meter=str(plan.meter),
        bars=plan.bars,
        melody_program=plan.programs[0],
        chords_program=plan.programs[1],
        bass_program=plan.programs[2],
    )
    rng = rng_for(seed, plan.tune.piece, plan.style, plan.first_bar, plan.bars, "captions")
    return Example(song, captions(facts, rng), plan.tune.source, plan.tune.piece)
