"""Form, extension and variations through the pipeline (tiny model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.pipeline import Pipeline
from models.ranking import melody_similarity
from models.request import GenerateRequest, LimitError, RequestError
from multitrack.form import FormError, similarity


@pytest.fixture(scope="module")
def pipeline(tiny_checkpoint: Path) -> Pipeline:
    return Pipeline.load(tiny_checkpoint)


def test_a_form_returns_its_sections_and_names_them(pipeline: Pipeline) -> None:
    song = pipeline.generate(
        GenerateRequest("pop in C major", bars=16, form="A B A B", steps=3)
    ).song
    assert [(s.start, s.bars, s.letter, s.label) for s in song.sections] == [
        (0, 4, "A", "Verse 1"), (4, 4, "B", "Chorus 1"), (8, 4, "A", "Verse 2"),
        (12, 4, "B", "Chorus 2"),
    ]  # fmt: skip


def test_the_shipped_model_returns_repeated_sections() -> None:
    shipped = Pipeline.load(candidates=2)
    request = GenerateRequest("pop in C major", bars=16, form="A B A B", seed=1, steps=10)
    song = shipped.generate(request).song
    bar = song.meter.steps_per_bar
    a1, b1, a2, _ = song.sections
    # tied sampling: a repeat is the first time again (its last bar may vary, and the
    # decoder hears a different bar before it); a different letter is new music
    melody = song.stems["melody"].notes
    assert similarity(melody, bar, a1, a2) >= 0.5
    assert similarity(melody, bar, a1, b1) < 0.3


def test_a_fresh_8_bar_take_returns_to_its_first_phrase_in_the_corpus_share_of_seeds() -> None:
    from collections import Counter
    from dataclasses import replace

    from models import structure
    from models.structure import phrase_plan
    from multitrack.form import parse_form
    from multitrack.song import Meter, Song

    frame = Song(bars=8, tempo=100.0, meter=Meter(4, 4))
    plans = Counter(
        "".join(s.letter for s in phrase_plan(GenerateRequest("pop", seed=seed), frame))
        for seed in range(4000)
    )
    shares = {k: v / 4000 for k, v in plans.items()}
    assert set(shares) == {"AA", ""}
    assert abs(shares["AA"] - structure.SHORT_RETURN) < 0.025
    request = GenerateRequest("pop", seed=3)
    assert phrase_plan(request, frame) == phrase_plan(request, frame)  # the seed decides
    # a form, another length, or an edit: the take's own sections
    asked = replace(frame, sections=parse_form("A B", 8))
    assert phrase_plan(request, asked) == asked.sections
    seed = next(s for s in range(100) if phrase_plan(GenerateRequest("pop", seed=s), frame))
    returning = GenerateRequest("pop", seed=seed)
    assert [(s.start, s.bars, s.letter) for s in phrase_plan(returning, frame)] == [
        (0, 4, "A"),
        (4, 4, "A"),
    ]
    assert phrase_plan(returning, replace(frame, bars=4)) == ()
    assert phrase_plan(replace(returning, source=frame), frame) == ()


def test_the_shipped_model_s_8_bar_phrases_return_when_the_plan_says_so() -> None:
    from models.structure import phrase_plan
    from multitrack.features import returns_by_distance
    from multitrack.song import Meter, Song

    frame = Song(bars=8, tempo=100.0, meter=Meter(4, 4))

    def plan(seed: int) -> str:
        return "AA" if phrase_plan(GenerateRequest("pop", seed=seed), frame) else "other"

    shipped = Pipeline.load(candidates=1)
    by_plan: dict[str, list[float]] = {"AA": [], "other": []}
    for seed in range(8):
        song = shipped.generate(GenerateRequest("pop in C major", bars=8, seed=seed)).song
        assert song.sections == ()  # the plan steers sampling; the take claims no form
        by_plan[plan(seed)].append(returns_by_distance([song], "melody")[4])
    assert len(by_plan["AA"]) >= 2 and len(by_plan["other"]) >= 2
    # bars 5-8 come back to bars 1-4 (varied below TIED_ABOVE), else they are new music
    assert min(by_plan["AA"]) >= 0.4 > max(by_plan["other"])


def test_tied_sections_start_from_one_unshrunk_noise_draw() -> None:
    import torch

    from models.structure import share_noise

    x = torch.randn(64, 8, 64, generator=torch.Generator().manual_seed(0))
    groups = [[torch.arange(0, 16), torch.arange(16, 32), torch.arange(48, 64)]]
    y = share_noise(x, groups)
    assert torch.equal(y[:, :, 16:32], x[:, :, :16]) and torch.equal(y[:, :, 48:], x[:, :, :16])
    assert torch.equal(y[:, :, 32:48], x[:, :, 32:48])  # untied frames keep their own draw
    assert abs(float(y.std()) - 1.0) < 0.02  # a mean of 3 draws would have std 0.58 there


def test_tied_sections_share_the_first_one_s_prediction(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from models import structure

    x = torch.randn(2, 4, 12, generator=torch.Generator().manual_seed(1))
    groups = [[torch.arange(0, 4), torch.arange(8, 12)]]
    y = structure.tie(x, groups)
    assert torch.equal(y[:, :, 8:], x[:, :, :4]) and torch.equal(y[:, :, :4], x[:, :, :4])
    assert torch.equal(y[:, :, 4:8], x[:, :, 4:8])
    monkeypatch.setattr(structure, "TIE_FIRST", False)  # sessions 8-14: their mean, a blur
    mean = (x[:, :, :4] + x[:, :, 8:]) / 2
    assert torch.allclose(structure.tie(x, groups)[:, :, 8:], mean)


def test_phrase_noise_returns_two_bars_later_at_unit_variance() -> None:
    import torch

    from models.structure import phrase_noise

    fpb, bars = 4, 8
    x = torch.randn(4000, 1, fpb * bars, generator=torch.Generator().manual_seed(2))
    y = phrase_noise(x, fpb, 0.3)
    assert torch.equal(y[:, :, : 2 * fpb], x[:, :, : 2 * fpb])  # the first two bars as drawn
    assert abs(float(y.std()) - 1.0) < 0.02

    def corr(a: int, b: int) -> float:  # between frame 0 of bar a and of bar b
        u, v = y[:, 0, a * fpb], y[:, 0, b * fpb]
        return float((u * v).mean())

    assert abs(corr(2, 4) - 0.3) < 0.05 and abs(corr(1, 5) - 0.09) < 0.05
    assert abs(corr(2, 3)) < 0.05 and abs(corr(3, 6)) < 0.05  # odd distances stay apart
    assert torch.equal(phrase_noise(x, fpb, 0.0), x)


def test_phrase_noise_is_drawn_for_fresh_takes_only(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an edit keeps its source's music and forced chords lead their own bars: neither is
    # started from phrases that return
    from models import structure

    calls: list[int] = []
    real = structure.phrase_noise

    def counted(x, fpb, rho=None):  # type: ignore[no-untyped-def]
        calls.append(fpb)
        return real(x, fpb, rho)

    monkeypatch.setattr(structure, "phrase_noise", counted)
    song = pipeline.generate(GenerateRequest("pop in C major", bars=4, seed=1, steps=2)).song
    assert calls
    calls.clear()
    pipeline.generate(GenerateRequest("", source=song, chord_text="Am F C G", steps=2))
    pipeline.generate(GenerateRequest("pop in C major", bars=4, chord_text="Am F", steps=2))
    pipeline.generate(GenerateRequest("", source=song, repaint=(3, 4), steps=2))
    assert not calls


def test_a_long_take_s_tied_sections_keep_their_melody() -> None:
    # The shipped model: with the tied sections' noise averaged (not one draw), a 16-bar
    # take's melody had half the notes of an untied one (session 11)
    shipped = Pipeline.load(candidates=1)
    per_bar = {}
    for bars in (8, 16):
        notes = [
            len(shipped.generate(GenerateRequest("upbeat pop in C major", bars=bars, seed=s,
                                                 steps=8)).song.stems["melody"].notes) / bars
            for s in range(4)
        ]  # fmt: skip
        per_bar[bars] = sum(notes) / len(notes)
    assert per_bar[16] >= 0.75 * per_bar[8], per_bar


def test_long_takes_get_the_style_default_form(pipeline: Pipeline) -> None:
    song = pipeline.generate(GenerateRequest("celtic reel in D major", bars=16, steps=2)).song
    assert "".join(s.letter for s in song.sections) == "AABB"
    short = pipeline.generate(GenerateRequest("celtic reel in D major", bars=8, steps=2)).song
    assert short.sections == ()


def test_a_form_that_does_not_fit_is_refused(pipeline: Pipeline) -> None:
    with pytest.raises(FormError, match="does not fit 10 bars"):
        pipeline.generate(GenerateRequest("pop", bars=10, form="AABA", steps=2))


def test_extend_keeps_every_old_note_and_adds_bars(pipeline: Pipeline) -> None:
    src = pipeline.generate(GenerateRequest("folk in G major", bars=4, seed=3, steps=3)).song
    longer = pipeline.generate(GenerateRequest("", source=src, extend=4, seed=4, steps=3)).song
    assert longer.bars == 8 and longer.key == src.key and longer.tempo == src.tempo
    end = src.steps
    for stem in src.stems:
        old = [n for n in longer.stems[stem].notes if n.start < end]
        assert [(n.start, n.pitch) for n in old] == [
            (n.start, n.pitch) for n in src.stems[stem].notes
        ]
    assert longer.sections[-1].label == "Extension"


def test_an_intro_goes_before_the_take(pipeline: Pipeline) -> None:
    src = pipeline.generate(GenerateRequest("folk in G major", bars=4, seed=3, steps=3)).song
    intro = pipeline.generate(GenerateRequest("", source=src, prepend=2, seed=5, steps=3)).song
    shift = 2 * src.meter.steps_per_bar
    for stem in src.stems:
        moved = [(n.start - shift, n.pitch) for n in intro.stems[stem].notes if n.start >= shift]
        assert moved == [(n.start, n.pitch) for n in src.stems[stem].notes]
    assert intro.sections[0].label == "Intro"
    # a second intro before the first: two markers named alike, before; numbered now
    again = pipeline.generate(GenerateRequest("", source=intro, prepend=2, seed=6, steps=3)).song
    assert [s.label for s in again.sections[:2]] == ["Intro 1", "Intro 2"]
    labels = [s.label for s in again.sections]
    assert len(set(labels)) == len(labels)


def test_extension_limits(pipeline: Pipeline) -> None:
    src = pipeline.generate(GenerateRequest("folk", bars=60, steps=1)).song
    with pytest.raises(RequestError, match="at most 64"):
        GenerateRequest("", source=src, extend=8)
    with pytest.raises(RequestError, match="needs a source"):
        GenerateRequest("folk", extend=8)


def test_variations_are_distinct_takes(pipeline: Pipeline) -> None:
    gen = pipeline.generate(GenerateRequest("pop in C major", bars=4, variations=4, steps=3))
    takes = [gen.song, *gen.variations]
    assert len(takes) == 4
    sims = [melody_similarity(a, b) for i, a in enumerate(takes) for b in takes[i + 1 :]]
    assert all(s < 0.5 for s in sims) or not gen.song.stems["melody"].notes
    with pytest.raises(LimitError, match="variations must be 1-8"):
        GenerateRequest("pop", variations=9)
