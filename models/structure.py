"""Song form at sampling time: which sections a take has, which latent frames repeat
which (``tie_groups``), and the chord-track values a take closes on (``closing_chords``: a
fresh take's cadence, a form's last bar on the tonic).

Same-letter sections come back by tied sampling: they start from the same noise (one draw,
``share_noise``) and, at every step above ``TIED_ABOVE``, share the first section's velocity
prediction (``TIE_FIRST``; the mean of all of theirs before session 15), so the network
writes each repeated section once; below it each return finishes on its own, a varied
repeat. A repeat's last bar is left untied, so it may vary into its phrase end or the next
section. A fresh take's noise also returns, weakly, 2 bars later (``phrase_noise``).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import torch

from models.request import GenerateRequest
from models.text import PromptAttributes
from multitrack.chords import Chord, format_chord
from multitrack.form import INTRO, OUTRO, default_sections, parse_form
from multitrack.song import ChordSpan, Note, Section, Song
from multitrack.theory import Key

# A repeat's bars left untied at its end (the variation it may make), in sections of at
# least ``UNTIED_FROM`` bars; shorter ones return whole (a 4-bar section with one bar free
# kept only 0.38 of its melody events, bench/form.py's similarity).
UNTIED_BARS = 1
UNTIED_FROM = 8

# Timestep (of 1,000) down to which tied sections share their predictions; below it each
# return is sampled on its own (0: tied to the end, and each return then plays the notes of
# the section it returns to, ``tie_notes``, as sessions 8-10 shipped). Returns note for note
# told long takes from the corpus's long windows, whose repeats vary: `bench/realism.py
# --bars 16,32` 0.843 tied to the end, 0.790 at 300, 0.767 at 600; `bench/form.py` passes
# 1.00 / 0.96 / 0.84 (issue 12 asks >= 0.90), the harmony returning 1.00 / 0.82 / 0.62
# (docs/model.md, "Session 11").
TIED_ABOVE = 300
# The same for a model with a pitch reader (``models.autoencoder``): it reads the small
# differences a return's own last steps leave as other pitches, where the tuned decoder
# read them as the same notes. `bench/form.py --n 50` passes 0.80 / 0.90 / 0.92 tied down
# to 300 / 150 / 60, harmony returning 0.86 / 0.92 / 0.96; long takes (`bench/realism.py
# --bars 16,32 --n 150`) 0.747 at 300, 0.790 at 60 (0.4.1 at 300: 0.803; docs/model.md,
# "Session 14").
READER_TIED_ABOVE = 60
# Tied sections share their first member's prediction (``tie``), not the mean of all of
# theirs: the mean of predictions made in other contexts is a blur, and the pitch reader
# read it as fewer notes. `bench/form.py --n 50` (0.4.2): pass 0.92 -> 0.98, harmony
# returning 0.96 -> 1.00, melody notes a bar 0.68 -> 0.78 of the style's (the held-out long
# windows: 0.78). Held further apart (to timestep 150 / 300) it passed 0.92 / 0.88 (docs/
# model.md, "Session 15"). False averages them, as sessions 8-14 did.
TIE_FIRST = True

# A fresh 8-bar take with no form asked returns to its first phrase as often as the corpus's
# held-out 8-bar windows do (``label_sections``: A A 0.200, A B 0.625, one 8-bar phrase
# 0.175): drawn by its seed, bars 5-8 are tied to bars 1-4 (sampled as a form's returns
# are, ``TIED_ABOVE``) in ``SHORT_RETURN`` of them. The plan only steers sampling (the
# section track and the ties); the take lists no sections and is not held to end on the
# tonic. `bench/realism.py` held-out: 0.693 -> 0.672, melody bars returning 4 bars later
# 0.092 -> 0.260 (windows 0.253). Telling the other takes A B or A as well: 0.665, but the
# quality bench's chord-tone ratio -7.5% -> -11.5% and style 0.779 -> 0.760; not kept
# (docs/model.md, "Session 12"). 0: no plan, as before.
SHORT_BARS = 8
SHORT_RETURN = 0.2

# A fresh take of ``CADENCE_BARS`` bars or more is told, through the chord track alone (no
# chord guidance, no forced decoding: the band and the melody stay the network's), that its
# last two bars are the dominant and the tonic (``models.structure.dominant_chord``). The
# network's harmony leans on the tonic: of 8-bar takes from 120 training-split windows'
# captions, 0.142 sounded one chord root throughout (windows 0.042), the tonic held 0.678 of
# the chord time and the fifth 0.079 (windows 0.522 / 0.149). Told the cadence: 0.042, 0.628
# and 0.146, distinct roots 2.68 -> 2.92 (3.17). `bench/realism_heldback.py --bars 8 --n 300
# --split train`: logistic / boosted 0.793 / 0.868 -> 0.778 / 0.855, notes only 0.723 / 0.855
# -> 0.728 / 0.845; its harmony tells (fifth's share d -0.41, longest one-root run +0.42,
# roots -0.32) leave its top ten but the tonic's (+0.39 -> +0.31). Tried, not taken: also a
# dominant on bar 4's second half (fifth's share overshoots: 0.203 against 0.156), the
# dominant for only the last half of bar 7 (notes only 0.750 / 0.863), and 4-bar takes
# (their third bar on the dominant: 0.757 / 0.818 on 4- and 8-bar windows). Its cost: the
# melody's fourths and fifths, 0.113 -> 0.120 of its moves (`bench/realism.py --split train`;
# windows 0.098, the line 0.113), the cadence's leap to the tonic. Held-out, once: the
# fifth's / tonic's share 0.083 / 0.646 -> 0.118 / 0.624 (windows 0.170 / 0.519), fourths and
# fifths 0.107 -> 0.108 (9 of 9 melody targets), realism 0.593 -> 0.605, style classifier
# 0.784 -> 0.765 (docs/model.md, "Session 23"). A take whose chords and bass are silent (a
# solo, "erhu solo with drums, 国风") is told nothing: its harmony is the melody's, and told
# a cadence, that one (seed 7) dropped the drums it named. False tells nothing.
CADENCE = True
CADENCE_BARS = 8
# A fresh take with a form may also be told the dominant and the tonic on the last two bars
# of each earlier section of ``CADENCE_BARS`` or more, each section a phrase that closes as an
# 8-bar take does (the held-out long windows' 8-bar sections: the fifth's share of bar 7
# 0.22, the tonic's of bar 8 0.55, against 0.16 and 0.52 over all bars). Tried in session
# 27 against 8-bar sections holding one chord (a ballad's A sections held C minor for 7
# bars). 68 32-bar form takes, 272 sections, bar roots by the recogniser: one root
# throughout 0.136 -> 0.015, roots a section 2.53 -> 2.89, the fifth's share 0.053 -> 0.170,
# the tonic's 0.680 -> 0.633; the training split's long windows read the same way: 0.281,
# 2.25, 0.107, 0.665 (their tunes change chord inside the bar, the recogniser's bar roots
# keep the tonic). Long takes (`bench/realism.py --bars 16,32 --n 120 --split train`)
# 0.804 -> 0.808. Not kept: no measure says the takes come closer to the corpus.
SECTION_CADENCE = False

# Phrases come back 2 bars later: in the corpus's held-out windows a melody bar shares 0.14
# of its (onset, pitch) events with the bar 2 before it, against 0.08 one or three bars
# apart; 0.4.2's takes shared 0.08 at every distance. The starting noise of a fresh take
# (no source, no forced chords) draws each bar correlated ``PHRASE_NOISE`` with the bar 2
# before it (``phrase_noise``), so the sampler starts from a phrase that returns, varied.
# Chosen on 200 training-split windows' captions (`bench/realism.py --split train`) over
# 0.2 / 0.3 / 0.4 (with ``TIE_FIRST`` and the comping's ringing voices, not yet capped at the
# bar line): classifier 0.632 / 0.637 / 0.655 (0.672 with none of the three; 0.5 alone
# 0.690), motif share 0.200 / 0.202 / 0.206 (windows 0.205), melody notes a bar 4.18 / 4.32 /
# 4.43 (4.80); 0.2 and 0.3 are within the classifier's noise, 0.3 sings more notes. As
# shipped, 0.627; held-out +2 returns 0.076 -> 0.137 (windows 0.144). 0 draws every frame on
# its own, as before (docs/model.md, "Session 15").
PHRASE_NOISE = 0.3


def plan_sections(
    request: GenerateRequest, attrs: PromptAttributes, frame: Song, kept: tuple[Section, ...]
) -> tuple[Section, ...]:
    """The take's sections: an asked form (request, then prompt), else the style's default
    from 16 bars; for an edit, the source's sections plus one for the added bars."""
    if request.source is not None:
        added = request.extend or request.prepend
        if not added:
            return request.source.sections
        start = 0 if request.prepend else frame.bars - added
        letter = INTRO if request.prepend else OUTRO  # new music: no earlier letter returns
        new = Section(start, added, letter, "Intro" if request.prepend else "Extension")
        return _distinct_labels(tuple(sorted((*kept, new), key=lambda s: s.start)))
    text = request.form or getattr(attrs, "form", None)
    return parse_form(text, frame.bars) if text else default_sections(attrs.style, frame.bars)


def _distinct_labels(sections: tuple[Section, ...]) -> tuple[Section, ...]:
    """``sections`` with labels that occur more than once numbered in order ("Intro",
    "Intro" -> "Intro 1", "Intro 2"): each becomes a DAW marker, and an intro added before a
    take's own intro made two markers named alike."""
    counts = Counter(s.label for s in sections)
    seen: Counter[str] = Counter()
    out = []
    for s in sections:
        if counts[s.label] > 1:
            seen[s.label] += 1
            s = replace(s, label=f"{s.label} {seen[s.label]}")
        out.append(s)
    return tuple(out)


def phrase_plan(request: GenerateRequest, frame: Song) -> tuple[Section, ...]:
    """The sections sampling follows: the take's own (``frame.sections``), else for a fresh
    take of ``SHORT_BARS`` bars "A A" in ``SHORT_RETURN`` of seeds."""
    if frame.sections or request.source is not None or frame.bars != SHORT_BARS:
        return frame.sections
    if random.Random(f"phrase plan {request.seed}").random() < SHORT_RETURN:
        return parse_form("A A", frame.bars)
    return ()


def returns(sections: tuple[Section, ...]) -> list[tuple[Section, Section, int]]:
    """(first section, later section, tied bars) for each section whose letter came before:
    the first ``tied bars`` of both are sampled as one (``tie_groups``), all but the last
    ``UNTIED_BARS`` of the shorter (from ``UNTIED_FROM`` bars)."""
    by_letter: dict[str, list[Section]] = {}
    for s in sections:
        if s.letter not in (INTRO, OUTRO):
            by_letter.setdefault(s.letter, []).append(s)
    out: list[tuple[Section, Section, int]] = []
    for members in by_letter.values():
        if len(members) < 2:
            continue
        shortest = min(s.bars for s in members)
        bars = shortest - (UNTIED_BARS if shortest >= UNTIED_FROM else 0)
        if bars >= 1:
            out += [(members[0], later, bars) for later in members[1:]]
    return out


def tie_groups(
    sections: tuple[Section, ...], frames_per_bar: int, frames: int
) -> list[list[torch.Tensor]]:
    """Groups of equally long frame-index tensors sampled as one: for each letter that
    returns, its first section's frames and each later section's (``returns``)."""
    groups: dict[int, list[torch.Tensor]] = {}
    for first, later, bars in returns(sections):
        a, b = (torch.arange(s.start * frames_per_bar, (s.start + bars) * frames_per_bar)
                for s in (first, later))  # fmt: skip
        groups.setdefault(first.start, [a]).append(b)
    return [g for g in groups.values() if all(int(t[-1]) < frames for t in g)]


def tie_notes(song: Song) -> Song:
    """``song`` with each return's tied bars (``returns`` of its sections) playing the notes
    of its first section's, in every stem. Their latents were sampled as one, but the
    melody decoder reads a bar against the bars before it (``models.decoding``: returning
    rhythms and pitches), so the same latents could decode to different notes in another
    place; this keeps a section's return the music it returns to. A note running past the
    tied bars is cut where they end."""
    bar = song.meter.steps_per_bar
    stems = dict(song.stems)
    for first, later, bars in returns(song.sections):
        a, b = first.start * bar, (first.start + bars) * bar
        shift = (later.start - first.start) * bar
        if b + shift > song.steps:
            continue
        for name, stem in stems.items():
            kept = [
                replace(n, duration=min(n.duration, a + shift - n.start))
                if n.start < a + shift
                else n
                for n in stem.notes
                if not a + shift <= n.start < b + shift
            ]
            moved = [replace(n, start=n.start + shift, duration=min(n.duration, b - n.start))
                     for n in stem.notes if a <= n.start < b]  # fmt: skip
            stems[name] = replace(stem, notes=tuple(sorted([*kept, *moved], key=_order)))
    return replace(song, stems=stems)


def _order(n: Note) -> tuple[int, int]:
    return n.start, n.pitch


def share_noise(x: torch.Tensor, groups: list[list[torch.Tensor]]) -> torch.Tensor:
    """``x`` (B, C, F) of standard normal noise with each group's frames given its first
    member's draw. Not their mean: the mean of n independent draws has variance 1/n, and
    the sampler then starts tied sections from too little noise; such sections came out
    with half the melody notes of untied ones (session 11, bench/form.py)."""
    if not groups:
        return x
    x = x.clone()
    for first, *later in groups:
        for g in later:
            x[:, :, g] = x[:, :, first]
    return x


def phrase_noise(x: torch.Tensor, frames_per_bar: int, rho: float | None = None) -> torch.Tensor:
    """``x`` (B, C, F) of standard normal noise with each bar's draw correlated ``rho``
    (default ``PHRASE_NOISE``) with the draw of the bar 2 before it: an AR(1) over every
    other bar, ``sqrt(1 - rho^2)`` of its own draw plus ``rho`` of that bar's, so every frame
    stays unit variance (bars 4 apart correlate rho^2)."""
    rho = PHRASE_NOISE if rho is None else rho
    span = 2 * frames_per_bar
    if rho <= 0 or frames_per_bar <= 0 or x.shape[2] <= span:
        return x
    x = x.clone()
    c = (1 - rho * rho) ** 0.5
    for a in range(span, x.shape[2], frames_per_bar):
        b = min(a + frames_per_bar, x.shape[2])
        x[:, :, a:b] = c * x[:, :, a:b] + rho * x[:, :, a - span : b - span]
    return x


def tie(x: torch.Tensor, groups: list[list[torch.Tensor]]) -> torch.Tensor:
    """``x`` (B, C, F) with each group's frames replaced by its first member's
    (``TIE_FIRST``), else by their mean."""
    if not groups:
        return x
    x = x.clone()
    for group in groups:
        first = x[:, :, group[0]]
        shared = first if TIE_FIRST else torch.stack([x[:, :, g] for g in group]).mean(0)
        for g in group:
            x[:, :, g] = shared
    return x


def _parent_triad(key: Key, degree: int) -> str:
    """The triad ``degree`` semitones above a key's tonic within its parent scale, major or
    minor as that scale's third above it says, spelt in the key."""
    parent = Key(key.relative_major_tonic, "major").pitch_classes()
    root = (key.tonic + degree) % 12
    return format_chord(Chord(root, "maj" if (root + 4) % 12 in parent else "m"), key=key)


def dominant_chord(key: Key) -> str:
    """The triad on a key's fifth within its parent scale ("G" in C, "Em" in A minor)."""
    return _parent_triad(key, 7)


def tonic_chord(key: Key) -> str:
    """The tonic triad of a key within its parent scale ("C", "Am"; D zhi -> "D")."""
    return _parent_triad(key, 0)


def closing_chords(
    frame: Song, *, fresh: bool, repaint: tuple[int, int] | None, band: bool
) -> tuple[ChordSpan, ...]:
    """The chords a take's chord track is told (the rest left as they are): the dominant and
    the tonic on its last two bars for a ``fresh`` take of ``CADENCE_BARS`` or more whose
    chords or bass play (``band``; ``CADENCE``), and on each earlier section's
    (``SECTION_CADENCE``); else the tonic alone on the last bar for a fresh take with a form,
    or an edit that repaints (``repaint``, bars from, to) up to the end; else none."""
    bar = frame.meter.steps_per_bar
    home = tonic_chord(frame.key)
    tonic = ChordSpan(frame.steps - bar, bar, home)
    if CADENCE and band and fresh and frame.bars >= CADENCE_BARS:
        dominant = dominant_chord(frame.key)
        inner: tuple[ChordSpan, ...] = ()
        if SECTION_CADENCE:
            inner = tuple(
                span
                for sec in frame.sections[:-1]
                if sec.bars >= CADENCE_BARS
                for span in (
                    ChordSpan((sec.end - 2) * bar, bar, dominant),
                    ChordSpan((sec.end - 1) * bar, bar, home),
                )
            )
        return *inner, ChordSpan(frame.steps - 2 * bar, bar, dominant), tonic
    ends = repaint is None or repaint[1] == frame.bars
    return (tonic,) if ends and (frame.sections if fresh else repaint is not None) else ()
