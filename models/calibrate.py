"""The melody decoder's pitch-class correction, fitted to a trained model's own takes.

A network can learn which degrees a style's melodies use and still under-use some of them
when it writes (0.4.1: the major seventh at 0.022 of its notes against the corpus's 0.057).
``calibrate`` generates takes from training-split windows' own captions (their bars, meter,
key and tempo), counts how often the melodies use each pitch class of the key frame against
those windows (``models.prior.fit_degrees``) and stores the correction in the checkpoint,
beside the note-to-note tables; ``models.decoding`` adds it to the melody's emissions.
``multitrack train`` runs it on the checkpoint it exports.

``--facts`` stores, instead, what the conditioning and decoder read of the training split
(``models.recipe.corpus_facts``: programs seen, drums and comping and bass density by style,
each style's comping and bass grooves) in a checkpoint's meta, for a checkpoint exported
before one of them was recorded.

    .venv/bin/python -m models.calibrate [--checkpoint PATH] [--corpus data/corpus] [--n 400]
    .venv/bin/python -m models.calibrate --facts [--checkpoint PATH] [--corpus data/corpus]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
import torch

from models.checkpoint import (
    DEFAULT_CHECKPOINT,
    LoadedModel,
    load_checkpoint,
    store_meta,
    store_priors,
)
from models.pipeline import Pipeline
from models.prior import DEGREES, fit_degrees
from models.recipe import corpus_facts
from models.request import GenerateRequest
from multitrack.errors import MultitrackError

# Windows the correction is counted over, and the shuffle that draws them.
WINDOWS = 400
SEED = 1


def calibrate(checkpoint: Path, corpus: Path, n: int = WINDOWS) -> np.ndarray:
    """Fit the checkpoint's melody correction on ``n`` training-split 4- and 8-bar windows
    and store it in the checkpoint in place (meta ``degrees``: how many windows, which
    shuffle); returns the (2, 12) table. The takes are decoded without a correction (a
    refit does not build on the last one)."""
    from multitrack.corpus.store import iter_examples

    model = load_checkpoint(checkpoint)
    priors = {k: v for k, v in model.priors.items() if not k.endswith(DEGREES)}
    pipe = Pipeline(LoadedModel(model.config, model.autoencoder, model.denoiser, model.meta,
                                priors))  # fmt: skip
    pool = [ex for ex in iter_examples(corpus, "train") if ex.song.bars in (4, 8)]
    random.Random(SEED).shuffle(pool)
    windows = pool[:n]
    takes = []
    for i, ex in enumerate(windows):
        s = ex.song
        request = GenerateRequest(ex.captions[i % len(ex.captions)], bars=s.bars, bpm=s.tempo,
                                  key=str(s.key), meter=str(s.meter), seed=i)  # fmt: skip
        takes.append(pipe.generate(request).song)
    table = fit_degrees([ex.song for ex in windows], takes, model.config.key_frame)
    store_priors(checkpoint, {**priors, f"melody{DEGREES}": table})
    store_meta(checkpoint, degrees={"windows": len(windows), "seed": SEED})
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--n", type=int, default=WINDOWS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--facts", action="store_true", help="store the corpus facts, not degrees")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if not (args.corpus / "train").is_dir():
        raise SystemExit(f"calibrate: {args.corpus} is not a built corpus (no train split)")
    if args.facts:
        facts = corpus_facts(args.corpus)
        store_meta(args.checkpoint, **facts)
        print(f"stored {', '.join(facts)} in {args.checkpoint}")
        return
    try:
        table = calibrate(args.checkpoint, args.corpus, args.n)
    except MultitrackError as exc:
        raise SystemExit(f"calibrate: {exc}") from None
    for name, row in zip(("major", "minor"), table, strict=True):
        print(f"{name}: " + " ".join(f"{v:+.2f}" for v in row))


if __name__ == "__main__":
    main()
