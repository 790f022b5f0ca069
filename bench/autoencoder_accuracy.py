"""How exactly the autoencoder gives back held-out music: notes in, latent, notes out.

Per stem: note-level precision / recall / F1 (a note matches when start, pitch and duration
are equal; drums: start and class), over held-out corpus windows.

    .venv/bin/python bench/autoencoder_accuracy.py [--windows 500] [--checkpoint PATH]
"""

from __future__ import annotations

import argparse
from itertools import islice
from pathlib import Path

import torch

from models.checkpoint import load_checkpoint
from models.decoding import decode_logits
from models.representation import all_channels, song_to_arrays
from multitrack.corpus.store import iter_examples
from multitrack.song import STEMS, Song


def notes(song: Song, stem: str) -> set[tuple[int, int, int]]:
    if stem == "drums":
        return {(n.start, n.pitch, 0) for n in song.stems[stem].notes}
    return {(n.start, n.pitch, n.duration) for n in song.stems[stem].notes}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=500)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--checkpoint", type=Path, default=None)
    args = ap.parse_args()
    model = load_checkpoint(args.checkpoint)
    ae = model.autoencoder
    frame = model.config.key_frame
    counts = {s: [0, 0, 0] for s in STEMS}  # matched, generated, original
    n = 0
    with torch.no_grad():
        for ex in islice(iter_examples(args.corpus, "test"), args.windows):
            song = ex.song
            rolls = {
                k: torch.from_numpy(v)[None]
                for k, v in all_channels(song_to_arrays(song, key_frame=frame)).items()
            }
            logits = {k: v[0].numpy() for k, v in ae.decode(ae.encode(rolls)).items()}
            back = decode_logits(logits, song, key_frame=frame)
            # the model's frame folds pitches into each stem's window: compare in that frame
            channels = all_channels(song_to_arrays(song, key_frame=frame))
            ref = decode_logits(
                {k: v * 40 - 20 for k, v in channels.items()}, song, key_frame=frame
            )
            for s in STEMS:
                a, b = notes(ref, s), notes(back, s)
                counts[s][0] += len(a & b)
                counts[s][1] += len(b)
                counts[s][2] += len(a)
            n += 1
    print(f"autoencoder round trip on {n} held-out windows (exact start, pitch, duration)")
    for s, (m, g, o) in counts.items():
        p, r = m / max(1, g), m / max(1, o)
        f1 = 2 * p * r / max(1e-9, p + r)
        print(f"  {s:7s} precision {p:.3f} recall {r:.3f} F1 {f1:.3f} ({o} notes)")


if __name__ == "__main__":
    main()
