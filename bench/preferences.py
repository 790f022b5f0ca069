"""Do kept candidates move toward what a producer rates up? Simulated ratings on the real model.

A simulated producer likes dense takes: for each of the training prompts the pipeline
returns ``k`` distinct candidates (``variations``); each is rated +1 when its notes per bar
are above the median of all training candidates, else -1, and stored in a real preference store
(``multitrack.prefs``). The model fitted to those ratings then reranks the candidate pools
of held-out prompts the way the pipeline would (``rerank_key`` on ``candidate_rank``), and
the kept take's notes per bar is compared with today's pick (the pool's first).

    .venv/bin/python bench/preferences.py [--k 6] [--bars 8] [--steps 10]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from models.pipeline import Pipeline
from models.ranking import candidate_rank
from models.request import GenerateRequest
from multitrack.prefs import FEATURES, PreferenceStore, candidate_features, rerank_key

TRAIN = [
    "upbeat pop in C major", "一段舒缓的古筝曲", "lo-fi hip hop, mellow piano", "摇滚,电吉他",
    "jazz trio, swing feel", "欢快的儿童歌曲", "sad piano ballad in A minor", "民谣,木吉他",
    "disco, 120 bpm", "bossa nova with nylon guitar", "国风,笛子", "funk with slap bass",
]  # fmt: skip
HELD_OUT = [
    "dreamy synth pop", "悲伤的二胡曲", "country song with fiddle", "雷鬼,G大调",
    "epic cinematic strings", "轻快的爵士钢琴", "waltz in D major", "城市民谣,温暖",
    "reggae groove", "快乐的流行歌", "lullaby for a child", "EDM, 128 bpm",
]  # fmt: skip
DENSITY = FEATURES.index("notes_per_bar")


def pools(pipeline: Pipeline, prompts: list[str], k: int, bars: int, steps: int) -> list[list]:
    out = []
    for i, prompt in enumerate(prompts):
        gen = pipeline.generate(
            GenerateRequest(prompt=prompt, bars=bars, seed=100 + i, steps=steps, variations=k)
        )
        out.append([gen.song, *gen.variations])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=6)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--checkpoint", type=Path)
    args = parser.parse_args()
    pipeline = Pipeline.load(args.checkpoint)
    train = pools(pipeline, TRAIN, args.k, args.bars, args.steps)
    with tempfile.TemporaryDirectory() as root:
        store = PreferenceStore.open(Path(root))
        median = float(np.median([candidate_features(s)[DENSITY] for p in train for s in p]))
        for p, pool in enumerate(train):
            density = [candidate_features(s)[DENSITY] for s in pool]
            for c, (song, d) in enumerate(zip(pool, density, strict=True)):
                store.add_rating(f"take-{p:02d}-{c}", 1 if d > median else -1, song)
        model = store.model()
        rated = len(store.ratings())
        store.close()
    assert model is not None
    print(
        f"ratings: {rated} takes from {len(TRAIN)} prompts (denser than {median:.1f} notes/bar liked)"
    )
    print("weights: " + ", ".join(f"{k} {v:+.2f}" for k, v in model.describe().items()))
    held = pools(pipeline, HELD_OUT, args.k, args.bars, args.steps)
    base, kept, best = [], [], []
    for pool in held:
        density = [candidate_features(s)[DENSITY] for s in pool]
        order = [rerank_key(candidate_rank(s, None), model.score_song(s)) for s in pool]
        base.append(density[0])
        kept.append(density[max(range(len(pool)), key=lambda i: order[i])])
        best.append(max(density))
    moved = sum(k > b for k, b in zip(kept, base, strict=True))
    print(f"held-out prompts: {len(HELD_OUT)}, {args.k} candidates each, {args.bars} bars")
    print(f"notes per bar kept, today's pick:     {np.mean(base):.2f}")
    print(f"notes per bar kept, with preferences: {np.mean(kept):.2f}")
    print(f"notes per bar, densest candidate:     {np.mean(best):.2f}")
    print(f"pools where the kept take got denser: {moved}/{len(HELD_OUT)}")


if __name__ == "__main__":
    main()
