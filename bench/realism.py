"""Can a take be told from the corpus? A classifier two-sample test (issue 11, item 3).

For N held-out corpus windows (4 and 8 bars, or the lengths ``--bars`` names; every style as
the split has them), generate a
take from the window's own caption with its bars, meter, key and tempo, so the two samples
are style- and length-matched. Each song becomes the ``multitrack.features.FEATURES``
vector (pitch, interval, rhythm, harmony, bass, drums, repetition; docs/metrics.md), and a
logistic regression (standardised features, 5-fold stratified cross-validation) tries to
tell generations from windows. 0.5 is indistinguishable; the target is <= 0.65.

Also printed: every feature's mean on both sides, and issue 11's melody/harmony targets
(interval shares within 15% relative or 0.02 absolute under 0.1; notes per bar and motif
share within 15%; bass in-chord ratio and chords per bar within 10%).

    .venv/bin/python bench/realism.py --corpus data/corpus --n 200 [--checkpoint PATH]
        [--untrained] [--no-priors] [--variants ddim-20x6-fp32,dpm-10x4-int8] [--decoded-as-0.4]
        [--decoder CHORD_STRIKES=0 ...] [--bars 16,32]
        [--json docs/realism.json]

``--bars 16,32`` scores long takes (the style's default form, tied sections) against the
held-out long windows: a separate number, since the 4- and 8-bar run is the one tracked
across sessions.

``--decoder`` adds a run of the shipped sampler with other ``models.decoding`` constants.
``--variants`` scores sampler settings (bench/variants.py) instead of the shipped one. Each
run also lists the features that tell the two apart most: the standardised mean difference
(Cohen's d) of every feature, largest first.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from models import comping, decoding, grooves, lines, ranking, structure
from models.checkpoint import LoadedModel, build, load_checkpoint
from models.pipeline import Pipeline
from models.request import DEFAULT_GUIDANCE, DEFAULT_STEPS, GenerateRequest
from multitrack.corpus.store import Example, iter_examples
from multitrack.features import FEATURES, feature_matrix, returns_by_distance

sys.path.insert(0, str(Path(__file__).parent))
from variants import parse_variants

AS_SHIPPED_04 = "ddim-20x6-fp32+text"  # 0.4's sampler (bench/variants.py)

# issue 11's tolerance per feature: (relative, absolute floor under 0.1, or None)
TARGETS: dict[str, tuple[float, float | None]] = {
    "iv_repeat": (0.15, 0.02), "iv_step": (0.15, 0.02), "iv_third": (0.15, 0.02),
    "iv_fourth_fifth": (0.15, 0.02), "iv_leap": (0.15, 0.02),
    "mel_notes_per_bar": (0.15, None), "mel_motif": (0.15, None),
    "bass_in_chord": (0.10, None), "chord_changes_per_bar": (0.10, None),
}  # fmt: skip


def paired_windows(corpus: Path, split: str, bars: str, n: int) -> list[Example]:
    """``n`` windows of the split whose lengths the comma list ``bars`` names, in a seeded
    shuffle: the corpus side of the two-sample test (also bench/realism_heldback.py's)."""
    lengths = {int(b) for b in bars.split(",")}
    pool = [ex for ex in iter_examples(corpus, split) if ex.song.bars in lengths]
    random.Random(0).shuffle(pool)
    return pool[:n]


def window_request(ex: Example, i: int, steps: int, guidance: float) -> GenerateRequest:
    """The request for window ``i``'s take: its own caption, bars, tempo, key and meter."""
    s = ex.song
    return GenerateRequest(ex.captions[i % len(ex.captions)], bars=s.bars, bpm=s.tempo,
                           key=str(s.key), meter=str(s.meter), seed=i, steps=steps,
                           guidance=guidance)  # fmt: skip


def two_sample_accuracy(real: np.ndarray, fake: np.ndarray, seed: int = 0) -> float:
    """Mean 5-fold accuracy of a logistic regression telling ``fake`` rows from ``real``."""
    x = np.vstack([real, fake])
    y = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, C=1.0))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return float(cross_val_score(clf, x, y, cv=folds, scoring="accuracy").mean())


def effect_sizes(real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    """Cohen's d (take mean - corpus mean over the pooled standard deviation) per feature,
    largest magnitude first."""
    pooled = np.sqrt((real.var(axis=0) + fake.var(axis=0)) / 2)
    d = (fake.mean(axis=0) - real.mean(axis=0)) / np.maximum(pooled, 1e-9)
    order = np.argsort(-np.abs(d))
    return {FEATURES[j]: round(float(d[j]), 3) for j in order}


def within(name: str, ref: float, got: float) -> bool:
    rel, floor = TARGETS[name]
    if floor is not None and ref < 0.1:
        return abs(got - ref) <= floor
    return abs(got - ref) <= rel * abs(ref)


# Modules whose constants ``--decoder`` may set: a bare ``NAME`` is the first of
# ``DECODERS`` to have it (models.decoding, models.lines, models.comping, models.grooves);
# ``ranking.NAME``
# models.ranking's (the best-of-k policy), ``structure.NAME`` models.structure's.
DECODERS = (decoding, lines, comping, grooves)
POLICY = {"comping.": comping, "grooves.": grooves, "ranking.": ranking, "structure.": structure}


def _module_of(name: str) -> tuple[Any, str]:
    """(the module a ``--decoder`` name sets a constant of, or None, the constant's name)."""
    prefix, _, const = name.rpartition(".")
    if prefix:
        return POLICY.get(prefix + "."), const
    return next((m for m in DECODERS if hasattr(m, const)), decoding), const


def decoder_settings(spec: str) -> dict[str, float]:
    """``NAME=VALUE,...`` -> {NAME: VALUE} of ``models.decoding``, ``models.lines``,
    ``models.comping`` or ``models.grooves`` constants (``ranking.NAME``: ``models.ranking``'s); SystemExit for a
    name the module does not have (a setting that would silently do nothing). Each value takes
    its constant's type (``VOICE_FILL=2`` an int, ``CHORD_STRIKES=0`` False)."""
    out: dict[str, float] = {}
    for item in spec.split(","):
        name, _, value = item.partition("=")
        module, const = _module_of(name)
        if module is None or not const.isupper() or not hasattr(module, const) or not value:
            raise SystemExit(f"--decoder {spec!r}: {name!r} is not a models.decoding, "
                             "models.lines, models.comping or models.grooves constant (or ranking.NAME, a "
                             "models.ranking one)")  # fmt: skip
        kind = type(getattr(module, const))  # a bool or int setting stays one
        out[name] = kind(float(value))
    return out


def untrained(model: LoadedModel) -> LoadedModel:
    ae, den = build(model.config)
    ae.load_state_dict(model.autoencoder.state_dict())  # the same decoder; a blank denoiser
    return LoadedModel(model.config, ae.eval(), den.eval(), {}, model.priors)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    ap.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE,
                    help="classifier-free guidance of every run's requests")  # fmt: skip
    ap.add_argument("--untrained", action="store_true", help="score the blank denoiser too")
    ap.add_argument(
        "--no-priors",
        action="store_true",
        help="score the model without its decoders' note-to-note tables too",
    )
    ap.add_argument(
        "--variants", default=None, help="comma list, e.g. ddim-20x6-fp32,dpm-10x4-int8"
    )
    ap.add_argument(
        "--decoded-as-0.4",
        dest="as_04",
        action="store_true",
        help="also 0.4's sampler and decoder (DDIM-20 x6, every prompt's vector, no motifs)",
    )
    ap.add_argument(
        "--decoder",
        action="append",
        default=[],
        metavar="NAME=VALUE[,NAME=VALUE]",
        help="also the shipped sampler with these models.decoding, models.lines, "
        "models.comping or models.grooves constants (repeatable), e.g. CHORD_STRIKES=0",
    )
    ap.add_argument(
        "--decoders-only",
        action="store_true",
        help="score only the --decoder runs (the shipped one was scored before: same seeds)",
    )
    ap.add_argument(
        "--split",
        choices=("test", "train"),
        default="test",
        help="whose windows: the held-out ones (the bench), or the training split's, to choose "
        "a setting on without looking at the bench's windows",
    )
    ap.add_argument("--bars", default="4,8", help="window lengths scored, comma list")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    windows = paired_windows(args.corpus, args.split, args.bars, args.n)
    model = load_checkpoint(args.checkpoint)
    runs: dict[str, Pipeline] = {model.config.version: Pipeline(model)}
    steps = {model.config.version: args.steps}
    if args.variants:
        variants = parse_variants(args.variants)
        runs = {v.name: v.pipeline(model) for v in variants}
        steps = {v.name: v.steps for v in variants}
    if args.no_priors:
        plain = LoadedModel(model.config, model.autoencoder, model.denoiser, model.meta, {})
        runs[f"{model.config.version} without priors"] = Pipeline(plain)
    if args.untrained:
        runs["untrained"] = Pipeline(untrained(model))
    old: dict[str, dict[str, float]] = {}
    if args.as_04:
        (shipped,) = parse_variants(AS_SHIPPED_04)
        runs["0.4 as shipped"] = shipped.pipeline(model)
        steps["0.4 as shipped"] = shipped.steps
        old["0.4 as shipped"] = {"MOTIF_NATS": 0.0, "CHORDS_ONSET_SHIFT": 0.0, "CHORD_STRIKES": 0}
    for spec in args.decoder:
        settings = decoder_settings(spec)
        runs[f"decoder {spec}"] = Pipeline(model)
        old[f"decoder {spec}"] = settings
    if args.decoders_only:
        runs = {name: pipe for name, pipe in runs.items() if name.startswith("decoder ")}
    real = feature_matrix([ex.song for ex in windows])
    returning = ("melody", "chords", "bass")
    real_returns = {stem: returns_by_distance([ex.song for ex in windows if ex.song.bars >= 8],
                                              stem) for stem in returning}  # fmt: skip
    report: dict[str, Any] = {"n": len(windows), "features": list(FEATURES), "runs": {}}
    for name, pipe in runs.items():
        t0 = time.time()
        songs = []
        saved = {k: getattr(*_module_of(k)) for k in old.get(name, {})}  # AttributeError if gone
        for k, v in old.get(name, {}).items():
            setattr(*_module_of(k), v)
        for i, ex in enumerate(windows):
            req = window_request(ex, i, steps.get(name, args.steps), args.guidance)
            songs.append(pipe.generate(req).song)
        for k, v in saved.items():
            setattr(*_module_of(k), v)
        fake = feature_matrix(songs)
        acc = two_sample_accuracy(real, fake)
        means = {f: (round(float(real[:, j].mean()), 4), round(float(fake[:, j].mean()), 4))
                 for j, f in enumerate(FEATURES)}  # fmt: skip
        targets = {f: within(f, *means[f]) for f in TARGETS}
        effect = effect_sizes(real, fake)
        report["runs"][name] = {"accuracy": round(acc, 4), "means": means, "targets": targets,
                                "effect": effect, "seconds": round(time.time() - t0, 1)}  # fmt: skip
        print(f"== {name}: classifier accuracy {acc:.3f} (target <= 0.65), "
              f"{sum(targets.values())}/{len(targets)} feature targets met")  # fmt: skip
        for f in FEATURES:
            flag = "" if f not in targets else ("  ok" if targets[f] else "  MISS")
            print(f"  {f:24s} corpus {means[f][0]:8.3f}  take {means[f][1]:8.3f}{flag}")
        returns = {}
        for stem in returning:
            real_d = real_returns[stem]
            take_d = returns_by_distance([x for x in songs if x.bars >= 8], stem)
            returns[stem] = {str(d): (round(real_d[d], 4), round(take_d[d], 4)) for d in real_d}
            print(f"  {stem} bars returning d bars later (Jaccard), corpus / take: "
                  + ", ".join(f"+{d} {a:.3f} / {b:.3f}" for d, (a, b) in returns[stem].items()))  # fmt: skip
        report["runs"][name]["returns_by_distance"] = returns
        print("  tells apart most (Cohen's d): " + ", ".join(
            f"{f} {d:+.2f}" for f, d in list(effect.items())[:8]))  # fmt: skip
        if args.json:
            args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
