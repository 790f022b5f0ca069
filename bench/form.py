"""Song form: do asked sections come back, and do different ones contrast? (issue 12, 4)

Generates ``--n`` 32-bar takes asked for a form (AABB, ABAB, AABA and verse/chorus words,
in English and Chinese, styles cycled) and scores every pair of sections with
``multitrack.form.similarity`` (Jaccard of bar-in-section, onset and pitch of the melody):

- a take passes when every same-letter pair scores >= 0.5 and every different-letter pair
  <= 0.3 (target: >= 90% of takes);
- the harmony returns with its section (recognised chord per bar equal in >= 75% of the
  bars of same-letter pairs), and the last bar's chord has the key's tonic as its root.

Held-out 32-bar corpus windows are scored by the same function against their own labels
beside it (those labels come from the same similarity, so their pass rate shows what
labelled real tunes look like, not an independent truth).

Returning sections must not cost the melody its life (session 11: tied sampling had halved
a 16-bar take's melody notes). Per take, against the same style's held-out windows of 8
bars or more: melody notes a bar, and distinct melody pitches in each 8 bars (medians of
the ratios; 1.0 is the style's).

    .venv/bin/python bench/form.py --corpus data/corpus --n 50 [--checkpoint PATH]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.pipeline import Pipeline
from models.request import DEFAULT_STEPS, GenerateRequest
from multitrack.corpus.store import iter_examples
from multitrack.form import INTRO, OUTRO, similarity
from multitrack.recognise import recognise_song
from multitrack.song import Song
from multitrack.styles import STYLES
from multitrack.theory import Key

FORMS = [
    ("AABB", "{style} in {key}, AABB form, 32 bars"),
    ("ABAB", "{style} in {key}, verse chorus verse chorus, 32 bars"),
    ("AABA", "{style} in {key}, AABA, 32 bars"),
    ("ABAB", "一首{zh}风格的歌,{key},主歌-副歌-主歌-副歌,32小节"),
    ("AABA", "一首{zh}风格的曲子,{key},AABA曲式,32小节"),
]
KEYS = ["C major", "G major", "A minor", "F major", "D major", "E minor"]


def score(song: Song) -> dict[str, Any]:
    """Pair scores of a song's sections (intros/outros left out)."""
    body = [s for s in song.sections if s.letter not in (INTRO, OUTRO)]
    notes = song.stems["melody"].notes
    bar = song.meter.steps_per_bar
    same, diff, harmony = [], [], []
    chords = recognise_song(song)

    def chord_at(b: int) -> str:
        at = [c for c in chords if c.start <= b * bar < c.start + c.duration]
        return str(at[0].symbol) if at else "N.C."

    for a, b in itertools.combinations(body, 2):
        sim = similarity(notes, bar, a, b)
        if a.letter == b.letter:
            same.append(sim)
            n = min(a.bars, b.bars)
            harmony.append(
                np.mean([chord_at(a.start + i) == chord_at(b.start + i) for i in range(n)])
            )
        else:
            diff.append(sim)
    last = chord_at(song.bars - 1)
    key = Key.parse(str(song.key))
    from multitrack.chords import parse_chord

    root = parse_chord(last).root
    return {
        "same": same,
        "different": diff,
        "passes": bool(same) and min(same) >= 0.5 and (not diff or max(diff) <= 0.3),
        "harmony_returns": bool(harmony) and float(np.mean(harmony)) >= 0.75,
        "ends_on_tonic": root == key.tonic,
    }


def liveliness(song: Song) -> tuple[float, float]:
    """Melody notes a bar, and distinct melody pitches in each 8 bars (mean over spans)."""
    notes = song.stems["melody"].notes
    span = 8 * song.meter.steps_per_bar
    spans = range(0, max(1, song.bars // 8) * span, span)
    distinct = [len({n.pitch for n in notes if a <= n.start < a + span}) for a in spans]
    return len(notes) / song.bars, float(np.mean(distinct))


def style_liveliness(corpus: Path) -> dict[str, tuple[float, float]]:
    """Per style, ``liveliness`` of its held-out windows of 8 bars or more, averaged."""
    rows: dict[str, list[tuple[float, float]]] = {}
    for ex in iter_examples(corpus, "test"):
        if ex.song.bars >= 8 and ex.song.style is not None and ex.song.stems["melody"].notes:
            rows.setdefault(ex.song.style, []).append(liveliness(ex.song))
    return {k: (float(np.mean([a for a, _ in v])), float(np.mean([b for _, b in v])))
            for k, v in rows.items()}  # fmt: skip


def against_style(
    song: Song, style: str | None, ref: dict[str, tuple[float, float]]
) -> dict[str, float]:
    """``liveliness`` as ratios to the style's windows' (empty for a style without any)."""
    if style not in ref:
        return {}
    (notes, pitches), (ref_notes, ref_pitches) = liveliness(song), ref[style]
    return {"notes_a_bar": notes / ref_notes, "pitches_in_8_bars": pitches / ref_pitches}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    same = [x for r in rows for x in r["same"]]
    diff = [x for r in rows for x in r["different"]]
    return {
        "songs": len(rows),
        "pass_rate": round(float(np.mean([r["passes"] for r in rows])), 3) if rows else None,
        "same_mean": round(float(np.mean(same)), 3) if same else None,
        "same_min": round(float(np.min(same)), 3) if same else None,
        "different_mean": round(float(np.mean(diff)), 3) if diff else None,
        "different_max": round(float(np.max(diff)), 3) if diff else None,
        "harmony_returns": round(float(np.mean([r["harmony_returns"] for r in rows])), 3)
        if rows
        else None,
        "ends_on_tonic": round(float(np.mean([r["ends_on_tonic"] for r in rows])), 3)
        if rows
        else None,
        **{
            f"melody_{name}_vs_style_median": round(float(np.median(v)), 3)
            for name in ("notes_a_bar", "pitches_in_8_bars")
            if (v := [r[name] for r in rows if name in r])
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampler steps a take")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    pipe = Pipeline.load(args.checkpoint)
    ref = style_liveliness(args.corpus)
    styles = [s for s in STYLES if s.meter in (None, "4/4")]
    rows, t0 = [], time.time()
    for i in range(args.n):
        form, text = FORMS[i % len(FORMS)]
        st, key = styles[i % len(styles)], KEYS[i % len(KEYS)]
        prompt = text.format(style=st.english, zh=st.chinese, key=key)
        song = pipe.generate(GenerateRequest(prompt, bars=32, seed=i, meter="4/4", form=form,
                                            steps=args.steps)).song  # fmt: skip
        rows.append({"prompt": prompt, **score(song), **against_style(song, st.id, ref)})
    held = [ex.song for ex in iter_examples(args.corpus, "test") if ex.song.bars == 32]
    held_rows = [{**score(s), **against_style(s, s.style, ref)}
                 for s in held if len({x.letter for x in s.sections}) > 1]  # fmt: skip
    report = {
        "takes": summarise(rows),
        "held_out_32_bar_windows": summarise(held_rows),
        "seconds": round(time.time() - t0, 1),
    }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps({**report, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
