"""Give a trained checkpoint a pitch reader (``models.autoencoder.read_pitches``).

A model trained before session 14 has only its melody decoder tuned on noisy latents. The
reader is the melody decoder as autoencoder training left it; for a checkpoint that has
lost it, another checkpoint with the same encoders can lend its melody decoder (0.4.1's
encoders are 0.3's, and 0.3's melody decoder was never tuned). The melody tables are
refitted with the interval mix (``models.prior.INTERVAL_MIX``) the reader decodes with, and
the degree correction, which a reader's takes do not read, is dropped.

    .venv/bin/python -m models.reader --checkpoint PATH --reader-from PATH --out PATH
        [--corpus data/corpus]

The session-14 candidate (docs/model.md, "Session 14") is 0.4.1 with 0.3's melody decoder:
``git show 0ddea2a:models/checkpoints/multitrack.pt > /tmp/v03.pt``, then
``--checkpoint models/checkpoints/multitrack.pt --reader-from /tmp/v03.pt``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch

from models.autoencoder import as_pitch_reader
from models.prior import DEGREES, INTERVAL_MIX, corpus_priors
from multitrack.atomic import atomic_file


def with_reader(checkpoint: Path, reader_from: Path, corpus: Path) -> dict[str, Any]:
    """The payload of ``checkpoint`` with ``reader_from``'s melody decoder as its pitch
    reader and its melody tables refitted on ``corpus``. ``ValueError`` when the two
    checkpoints' encoders differ (the lent decoder would read other latents)."""
    payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
    lender = torch.load(reader_from, map_location="cpu", weights_only=True)["autoencoder"]
    mine = payload["autoencoder"]
    encoders = [k for k in mine if k.startswith("encoders.") or k.startswith("latent_")]
    if any(k not in lender or not torch.equal(mine[k], lender[k]) for k in encoders):
        raise ValueError(f"{reader_from} has other encoders: its decoder reads other latents")
    mine.update({k: v.clone() for k, v in as_pitch_reader(lender).items()})
    payload["config"]["autoencoder"]["pitch_reader"] = True
    priors = corpus_priors(corpus, payload["config"]["key_frame"], INTERVAL_MIX)
    payload["priors"] = {
        k: torch.as_tensor(v) for k, v in priors.items() if not k.endswith(DEGREES)
    }
    meta = dict(payload.get("meta", {}))
    meta.pop("degrees", None)
    meta["pitch_reader"] = f"the melody decoder of {reader_from.name}"
    payload["meta"] = meta
    return payload


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--reader-from", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--version", default=None, help="the new checkpoint's version name")
    args = ap.parse_args()
    if not (args.corpus / "train").is_dir():
        raise SystemExit(f"reader: {args.corpus} is not a built corpus (no train split)")
    try:
        payload = with_reader(args.checkpoint, args.reader_from, args.corpus)
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"reader: {exc}") from None
    if args.version:
        payload["config"]["version"] = args.version
    with atomic_file(args.out) as handle:
        torch.save(payload, handle)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
