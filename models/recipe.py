"""The training recipe end to end: corpus -> arrays -> autoencoder -> decoder tuning ->
diffusion -> the exported half-precision checkpoint and the copy guard (``models.training``
holds the stages)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch.distributed as dist

from models.config import ModelConfig
from models.dataset import MAX_STEPS, TrainingArrays
from models.finetune import (
    BASE_META,
    REPLAY_WINDOWS,
    inherit_facts,
    load_base,
    replay_set,
    self_rehearsal,
)
from models.grooves import Rhythm, bar_rhythms, book_key, fit_rhythm_books
from models.guard import GUARD_FILE, CopyGuard
from models.training import TrainConfig, Trainer
from multitrack.errors import MultitrackError
from multitrack.features import playing_a_bar
from multitrack.stems import PROGRAM_STEMS

# A style's density in one meter (``corpus_facts``'s ``density_by_meter``) is kept where it
# has at least this many windows in it; elsewhere a take reads at the style's over all
# meters. Those mixed the meters: 200 held-out windows' captions' takes aimed at 3.03
# comping strikes a bar in 6/8 (the windows: 4.37) and 2.99 in 2/4 (2.03).
DENSITY_MIN_WINDOWS = 50
# A style's share of comping strikes that sound one voice (``corpus_facts``' ``comping_singles``)
# is kept in a meter where its windows strike at least this many times.
SINGLES_MIN_STRIKES = 200
# A style's drum floor (``corpus_facts``' ``drum_floors``): this percentile of its drumming
# windows' hits a bar. In 28 of 34 styles no drumming training window strikes under 2 a bar
# (folk's and celtic's light percussion aside); jazz in 4/4 strikes 7.0 or more in 19
# windows of 20 (session 29).
DRUM_FLOOR_PERCENTILE = 5


def run_training(
    corpus: Path,
    out: Path,
    *,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    run_dir: Path,
    max_windows: int | None = None,
    init_from: Path | None = None,
    decoders_from: Path | None = None,
    short_share: float = 1.0,
    captions: int | None = None,
    replay: Path | None = None,
    rehearse_self: bool = False,
) -> Path:
    """The whole recipe: encode the corpus (short windows, and the long ones that carry
    whole forms), train the autoencoder, fit latent statistics, train diffusion, export the
    half-precision checkpoint (with the melody's pitch-class correction fitted to its own
    takes: models.calibrate) and the copy guard into ``out``. ``init_from`` starts a new
    run from a checkpoint's networks (its autoencoder and latent statistics kept, layers it
    lacks at their initial values) instead of from scratch. ``decoders_from`` takes the
    stem decoders of a checkpoint with the same encoders (a decoder-tuning run made beside
    this one) into the exported checkpoint. ``short_share`` encodes a random share of the
    short windows and ``captions`` at most that many captions a window (the sentence
    encoder's time: models.dataset.load_training_arrays). ``replay``: the corpus the
    ``init_from`` model learnt from; ``REPLAY_WINDOWS`` of its training windows are mixed into
    ``train_cfg.replay_share`` of the diffusion steps; ``rehearse_self`` without a
    ``replay`` corpus: the ``init_from`` model's own takes instead (``self_rehearsal``)."""
    from models.calibrate import WINDOWS, calibrate
    from models.dataset import LONG_STEPS, load_training_arrays
    from models.prior import INTERVAL_MIX, corpus_priors
    from multitrack.corpus.store import iter_examples

    run_dir.mkdir(parents=True, exist_ok=True)
    claim = _claim(run_dir, corpus, init_from)
    trainer = Trainer(model_cfg, train_cfg, run_dir)
    if init_from is not None and not trainer.state_path.exists():
        trainer.init_from(init_from)
    claim()  # started: the folder is this run's
    if rehearse_self and replay is None and init_from is not None:
        if trainer.rank == 0:
            self_rehearsal(init_from, run_dir / "rehearsal")
        if trainer.world > 1:
            dist.barrier()  # rank 0 has made it; the others read it
        replay = run_dir / "rehearsal"
    # (cache, width, shortest excluded, share of windows): the long windows are all kept
    shapes = (
        ("train_arrays.npz", MAX_STEPS, 0, short_share),
        ("train_long.npz", LONG_STEPS, MAX_STEPS, 1.0),
    )

    def load_all() -> list[TrainingArrays]:
        return [
            load_training_arrays(
                corpus,
                "train",
                run_dir / name,
                model_cfg.key_frame,
                max_steps=width,
                min_steps=low,
                share=share,
                captions=captions,
            )
            for name, width, low, share in shapes
        ]

    if trainer.rank == 0:
        sets = load_all()
    if trainer.world > 1:
        dist.barrier()  # rank 0 has written the caches; the others read them
    if trainer.rank != 0:
        sets = load_all()
    sets = [s for s in sets if len(s)]
    if not sets:
        raise MultitrackError(
            f"{corpus} has no windows in its training split to train on "
            "(`multitrack prepare` a folder with more MIDI files)"
        )
    if max_windows is not None:
        sets = [_subset(s, max_windows) if len(s) > max_windows else s for s in sets]
    data = sets[0]
    started = time.time()
    if trainer.step_ae < train_cfg.ae_steps:
        trainer.train_autoencoder(data)
    if not trainer.initialised and (
        trainer.step_den == 0 or not bool((trainer.ae.latent_std != 1).any())
    ):
        trainer.fit_latent_stats(data)
        trainer.save()
    if trainer.step_dec < train_cfg.decoder_steps:
        trainer.train_decoders(data)  # reads the encoders' latents: independent of diffusion
    if trainer.step_den < train_cfg.diffusion_steps:
        rehearsed = None if replay is None else replay_set(replay, run_dir, model_cfg.key_frame)
        trainer.train_diffusion(
            [(s, trainer.encode_all(s)) for s in sets],
            replay=None if rehearsed is None else (rehearsed, trainer.encode_all(rehearsed)),
        )
    checkpoint = out / "multitrack.pt"
    if decoders_from is not None:
        trainer.take_decoders(decoders_from)
    if trainer.rank == 0:
        manifest = corpus / "manifest.json"
        facts = corpus_facts(corpus)
        base = None if init_from is None else load_base(init_from)
        meta = {
            "corpus": json.loads(manifest.read_text()) if manifest.exists() else {},
            "windows": sum(len(s) for s in sets),
            "train_seconds": round(time.time() - started, 1),
            "world_size": trainer.world,
            "init_from": None if init_from is None else init_from.name,
            "replay": None
            if replay is None
            else {
                "corpus": replay.name,
                "windows": REPLAY_WINDOWS,
                "share": train_cfg.replay_share,
            },
            **(facts if base is None else inherit_facts(facts, base.meta)),
        }
        if base is not None:  # what the fine-tuned model was before: its card's provenance
            meta["base"] = {k: base.meta[k] for k in BASE_META if k in base.meta}
            # a take's song.json names the model: the base's version and the library's name
            trainer.model_cfg = replace(model_cfg, version=f"{base.version}+{corpus.name}")
        mix = INTERVAL_MIX if model_cfg.autoencoder.pitch_reader else 0.0
        priors = corpus_priors(corpus, model_cfg.key_frame, mix,
                               base=None if base is None else base.priors)  # fmt: skip
        trainer.export(checkpoint, meta, priors)
        if not model_cfg.autoencoder.pitch_reader:  # a reader's takes need no correction
            calibrate(checkpoint, corpus, min(WINDOWS, max_windows or WINDOWS))
        guard = CopyGuard.build(ex.song for ex in iter_examples(corpus, "train"))
        if base is not None and base.guard is not None:  # it still knows the base's tunes
            guard = CopyGuard(np.concatenate([guard.hashes, base.guard.hashes]))
        guard.save(out / GUARD_FILE)
    if trainer.world > 1:
        dist.barrier()
    return checkpoint


# What a run folder was started on (``_claim``): its corpus and the checkpoint it started from.
RUN_FILE = "run.json"


def _claim(run_dir: Path, corpus: Path, init_from: Path | None) -> Callable[[], None]:
    """Refuse to resume ``run_dir`` on anything but what it was started on, and return what
    records that once the run has started: a second fine-tune left at the default run
    folder had resumed the first's finished state and exported its weights as the new
    library's model. A folder from before the record resumes as it did."""
    from multitrack.corpus.store import write_json_atomic

    this = {"corpus": str(corpus.resolve()),
            "init_from": None if init_from is None else str(init_from.resolve())}  # fmt: skip
    marker = run_dir / RUN_FILE
    if marker.is_file():
        was = json.loads(marker.read_text(encoding="utf-8"))
        if was != this:
            raise MultitrackError(
                f"{run_dir} holds a run on {was.get('corpus')}"
                + (f" from {was['init_from']}" if was.get("init_from") else "")
                + "; give this one another --run-dir (or resume that one as it was started)"
            )
        return lambda: None
    if (run_dir / "state.pt").exists():
        return lambda: None
    return lambda: write_json_atomic(marker, this)


def corpus_facts(corpus: Path, split: str = "train") -> dict[str, Any]:
    """What the conditioning needs to know of a corpus split, in one pass over it:
    ``programs_seen``, the General MIDI programs each of ``PROGRAM_STEMS`` plays (the
    program embeddings training moved; ``models.conditioning.known_programs``), and
    ``drums_by_style``, the share of each style's windows whose drums play
    (``models.telling.Telling.playing``), and ``density_by_style``, each style's mean
    comping strikes a bar and bass notes a bar over its windows where that stem plays
    (``models.aims.BandAims.density``), and ``density_by_meter``, the same by
    ``models.grooves.book_key`` (style and meter) where the style has at least
    ``DENSITY_MIN_WINDOWS`` windows in the meter, and ``comping_rhythms``, each style's commonest
    comping bar rhythms in each meter, and every style's (``models.grooves.RhythmBook``), and
    ``bass_rhythms``, the same of the bass's notes (``models.lines._groove_rhythm``), and
    ``comping_singles``, by the same keys, the share of the comping's strikes (the steps it
    strikes on) that sound one voice, where it strikes ``SINGLES_MIN_STRIKES`` times or more
    (``models.grooves.RhythmBook.singles``), and ``drum_floors``, by the same keys, the
    ``DRUM_FLOOR_PERCENTILE``th percentile of drum hits a bar over the windows whose drums
    play, where ``DENSITY_MIN_WINDOWS`` or more do: as few as that style's drummers ever play
    (``models.pipeline.NAMED_DRUM_FLOOR``)."""
    from multitrack.corpus.store import iter_examples

    seen: dict[str, set[int]] = {stem: set() for stem in PROGRAM_STEMS}
    counts: dict[str, list[int]] = {}  # style -> [windows with drums, windows]
    density: dict[str, dict[str, list[float]]] = {}  # style -> stem -> per window
    by_meter: dict[str, dict[str, list[float]]] = {}  # book_key -> stem -> per window
    grooves: dict[str, Counter[Rhythm]] = {}  # book_key -> comping bar rhythms
    bass_grooves: dict[str, Counter[Rhythm]] = {}  # book_key -> bass bar rhythms
    singles: dict[str, list[int]] = {}  # book_key -> [one-voice strikes, strikes]
    drum_hits: dict[str, list[float]] = {}  # book_key -> drum hits a bar, windows that drum
    for ex in iter_examples(corpus, split):
        song = ex.song
        comped, played = bar_rhythms(song), bar_rhythms(song, "bass")
        voices = Counter(n.start for n in song.stems["chords"].notes).values()
        for key in {book_key(song.style, song.meter), book_key(None, song.meter)}:
            grooves.setdefault(key, Counter()).update(comped)
            bass_grooves.setdefault(key, Counter()).update(played)
            tally_singles = singles.setdefault(key, [0, 0])
            tally_singles[0] += sum(v == 1 for v in voices)
            tally_singles[1] += len(voices)
            if song.stems["drums"].notes:
                drum_hits.setdefault(key, []).append(len(song.stems["drums"].notes) / song.bars)
        for stem in PROGRAM_STEMS:
            seen[stem].add(song.stems[stem].program)
        tally = counts.setdefault(song.style or "", [0, 0])
        tally[0] += bool(song.stems["drums"].notes)
        tally[1] += 1
        a_bar = zip(("comping", "bass"), playing_a_bar(song), strict=True)
        played_a_bar = {name: v for name, v in a_bar if v is not None}  # the stems that play
        keys = [(density, song.style or "")]
        if song.style:
            keys.append((by_meter, book_key(song.style, song.meter)))
        for table, key in keys:
            rows = table.setdefault(key, {"comping": [], "bass": []})
            for stem, value in played_a_bar.items():
                rows[stem].append(value)
    shares = {style: round(d / n, 4) for style, (d, n) in sorted(counts.items()) if style}

    def means(table: dict[str, dict[str, list[float]]], least: int) -> dict[str, dict[str, float]]:
        return {
            key: {stem: round(float(np.mean(v)), 3) for stem, v in rows.items() if len(v) >= least}
            for key, rows in sorted(table.items())
            if key and any(len(v) >= least for v in rows.values())
        }

    return {
        "programs_seen": {stem: sorted(programs) for stem, programs in seen.items()},
        "drums_by_style": shares,
        "density_by_style": means(density, 1),
        "density_by_meter": means(by_meter, DENSITY_MIN_WINDOWS),
        "comping_rhythms": fit_rhythm_books(grooves),
        "bass_rhythms": fit_rhythm_books(bass_grooves),
        "comping_singles": {key: round(a / n, 4) for key, (a, n) in sorted(singles.items())
                            if n >= SINGLES_MIN_STRIKES},
        "drum_floors": {key: round(float(np.percentile(v, DRUM_FLOOR_PERCENTILE)), 2)
                        for key, v in sorted(drum_hits.items()) if len(v) >= DENSITY_MIN_WINDOWS},
    }  # fmt: skip


def _subset(data: TrainingArrays, n: int) -> TrainingArrays:
    idx = np.random.default_rng(0).permutation(len(data))[:n]
    fields: dict[str, Any] = {k: (v[idx] if isinstance(v, np.ndarray) and k != "text" else v)
              for k, v in vars(data).items()}  # fmt: skip
    fields["caption_ids"] = [data.caption_ids[i] for i in idx]
    return TrainingArrays(**fields)
