"""How well the harmoniser agrees with real harmony: the Bach chorales, harmony hidden.

Each chorale's own chords are recognised from all four voices (``multitrack.recognise``);
the harmoniser sees only the soprano. Agreement is counted per counted beat, at triad level
(root and triad quality: G7 = G) and at root level, with the transition counts learned on
the other half of the chorales (two folds by piece, so no chorale teaches its own answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from multitrack.chords import Chord
from multitrack.corpus.harmoniser import HarmonyModel, harmonise
from multitrack.corpus.tunes import Tune
from multitrack.song import ChordSpan, Meter, Note
from multitrack.theory import Key


def rntxt_sequences(pieces: Sequence[dict[str, Any]]) -> list[tuple[Key, list[Chord]]]:
    """RomanText analyses (``sources_music21.rntxt_progressions``) as (key, chords) runs,
    a new run at each modulation."""
    runs: list[tuple[Key, list[Chord]]] = []
    for piece in pieces:
        current: tuple[int, str] | None = None
        for (tonic, mode), (root, quality) in zip(piece["keys"], piece["chords"], strict=True):
            if mode not in ("major", "minor"):
                continue
            if (tonic, mode) != current:
                current = (tonic, mode)
                runs.append((Key(int(tonic), str(mode)), []))
            runs[-1][1].append(Chord(int(root), str(quality)))
    return runs


def chord_at(spans: Sequence[ChordSpan], step: int) -> Chord | None:
    for span in spans:
        if span.start <= step < span.start + span.duration:
            return span.chord
    return None


def recognised_harmony(tune: Tune) -> tuple[ChordSpan, ...]:
    """The chords of a four-voice tune, recognised from all its voices."""
    from multitrack.recognise import recognise

    meter = Meter.parse(tune.meter)
    bars = -(-tune.steps // meter.steps_per_bar)
    notes = [Note(s, p, d) for voice in tune.voices for s, p, d in voice]
    return tuple(recognise(notes, meter, steps=bars * meter.steps_per_bar))


def compare(
    truth: Sequence[ChordSpan], guess: Sequence[ChordSpan], meter: Meter, steps: int
) -> tuple[int, int, int]:
    """(beats compared, triad agreements, root agreements); N.C. beats are not compared."""
    beats = triad = root = 0
    for step in range(0, steps, meter.steps_per_beat):
        a, b = chord_at(truth, step), chord_at(guess, step)
        if a is None or b is None or a.root is None or b.root is None:
            continue
        beats += 1
        root += a.root == b.root
        triad += a.triad() == b.triad()
    return beats, triad, root


def evaluate_harmoniser(
    chorales: Sequence[Tune],
    key_of: Any,
    *,
    extra: Sequence[tuple[Key, list[Chord]]] = (),
    segment_beats: Sequence[int | None] = (None, 1),
) -> dict[str, Any]:
    """Agreement of the harmoniser with the chorales' recognised harmony, two folds.

    ``key_of(tune) -> Key``; ``extra`` progressions (e.g. the Monteverdi RomanText
    analyses: never the Bach ones, which label these very chorales) join each fold's
    training set. Returns per segment setting ("default" = half a 4/4 bar or a bar, "beat")
    the triad and root agreement, plus the prior-only model's for comparison.
    """
    usable = []
    for tune in chorales:
        if not tune.voices:
            continue
        try:
            usable.append((tune, recognised_harmony(tune)))
        except Exception:
            continue
    folds = [usable[0::2], usable[1::2]]
    results: dict[str, Any] = {"chorales": len(usable)}
    for label, learned in (("learned", True), ("prior", False)):
        for seg in segment_beats:
            beats = triad = root = 0
            for k in (0, 1):
                train, test = folds[1 - k], folds[k]
                model = (
                    HarmonyModel.learn(
                        [(key_of(t), [s.chord for s in spans]) for t, spans in train] + list(extra)
                    )
                    if learned
                    else HarmonyModel()
                )
                for tune, truth in test:
                    key: Key = key_of(tune)
                    meter = Meter.parse(tune.meter)
                    bars = -(-tune.steps // meter.steps_per_bar)
                    guess = harmonise(
                        tune.notes,
                        key,
                        meter,
                        bars=bars,
                        segment_steps=None if seg is None else seg * meter.steps_per_beat,
                        phrase_ends=tune.phrase_ends,
                        model=model,
                    )
                    b, t, r = compare(truth, guess, meter, bars * meter.steps_per_bar)
                    beats, triad, root = beats + b, triad + t, root + r
            name = f"{label}_{'default' if seg is None else f'{seg}beat'}"
            results[name] = {
                "beats": beats,
                "triad_agreement": round(triad / beats, 4) if beats else None,
                "root_agreement": round(root / beats, 4) if beats else None,
            }
    return results
