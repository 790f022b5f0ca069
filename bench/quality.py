"""Model quality against the corpus's held-out reference set (issue 5's targets).

For N varied Chinese / English / mixed prompts (every style, many keys, tempos and meters),
generate 8 bars, write the MIDI, and measure: key agreement (music21's Krumhansl profiles vs
the asked key), tempo/meter/bars/programs read back from the MIDI file, the Foundation metrics
against the reference set (relative difference and overlapped area), a style classifier
trained on the reference windows, edits (kept stems identical; melody chord-tone ratio under
forced chords) and how often the copy guard resampled; key agreement, TD, chord-tone ratio
and melody UPC also for the major and the minor asks apart. The same config with untrained
weights is scored beside it.

Two references: every held-out window as it comes (its style mix is the corpus's: marches,
celtic tunes and lullabies are a third of it), and the style-matched one the targets are
read against: for each prompt, windows of the style it asks for (``PER_ASK`` of them, drawn
without repeats while the style has enough), so both sides have the same style mix. A style
like "classical" has no drums in 76% of its held-out bars and "march" in none; the
unmatched set weighs that by the corpus's counts, the prompts by their own.

    .venv/bin/python bench/quality.py [--n 204] [--corpus data/corpus] [--json docs/quality.json]
                                      [--candidates 6] [--skip-untrained] [--checkpoint PATH]
                                      [--precision fp32,bf16,int8]
                                      [--variants ddim-20x6-fp32,dpm-10x4-int8]

``--variants`` scores sampler settings (bench/variants.py: sampler, steps, candidates,
precision) each apart, in place of ``--precision``'s runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from style_classifier import StyleClassifier
from variants import parse_variants

from models.checkpoint import LoadedModel, build, load_checkpoint
from models.pipeline import CANDIDATES, Pipeline
from models.request import DEFAULT_GUIDANCE, DEFAULT_STEPS, GenerateRequest
from multitrack.corpus.store import iter_examples
from multitrack.metrics import chord_tone_ratio, song_metrics
from multitrack.midi_io import write_midi
from multitrack.progression import parse_progression
from multitrack.readback import read_midi_facts
from multitrack.reference import collect_features, compare_to_reference
from multitrack.styles import STYLES
from multitrack.theory import Key

KEYS_EN = ["C major", "G major", "D major", "A minor", "E minor", "F major", "Bb major",
           "D minor", "Eb major", "B minor", "A major", "C minor"]  # fmt: skip
KEYS_ZH = {"C major": "C大调", "G major": "G大调", "D major": "D大调", "A minor": "a小调",
           "E minor": "e小调", "F major": "F大调", "Bb major": "降B大调", "D minor": "d小调",
           "Eb major": "降E大调", "B minor": "b小调", "A major": "A大调", "C minor": "c小调"}  # fmt: skip
METER_ZH = {"4/4": "四四拍", "3/4": "三四拍", "2/4": "二四拍", "6/8": "6/8拍"}
PROGRESSIONS = ["Am F C G", "C G Am F", "Dm G C Am", "Em C G D", "F G Em Am", "C Am Dm G"]
PER_ASK = 25  # reference windows of the asked style drawn per prompt


def style_matched(rows: list[dict[str, Any]], styles: list[str | None], asks: list[dict[str, Any]],
                  per_ask: int = PER_ASK) -> list[dict[str, Any]]:  # fmt: skip
    """Reference metric rows with the prompts' style mix (see the module docstring)."""
    rng = np.random.default_rng(0)
    by_style: dict[str | None, list[int]] = {}
    for i, style in enumerate(styles):
        by_style.setdefault(style, []).append(i)
    order = {s: list(rng.permutation(ix)) for s, ix in by_style.items()}
    used = dict.fromkeys(order, 0)
    out = []
    for ask in asks:
        style = ask["style"]
        if style not in order:  # a style with no held-out windows: the whole set stands in
            out.extend(rows[int(i)] for i in rng.integers(len(rows), size=per_ask))
            continue
        for _ in range(per_ask):
            out.append(rows[order[style][used[style] % len(order[style])]])
            used[style] += 1
    return out


def prompts(n: int) -> list[dict[str, Any]]:
    """Varied prompts with the attributes they ask for."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        style = STYLES[i % len(STYLES)]
        key = KEYS_EN[int(rng.integers(len(KEYS_EN)))]
        lo, hi = style.bpm
        bpm = int(rng.integers(lo, hi + 1))
        meter = style.meter or ("4/4" if rng.random() < 0.7 else str(rng.choice(["3/4", "6/8"])))
        lang = ("zh", "en", "mixed")[i % 3]
        if lang == "zh":
            text = f"一首{style.chinese}风格的曲子,{KEYS_ZH[key]},每分钟{bpm}拍,{METER_ZH[meter]},8小节"
        elif lang == "en":
            text = f"{style.english} in {key}, {bpm} bpm, {meter}, 8 bars"
        else:
            text = f"{style.english}风格, {key}, {bpm} bpm, {METER_ZH[meter]}, 8小节"
        out.append({"prompt": text, "style": style.id, "key": key, "bpm": bpm, "meter": meter})
    return out


def untrained_like(model: LoadedModel, candidates: int) -> Pipeline:
    torch.manual_seed(0)
    ae, den = build(model.config)
    ae.eval()
    den.eval()
    return Pipeline(LoadedModel(model.config, ae, den, {}), guard=None, candidates=candidates)


def score(pipeline: Pipeline, asks: list[dict[str, Any]], classifier: StyleClassifier,
          reference: dict[str, list[float]], unmatched: dict[str, list[float]], *,
          steps: int, guidance: float) -> dict[str, Any]:  # fmt: skip
    rows, exact, styles_ok, resamples, seconds = [], [], [], 0, []
    with tempfile.TemporaryDirectory() as tmp:
        for i, ask in enumerate(asks):
            t0 = time.perf_counter()
            gen = pipeline.generate(
                GenerateRequest(ask["prompt"], seed=i, steps=steps, guidance=guidance)
            )
            seconds.append(time.perf_counter() - t0)
            song = gen.song
            resamples += gen.resamples
            path = Path(tmp) / f"{i}.mid"
            write_midi(song, path)
            facts = read_midi_facts(path)
            exact.append({
                "tempo": facts.tempo is not None and abs(facts.tempo - ask["bpm"]) < 0.01,
                "meter": facts.meter == ask["meter"],
                "bars": facts.bars == 8 and song.bars == 8,
                "programs": all(facts.programs.get(s) == song.stems[s].program for s in song.stems
                                if song.stems[s].notes),
                "style_attr": gen.attributes.get("style") == ask["style"],
            })  # fmt: skip
            rows.append(song_metrics(song, asked_key=Key.parse(ask["key"])))
            styles_ok.append(classifier.predict(song) == ask["style"])
    features = collect_features(rows)
    comparison = compare_to_reference(features, reference)
    comparison_unmatched = compare_to_reference(features, unmatched)
    key_ok = [r["key_agrees"] for r in rows if r["key_agrees"] is not None]
    return {
        "by_mode": by_mode(asks, rows),
        "n": len(asks),
        "key_agreement": float(np.mean(key_ok)) if key_ok else 0.0,
        "exact": {k: float(np.mean([e[k] for e in exact])) for k in exact[0]},
        "style_accuracy": float(np.mean(styles_ok)),
        "copy_guard_resamples": resamples,
        "median_generate_seconds": float(np.median(seconds)),
        "comparison": comparison,
        "comparison_unmatched": {"mean_oa": comparison_unmatched["mean_oa"],
                                 "relative_difference": {k: v["relative_difference"] for k, v in
                                                         comparison_unmatched["features"].items()}},
    }  # fmt: skip


MODE_FEATURES = ("key_agrees", "td", "chord_tone_ratio", "upc_melody")


def _mode_means(rows: list[dict[str, Any]]) -> dict[str, float | int]:
    out: dict[str, float | int] = {"n": len(rows)}
    for feat in MODE_FEATURES:
        values = [float(r[feat]) for r in rows if r.get(feat) is not None]
        if values:
            out[feat] = float(np.mean(values))
    return out


def by_mode(asks: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Key agreement, TD, chord-tone ratio and melody UPC for the major and the minor asks
    apart: a model that learnt major well and minor badly shows it here, not in the mean."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for ask, row in zip(asks, rows, strict=True):
        key = ask["key"] if isinstance(ask["key"], Key) else Key.parse(ask["key"])
        groups.setdefault(key.mode, []).append(row)
    return {mode: _mode_means(group) for mode, group in sorted(groups.items())}


def edits(
    pipeline: Pipeline, asks: list[dict[str, Any]], *, steps: int, guidance: float
) -> dict[str, Any]:
    kept_identical, ctr = [], []
    for i, ask in enumerate(asks):
        first = pipeline.generate(
            GenerateRequest(ask["prompt"], seed=i, steps=steps, guidance=guidance)
        ).song
        for keep in (("chords", "bass"), ("drums",), ("melody", "drums")):
            second = pipeline.generate(GenerateRequest(ask["prompt"], seed=i + 1000, steps=steps,
                                                       guidance=guidance, source=first, keep=keep)).song  # fmt: skip
            kept_identical.append(all(second.stems[s].notes == first.stems[s].notes for s in keep))
        prog = PROGRESSIONS[i % len(PROGRESSIONS)]
        forced = pipeline.generate(
            GenerateRequest(ask["prompt"], seed=i, steps=steps, guidance=guidance, chord_text=prog)
        ).song
        spans = parse_progression(prog, forced.meter, bars=forced.bars)
        value = chord_tone_ratio(forced, spans=spans)
        if value is not None:
            ctr.append(value)
    return {
        "kept_identical": float(np.mean(kept_identical)),
        "forced_chord_tone_ratio": float(np.mean(ctr)),
    }


def _num(value: float | None, scale: float = 1.0, spec: str = ".3f") -> str:
    """A number for the report; None (a feature no song had) prints as n/a."""
    return "n/a" if value is None else format(value * scale, spec)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=204)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    ap.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE)
    ap.add_argument("--reference-windows", type=int, default=None, help="default: all")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--skip-untrained", action="store_true", help="score the trained model only")
    ap.add_argument(
        "--candidates", type=int, default=CANDIDATES, help="best-of-k reranking (1 = off)"
    )
    ap.add_argument(
        "--precision", default="fp32", help="comma list of fp32, bf16, int8: each scored apart"
    )
    ap.add_argument(
        "--variants", default=None, help="comma list, e.g. ddim-20x6-fp32,dpm-10x4-int8"
    )
    args = ap.parse_args()
    variants = parse_variants(args.variants) if args.variants else []

    t0 = time.time()
    ref_examples = list(islice(iter_examples(args.corpus, "test"), args.reference_windows))
    ref_songs = [ex.song for ex in ref_examples]
    ref_rows = [song_metrics(s, asked_key=s.key) for s in ref_songs]
    ref_key = float(np.mean([r["key_agrees"] for r in ref_rows if r["key_agrees"] is not None]))
    asks = prompts(args.n)
    matched_rows = style_matched(ref_rows, [s.style for s in ref_songs], asks)
    reference = collect_features(matched_rows)
    unmatched = collect_features(ref_rows)
    matched_key = float(
        np.mean([r["key_agrees"] for r in matched_rows if r["key_agrees"] is not None])
    )
    classifier = StyleClassifier.fit(ref_songs, [f"{ex.source}/{ex.piece}" for ex in ref_examples])
    print(f"reference: {len(ref_songs)} held-out windows; music21 key agreement on them {ref_key:.3f} "
          f"(style-matched {matched_key:.3f}); "
          f"style classifier held-out accuracy {classifier.holdout_accuracy:.3f} ({time.time() - t0:.0f}s)")  # fmt: skip

    model = load_checkpoint(args.checkpoint)
    precisions = [p.strip() for p in args.precision.split(",") if p.strip()]
    results = {"reference": {"windows": len(ref_songs), "key_agreement": ref_key,
                             "style_matched_rows": len(matched_rows),
                             "style_matched_key_agreement": matched_key,
                             "chord_tone_ratio": float(np.mean(reference["chord_tone_ratio"])),
                             "classifier_holdout_accuracy": classifier.holdout_accuracy,
                             "by_mode": {mode: means for mode, means in
                                         by_mode([{"key": s.key} for s in ref_songs],
                                                 ref_rows).items()
                                         if mode in ("major", "minor")}}}  # fmt: skip
    runs = [
        ("trained" if p == "fp32" else f"trained {p}",
         Pipeline.load(args.checkpoint, candidates=args.candidates, precision=p))
        for p in precisions
    ] if not variants else [(v.name, v.pipeline(checkpoint=args.checkpoint)) for v in variants]  # fmt: skip
    steps = {v.name: v.steps for v in variants}
    if not args.skip_untrained:
        runs.append(("untrained", untrained_like(model, args.candidates)))
    for name, pipe in runs:
        t1 = time.time()
        n_steps = steps.get(name, args.steps)
        res = score(
            pipe, asks, classifier, reference, unmatched, steps=n_steps, guidance=args.guidance
        )
        res["edits"] = edits(pipe, asks[:24], steps=n_steps, guidance=args.guidance)
        results[name] = res
        if args.json:  # after every run, so a report that fails later loses nothing
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"\n== {name} ({time.time() - t1:.0f}s)")
        print(
            f"key agreement {res['key_agreement']:.3f} | exact {res['exact']} | "
            f"style accuracy {res['style_accuracy']:.3f} | copy-guard resamples {res['copy_guard_resamples']}"
        )
        print(
            f"edits: {res['edits']} (reference chord-tone ratio {results['reference']['chord_tone_ratio']:.3f})"
        )
        for mode, means in res["by_mode"].items():
            ref_mode = results["reference"]["by_mode"].get(mode, {})
            print(f"  {mode} asks: " + " ".join(
                f"{k} {_num(means.get(k))} (ref {_num(ref_mode.get(k))})" for k in MODE_FEATURES
            ) + f" n={means['n']}")  # fmt: skip
        cmp = res["comparison"]
        print(
            f"mean OA {cmp['mean_oa']:.3f} (unmatched {res['comparison_unmatched']['mean_oa']:.3f})"
        )
        for feat in (
            "chord_tone_ratio",
            "td",
            "eb",
            "upc",
            "qn",
            "dp",
            "pc_entropy",
            "groove_consistency",
        ):
            row = cmp["features"].get(feat)
            if row:
                other = res["comparison_unmatched"]["relative_difference"].get(feat)
                print(
                    f"  {feat:20s} ours {_num(row['mean'])} ref {_num(row['reference_mean'])} "
                    f"diff {_num(row['relative_difference'], 100, '+.1f')}% OA {_num(row['oa'])}"
                    f" (unmatched diff {_num(other, 100, '+.1f')}%)"
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
