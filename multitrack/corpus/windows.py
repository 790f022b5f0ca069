"""Windows: cut a harmonised tune into 4- and 8-bar training examples.

One tune becomes one or more *versions* (a style per version). Each version draws a
transposition (-6..+6 semitones, kept so the melody stays in MIDI 48-96) and a groove among
the style's MMA grooves for the meter, and is accompanied once as a whole (MMA's work is a
quarter of rendering every overlapping window); then it is cut into windows of 4 bars (hop
2) and 8 bars (hop 4), each with its own tempo from the style's natural range, programs and
captions. All draws come from ``random.Random`` generators seeded by (build seed, piece,
version, window), so a build is deterministic.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from multitrack.chords import transpose_symbol
from multitrack.corpus.accompaniment import Accompaniment, Chart, Groove, grooves_for, monophonic
from multitrack.corpus.captions import CaptionFacts, captions
from multitrack.corpus.store import Example
from multitrack.corpus.tunes import Tune
from multitrack.form import label_sections, window_sections
from multitrack.grid import cut_notes
from multitrack.song import ChordSpan, Meter, Note, Section, Song, Stem
from multitrack.styles import STYLES, style
from multitrack.theory import Key
from multitrack.voicing import voice_progression

# (bars, hop in bars). Long windows carry whole forms (repeats are written out, so an AABB
# reel is 32 bars); 4-bar windows hop 4 since written-out repeats make hop-2 ones doubles.
WINDOWS: tuple[tuple[int, int], ...] = ((4, 4), (8, 4), (16, 8), (32, 16))
MELODY_LOW, MELODY_HIGH = 48, 96
# A tune longer than this once its repeats are written out is a runaway expansion (one Aird
# air grows to 8,184 bars), not a form: it is left out.
MAX_TUNE_BARS = 400
TEST_PERCENT = 5
# Melody timbres that read as Chinese (GM, 0-based), as the prompt parser maps them: koto
# (guzheng), shakuhachi (xiao), pan flute, fiddle (erhu), shamisen (pipa), flute (dizi).
CHINESE_MELODY_PROGRAMS: tuple[int, ...] = (107, 77, 75, 110, 106, 73)
CHINESE_CHORD_PROGRAMS: tuple[int, ...] = (46, 107, 0, 48)


def split_of(piece: str) -> str:
    """'test' for a fixed ~5% of pieces (by a hash of the piece name), else 'train'."""
    return "test" if zlib.crc32(piece.encode("utf-8")) % 100 < TEST_PERCENT else "train"


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator seeded by the build seed and a stable hash of ``parts``."""
    text = "\x1f".join(str(p) for p in parts)
    return random.Random(seed * 1_000_003 + zlib.crc32(text.encode("utf-8")))


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


def slice_spans(spans: Sequence[ChordSpan], start: int, end: int) -> list[ChordSpan]:
    """The spans sounding in [start, end), clipped and shifted to start at 0."""
    out = []
    for s in spans:
        lo, hi = max(s.start, start), min(s.start + s.duration, end)
        if lo < hi:
            out.append(ChordSpan(lo - start, hi - lo, s.symbol))
    return out


@dataclass(frozen=True)
class VersionPlan:
    """One version of a tune: its style, meters, transposition and groove, the whole tune's
    melody and chords transposed, and the windows to cut from it once accompanied."""

    tune: Tune
    version: int
    style: str
    meter: Meter
    render_meter: Meter
    shift: int
    key: Key
    groove: Groove
    melody: tuple[Note, ...]
    chords: tuple[ChordSpan, ...]
    bars: int
    windows: tuple[tuple[int, int], ...]  # (first bar, bars)
    split: str
    sections: tuple[Section, ...] = ()  # the whole tune's form (multitrack.form)

    def chart(self) -> Chart:
        """The whole tune's MMA chart, in the groove's meter (a 2/4 tune over 4/4 grooves
        renders as half as many bars)."""
        steps = self.bars * self.meter.steps_per_bar
        bars = -(-steps // self.render_meter.steps_per_bar)
        return Chart(self.groove, self.chords, bars, self.render_meter)


def _melody_velocity(start: int, meter: Meter) -> int:
    if start % meter.steps_per_bar == 0:
        return 100
    return 88 if start % meter.steps_per_beat == 0 else 78


def plan_versions(
    tune: Tune, spans: Sequence[ChordSpan], key: Key, *, seed: int
) -> list[VersionPlan]:
    """Every version of a harmonised tune (``spans`` in the tune's key) with its windows."""
    rng = rng_for(seed, tune.piece)
    plans: list[VersionPlan] = []
    if tune.steps > MAX_TUNE_BARS * Meter.parse(tune.meter).steps_per_bar:
        return plans
    pitches = [p for _, p, _ in tune.notes]
    lo, hi = min(pitches), max(pitches)
    shifts = [s for s in range(-6, 7) if lo + s >= MELODY_LOW and hi + s <= MELODY_HIGH] or [0]
    for version, style_id in enumerate(choose_styles(tune, rng)):
        meters = regrid(tune, style_id)
        assert meters is not None
        meter, render_meter = Meter.parse(meters[0]), Meter.parse(meters[1])
        bar = meter.steps_per_bar
        total_bars = -(-tune.steps // bar)
        windows = tuple(
            (first, length)
            for length, hop in WINDOWS
            for first in range(0, total_bars - length + 1, hop)
            if sum(first * bar <= s < (first + length) * bar for s, _, _ in tune.notes) >= 4
        )
        if not windows:
            continue
        vr = rng_for(seed, tune.piece, version)
        shift = vr.choice(shifts)
        new_key = Key((key.tonic + shift) % 12, key.mode)
        plans.append(
            VersionPlan(
                tune=tune,
                version=version,
                style=style_id,
                meter=meter,
                render_meter=render_meter,
                shift=shift,
                key=new_key,
                groove=vr.choice(grooves_for(style(style_id).grooves, meters[1])),
                melody=tuple(
                    Note(s, p + shift, d, _melody_velocity(s, meter)) for s, p, d in tune.notes
                ),
                chords=tuple(
                    ChordSpan(
                        c.start, c.duration, transpose_symbol(c.symbol, shift, flats=new_key.flats)
                    )
                    for c in spans
                ),
                bars=total_bars,
                windows=windows,
                split=split_of(tune.piece),
                sections=label_sections([Note(s, p, d) for s, p, d in tune.notes], total_bars, bar),
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


def assemble(
    plan: VersionPlan, acc: Accompaniment, first_bar: int, bars: int, *, seed: int
) -> Example:
    """Window (``first_bar``, ``bars``) of an accompanied version, with its own tempo (from
    the style's range), programs and captions."""
    st = style(plan.style)
    rng = rng_for(seed, plan.tune.piece, plan.version, first_bar, bars)
    tempo = rng.randint(*st.bpm)
    if plan.style == "guofeng":
        programs = (
            rng.choice(CHINESE_MELODY_PROGRAMS),
            rng.choice(CHINESE_CHORD_PROGRAMS),
            st.programs[2],
        )
    else:
        programs = st.programs
    bar = plan.meter.steps_per_bar
    start, end = first_bar * bar, (first_bar + bars) * bar
    chords = tuple(slice_spans(plan.chords, start, end))
    song = Song(
        bars=bars,
        tempo=float(tempo),
        meter=plan.meter,
        key=plan.key,
        stems={
            "melody": Stem("melody", cut_notes(plan.melody, start, end), programs[0]),
            "chords": Stem("chords", cut_notes(acc.chords, start, end), programs[1]),
            "bass": Stem(
                "bass",
                tuple(fill_bass(cut_notes(acc.bass, start, end), chords, plan.meter, bars)),
                programs[2],
            ),
            "drums": Stem("drums", cut_notes(acc.drums, start, end), 0),
        },
        chords=chords,
        style=plan.style,
        sections=window_sections(plan.sections, first_bar, bars),
    )
    facts = CaptionFacts(
        style=plan.style,
        key=plan.key,
        bpm=tempo,
        meter=str(plan.meter),
        bars=bars,
        melody_program=programs[0],
        chords_program=programs[1],
        bass_program=programs[2],
    )
    return Example(song, captions(facts, rng), plan.tune.source, plan.tune.piece)
