"""Fused styles (issue 17, 3): does "国风电音" keep guofeng's melody and take EDM's groove?

For each fused prompt (melody-and-harmony style + groove style) and seed, an 8-bar take.
Measured on the notes, beside the same measures of the two styles' held-out windows and of
plain takes of each style alone (same seeds):

- **pentatonic share**: the share of melody notes (by duration) on the five pitch classes of
  the key's pentatonic (gong, shang, jue, zhi, yu of the parent scale's relative major), the
  target being the held-out guofeng windows' level;
- **groove**: a style classifier fitted on held-out windows' bass and drums alone (the melody
  and chords stems blanked: ``bench/style_classifier.py``'s features, its groove part), asked
  which style each take's groove is. Target: EDM for the fused takes.

    .venv/bin/python bench/fusion.py --corpus data/corpus --seeds 6 [--json docs/fusion.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from style_classifier import StyleClassifier

from models.pipeline import Pipeline
from models.request import DEFAULT_STEPS, GenerateRequest
from models.text import parse_prompt
from multitrack.corpus.store import iter_examples
from multitrack.song import Song

FUSED = ("国风电音", "国风电音,古筝主奏", "中国风电子舞曲,笛子", "guofeng EDM with erhu")
ALONE = {"guofeng": "国风,古筝", "edm": "EDM, synth lead"}
GONG = (0, 2, 4, 7, 9)  # the pentatonic on the relative major's tonic


def pentatonic_share(song: Song) -> float:
    tonic = song.key.relative_major_tonic
    pcs = {(tonic + d) % 12 for d in GONG}
    notes = song.stems["melody"].notes
    total = sum(n.duration for n in notes)
    return sum(n.duration for n in notes if n.pitch % 12 in pcs) / total if total else 0.0


def groove(song: Song) -> Song:
    """The bass and drums alone."""
    return song.with_stem("melody", ()).with_stem("chords", ())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampler steps a take")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    examples = [ex for ex in iter_examples(args.corpus, "test") if ex.song.style]
    classifier = StyleClassifier.fit([groove(ex.song) for ex in examples],
                                     [f"{ex.source}/{ex.piece}" for ex in examples])  # fmt: skip
    report: dict[str, Any] = {
        "groove_classifier_holdout_accuracy": round(classifier.holdout_accuracy, 3)
    }
    windows: dict[str, dict[str, float]] = {}
    for style in ALONE:
        songs = [ex.song for ex in examples if ex.song.style == style]
        windows[style] = {
            "windows": len(songs),
            "pentatonic_share": round(float(np.mean([pentatonic_share(s) for s in songs])), 3),
            "groove_edm": round(float(np.mean([classifier.predict(groove(s)) == "edm" for s in songs])), 3),
        }  # fmt: skip
    report["windows"] = windows
    pipe = Pipeline.load(args.checkpoint)
    takes: dict[str, dict[str, Any]] = {}
    for prompt in (*FUSED, *ALONE.values()):
        attrs = parse_prompt(prompt)
        songs = [
            pipe.generate(GenerateRequest(prompt, bars=8, seed=s, steps=args.steps)).song
            for s in range(args.seeds)
        ]
        grooves = [classifier.predict(groove(s)) for s in songs]
        takes[prompt] = {
            "style": attrs.style, "groove_style": attrs.groove_style,
            "pentatonic_share": round(float(np.mean([pentatonic_share(s) for s in songs])), 3),
            "groove_edm": round(float(np.mean([g == "edm" for g in grooves])), 3),
            "grooves": grooves,
        }  # fmt: skip
        print(prompt, json.dumps({k: v for k, v in takes[prompt].items() if k != "grooves"},
                                 ensure_ascii=False), flush=True)  # fmt: skip
    report["takes"] = takes
    fused = [takes[p] for p in FUSED]
    report["fused"] = {
        "takes": len(fused) * args.seeds,
        "pentatonic_share": round(float(np.mean([t["pentatonic_share"] for t in fused])), 3),
        "groove_edm": round(float(np.mean([t["groove_edm"] for t in fused])), 3),
    }
    report["seconds"] = round(time.time() - t0, 1)
    print(
        json.dumps({k: v for k, v in report.items() if k != "takes"}, indent=1, ensure_ascii=False)
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
