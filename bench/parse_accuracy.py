"""Field accuracy of the prompt parser on the prompt table (tests/fixtures/prompts.json).

Prints accuracy per field, per language and overall (the target is >= 95%), then every
field it got wrong, for the main table and for a held-out table. Both were written as a
producer would read each prompt before the parser ran on them; the main table was then used
to find lexicon gaps, the held-out one never was. Run: .venv/bin/python bench/parse_accuracy.py [--lexicon-only]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))

from prompt_table import HOLDOUT, TABLE, load_table, score_row

from models.text import parse_prompt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lexicon-only", action="store_true", help="no embedding fallback")
    args = parser.parse_args()
    for path in (TABLE, HOLDOUT):
        print(f"== {path.name}")
        report(path, use_embedding=not args.lexicon_only)


def report(path: Path, *, use_embedding: bool) -> None:
    rows = load_table(path)
    per_field: dict[str, list[bool]] = defaultdict(list)
    per_lang: dict[str, list[bool]] = defaultdict(list)
    misses: list[str] = []
    for row in rows:
        record = parse_prompt(row["prompt"], use_embedding=use_embedding).to_json()
        for field, ok, got, want in score_row(record, row["expect"]):
            per_field[field.split(".")[0]].append(ok)
            per_lang[row["lang"]].append(ok)
            if not ok:
                misses.append(f"  {row['prompt'][:40]!r:44s} {field}: got {got!r}, want {want!r}")
    total = [ok for oks in per_field.values() for ok in oks]
    langs = {k: sum(1 for r in rows if r["lang"] == k) for k in per_lang}
    print(f"prompts: {len(rows)} ({', '.join(f'{k} {v}' for k, v in sorted(langs.items()))})")
    for field, oks in sorted(per_field.items()):
        print(f"  {field:10s} {sum(oks):4d}/{len(oks):<4d} {sum(oks) / len(oks):7.1%}")
    for lang, oks in sorted(per_lang.items()):
        print(f"  [{lang}] {sum(oks) / len(oks):.1%} of {len(oks)} fields")
    print(f"field accuracy: {sum(total)}/{len(total)} = {sum(total) / len(total):.1%}")
    print(f"wrong fields ({len(misses)}):")
    print("\n".join(misses))


if __name__ == "__main__":
    main()
