"""``multitrack rate TAKE -1|0|1``: tell Multitrack whether you keep a take.

The rating goes into the preference store of the take's output folder
(``multitrack.prefs``), with the take's features; once there are enough ratings, the
best-of-k reranking leans toward what this producer keeps. See ``multitrack prefs show``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rate",
        help="rate a take -1 (discard), 0 (neutral) or 1 (keep)",
        description="Rate a take; ratings shape which candidates later takes keep.",
    )
    p.add_argument("take", type=Path, help="the take folder")
    p.add_argument("rating", help="-1, 0 or 1")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from multitrack.errors import OutputError
    from multitrack.prefs import MIN_RATINGS, RATINGS, PreferenceError, PreferenceStore
    from multitrack.take import read_take

    text = args.rating.strip()
    if text not in {str(r) for r in RATINGS} | {"+1"}:
        raise PreferenceError(f"a rating is -1, 0 or 1, got {args.rating!r}")
    rating = int(text)
    if not args.take.is_dir():
        raise OutputError(f"no take {args.take}: there is no such folder to rate")
    take = args.take.resolve()  # "." is a take too: its folder's name, its parent's store
    song, _ = read_take(take)
    store = PreferenceStore.open(take.parent)
    try:
        # by folder name, as the server rates (a copied take's song.json names its original)
        store.add_rating(take.name, rating, song)
        count = len(store.ratings())
        active = store.model() is not None
    finally:
        store.close()
    state = "active" if active else f"learning ({count}/{MIN_RATINGS} ratings, both kinds)"
    print(f"rated {take.name} {rating:+d}; {count} rated takes, preferences {state}")
    return 0
