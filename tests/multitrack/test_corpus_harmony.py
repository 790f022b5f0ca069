"""The HMM harmoniser and its evaluation against recognised harmony."""

from __future__ import annotations

from multitrack.chords import parse_chord
from multitrack.corpus.harmoniser import HarmonyModel, chord_vocabulary, harmonise
from multitrack.corpus.harmony_eval import compare, rntxt_sequences
from multitrack.song import ChordSpan, Meter
from multitrack.theory import Key

# Twinkle twinkle, 4 bars of 4/4, quarter notes (the last of each phrase a half note).
TWINKLE = [60, 60, 67, 67, 69, 69, 67, None, 65, 65, 64, 64, 62, 62, 60, None]


def _twinkle() -> list[tuple[int, int, int]]:
    notes = []
    for i, p in enumerate(TWINKLE):
        if p is not None:
            long = i + 1 < len(TWINKLE) and TWINKLE[i + 1] is None
            notes.append((i * 4, p, 8 if long else 4))
    return notes


def test_vocabulary_holds_the_diatonic_triads_tonic_first() -> None:
    c = chord_vocabulary(Key(0, "major"))
    assert c[0] == (0, "maj")
    assert {(5, "maj"), (7, "maj"), (9, "m"), (2, "m"), (7, "7")} <= set(c)
    a = chord_vocabulary(Key(9, "minor"))
    assert a[0] == (0, "m") and (7, "maj") in a  # the raised V of harmonic minor
    zhi = chord_vocabulary(Key(2, "zhi"))  # D zhi: G gong scale, no diminished chord
    assert zhi[0] == (0, "maj") and all(q != "dim" for _, q in zhi)


def test_twinkle_starts_and_ends_on_the_tonic_with_fitting_chords() -> None:
    spans = harmonise(_twinkle(), Key(0, "major"), Meter(4, 4), bars=4)
    assert spans[0] == ChordSpan(0, spans[0].duration, "C")
    assert spans[-1].symbol == "C" and spans[-1].start + spans[-1].duration == 64
    assert sum(s.duration for s in spans) == 64
    for span in spans:  # every melody note struck on a span's first step is a chord tone
        chord = parse_chord(span.symbol)
        for start, pitch, _ in _twinkle():
            if start == span.start:
                assert pitch % 12 in chord.pitch_classes()


def test_learned_transitions_round_trip_and_shift_choices() -> None:
    key = Key(0, "major")
    model = HarmonyModel.learn([(key, [parse_chord(s) for s in ("C", "Am", "F", "G7", "C")])])
    assert model.counts["major"][((0, "maj"), (9, "m"))] == 1
    assert model.counts["major"][((7, "7"), (0, "maj"))] == 1
    assert HarmonyModel.from_json(model.to_json()) == model
    vocab = chord_vocabulary(key)
    learned = model.change_logp((0, "maj"), (9, "m"), vocab, "major")
    assert learned > HarmonyModel().change_logp((0, "maj"), (9, "m"), vocab, "major")


def test_comparison_counts_beats_at_triad_and_root_level() -> None:
    truth = (ChordSpan(0, 8, "G7"), ChordSpan(8, 8, "C"))
    guess = (ChordSpan(0, 8, "G"), ChordSpan(8, 8, "Am"))
    assert compare(truth, guess, Meter(4, 4), 16) == (4, 2, 2)


def test_roman_text_runs_split_at_modulations() -> None:
    piece = {
        "file": "x.rntxt",
        "keys": [[7, "major"], [7, "major"], [2, "major"], [2, "major"]],
        "chords": [[7, "maj"], [2, "7"], [2, "maj"], [7, "maj"]],
    }
    runs = rntxt_sequences([piece])
    assert [(str(k), [c.root for c in cs]) for k, cs in runs] == [
        ("G major", [7, 2]),
        ("D major", [2, 7]),
    ]
    model = HarmonyModel.learn(runs)
    assert model.counts["major"][((0, "maj"), (7, "7"))] == 1  # G -> D7 in G: I -> V7
    assert model.counts["major"][((0, "maj"), (5, "maj"))] == 1  # D -> G in D: I -> IV
