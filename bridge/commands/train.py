"""``multitrack train``: the autoencoder, then diffusion on its latents; resumable.

Also runs under ``torchrun --nproc_per_node 2 -m bridge.cli train ...`` (DDP over gloo).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

from bridge.arguments import finite_float
from multitrack.errors import MultitrackError

# The corpus a fine-tune rehearses unless told otherwise: the one `make corpus` builds, which
# the shipped model learnt from.
DEFAULT_REPLAY = Path("data/corpus")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train the model on a built corpus",
        description="Train the autoencoder, then latent diffusion; resumes from RUN_DIR/state.pt.",
    )
    p.add_argument("--corpus", type=Path, default=Path("data/corpus"), help="built corpus folder")
    p.add_argument("--out", type=Path, default=Path("models/checkpoints"), help="checkpoint folder")
    p.add_argument("--run-dir", type=Path, default=Path("runs/default"), help="state and logs")
    # The defaults are the from-scratch recipe `make train` runs (docs/model.md, Training).
    p.add_argument("--ae-steps", type=int, default=6000)
    p.add_argument(
        "--diffusion-steps",
        type=int,
        default=None,
        help="32750 from scratch; with --init-from, enough for about 60 passes over the "
        "library (25 with --no-replay), 50-4000",
    )
    p.add_argument("--batch", type=int, default=64)
    p.add_argument(
        "--decoder-steps",
        type=int,
        default=0,
        help="tune the decoders on noisy latents this many steps (encoders frozen)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--mode-balance",
        type=finite_float,
        default=0.0,
        help="diffusion draws a window of mode m with weight count(m)^-B (0 uniform, 0.5 sqrt)",
    )
    p.add_argument(
        "--style-balance",
        type=finite_float,
        default=0.0,
        help="and of style s with weight count(s)^-B, multiplied in (0 uniform)",
    )
    p.add_argument("--max-windows", type=int, default=None, help="train on a random subset")
    p.add_argument(
        "--init-from",
        type=Path,
        default=None,
        help="fine-tune this checkpoint, e.g. the shipped models/checkpoints/multitrack.pt on "
        "your library (keeps its autoencoder and, for styles the corpus lacks, its tables; "
        "new layers start where they change nothing)",
    )
    p.add_argument(
        "--decoders-from",
        type=Path,
        default=None,
        help="export with the stem decoders of this checkpoint (a decoder-tuning run on the "
        "same encoders)",
    )
    p.add_argument(
        "--short-share",
        type=finite_float,
        default=1.0,
        help="encode this random share of the short (4/8-bar) windows (all long ones)",
    )
    p.add_argument("--captions", type=int, default=None, help="at most this many captions a window")
    p.add_argument(
        "--long-share",
        type=finite_float,
        default=0.3,
        help="share of diffusion steps on the long (16- and 32-bar) windows",
    )
    p.add_argument(
        "--lr",
        type=finite_float,
        default=None,
        help="peak learning rate of diffusion (4e-4 from scratch, 1.5e-4 with --init-from)",
    )
    p.add_argument(
        "--melody-weight",
        type=finite_float,
        default=1.0,
        help="weight of the melody's latent channels in the diffusion loss (1: all alike)",
    )
    p.add_argument(
        "--new-layer-lr",
        type=finite_float,
        default=1.0,
        help="learning rate of denoiser layers --init-from's checkpoint lacks, times --lr",
    )
    p.add_argument(
        "--local-kernel",
        type=int,
        default=0,
        help="frames each denoiser block's depthwise local mix reads (odd; 0: none, as shipped)",
    )
    p.add_argument(
        "--feel",
        action="store_true",
        help="give the denoiser the feel track (comping and bass density; off, as shipped)",
    )
    p.add_argument(
        "--phrase-bars",
        default="",
        help="bar offsets each denoiser block's phrase mix reads, both ways, e.g. 1,2,4 "
        "(empty: none, as shipped)",
    )
    p.add_argument(
        "--replay",
        type=Path,
        default=None,
        help="with --init-from: the corpus that model learnt from (default: data/corpus when it "
        "is built, `make corpus`, else the model's own takes); some of its windows are "
        "rehearsed so what your library lacks is not forgotten",
    )
    p.add_argument("--no-replay", action="store_true", help="fine-tune on the library alone")
    p.add_argument(
        "--replay-share",
        type=finite_float,
        default=0.5,
        help="share of diffusion steps on --replay's windows",
    )
    p.add_argument("--tiny", action="store_true", help="the debug-size model (tests)")
    p.add_argument("--no-bf16", action="store_true", help="train in float32")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (1 on a machine busy with other work)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from models.config import ModelConfig
    from models.recipe import run_training
    from models.training import TrainConfig

    if not (args.corpus / "manifest.json").is_file():
        raise MultitrackError(
            f"{args.corpus} is not a built corpus (no manifest.json); run `multitrack corpus build`"
        )
    for name in ("ae_steps", "batch"):
        if getattr(args, name) < 1:
            raise MultitrackError(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("diffusion_steps", "decoder_steps"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            raise MultitrackError(f"--{name.replace('_', '-')} must be 0 or more")
    for flag in ("mode_balance", "style_balance"):
        if not 0.0 <= getattr(args, flag) <= 1.0:
            raise MultitrackError(f"--{flag.replace('_', '-')} must be between 0 and 1")
    if args.replay is not None and args.init_from is None:
        raise MultitrackError("--replay rehearses the corpus an --init-from model learnt from")
    if args.replay is not None and args.no_replay:
        raise MultitrackError("--replay and --no-replay contradict each other")
    if args.replay is not None and not (args.replay / "manifest.json").is_file():
        raise MultitrackError(f"--replay: {args.replay} is not a built corpus (no manifest.json)")
    for flag in ("long_share", "short_share", "replay_share"):
        if not 0.0 <= getattr(args, flag) <= 1.0:
            raise MultitrackError(f"--{flag.replace('_', '-')} must be between 0 and 1")
    if args.lr is not None and not 0.0 < args.lr <= 1e-2:
        raise MultitrackError("--lr must be above 0 and at most 0.01")
    if not 0.0 < args.melody_weight <= 100.0:
        raise MultitrackError("--melody-weight must be above 0 and at most 100")
    if not 0.0 < args.new_layer_lr <= 100.0:
        raise MultitrackError("--new-layer-lr must be above 0 and at most 100")
    if (
        args.local_kernel < 0
        or args.local_kernel > 15
        or (args.local_kernel and args.local_kernel % 2 == 0)
    ):
        raise MultitrackError("--local-kernel must be 0 or an odd number up to 15")
    phrase_bars = _phrase_bars(args.phrase_bars)
    if args.captions is not None and not 1 <= args.captions <= 3:
        raise MultitrackError("--captions must be 1-3")
    for flag in ("init_from", "decoders_from"):
        path = getattr(args, flag)
        if path is not None and not path.is_file():
            raise MultitrackError(f"--{flag.replace('_', '-')}: {path} is not a file")
    if args.init_from is not None and (args.out / "multitrack.pt").resolve() == (
        args.init_from.resolve()
    ):  # the model a producer fine-tunes is never written over by the fine-tuned one
        raise MultitrackError(
            f"--out {args.out} would overwrite the checkpoint --init-from starts from; "
            "give the fine-tuned model a folder of its own"
        )
    _fine_tune_defaults(args)
    if args.threads is not None:
        import torch

        if args.threads < 1:
            raise MultitrackError("--threads must be at least 1")
        # Two spinning OpenMP threads on a core shared with other processes can run many
        # times slower than one thread: measured here, 0.16 s/step idle vs 4.6 s/step busy.
        torch.set_num_threads(args.threads)
    # the run's progress (steps, losses, encoding) is logged at INFO: shown, and not as WARNING
    models_log = logging.getLogger("models")
    if models_log.getEffectiveLevel() > logging.INFO:
        models_log.setLevel(logging.INFO)
    model_cfg = ModelConfig.tiny() if args.tiny else ModelConfig()
    if args.local_kernel:
        model_cfg = replace(
            model_cfg, denoiser=replace(model_cfg.denoiser, local_kernel=args.local_kernel)
        )
    if args.feel:
        model_cfg = replace(model_cfg, denoiser=replace(model_cfg.denoiser, feel=True))
    if phrase_bars:
        model_cfg = replace(
            model_cfg, denoiser=replace(model_cfg.denoiser, phrase_bars=phrase_bars)
        )
    train_cfg = TrainConfig(
        ae_steps=args.ae_steps,
        diffusion_steps=args.diffusion_steps,
        batch=args.batch,
        seed=args.seed,
        bf16=not args.no_bf16,
        mode_balance=args.mode_balance,
        style_balance=args.style_balance,
        long_share=args.long_share,
        decoder_steps=args.decoder_steps,
        lr_diffusion=args.lr,
        melody_weight=args.melody_weight,
        new_layer_lr=args.new_layer_lr,
        replay_share=args.replay_share if args.replay is not None or args.rehearse_self else 0.0,
    )
    path = run_training(
        args.corpus,
        args.out,
        model_cfg=model_cfg,
        train_cfg=train_cfg,
        run_dir=args.run_dir,
        max_windows=args.max_windows,
        init_from=args.init_from,
        decoders_from=args.decoders_from,
        short_share=args.short_share,
        captions=args.captions,
        replay=args.replay,
        rehearse_self=args.rehearse_self,
    )
    print(f"checkpoint: {path}")
    if args.init_from is not None:
        print(f"use it: multitrack generate PROMPT --checkpoint {path}  (or serve --checkpoint)")
    return 0


def _fine_tune_defaults(args: argparse.Namespace) -> None:
    """``--lr``, ``--diffusion-steps`` and ``--replay`` a run leaves unsaid: the from-scratch
    recipe's, or with ``--init-from`` a fine-tune's (``models.finetune.fine_tune_steps``),
    rehearsing data/corpus when it is built, else the model's own takes (nothing when the
    corpus trained on is data/corpus itself). Says on stderr what a fine-tune chose."""
    from models.finetune import FINE_TUNE_LR, fine_tune_steps
    from multitrack.corpus.store import read_manifest

    args.rehearse_self = False
    if args.init_from is None:
        args.lr = 4e-4 if args.lr is None else args.lr
        args.diffusion_steps = 32750 if args.diffusion_steps is None else args.diffusion_steps
        return
    args.lr = FINE_TUNE_LR if args.lr is None else args.lr
    base = DEFAULT_REPLAY
    on_base = base.resolve() == args.corpus.resolve()  # tuning on the corpus itself
    if args.replay is None and not args.no_replay and not on_base:
        if (base / "manifest.json").is_file():
            args.replay = base
        else:  # no corpus built: the model rehearses its own takes (models.finetune)
            args.rehearse_self = True
    rehearsing = args.replay is not None or args.rehearse_self
    if not rehearsing and not on_base:
        print(
            "multitrack: note: fine-tuning on the library alone; what it lacks drifts",
            file=sys.stderr,
        )
    if args.diffusion_steps is None:
        windows = int(read_manifest(args.corpus).get("splits", {}).get("train", 0))
        share = args.replay_share if rehearsing else 0.0
        args.diffusion_steps = fine_tune_steps(windows, args.batch, share)
    what = args.replay if args.replay is not None else "its own takes"
    print(
        f"multitrack: fine-tuning {args.init_from} for {args.diffusion_steps} steps at lr "
        f"{args.lr:g}" + (f", rehearsing {what}" if rehearsing else ""),
        file=sys.stderr,
    )


def _phrase_bars(text: str) -> tuple[int, ...]:
    """``--phrase-bars``: comma-separated bar offsets, each 1-16, none twice."""
    if not text.strip():
        return ()
    try:
        bars = tuple(int(part) for part in text.split(","))
    except ValueError:
        bars = ()
    if not bars or len(set(bars)) < len(bars) or not all(1 <= b <= 16 for b in bars):
        raise MultitrackError("--phrase-bars must be distinct bar offsets 1-16, e.g. 1,2,4")
    return tuple(sorted(bars))
