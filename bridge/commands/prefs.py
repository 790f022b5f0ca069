"""``multitrack prefs show|reset [--out FOLDER]``: what the preference store of an output
folder holds (ratings, feedback, the fitted model's weights), or forget it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prefs",
        help="show or reset what Multitrack learned from your ratings",
        description="Show or reset the ratings and feedback stored under an output folder.",
    )
    p.add_argument("action", choices=("show", "reset"))
    p.add_argument("--out", type=Path, default=Path("out"), help="folder that holds the takes")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from multitrack.errors import OutputError
    from multitrack.prefs import MIN_RATINGS, STORE_NAME, PreferenceStore

    if not args.out.is_dir():  # a mistyped --out was created, with an empty store in it
        raise OutputError(f"no output folder {args.out}: give --out the folder of your takes")
    if not (args.out / STORE_NAME).is_file():  # nothing rated yet: nothing to create
        if args.action == "reset":
            print(f"preferences reset: nothing stored under {args.out}")
            return 0
    store = PreferenceStore.open(args.out)
    try:
        if args.action == "reset":
            removed = store.reset()
            print(f"preferences reset: {removed} entries removed from {store.path}")
            return 0
        ratings = store.ratings()
        feedback = store.feedback()
        model = store.model()
    finally:
        store.close()
    record = {
        "store": str(store.path),
        "ratings": {t: r for t, r, _ in ratings},
        "feedback": [{"take": t, "text": x, "new_take": n} for t, x, n in feedback],
        "active": model is not None,
        "min_ratings": MIN_RATINGS,
        "weights": model.describe() if model is not None else None,
    }
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    print(f"store     {record['store']}")
    liked = sum(1 for _, r, _ in ratings if r > 0)
    disliked = sum(1 for _, r, _ in ratings if r < 0)
    print(f"ratings   {len(ratings)} ({liked} kept, {disliked} discarded)")
    print(f"feedback  {len(feedback)}")
    for t, x, n in feedback[-5:]:
        print(f"  {t} -> {n}: {x}")
    if model is None:
        print(f"model     not active yet ({MIN_RATINGS} ratings with a keep and a discard)")
    else:
        weights = ", ".join(f"{k} {v:+.2f}" for k, v in model.describe().items())
        print(f"model     active: {weights}")
    return 0
