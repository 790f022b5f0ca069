"""Refine on the shipped model, measured on the notes (issue 17): each feedback phrase moves
the new take the way it says against its source.

The source takes get their velocities from ``multitrack.dynamics`` with their own attributes,
as every take does once the pipeline runs the velocity layer after decoding."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.pipeline import Pipeline
from models.refinement import FeedbackError, note_stats, plan_refinement, realise, refine_request
from models.request import GenerateRequest
from multitrack.dynamics import apply_dynamics
from multitrack.example import example_song
from multitrack.song import MIN_BPM, STEMS, Song
from multitrack.theory import Key

PROMPTS = ("一段舒缓的古筝曲,宁静", "chill lo-fi hip hop with piano", "欢快的流行歌曲")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.load(candidates=1)


def source_takes(
    pipeline: Pipeline, prompts: tuple[str, ...], seed: int, steps: int
) -> list[tuple[Song, dict[str, object]]]:
    """4-bar takes of ``prompts`` with their velocities, and the records a refine reads."""
    out = []
    for i, prompt in enumerate(prompts):
        request = GenerateRequest(prompt=prompt, bars=4, seed=seed + i, steps=steps)
        gen = pipeline.generate(request)
        a = gen.attributes
        song = apply_dynamics(gen.song, style=gen.song.style, energy=a["energy"],
                              dynamics=a["dynamics"], mood=a["mood"], seed=request.seed)  # fmt: skip
        record = {"prompt": prompt, "seed": request.seed, "attributes": a, "take": f"t{i}"}
        out.append((song, record))
    return out


@pytest.fixture(scope="module")
def sources(pipeline: Pipeline) -> list[tuple[Song, dict[str, object]]]:
    return source_takes(pipeline, PROMPTS, 11, 8)


def _refined(pipeline: Pipeline, song: Song, record: dict[str, object], text: str) -> Song:
    plan = plan_refinement(song, record, text)
    request = refine_request(plan, record, steps=8)
    return realise(pipeline.generate(request).song, plan, seed=request.seed)


def _melody_pitch(song: Song) -> float:
    return float(np.mean([n.pitch for n in song.stems["melody"].notes]))


def _drums_per_bar(song: Song) -> float:
    return len(song.stems["drums"].notes) / song.bars


@pytest.mark.parametrize(
    "phrase", ["太沉闷了", "too dull", "再欢快一点", "更有活力", "more energy"]
)
def test_livelier_feedback_raises_velocity_or_density_and_never_slows(
    pipeline: Pipeline, sources: list[tuple[Song, dict[str, object]]], phrase: str
) -> None:
    for song, record in sources:
        new = _refined(pipeline, song, record, phrase)
        before, after = note_stats(song), note_stats(new)
        assert after["tempo"] >= before["tempo"]
        assert (
            after["mean_velocity"] > before["mean_velocity"]
            or after["notes_per_bar"] > before["notes_per_bar"]
        ), (record["prompt"], before, after)


@pytest.mark.parametrize(
    ("phrase", "check"),
    [
        ("slower", lambda a, b: b.tempo < a.tempo),
        ("快一点", lambda a, b: b.tempo > a.tempo),
        ("more drums", lambda a, b: _drums_per_bar(b) > _drums_per_bar(a)),
        ("鼓少一点", lambda a, b: _drums_per_bar(b) < _drums_per_bar(a) or not _drums_per_bar(a)),
        ("高一点", lambda a, b: _melody_pitch(b) > _melody_pitch(a)),
        ("安静一点", lambda a, b: note_stats(b)["mean_velocity"] < note_stats(a)["mean_velocity"]),
        (
            "不够中国风",
            lambda a, b: (
                Key.parse(str(b.key)).mode in ("gong", "shang", "jue", "zhi", "yu")
                and b.stems["melody"].program == 73
            ),
        ),
        ("brighter", lambda a, b: Key.parse(str(b.key)).mode in ("major", "gong", "zhi")),
        # an instrument asked for plays the take's own notes ("把钢琴换成吉他" was refused)
        (
            "换成吉他",
            lambda a, b: (
                b.stems["melody"].program == 25
                and b.stems["melody"].notes == a.stems["melody"].notes
            ),
        ),
        ("switch to slap bass", lambda a, b: b.stems["bass"].program == 36),
    ],
)
def test_each_feedback_moves_its_own_measure(
    pipeline: Pipeline, sources: list[tuple[Song, dict[str, object]]], phrase: str, check: object
) -> None:
    for song, record in sources:
        new = _refined(pipeline, song, record, phrase)
        assert check(song, new), (record["prompt"], phrase)  # type: ignore[operator]
        assert replace(new, stems={}).bars == song.bars


def test_feedback_that_changes_nothing_is_refused() -> None:
    """At the slowest tempo, "much slower" would write the same take again."""
    song = replace(example_song(), tempo=float(MIN_BPM))
    record = {"prompt": "pop", "seed": 1, "tempo": MIN_BPM}
    with pytest.raises(FeedbackError, match=r"changes nothing in this take.*tempo 20 -> 20"):
        plan_refinement(song, record, "much slower")
    assert plan_refinement(song, record, "faster").attributes.bpm > MIN_BPM
    assert plan_refinement(song, record, "more drums").change.drums == 1


def test_a_hand_edited_record_is_read_for_what_the_take_does_not_fix_or_refused() -> None:
    """A tempo of "fast" in song.json's attributes crashed refine with a traceback; the
    tempo, key, meter, bars, style and programs are the take's own anyway."""
    from models.refinement import take_attributes
    from multitrack.errors import OutputError

    song = example_song()
    attrs = take_attributes(song, {"attributes": {"bpm": "fast", "programs": {"bass": "x"}}})
    assert attrs.bpm == song.tempo
    with pytest.raises(OutputError, match="attributes are not readable"):
        take_attributes(song, {"attributes": {"nearest": {"style": [{"id": 1}]}}})


def test_feedback_that_cancels_itself_says_so() -> None:
    """ "brighter, darker" was refused as naming nothing to change."""
    song = example_song()
    with pytest.raises(FeedbackError, match="cancel each other out"):
        plan_refinement(song, {}, "brighter, darker")
    with pytest.raises(FeedbackError, match="nothing in"):
        plan_refinement(song, {}, "嗯……")


def test_a_stem_that_plays_nothing_keeps_its_program_in_the_refined_record() -> None:
    """A piano solo's silent bass read as program 0 from song.mid, so the refined take's
    attributes said bass 0 where its song.json and MIDI said 33."""
    from models.refinement import take_attributes

    song = example_song()
    solo = replace(song, stems={**song.stems, "bass": replace(song.stems["bass"], notes=(),
                                                              program=0)})  # fmt: skip
    attrs = take_attributes(solo, {"attributes": {}})
    assert attrs.programs["bass"] != 0
    assert attrs.programs["melody"] == song.programs["melody"]


def test_more_drums_on_a_take_without_them_adds_them() -> None:
    # a take drawn without drums (its style's share, its seed) recorded "drums denser"
    song = example_song().with_stem("drums", ())
    record = {"prompt": "一段古筝", "seed": 2, "attributes": {"stems": list(STEMS)}}
    more = plan_refinement(song, record, "more drums")
    assert any("drums added" in line for line in more.attributes.understood)
    assert refine_request(more, record).stems == STEMS
    full = plan_refinement(example_song(), record, "more drums")
    assert any("drums denser" in line for line in full.attributes.understood)


@pytest.mark.parametrize(
    ("phrase", "key", "mode"),
    [("换成D大调", "D major", 0), ("in E minor", "E minor", 0), ("transpose to Eb major", "Eb major", 0),
     ("make it minor", None, -1), ("换成小调", None, -1), ("in a major key", None, 1),
     ("minor", None, -1), ("key of E", "E major", 0), ("in the key of F# minor", "F# minor", 0)],
)  # fmt: skip
def test_a_key_asked_outright_is_read(phrase: str, key: str | None, mode: int) -> None:
    """ "换成D大调", "make it minor", "key of E": refused as naming nothing to change."""
    from models.text.feedback import parse_feedback

    change = parse_feedback(phrase)
    assert (change.key, change.mode) == (key, mode)
    assert not change.empty and not change.ignored  # the asking words are no leftover


def test_a_key_of_the_take_s_own_mode_moves_its_notes_and_its_typed_chords() -> None:
    # a chord edit refined "换成D大调" is the same edit a tone up, nothing sampled again
    from models.refinement import kept_notes, resamples, transposes
    from multitrack.song import ChordSpan

    song = replace(example_song(), key=Key.parse("C major"))
    typed = (ChordSpan(0, 16, "C"), ChordSpan(16, 16, "Am"), ChordSpan(32, 16, "F/A"),
             ChordSpan(48, 16, "G7"))  # fmt: skip
    song = replace(song, chords=typed)
    record = {"prompt": "pop", "seed": 1, "edit": {"forced_chords": True}}
    up = plan_refinement(song, record, "换成D大调")
    assert transposes(up) and not resamples(up)
    moved = kept_notes(song, up)
    assert moved.key == Key.parse("D major")
    assert [c.symbol for c in moved.chords] == ["D", "Bm", "G/B", "A7"]
    for stem in ("melody", "chords", "bass"):
        assert [n.pitch + 2 for n in song.stems[stem].notes] == [
            n.pitch for n in moved.stems[stem].notes
        ]
    assert moved.stems["drums"] == song.stems["drums"]
    down = kept_notes(song, plan_refinement(song, record, "in A major"))  # 3 down, not 9 up
    assert down.stems["bass"].notes[0].pitch == song.stems["bass"].notes[0].pitch - 3
    # another mode needs other notes: sampled again
    minor = plan_refinement(song, record, "make it minor")
    assert resamples(minor) and not transposes(minor)
    assert minor.attributes.key == "C minor"
    assert resamples(plan_refinement(song, record, "in E minor"))


def test_a_chord_edit_refined_into_another_mode_keeps_its_progression_in_that_mode() -> None:
    # "make it minor" on a chord edit came back with the model's own chords
    from models.refinement import refine_request, typed_chords
    from multitrack.song import ChordSpan

    song = replace(example_song(), key=Key.parse("C major"))
    song = replace(
        song, chords=tuple(ChordSpan(16 * i, 16, s) for i, s in enumerate(["C", "Am", "F", "G"]))
    )
    record = {"prompt": "pop", "seed": 1, "edit": {"forced_chords": True}}
    minor = plan_refinement(song, record, "make it minor")
    chords = typed_chords(song, minor, record)
    assert chords is not None and [c.symbol for c in chords] == ["Cm", "Ab", "Fm", "G"]
    assert refine_request(minor, record, chords=chords).chords == chords
    assert typed_chords(song, minor, {"prompt": "pop"}) is None  # chords the model chose
    assert typed_chords(song, plan_refinement(song, record, "slower"), record) is None


def test_livelier_or_calmer_feedback_moves_the_drums_of_a_take_that_has_them() -> None:
    """太沉闷了 on a take with drums thickens them and says so; 安静一点 thins them; a take
    without drums, or with a hit or two, gets none for energy alone (its notes are kept: no
    model needed)."""
    from models.refinement import drum_change, kept_notes

    song = apply_dynamics(example_song(), style="pop", seed=0)
    assert song.stems["drums"].notes
    record = {"prompt": "pop", "seed": 1, "attributes": {}, "take": "t1"}
    for text, way in (("太沉闷了", 1), ("安静一点", -1)):
        plan = plan_refinement(song, record, text)
        assert drum_change(plan) == way
        new = realise(kept_notes(song, plan), plan)
        before, after = len(song.stems["drums"].notes), len(new.stems["drums"].notes)
        assert (after > before) if way > 0 else (after < before), (text, before, after)
        changed = [line for line in plan.attributes.understood if "drums" in line]
        assert changed and ("denser" if way > 0 else "sparser") in changed[0]
    for quiet in (
        song.with_stem("drums", ()),
        song.with_stem("drums", song.stems["drums"].notes[:1]),
    ):
        # no drums, or one hit: no groove to thicken into an 8th-note pulse
        plan = plan_refinement(quiet, record, "太沉闷了")
        assert drum_change(plan) == 0
        drums = realise(kept_notes(quiet, plan), plan).stems["drums"].notes
        assert [(n.start, n.pitch) for n in drums] == [
            (n.start, n.pitch) for n in quiet.stems["drums"].notes]  # fmt: skip
        assert not any("drums" in line for line in plan.attributes.understood)
