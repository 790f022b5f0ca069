"""Refine a take from feedback: the source take's attributes, changed by the feedback,
become a new request; the generated song then gets the changes the model is not told
(velocities from the new energy, drum density, the melody's octave and instrument); the new
take's song.json records the chain.

Shared by ``multitrack refine`` and the OSC ``/multitrack/refine`` verb. No torch here: the
caller runs the pipeline between ``refine_request`` and ``realise``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from models.request import DEFAULT_GUIDANCE, GenerateRequest, RequestError
from models.text.attributes import PromptAttributes
from models.text.feedback import FeedbackChange, apply_feedback, parse_feedback
from multitrack.arrangement import denser_drums, shift_melody, sparser_drums, transposed
from multitrack.chords import chord_in_key, format_chord
from multitrack.dynamics import apply_dynamics
from multitrack.errors import OutputError
from multitrack.song import STEMS, ChordSpan, Song
from multitrack.theory import Key

MAX_FEEDBACK_CHARS = 500


class FeedbackError(RequestError):
    code = "bad_feedback"


@dataclass(frozen=True)
class Refinement:
    """What a refine does: the source's attributes, the change, the attributes after it, and
    how the drums change (``drum_change``)."""

    source: PromptAttributes
    change: FeedbackChange
    attributes: PromptAttributes
    drums: int


# A take's drums play, for feedback's energy to thicken or thin them (``drum_change``), at
# this many notes a bar or more: the pipeline's ``PLAYS_A_BAR``. One cymbal in 8 bars is not
# a groove to thicken into an 8th-note pulse.
DRUMS_PLAY = 0.5

# Attributes a take's own song fixes (``take_attributes``).
_FIXED = frozenset({"bpm", "key", "meter", "bars", "style", "programs"})


def take_attributes(song: Song, record: Mapping[str, Any]) -> PromptAttributes:
    """A take's attributes from its song.json, with what the take itself fixes (tempo, key,
    meter, bars, style, programs, the stems that play) taken from its song."""
    raw = record.get("attributes")
    # what the take fixes is read from its song, whatever a hand edit left in song.json
    rest = {k: v for k, v in raw.items() if k not in _FIXED} if isinstance(raw, Mapping) else {}
    try:
        attrs = PromptAttributes.from_json(rest)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise OutputError(f"song.json's attributes are not readable ({exc})") from None
    sounding = tuple(s for s in STEMS if song.stems[s].notes)
    return replace(
        attrs,
        # the stems the take plays: "more drums" on a take drawn without them adds them
        stems=sounding if sounding else attrs.stems,
        bpm=song.tempo,
        key=str(song.key),
        meter=str(song.meter),
        bars=song.bars,
        style=song.style if song.style is not None else attrs.style,
        # a stem that plays nothing has no program in song.mid (it reads as 0)
        programs={
            **attrs.programs,
            **{k: v for k, v in song.programs.items() if song.stems[k].notes},
        },
    )


def read_change(feedback: str) -> FeedbackChange:
    """``feedback`` read into a change; ``FeedbackError`` when it is empty, too long, names
    nothing that can change, or asks for changes that cancel out (the CLI and the server
    refuse with the same words)."""
    text = feedback.strip()
    if not text:
        raise FeedbackError(
            'the feedback is empty; say what to change, e.g. "太沉闷了" or "more drums"'
        )
    if len(text) > MAX_FEEDBACK_CHARS:
        raise FeedbackError(f"the feedback is {len(text)} characters; at most {MAX_FEEDBACK_CHARS}")
    change = parse_feedback(text)
    if change.empty and change.understood:  # "brighter, darker": read, and summing to nothing
        raise FeedbackError(
            f"{text!r} asks for changes that cancel each other out "
            f"({'; '.join(change.understood)}); ask for one of them"
        )
    if change.empty:
        raise FeedbackError(
            f"nothing in {text!r} says what to change; try e.g. 太沉闷了, 再欢快一点, 不够中国风, "
            "more drums, slower, brighter"
        )
    return change


def plan_refinement(song: Song, record: Mapping[str, Any], feedback: str) -> Refinement:
    """Read ``feedback`` (``read_change``) and apply it to the take's attributes.
    ``FeedbackError`` when it cannot be read or changes nothing that sounds."""
    text = feedback.strip()
    change = read_change(text)
    source = take_attributes(song, record)
    refined = apply_feedback(source, change)
    drums = _drums(change, len(song.stems["drums"].notes) >= DRUMS_PLAY * song.bars)
    if drums != change.drums:  # livelier or calmer drums: said with the rest
        line = f"drums {'denser' if drums > 0 else 'sparser'} with the energy"
        refined = replace(refined, understood=(*refined.understood,
                                               f"feedback: {line} ({change.text})"))  # fmt: skip
    if not (drums or change.register) and _sounds_alike(source, refined):
        read = [line for line in refined.understood if line not in source.understood]
        raise FeedbackError(
            f"{text!r} changes nothing in this take, which is that way already or at a limit"
            + (f" ({'; '.join(read)})" if read else "")
        )
    return Refinement(source, change, refined, drums)


# The attributes a refined take is made or played from: equal in all, it would be the
# source take again.
_SOUNDING = ("key", "bpm", "meter", "bars", "style", "programs", "stems", "mood", "energy",
             "dynamics", "form", "groove_style", "ambience")  # fmt: skip


def _sounds_alike(a: PromptAttributes, b: PromptAttributes) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in _SOUNDING)


def resamples(refinement: Refinement) -> bool:
    """Whether a refine samples the take again (its prompt and seed, changed) rather than
    changing the take's own notes: only for a change of scale (brighter, darker, "换成小调",
    a key named in another mode, more Chinese), which needs new notes. Every other change is
    made on the take's own notes (tempo, velocities, drum density, the melody's octave and
    instrument, drums written into a take without them, a key of its own mode: ``transposes``).
    Sampling a plain take again at its new tempo lost it: "slower" on an 8-bar take came back
    with other chords and 58 melody notes for its 22, because the network writes for its
    tempo; a chord edit came back with the chords it replaced."""
    change = refinement.change
    if change.mode or change.pentatonic:
        return True
    return (
        change.key is not None and _new_key(refinement) is not None and not transposes(refinement)
    )


def _new_key(refinement: Refinement) -> Key | None:
    """The refined key when it differs from the take's, else None."""
    a, b = refinement.source.key, refinement.attributes.key
    if not b or a == b:
        return None
    return Key.parse(b)


def transposes(refinement: Refinement) -> bool:
    """Whether the refine moves the take to a key of its own mode ("换成D大调" on a C major
    take): its notes and chords move, nothing is sampled again, so a chord edit keeps the
    progression the producer typed, transposed."""
    new = _new_key(refinement)
    source = refinement.source.key
    change = refinement.change
    if new is None or source is None or change.mode or change.pentatonic:
        return False
    return Key.parse(source).mode == new.mode


def _prompt_and_seed(record: Mapping[str, Any]) -> tuple[str, int]:
    """The take's own prompt and seed from its song.json ("" and 0 where unreadable)."""
    prompt, seed = record.get("prompt"), record.get("seed")
    return (
        prompt if isinstance(prompt, str) else "",
        seed if isinstance(seed, int) and not isinstance(seed, bool) else 0,
    )


def notes_request(
    song: Song, refinement: Refinement, record: Mapping[str, Any], *, steps: int = 20
) -> GenerateRequest | None:
    """For a refine that keeps the take's notes: the edit that writes drums into a take that
    had none when more drums are asked (its other stems kept note for note), else None (no
    sampling: ``kept_notes`` is the new song)."""
    if refinement.change.drums <= 0 or song.stems["drums"].notes:
        return None
    prompt, seed = _prompt_and_seed(record)
    return GenerateRequest(
        prompt=prompt,
        seed=seed,
        steps=steps,
        source=kept_notes(song, refinement),
        keep=("melody", "chords", "bass"),
        stems=STEMS,
    )


def kept_notes(song: Song, refinement: Refinement) -> Song:
    """The take's own notes at the refined tempo (and key, ``transposes``), without drums
    if none are wanted."""
    out = replace(song, tempo=float(refinement.attributes.bpm or song.tempo))
    if transposes(refinement):
        out = transposed(out, Key.parse(str(refinement.attributes.key)))
    return out.with_stem("drums", ()) if refinement.change.drums == -2 else out


def typed_chords(
    song: Song, refinement: Refinement, record: Mapping[str, Any]
) -> tuple[ChordSpan, ...] | None:
    """A chord edit's typed progression in the refined key, for a refine that samples the
    take again (another mode: ``resamples``): each chord as the same degree of the new key
    plays it (``multitrack.chords.chord_in_key``: C Am F G in C major -> Cm Ab Fm G in C
    minor). None for a take whose chords were not typed, or a key that does not change: a
    chord edit refined "make it minor" came back with the model's own chords."""
    edit = record.get("edit")
    new = refinement.attributes.key
    if not (isinstance(edit, Mapping) and edit.get("forced_chords")) or not song.chords:
        return None
    if not new or Key.parse(new) == song.key:
        return None
    key = Key.parse(new)
    return tuple(
        ChordSpan(c.start, c.duration, format_chord(chord_in_key(c.chord, song.key, key), key=key))
        for c in song.chords
    )


def refine_request(
    refinement: Refinement,
    record: Mapping[str, Any],
    *,
    seed: int | None = None,
    guidance: float = DEFAULT_GUIDANCE,
    steps: int = 20,
    chords: tuple[ChordSpan, ...] | None = None,
) -> GenerateRequest:
    """A fresh generation with the take's prompt and seed (so the new take is a sibling of
    the source, not a stranger) and the changed tempo, key, length, meter and stems;
    ``chords`` a progression it is forced to (``typed_chords``)."""
    attrs = refinement.attributes
    prompt, own_seed = _prompt_and_seed(record)
    return GenerateRequest(
        prompt=prompt,
        bars=attrs.bars,
        seed=own_seed if seed is None else seed,
        bpm=attrs.bpm,
        key=attrs.key,
        meter=attrs.meter,
        guidance=guidance,
        steps=steps,
        stems=tuple(attrs.stems) if attrs.stems_named else None,
        form=attrs.form,
        chords=chords,
    )


def _drums(change: FeedbackChange, drums_play: bool) -> int:
    """How the drums change: as asked ("more drums": 1, "fewer": -1, "no drums": -2), else
    with the energy where the take's drums play (``DRUMS_PLAY``): livelier ("太沉闷了")
    denser, calmer ("安静一点") sparser; a take without drums gets none for energy alone."""
    if change.drums or not change.energy or not drums_play:
        return change.drums
    return 1 if change.energy > 0 else -1


def drum_change(refinement: Refinement) -> int:
    """How a refine changes the drums, as ``plan_refinement`` decided it (``_drums``)."""
    return refinement.drums


def realise(song: Song, refinement: Refinement, *, seed: int = 0) -> Song:
    """The changes the model is not told, made on the generated song: velocities from the
    new energy, dynamics and mood; more or fewer drums (``drum_change``: as asked, else with
    the energy); the melody an octave up or down; the instruments asked for ("换成二胡",
    "把钢琴换成吉他": each stem's program)."""
    attrs, change = refinement.attributes, refinement.change
    drums = drum_change(refinement)
    if drums != change.drums and not song.stems["drums"].notes:
        drums = 0  # the energy alone never writes drums into a take sampled again without
    if drums == 1:
        song = denser_drums(song)
    elif drums == -1:
        song = sparser_drums(song)
    if change.register:
        song = shift_melody(song, change.register)
    for stem in ("melody", "chords", "bass"):  # an instrument asked for plays the same notes
        if stem in attrs.named_programs and stem in attrs.programs:
            notes = song.stems[stem].notes
            song = song.with_stem(stem, notes, program=int(attrs.programs[stem]))
    return apply_dynamics(
        song,
        style=song.style,
        energy=attrs.energy,
        dynamics=attrs.dynamics,
        mood=attrs.mood,
        seed=seed,
        groove_style=attrs.groove_style,
    )


def chain_meta(
    refinement: Refinement,
    source_dir: Path,
    record: Mapping[str, Any],
    *,
    sampled: bool = True,
) -> dict[str, Any]:
    """The song.json fields of a refined take: its attributes after the change, and the
    chain (source take, feedback, the change read, what changed, whether the take was
    sampled again or its notes kept)."""
    changed = [
        line
        for line in refinement.attributes.understood
        if line not in refinement.source.understood
    ]
    previous = record.get("refine")
    depth = previous.get("depth", 1) + 1 if isinstance(previous, Mapping) else 1
    return {
        "attributes": refinement.attributes.to_json(),
        "refine": {
            "source": str(source_dir),
            "source_take": record.get("take"),
            "feedback": refinement.change.text,
            "change": refinement.change.to_json(),
            "changed": changed,
            "depth": depth,
            "notes": "sampled again" if sampled else "the source's, changed",
        },
    }


def note_stats(song: Song) -> dict[str, float]:
    """Mean velocity and notes per bar over every stem (what a refine is measured on)."""
    notes = [n for name in STEMS for n in song.stems[name].notes]
    mean = sum(n.velocity for n in notes) / len(notes) if notes else 0.0
    return {"mean_velocity": mean, "notes_per_bar": len(notes) / song.bars, "tempo": song.tempo}
