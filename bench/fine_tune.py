"""What fine-tuning on a producer's library learnt, and what it forgot (README, "Your own
library"; ``multitrack prepare`` then ``multitrack train --init-from``).

Given the library's corpus (``multitrack prepare``; it holds windows out from 20 files) and a
checkpoint fine-tuned on it, beside the one it started from (``--base``, the shipped one):

1. the denoiser's v-loss (``bench/denoiser_loss.py``: fixed noise and timesteps, chords
   given) on the library's held-out windows (learnt: lower is better) and on the corpus's
   (forgotten: the base's is the line);
2. a take from each held-out library window's own caption, bars, tempo, key and meter, by
   each checkpoint, and a classifier two-sample test of those takes against the windows
   (``bench/realism.py``'s: 0.5 is indistinguishable): the lower, the more the takes sound
   like the library;
3. the same against ``--n-corpus`` held-out corpus windows: what the model still plays of
   what it knew (the base's number is the line).

    .venv/bin/python bench/fine_tune.py --library LIB_CORPUS --checkpoint FINE_TUNED.pt
        [--base models/checkpoints/multitrack.pt] [--n-corpus 100] [--threads 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from denoiser_loss import losses
from realism import effect_sizes, paired_windows, two_sample_accuracy, window_request

from models.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from models.dataset import MAX_STEPS, load_training_arrays
from models.pipeline import Pipeline
from models.request import DEFAULT_GUIDANCE, DEFAULT_STEPS
from multitrack.corpus.store import Example, iter_examples
from multitrack.features import feature_matrix
from multitrack.song import STEMS


def v_loss(path: Path, corpus: Path, cache: Path, n: int) -> dict[str, float]:
    """Each stem's and the mean v-loss of ``path`` on ``corpus``'s held-out windows."""
    key_frame = load_checkpoint(path).config.key_frame
    data = load_training_arrays(corpus, "test", cache, key_frame, max_steps=MAX_STEPS, captions=1)
    row = losses(path, data, n, 0)["chords given"]
    out = {s: round(row[s], 4) for s in STEMS}
    out["mean"] = round(float(np.mean([row[s] for s in STEMS])), 4)
    return out


def take_realism(path: Path, windows: list[Example]) -> tuple[float, dict[str, float]]:
    """Two-sample accuracy of ``path``'s takes from ``windows``' captions against them, and
    the six features that tell them apart most (Cohen's d, take minus window)."""
    pipe = Pipeline.load(path)
    songs = [
        pipe.generate(window_request(ex, i, DEFAULT_STEPS, DEFAULT_GUIDANCE)).song
        for i, ex in enumerate(windows)
    ]
    real, fake = feature_matrix([ex.song for ex in windows]), feature_matrix(songs)
    tells = dict(list(effect_sizes(real, fake).items())[:6])
    return round(two_sample_accuracy(real, fake), 3), tells


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--library", type=Path, default=None, help="the library's prepared corpus")
    ap.add_argument("--checkpoint", type=Path, default=None, help="fine-tuned on --library")
    ap.add_argument("--base", type=Path, default=DEFAULT_CHECKPOINT)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--n-corpus", type=int, default=100)
    ap.add_argument("--n-loss", type=int, default=512, help="corpus windows for the v-loss")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.library is None or args.checkpoint is None:  # `make bench` runs it bare
        print("bench/fine_tune.py: give --library and --checkpoint (a fine-tune on it)")
        return
    torch.set_num_threads(args.threads)
    started = time.time()
    held = [ex for ex in iter_examples(args.library, "test") if ex.song.bars in (4, 8)]
    if len(held) < 20:
        sys.exit(f"{args.library} holds out {len(held)} 4- or 8-bar windows; prepare 20+ files")
    corpus_windows = paired_windows(args.corpus, "test", "4,8", args.n_corpus)
    caches = {
        "library": (args.library, Path("data/cache") / f"test_arrays_{args.library.name}.npz"),
        "corpus": (args.corpus, Path("data/cache/test_arrays.npz")),
    }
    out: dict[str, Any] = {"library": str(args.library), "held_out": len(held)}
    for name, path in (("base", args.base), ("fine_tuned", args.checkpoint)):
        row: dict[str, Any] = {"checkpoint": str(path)}
        for side, (corpus, cache) in caches.items():
            n = len(held) if side == "library" else args.n_loss
            row[f"v_loss_{side}"] = v_loss(path, corpus, cache, n)
        row["takes_vs_library"], row["tells_library"] = take_realism(path, held)
        row["takes_vs_corpus"], row["tells_corpus"] = take_realism(path, corpus_windows)
        out[name] = row
        print(
            f"{name:10s} v-loss library {row['v_loss_library']['mean']:.3f} corpus "
            f"{row['v_loss_corpus']['mean']:.3f} | takes told from the library "
            f"{row['takes_vs_library']:.3f}, from the corpus {row['takes_vs_corpus']:.3f}",
            flush=True,
        )
        print(f"           the library's tells: {row['tells_library']}", flush=True)
    out["seconds"] = round(time.time() - started, 1)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
