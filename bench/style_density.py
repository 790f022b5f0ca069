"""Does a new take comp and play bass as busily as its style? (issue 11, 1)

For every style with held-out 8-bar windows, ``--per-style`` fresh 8-bar takes in its home
meter (``--meter``: the one most of its windows are in) from the bare prompt "<style> in
<key>" (keys cycled, seeds from ``--seed``, 500): their mean comping strikes a
bar (distinct steps the chords stem strikes on) and bass notes a bar, as ratios to the same
style's held-out windows' means in that meter (bench/chord_edits.py's reference). Prints each style's
ratios and the share of styles within 20%; a chord edit plays at its source's density, so
these are what bench/chord_edits.py's per-style shares start from. Beside them, the share
the training split's own windows reach the same way (``training_split_within``), whole and
drawn as many a style as the takes (the line's ceiling for a model that learnt its styles
exactly).

Beside them, the style's grooves: the share of comping bars whose strike steps are one of the
style's commonest rhythms in the training split (the checkpoint's ``comping_rhythms``,
``models.grooves.RhythmBook``), for the takes and for the same style's held-out 8-bar windows.

    .venv/bin/python bench/style_density.py [--per-style 6] [--checkpoint PATH]
        [--threads 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from chord_edits import KEYS, per_bar, reference, training_split_within, window_rows

from models.grooves import RhythmBook, bar_rhythms, book_key
from models.pipeline import Pipeline
from models.request import DEFAULT_STEPS, GenerateRequest
from multitrack.corpus.store import iter_examples
from multitrack.song import Song
from multitrack.styles import STYLES
from multitrack.theory import Key


def in_book(songs: list[Song], book: RhythmBook | None) -> float | None:
    """Share of the songs' comping bars whose strike steps are one of ``book``'s rhythms."""
    if book is None:
        return None
    known = {tuple(t for t, _ in r) for r in book.rhythms}
    bars = [tuple(t for t, _ in r) in known for s in songs for r in bar_rhythms(s)]
    return float(np.mean(bars)) if bars else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--per-style", type=int, default=6)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=500, help="first seed (choose settings on another)")
    ap.add_argument(
        "--meter", default="home", help="the takes' meter (home: each style's commonest)"
    )
    ap.add_argument("--styles", default=None, help="comma-separated style ids (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    windows, meters = window_rows(args.corpus, None if args.meter == "home" else args.meter)
    ref = reference(windows)
    pipe = Pipeline.load(args.checkpoint)
    styles = [s for s in STYLES if s.id in ref]
    if args.styles:
        styles = [s for s in styles if s.id in args.styles.split(",")]
    held_out: dict[str, list[Song]] = {}
    for ex in iter_examples(args.corpus, "test"):
        if ex.song.bars == 8 and str(ex.song.meter) == meters.get(ex.song.style or ""):
            held_out.setdefault(ex.song.style, []).append(ex.song)
    rows: dict[str, dict[str, float]] = {}
    grooves: dict[str, tuple[float | None, float | None]] = {}
    t0 = time.time()
    for st in styles:
        comping, bass, songs = [], [], []
        for i in range(args.per_style):
            key = Key.parse(KEYS[(i * 7 + 3) % len(KEYS)])
            request = GenerateRequest(f"{st.english} in {key}", bars=8, seed=args.seed + i,
                                      meter=meters[st.id], steps=args.steps)  # fmt: skip
            song = pipe.generate(request).song
            comping.append(per_bar(song, "chords"))
            bass.append(per_bar(song, "bass"))
            songs.append(song)
        rows[st.id] = {
            "comping": round(float(np.mean(comping)) / max(ref[st.id]["comping"], 1e-9), 3),
            "bass": round(float(np.mean(bass)) / max(ref[st.id]["bass"], 1e-9), 3),
            # against the windows where the stem plays (``chord_edits.reference``)
            **{f"{stem}_playing": round(float(np.mean(v)) / max(ref[st.id][f"{stem}_playing"],
                                                                1e-9), 3)
               for stem, v in (("comping", comping), ("bass", bass))},
        }  # fmt: skip
        book = pipe.band.rhythm_books.get(book_key(st.id, meters[st.id]))
        grooves[st.id] = (in_book(songs, book), in_book(held_out.get(st.id, []), book))
        shown = " ".join("  -  " if g is None else f"{g:5.2f}" for g in grooves[st.id])
        print(f"{st.id:12s} comping {rows[st.id]['comping']:5.2f}  bass {rows[st.id]['bass']:5.2f}"
              f"  grooves (takes, windows) {shown}")  # fmt: skip
    within = {
        stem: round(float(np.mean([abs(r[stem] - 1.0) <= 0.2 for r in rows.values()])), 3)
        for stem in ("comping", "bass", "comping_playing", "bass_playing")
    }
    print(f"styles within 20% of their windows: comping {within['comping']:.2f}, "
          f"bass {within['bass']:.2f} ({len(rows)} styles, {args.per_style} takes each); "
          f"of their windows where that stem plays: {within['comping_playing']:.2f}, "
          f"{within['bass_playing']:.2f}")  # fmt: skip
    drawn = [{"style": k} for k in rows for _ in range(args.per_style)]
    trained = training_split_within(args.corpus, meters, {k: ref[k] for k in rows}, drawn)
    print("the training split's own windows, the same way: comping {:.2f}, bass {:.2f}; "
          "{} of them a style, as the takes are counted: {:.2f}, {:.2f} (every style within "
          "20% in {:.3f} / {:.3f} of 500 draws)".format(
              trained["training_windows_styles_comping_within_20pct"],
              trained["training_windows_styles_bass_within_20pct"], args.per_style,
              trained["training_draws_styles_comping_within_20pct"],
              trained["training_draws_styles_bass_within_20pct"],
              trained["training_draws_comping_all_styles"],
              trained["training_draws_bass_all_styles"]))  # fmt: skip
    pairs = [g for g in grooves.values() if g[0] is not None and g[1] is not None]
    in_grooves = None
    if pairs:
        in_grooves = [round(float(np.mean([p[k] for p in pairs])), 3) for k in (0, 1)]
        print(f"comping bars in their style's commonest rhythms: takes {in_grooves[0]:.2f}, "
              f"held-out windows {in_grooves[1]:.2f} (mean over {len(pairs)} styles)")  # fmt: skip
    if args.json is not None:
        report = {"per_style": args.per_style, "within_20pct": within, "styles": rows,
                  "training_windows_within_20pct": trained,
                  "in_grooves": in_grooves, "grooves": grooves,
                  "seconds": round(time.time() - t0, 1)}  # fmt: skip
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
