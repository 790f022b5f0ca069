"""Where do the melody's interval and rhythm gaps come from? Probe the network's melody
rows before decoding.

For held-out corpus windows, compares (a) the windows themselves, (b) their autoencoder
round trip, (c) generations from their own captions (same bars, meter, key), on:
the spread of the decoder's per-step pitch distribution at sounding steps (entropy in nats,
top-1 probability), the onset row's confidence, and the decoded melody's interval shares
and notes per bar. If (b) matches (a) but (c) does not, the gap is the diffusion model's,
not the decoder's or the latent's.

    .venv/bin/python bench/melody_probe.py --corpus data/corpus --n 60
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
import torch

from models import decoding
from models.config import MELODY_ROWS
from models.decoding import decode_logits
from models.pipeline import Pipeline
from models.representation import all_channels, song_to_arrays
from models.request import DEFAULT_STEPS, GenerateRequest
from multitrack.corpus.store import iter_examples
from multitrack.song import Song

BINS = ((0, 0), (1, 2), (3, 4), (5, 7), (8, 127))


def intervals(song: Song) -> dict[str, float]:
    notes = sorted(song.stems["melody"].notes, key=lambda n: n.start)
    steps = [abs(b.pitch - a.pitch) for a, b in itertools.pairwise(notes)]
    out = {f"iv_{lo}-{hi}": (sum(lo <= s <= hi for s in steps) / len(steps) if steps else 0.0)
           for lo, hi in BINS}  # fmt: skip
    out["notes_per_bar"] = len(notes) / song.bars
    return out


def spread(logits: np.ndarray) -> dict[str, float]:
    """Entropy and top-1 probability of the pitch distribution at sounding steps."""
    z = logits[: MELODY_ROWS + 1]
    p = np.exp(z - z.max(0, keepdims=True))
    p /= p.sum(0, keepdims=True)
    sounding = p.argmax(0) != 0
    if not sounding.any():
        return {"entropy": float("nan"), "top1": float("nan"), "onset_margin": float("nan")}
    q = p[1:, sounding] / p[1:, sounding].sum(0, keepdims=True)
    ent = float(-(q * np.log(q + 1e-12)).sum(0).mean())
    onset = logits[MELODY_ROWS + 1]
    return {"entropy": ent, "top1": float(q.max(0).mean()),
            "onset_margin": float(np.abs(onset - np.log(3.0)).mean())}  # fmt: skip


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(float(np.nanmean([r[k] for r in rows])), 3) for k in rows[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    ap.add_argument("--split", default="test")
    ap.add_argument("--bars", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(2)
    pipe = Pipeline.load(args.checkpoint)
    captured: list[dict[str, np.ndarray]] = []
    original = decoding.decode_logits

    def capture(logits, template, **kw):  # type: ignore[no-untyped-def]
        captured.append(logits)
        return original(logits, template, **kw)

    rows: dict[str, list[dict[str, float]]] = {"corpus": [], "roundtrip": [], "generated": []}
    spreads: dict[str, list[dict[str, float]]] = {"roundtrip": [], "generated": []}
    examples = [ex for ex in iter_examples(args.corpus, args.split) if ex.song.bars == args.bars][
        : args.n
    ]
    for ex in examples:
        song = ex.song
        rows["corpus"].append(intervals(song))
        rolls = {k: torch.from_numpy(v)[None] for k, v in
                 all_channels(song_to_arrays(song, key_frame=pipe.key_frame)).items()}  # fmt: skip
        with torch.no_grad():
            dec = pipe.ae.decode(pipe.ae.encode(rolls))
        logits = {s: v[0].numpy() for s, v in dec.items()}
        spreads["roundtrip"].append(spread(logits["melody"]))
        rows["roundtrip"].append(intervals(decode_logits(logits, song, key_frame=pipe.key_frame)))
        import models.pipeline as mp

        mp.decode_logits = capture  # type: ignore[assignment]
        captured.clear()
        gen = pipe.generate(GenerateRequest(ex.captions[1], bars=song.bars, bpm=song.tempo,
                                            key=song.key, meter=str(song.meter), seed=1,
                                            steps=args.steps))  # fmt: skip
        mp.decode_logits = original  # type: ignore[assignment]
        for lg in captured:
            spreads["generated"].append(spread(lg["melody"]))
        rows["generated"].append(intervals(gen.song))
    report = {k: mean(v) for k, v in rows.items()}
    report.update({f"spread_{k}": mean(v) for k, v in spreads.items()})
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
