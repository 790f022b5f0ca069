"""Notes from the autoencoder decoder's logits: the model's output read back as a Song.

``models.representation`` defines the arrays the network sees and predicts; this module
decides which notes those predictions are. Binary rows (drum onsets) are thresholded at
calibrated logits; the chords stem is read as a band comps (``models.comping``); the
monophonic stems are read as lines (``models.lines``), each with its settings here: the
bass against the chords, at its density, in its style's grooves; the melody last, against
the chords and bass.

The module-level constants are the decoder's settings for each stem; each says how it was
chosen. The benches override them by ``setattr`` on this module (bench/realism.py
``--decoded-as-0.4``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial

import numpy as np
from numpy.typing import NDArray

from models import lines
from models.comping import read_comping
from models.config import CHORDS_LOW, DEFAULT_KEY_FRAME
from models.grooves import DrumBook, RhythmBook, closest_reading, pulls_of
from models.lines import read_line
from models.prior import degrees_for, table_for
from models.representation import _WINDOW, F32, POS_WEIGHT, key_shift
from multitrack.harmony import fold_pitch_classes, harmony_pitch_classes, sounding
from multitrack.song import DRUM_CLASSES, STEMS, Note, Song, Stem

# Velocities are not modelled: a producer gets even, metrically accented velocities that the
# DAW's MIDI clips make easy to reshape. Per stem: base velocity, extra on strong beats.
_VELOCITY = {"melody": (88, 12), "chords": (72, 8), "bass": (92, 10), "drums": (84, 24)}


def _velocity(stem: str, start: int, steps_per_beat: int, steps_per_bar: int) -> int:
    base, accent = _VELOCITY[stem]
    if start % steps_per_bar == 0:
        return base + accent
    if start % steps_per_beat == 0:
        return base + accent // 2
    return base


# The bass's own bonus for a note whose pitch class the chords stem sounds where it starts.
# 2 (the melody's) gave 0.535 of bass notes in the chord on bench/realism.py's held-out
# windows against their 0.596, past issue 11's 10% line. Chosen on 200 training-split
# windows' captions over 2, 3 and 4: bass in chord 0.561 / 0.575 / 0.590 against the
# windows' 0.583, classifier 0.703 / 0.705 / 0.717 (docs/model.md, "Session 10").
BASS_TONE_BONUS = 3.0
# Share of ``CHORD_TONE_BONUS`` a melody note gets when it starts off the beat (the bass
# gets it whole). 1.0 treats every note alike, as 0.4.1 did; 0 leaves notes between the
# beats free to pass between chord tones by step, as melodies do (passing and neighbour
# notes fall between beats). Chosen on 200 training-split windows' captions over 1, 0.5 and
# 0 (realism classifier 0.745 / 0.740 / 0.730, steps 0.401 / 0.411 / 0.424 against 0.480),
# then checked on bench/realism.py's 200 held-out windows: 0.762 -> 0.720, steps 0.414 ->
# 0.435 (corpus 0.507), pitch-class entropy 2.13 -> 2.17 (2.34), strong-beat chord tones
# 0.644 -> 0.645 (0.656); bass in chord 0.534 -> 0.536 (freeing the bass's off-beat notes
# too gave 0.710, bass in chord 0.529; docs/model.md, "Session 9").
CHORD_TONE_OFFBEAT = 0.0


# A model with a pitch reader (``models.autoencoder``; session 14), whose pitch rows are as
# sure of a generated latent's chromatic and leaping notes as of the rest, decodes its
# melody with these instead: its table (half interval distribution,
# ``models.prior.INTERVAL_MIX``) weighs 10 and the merge scale 8 (the same ratio, so a
# repeated pitch merges as often as before). Chosen on 200 training-split windows' captions:
# weight 2.5 / 4 / 6 / 8 / 10 (merge scale 2 / 3.2 / 4.8 / 6.4 / 8): classifier 0.760 / 0.723 /
# 0.685 / 0.670 / 0.660, steps 0.37 / 0.40 / 0.43 / 0.46 / 0.48 (windows 0.48), pitch-class
# entropy 2.34 / 2.32 / 2.31 / 2.30 / 2.30 (2.35). With the merge scale left at 2 under a
# weight of 6, repeats fell to 0.06 and notes a bar to 3.5. Its chord-tone bonus grows with
# the weight: 2 / 6 / 10 gave the quality bench's chord-tone ratio -14.4% / -10.3% / -8.6% of
# the reference's (0.4.1: -7.9%) and style 0.745 / 0.745 / 0.760, realism 0.673 / 0.668 /
# 0.665. The bass decodes as without a reader (its table at ``PRIOR_WEIGHT``, merges at
# ``MERGE_SCALE``; at the reader's 8: held-out realism 0.657 against 0.665, bass notes a bar
# 2.78 against 2.69, the windows' 2.76, both within noise). The degree correction is not
# read: the reader's takes use the degrees about as the windows do (pitch-class entropy
# 2.30 against 2.35, in scale 0.971 against 0.974; the tuned decoder's: 2.15, 0.995).
READER_PRIOR_WEIGHT = 10.0
READER_MERGE_SCALE = 8.0
READER_TONE_BONUS = 10.0
# Nats a melody note of at most ``models.lines.SHORT_NOTE`` steps (an eighth) pays for being followed by
# the same pitch, struck again or held on. Fast notes move: in bench/realism.py's held-out
# windows a note of 1 step is followed by its own pitch 7% of the time and one of 2 steps 14%,
# where the reader's takes repeated 16% / 23% (after longer notes 19% against 20%). Within
# one latent frame both notes read the same pitch rows, and the table's single most likely
# move is the repeat (its steps split over four targets), so the path took it. Chosen on 200
# training-split windows' captions over 0 / 5 / 10 / 20 nats: repeats 0.203 / 0.166 / 0.133 /
# 0.094 (windows 0.171), steps 0.434 / 0.465 / 0.487 / 0.509 (0.480), classifier 0.628 /
# 0.635 / 0.642 / 0.710; held-out at 5: 0.635 -> 0.600, repeats 0.202 -> 0.162 (0.164), every
# melody target met (docs/model.md, "Session 16").
SHORT_REPEAT_COST = 5.0

# Under a forced progression (a chord edit, ``--chords``) the melody and the bass are decoded
# against the chords the producer typed (their pitch classes where a symbol names a chord;
# N.C. falls back to what the decoded stems sound), not against what the decoded comping
# happens to sound, and the melody's chord-tone bonus is ``FORCED_MELODY_TONE_BONUS`` (a
# reader's; ``READER_TONE_BONUS`` otherwise). bench/chord_edits.py --n 102 --steps 8: new
# melodies' strong-beat chord-tone fit minus the style windows' -0.057 (decoded harmony) ->
# -0.035 (the typed chords, melody alone) -> -0.033 (melody and bass; recogniser 0.902 ->
# 0.912); bonus 15 / 20: -0.007 / +0.012, the melody's steps 0.439 (the fresh takes') -> 0.422 /
# 0.409, fourths and wider 0.173 -> 0.156 / 0.165 (docs/model.md, "Session 16").
FORCED_MELODY_HARMONY = True
FORCED_BASS_HARMONY = True
FORCED_MELODY_TONE_BONUS = 20.0


# A step where the drums strike both the closed and the open hi-hat keeps the open one. A
# kit has one hi-hat, and GM sound fonts put 42 and 46 in one exclusive class, so whichever
# sounds second cuts the other: the open hat's accent went unheard. The corpus has both in
# 56% of its open-hat steps (MMA's pedal hats and shakers fold onto the closed hat).
ONE_HAT = True
# An edit that plays on from a take (a chord edit, an extension, a repaint of bars:
# ``models.aims.re_played``) reads each drum bar either as the network wrote it or as one of
# the source's own bar patterns (``models.grooves.DrumBook``), the likeliest less its bonus
# among those within this many nats (summed onset log-odds over the threshold): the drummer
# keeps the groove under new chords (``models.aims.SOURCE_DRUMS``). A bar takes a pattern
# only where its bonus (``models.aims.SOURCE_DRUM_WEIGHT`` times log(share / 0.01): 20 nats
# for a pattern in one bar of 8, 37 for one in every bar) outweighs its cost. 0 turns it off.
DRUM_BOOK_NATS = 64.0
_CLOSED_HAT, _OPEN_HAT = DRUM_CLASSES.index("closed_hat"), DRUM_CLASSES.index("open_hat")


# Rhythmic motifs in the melody decoder (``models.lines._motif_rhythm``): a bar takes the rhythm of an
# earlier bar when the network finds that rhythm at most this many nats less likely than its
# own best guess (per-step independent sounding and onset probabilities). 0 turns it off.
# Chosen on 100 training-split 4/8-bar windows' captions (sampled latents replayed through the
# decoder; realism classifier 0.76 -> 0.75 at 8, 0.725 at 16; noise +-0.03), then checked on
# bench/realism.py's 200 held-out windows (DPM-10 x4; corpus: motif share 0.206, melody
# notes a bar 4.42): off 0.773 / 0.071 / 3.92, 8 nats 0.760 / 0.137 / 3.79, 16 nats
# 0.775 / 0.174 / 3.70. 16 returns to rhythms as often as the corpus does but thins the
# melody past issue 11's 15% notes-a-bar line; 8 keeps it (docs/model.md, "Session 6").
MOTIF_NATS = 8.0


# The same for the bass's onset threshold, given the bass notes a bar to come closest to (a
# new take's style's, an edit's source's: ``models.aims.BandAims.density``).
BASS_SHIFTS: tuple[float, ...] = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
# How hard the bass, read at a density (a new take's style's, an edit's source's), may lean
# toward its style's grooves with more notes a bar than a bar's own reading (fewer, when every
# reading plays busier than the aim), once the pulls (``models.grooves.GROOVE_PULLS``) leave it
# more than ``PULL_WITHIN`` off: nats a note added to a book rhythm's bonus
# (``models.grooves.RhythmBook.lean``, ``models.grooves.closest_reading``), each tried at the
# pull that came closest. A bar's choice stays among the book's rhythms the network finds at
# most ``models.lines.BASS_BOOK_NATS`` less likely, so a lean cannot write a bass the network gives no
# sign of. Session 23, on the tuning seeds: fresh takes' bass within 20% of its style's
# windows 0.79 -> 0.82 of styles (`bench/style_density.py --seed 30000`); 340 edits' 0.82 ->
# 0.85 per style, 0.71 -> 0.74 per edit (`bench/chord_edits.py --n 340 --seed 20000`);
# `bench/realism.py --split train` 0.570 -> 0.557. Held-out, once: 340 edits' bass within
# 20% per style 0.85 -> 0.91, realism 0.588 -> 0.593, 8 bars' decode 0.066 -> 0.095 s
# (docs/model.md, "Session 23"). () reads as session 22 did.
BASS_LEANS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)

# Nats the bass's pitch path gains for each step of 1 or 2 semitones between two notes
# (``models.lines._mono_notes``'s ``step_bonus``). The takes' bass repeated its pitch where
# the corpus's steps: on 100 training-split windows' captions, repeats / steps / leaps of a
# fourth or more 0.317 / 0.151 / 0.433 against the windows' 0.242 / 0.219 / 0.442. A cost
# on repeats (session 23) made leaps of them. At 1 / 2 / 3 nats: 0.296 / 0.182 / 0.426,
# 0.277 / 0.220 / 0.414, 0.259 / 0.276 / 0.388, notes on the beat in the chord 0.540 ->
# 0.537 / 0.531 / 0.527 (windows 0.562), passing tones (a non-chord note stepped into and
# out of) 0.038 -> 0.049 / 0.067 / 0.102 (0.070). At 2: `bench/realism.py --split train`
# 0.573 -> 0.578, `bench/realism_heldback.py --split train --bars 8 --n 300` all / notes
# only 0.788 / 0.735 -> 0.768 / 0.735, bass steps d -0.36 -> -0.06 (docs/model.md,
# "Session 24"). 0: none, as before.
BASS_STEP_BONUS = 2.0

# A melody note is struck again at the bar line it would sound through (``models.lines._mono_notes``'s
# ``bar_lines``): the corpus's melodies start a note on 0.94 of their downbeats and hold one
# over the bar line 0.003 of the time, 0.4.2's takes 0.89 and 0.019 (held-out,
# bench/realism_heldback.py). False reads a held note across the bar line as before. On
# 200 training-split windows' captions (`bench/realism.py --split train`): classifier 0.628
# -> 0.615, motif share 0.200 -> 0.215 (windows 0.205), repeats 0.170 -> 0.179 (0.171).
MELODY_BAR_LINES = True

# Nats a melody's pitch path pays for a move against the direction of its last move
# (``models.lines._contour_path``). 0: none, one pitch row a state, as before. The takes' melodies
# zigzag: of their moves, 0.57 turn back against the last (training-split windows 0.49; the
# autoencoder round trip of the windows 0.50, so it is the sampled latents'). On 200
# training-split windows' captions: turns 0.57 / 0.55 / 0.54 / 0.51 at 0 / 1 / 2 / 4 nats,
# `bench/realism.py --split train` 0.615 -> 0.600 at 2 (0.5: 0.600, 1: 0.605), interval
# targets all met. Chosen with a bench/realism_heldback.py feature (``melody_turns``), which
# is then no longer held back (docs/metrics.md).
CONTOUR_TURN_COST = 2.0


def decode_logits(
    logits: dict[str, F32],
    template: Song,
    *,
    threshold: float = 0.5,
    key_frame: str = DEFAULT_KEY_FRAME,
    priors: Mapping[str, F32] | None = None,
    comping: float | None = None,
    bass: float | None = None,
    pitch_reader: bool = False,
    forced: NDArray[np.bool_] | None = None,
    rhythms: RhythmBook | None = None,
    bass_rhythms: RhythmBook | None = None,
    drums: DrumBook | None = None,
) -> Song:
    """Notes from decoder logits (C, T) per stem, transposed into ``template``'s key.
    ``pitch_reader``: the melody's logits came through a pitch reader (``READER_*``).

    Monophonic stems take the most likely row per step (rest included); onsets and
    polyphonic rows are thresholded sigmoid probabilities, calibrated for ``POS_WEIGHT``. The
    bass is decoded against the chords, the melody last, against the chords and bass
    (``models.lines._mono_notes``). Tempo, meter,
    key, programs and length come from ``template``; notes beyond its length are dropped.
    ``priors`` maps "melody" / "bass" to the checkpoint's fitted note-to-note tables
    (``models.prior``). ``comping``: the chords stem's strikes a bar to come closest to
    (``COMPING_SHIFTS``; a chord edit keeping its source's density, a new take its
    style's), None for the threshold as calibrated; ``bass`` the same for the bass's notes
    a bar (``BASS_SHIFTS``). ``forced`` (steps, 12): the pitch classes of a forced
    progression's chords (``FORCED_MELODY_HARMONY``, ``FORCED_BASS_HARMONY``). ``rhythms``:
    the style's comping grooves in the take's meter (``models.grooves.RhythmBook``);
    ``bass_rhythms`` its bass's (``models.lines._groove_rhythm``); ``drums`` the drum bar
    patterns an edit plays on from (``DRUM_BOOK_NATS``).
    """
    shift = key_shift(template.key, key_frame)
    steps = template.steps
    spb, bar = template.meter.steps_per_beat, template.meter.steps_per_bar
    stems: dict[str, Stem] = {}
    # chords and bass first: the melody is decoded against the harmony they sound
    for stem in ("chords", "bass", "drums", "melody"):
        out = logits[stem][:, :steps]
        logit_t = float(np.log(threshold / (1 - threshold)) + np.log(POS_WEIGHT[stem]))
        notes: list[Note]
        if stem in ("melody", "bass"):
            low, rows = _WINDOW[stem]
            harmony = None
            so_far = replace(template, stems={**template.stems, **stems})
            if stem == "melody":
                harmony = harmony_pitch_classes(so_far)
            else:  # the bass against the chords stem alone
                harmony = fold_pitch_classes(sounding(so_far, "chords")) > 0
            use = FORCED_MELODY_HARMONY if stem == "melody" else FORCED_BASS_HARMONY
            if forced is not None and use:
                named = forced[: harmony.shape[0]]
                harmony = harmony.copy()
                rows_named = named.any(axis=1)
                harmony[: named.shape[0]][rows_named] = named[rows_named]
            table = None if priors is None else table_for(priors, stem, template.key)
            motif = MOTIF_NATS if stem == "melody" else 0.0
            offbeat = CHORD_TONE_OFFBEAT if stem == "melody" else 1.0
            degrees = None
            if stem == "melody" and priors is not None and not pitch_reader:
                degrees = degrees_for(priors, template.key)
            melody_tone = READER_TONE_BONUS if pitch_reader else lines.CHORD_TONE_BONUS
            if forced is not None and pitch_reader:
                melody_tone = FORCED_MELODY_TONE_BONUS
            tone = melody_tone if stem == "melody" else BASS_TONE_BONUS
            weight = (
                READER_PRIOR_WEIGHT if pitch_reader and stem == "melody" else lines.PRIOR_WEIGHT
            )
            merge = READER_MERGE_SCALE if pitch_reader and stem == "melody" else lines.MERGE_SCALE
            rest = (low, shift, harmony, table, bar, motif, spb, offbeat, degrees, tone, weight,
                    merge, SHORT_REPEAT_COST if stem == "melody" else 0.0,
                    MELODY_BAR_LINES and stem == "melody",
                    CONTOUR_TURN_COST if stem == "melody" else 0.0,
                    BASS_STEP_BONUS if stem == "bass" else 0.0,
                    bass_rhythms if stem == "bass" else None)  # fmt: skip
            notes = closest_reading(partial(read_line, out, rows, logit_t, rest),
                             lambda notes: len(notes) / template.bars,
                             bass if stem == "bass" else None, BASS_SHIFTS,
                             pulls_of(rest[-1]),
                             BASS_LEANS if rest[-1] is not None else ())  # fmt: skip
        elif stem == "chords":
            frame_notes = read_comping(out, logit_t, bar, template.bars, comping, rhythms)
            notes = [Note(n.start, CHORDS_LOW + n.pitch - shift, n.duration) for n in frame_notes]
        else:
            hit = out > logit_t
            if drums is not None and DRUM_BOOK_NATS > 0:
                hit = drums.read(out - logit_t, hit, bar, DRUM_BOOK_NATS)
            if ONE_HAT:  # a drummer's one hi-hat is open or closed, and GM chokes one by the other
                hit[_CLOSED_HAT] &= ~hit[_OPEN_HAT]
            hits = np.argwhere(hit)
            notes = [Note(int(t), int(r), 1) for r, t in hits]
        notes = [
            Note(n.start, min(127, max(0, n.pitch)), n.duration, _velocity(stem, n.start, spb, bar))
            for n in notes
        ]
        stems[stem] = Stem(stem, tuple(notes), template.stems[stem].program)
    stems = {s: stems[s] for s in STEMS}
    return replace(template, stems=stems)
