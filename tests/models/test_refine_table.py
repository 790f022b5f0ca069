"""Every phrase of the feedback table (48, half Chinese), refined on the shipped model and
measured on the notes (issue 17): the new take moves each way the phrase says against its
source. The parser's side of the same table is tests/models/test_text_feedback.py."""

from __future__ import annotations

import numpy as np
import pytest
from test_refinement import source_takes
from test_text_feedback import DOWN, TABLE, UP

from models.pipeline import Pipeline
from models.refinement import note_stats, plan_refinement, realise, refine_request
from models.text.instruments import BY_ID
from multitrack.song import Song

PROMPTS = ("一段舒缓的古筝曲,宁静", "chill lo-fi hip hop with piano, drums")


# each phrase refines one of the sources, in turn (half the phrases each: the whole table on
# both took ~2 min of CPU)
@pytest.fixture(scope="module")
def sources() -> list[tuple[Pipeline, Song, dict[str, object]]]:
    pipeline = Pipeline.load(candidates=1)
    return [(pipeline, song, record) for song, record in source_takes(pipeline, PROMPTS, 21, 6)]


def _pitch(song: Song) -> float:
    return float(np.mean([n.pitch for n in song.stems["melody"].notes]))


def _drums(song: Song) -> float:
    return len(song.stems["drums"].notes) / song.bars


def _moved(field: str, want: object, before: Song, after: Song) -> bool:
    a, b = note_stats(before), note_stats(after)
    if field == "energy":
        livelier = (
            b["mean_velocity"] > a["mean_velocity"] or b["notes_per_bar"] > a["notes_per_bar"]
        )
        calmer = b["mean_velocity"] < a["mean_velocity"] or b["notes_per_bar"] < a["notes_per_bar"]
        return livelier if want == UP else calmer
    if field == "tempo":
        return after.tempo > before.tempo if want == UP else after.tempo < before.tempo
    if field == "mode":  # brighter: a major-sounding mode; darker: a minor one
        return (not after.key.is_minor) if want == UP else after.key.is_minor
    if field == "register":
        return _pitch(after) > _pitch(before) if want == UP else _pitch(after) < _pitch(before)
    if field == "drums":
        if want == -2:
            return _drums(after) == 0
        return (
            _drums(after) > _drums(before)
            if want == 1
            else _drums(after) < _drums(before) or not _drums(before)
        )
    if field == "pentatonic":
        return after.key.is_pentatonic
    if field == "melody":
        return after.stems["melody"].program == BY_ID[str(want)].programs[0]
    raise AssertionError(field)


@pytest.mark.parametrize(("phrase", "expected"), TABLE, ids=[p for p, _ in TABLE])
def test_the_refined_take_moves_as_the_phrase_says(
    sources: list[tuple[Pipeline, Song, dict[str, object]]],
    phrase: str,
    expected: dict[str, object],
) -> None:
    assert DOWN == -UP
    pipeline, song, record = sources[TABLE.index((phrase, expected)) % len(sources)]
    plan = plan_refinement(song, record, phrase)
    request = refine_request(plan, record, steps=6)
    new = realise(pipeline.generate(request).song, plan, seed=request.seed)
    for field, want in expected.items():
        assert _moved(field, want, song, new), (record["prompt"], phrase, field)
    if "tempo" not in expected:
        assert new.tempo == song.tempo, (record["prompt"], phrase)
