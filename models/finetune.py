"""Fine-tuning a checkpoint on a producer's library (``multitrack train --init-from``; README,
"Your own library"): its defaults, what it rehearses so the styles the library lacks are
not forgotten (windows of the corpus the checkpoint learnt from, else the checkpoint's own
takes), and what it keeps of the checkpoint's tables (``inherit_facts``). The recipe
(``models.recipe``) runs it."""

from __future__ import annotations

import logging
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.dataset import MAX_STEPS, TrainingArrays, load_training_arrays
from models.guard import CopyGuard
from models.request import GenerateRequest
from multitrack.corpus.captions import captions
from multitrack.corpus.prepare import caption_facts, song_windows
from multitrack.corpus.store import (
    MANIFEST,
    Example,
    ShardWriter,
    read_manifest,
    write_json_atomic,
)
from multitrack.styles import STYLE_IDS, style

log = logging.getLogger(__name__)

# A fine-tune's defaults (``multitrack train --init-from``): the learning rate the shipped
# 0.4.1 fine-tune used, and passes over the library. On a 249-window library (MMA's
# example songs) against the shipped model, the mean of the four stems' v-loss on the
# library's held-out windows / the corpus's (bench/denoiser_loss.py): shipped 1.021 / 0.444;
# alone, 100 steps (26 passes) 0.845 / 0.495, 300 (77) 0.833 / 0.589, 1,000 0.888 / 0.747
# (it overfits and forgets), 300 at 4e-4 0.855 / 0.697; rehearsing the corpus half the
# steps, 300 0.833 / 0.464 and 600 (77 passes) 0.827 / 0.464 (docs/model.md, "Session 27").
FINE_TUNE_LR = 1.5e-4
FINE_TUNE_PASSES = 60
FINE_TUNE_PASSES_ALONE = 25
FINE_TUNE_STEPS = (50, 4000)


def fine_tune_steps(windows: int, batch: int, replay_share: float) -> int:
    """Diffusion steps of a fine-tune on ``windows`` training windows: about
    ``FINE_TUNE_PASSES`` passes over them when the base corpus is rehearsed
    (``replay_share`` of the steps), ``FINE_TUNE_PASSES_ALONE`` when not, within
    ``FINE_TUNE_STEPS``."""
    passes = FINE_TUNE_PASSES if replay_share > 0 else FINE_TUNE_PASSES_ALONE
    steps = passes * windows / max(batch, 1) / max(1.0 - replay_share, 0.05)
    lo, hi = FINE_TUNE_STEPS
    return int(min(max(round(steps), lo), hi))


# Windows of the base corpus a fine-tuning run rehearses (``run_training``'s ``replay``),
# drawn at random from its training split (short ones: 4 and 8 bars).
REPLAY_WINDOWS = 3000


def replay_set(corpus: Path, run_dir: Path, key_frame: str) -> TrainingArrays | None:
    """``REPLAY_WINDOWS`` of a built ``corpus``'s training windows (``multitrack train``
    checks ``--replay`` is one), encoded into ``run_dir`` (None when it has none)."""
    total = read_manifest(corpus).get("splits", {}).get("train")  # None: not counted
    share = 1.0 if not total else min(1.0, REPLAY_WINDOWS / int(total))
    data = load_training_arrays(corpus, "train", run_dir / "replay_arrays.npz", key_frame,
                                max_steps=MAX_STEPS, share=share, captions=1)  # fmt: skip
    return data if len(data) else None


# A fine-tune with no corpus to rehearse rehearses its base's own takes instead
# (``self_rehearsal``): this many 8-bar takes a style the base knows, each cut into 4- and
# 8-bar windows as a library is and captioned as the corpus is.
SELF_TAKES = 10
SELF_KEYS = ("C major", "A minor", "G major", "D minor", "F major", "E minor", "D major",
             "Bb major", "Eb major", "G minor")  # fmt: skip


def self_rehearsal(init_from: Path, folder: Path, takes: int | None = None) -> Path:
    """A corpus (``folder``, made once) of the ``init_from`` model's own takes: ``takes``
    8-bar takes of every style its meta knows, in the style's meters, keys cycled, one
    candidate each, seeded; its windows all in the training split. What the model played
    before, rehearsed while it learns a library, keeps most of what rehearsing the corpus
    keeps, where no corpus is built (docs/model.md, "Session 27")."""
    from models.pipeline import Pipeline

    if (folder / MANIFEST).is_file():
        return folder
    takes = SELF_TAKES if takes is None else takes
    pipe = Pipeline.load(init_from, candidates=1)
    meta = pipe.model.meta
    known = [s for s in STYLE_IDS if s in meta.get("drums_by_style", {})] or list(STYLE_IDS)
    meters: dict[str, list[str]] = {}
    for key in meta.get("density_by_meter", {}):
        name, _, meter = key.rpartition(" ")
        meters.setdefault(name, []).append(meter)
    tmp = folder.parent / f".{folder.name}.making"
    shutil.rmtree(tmp, ignore_errors=True)
    writer = ShardWriter(tmp / "train", size=2000)
    (tmp / "test").mkdir(parents=True)
    windows = 0
    log.info("rehearsal: %d takes of %d styles by %s", takes * len(known), len(known), init_from)
    for i, name in enumerate(known):
        st = style(name)
        for j in range(takes):
            options = [st.meter] if st.meter else meters.get(name, ["4/4"])
            request = GenerateRequest(
                st.english,
                bars=8,
                key=None if name == "guofeng" else SELF_KEYS[(i + j) % len(SELF_KEYS)],
                meter=options[j % len(options)],
                seed=j,
            )
            song = pipe.generate(request).song
            rng = random.Random(f"{name}/{j}")
            for window in song_windows(song):
                writer.add(Example(window, captions(caption_facts(window), rng), "rehearsal",
                                   f"{name}-{j}"))  # fmt: skip
                windows += 1
        if (i + 1) % 10 == 0 or i + 1 == len(known):
            log.info("rehearsal: %d of %d styles, %d windows", i + 1, len(known), windows)
    writer.flush()
    write_json_atomic(tmp / MANIFEST, {"format": "multitrack.corpus/1", "windows": windows,
                                       "splits": {"train": windows},
                                       "sources": {f"rehearsal:{init_from.name}": windows}})  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


# What a fine-tuned checkpoint's meta keeps of its base's (``run_training``'s ``base``).
BASE_META = ("corpus", "windows", "diffusion_steps", "init_from", "fine_tune", "fine_tune_042",
             "pitch_reader", "base")  # fmt: skip
# The tables of ``corpus_facts`` keyed by style or by style and meter.
KEYED_FACTS = ("drums_by_style", "density_by_style", "density_by_meter", "comping_rhythms",
               "bass_rhythms", "comping_singles", "drum_floors")  # fmt: skip


@dataclass(frozen=True)
class Base:
    """What a fine-tuning run keeps of the checkpoint it started from (``--init-from``)."""

    version: str
    meta: dict[str, Any]
    priors: dict[str, np.ndarray]
    guard: CopyGuard | None


def load_base(init_from: Path) -> Base:
    """What a fine-tune keeps of the checkpoint at ``init_from``: its version, meta, note-to-
    note tables and the copy guard beside it."""
    payload = torch.load(init_from, map_location="cpu", weights_only=True)
    priors = {k: v.float().numpy() for k, v in payload.get("priors", {}).items()}
    version = str(payload.get("config", {}).get("version", "unknown"))
    return Base(version, dict(payload.get("meta", {})), priors, CopyGuard.load_beside(init_from))


def inherit_facts(facts: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """A fine-tuned model's ``corpus_facts``: its library's, and its base checkpoint's for
    every style and meter the library has no windows of. Fine-tuned on an unlabelled
    library, a model had lost every style's density, grooves and drum share, and a "swing"
    prompt decoded with none of them. Programs are those either side trained."""
    out = dict(facts)
    for name in KEYED_FACTS:
        out[name] = {**base.get(name, {}), **facts.get(name, {})}
    seen = base.get("programs_seen", {})
    out["programs_seen"] = {
        stem: sorted(set(programs) | set(seen.get(stem, ())))
        for stem, programs in facts["programs_seen"].items()
    }
    return out
