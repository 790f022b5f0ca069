"""A style classifier trained on reference windows, used to ask "does it sound like the style?".

Features are musical content only — onset positions in the bar per stem, drum-class onset
patterns, densities, durations, polyphony, ranges, the melody's scale-degree histogram and
the meter — never the tempo, which the pipeline sets from the attributes and would make the
test trivial. Multinomial logistic regression (torch, L2), standardised features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from multitrack.song import Song
from multitrack.styles import STYLE_IDS

METERS = ("4/4", "3/4", "2/4", "6/8")


def features(song: Song) -> np.ndarray:
    bar = song.meter.steps_per_bar
    bars = max(1, song.bars)
    parts: list[np.ndarray] = []
    for name in ("melody", "chords", "bass"):
        notes = song.stems[name].notes
        pos = np.zeros(16)
        for n in notes:
            pos[min(15, (n.start % bar) * 16 // bar)] += 1
        parts.append(pos / bars)
        durs = [n.duration for n in notes]
        parts.append(np.array([
            len(notes) / bars,
            float(np.mean(durs)) if durs else 0.0,
            float(np.ptp([n.pitch for n in notes])) if notes else 0.0,
        ]))  # fmt: skip
    drums = song.stems["drums"].notes
    for cls in range(9):
        pos = np.zeros(16)
        for n in drums:
            if n.pitch == cls:
                pos[min(15, (n.start % bar) * 16 // bar)] += 1
        parts.append(pos / bars)
    tonic = song.key.tonic
    degrees = np.zeros(12)
    for n in song.stems["melody"].notes:
        degrees[(n.pitch - tonic) % 12] += n.duration
    parts.append(degrees / max(1.0, degrees.sum()))
    chords = song.stems["chords"].notes
    starts = {n.start for n in chords}
    parts.append(np.array([len(chords) / max(1, len(starts))]))
    parts.append(np.array([1.0 if str(song.meter) == m else 0.0 for m in METERS]))
    return np.concatenate(parts).astype(np.float32)


@dataclass
class StyleClassifier:
    weight: torch.Tensor
    bias: torch.Tensor
    mean: np.ndarray
    std: np.ndarray
    holdout_accuracy: float

    @classmethod
    def fit(
        cls, songs: Sequence[Song], groups: Sequence[str], *, epochs: int = 300, l2: float = 1e-3
    ) -> StyleClassifier:
        """Fit on ``songs``; ``holdout_accuracy`` is measured on 20% of the *pieces*
        (``groups``), so windows of one tune never sit on both sides."""
        keep = [i for i, s in enumerate(songs) if s.style in STYLE_IDS]
        labelled = [songs[i] for i in keep]
        piece = [groups[i] for i in keep]
        x = np.stack([features(s) for s in labelled])
        y = np.array([STYLE_IDS.index(s.style) for s in labelled])  # type: ignore[arg-type]
        mean, std = x.mean(0), x.std(0) + 1e-6
        xs = torch.from_numpy((x - mean) / std)
        yt = torch.from_numpy(y)
        names = sorted(set(piece))
        held = set(
            np.random.default_rng(0).permutation(len(names))[: max(1, len(names) // 5)].tolist()
        )
        test = np.array([i for i, p in enumerate(piece) if names.index(p) in held])
        train_idx = np.array([i for i, p in enumerate(piece) if names.index(p) not in held])

        def train(idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
            w = torch.zeros(x.shape[1], len(STYLE_IDS), requires_grad=True)
            b = torch.zeros(len(STYLE_IDS), requires_grad=True)
            opt = torch.optim.LBFGS([w, b], max_iter=epochs, line_search_fn="strong_wolfe")
            xi, yi = xs[idx], yt[idx]

            def closure() -> torch.Tensor:
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(xi @ w + b, yi) + l2 * w.pow(2).sum()
                loss.backward()
                return loss

            opt.step(closure)
            return w.detach(), b.detach()

        w, b = train(train_idx)
        acc = float(((xs[test] @ w + b).argmax(1) == yt[test]).float().mean())
        w, b = train(np.arange(len(y)))
        return cls(w, b, mean, std, acc)

    def predict(self, song: Song) -> str:
        x = torch.from_numpy((features(song) - self.mean) / self.std)
        return STYLE_IDS[int((x @ self.weight + self.bias).argmax())]
