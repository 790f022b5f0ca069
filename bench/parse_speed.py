"""How fast prompts are read: load times, then the cost of one prompt.

Prints the one-off load times (jieba with our words, the sentence encoder and its
description tables), then per-prompt time over the prompt table for the lexicon path
(``parse_prompt(..., use_embedding=False)``; the budget is 5 ms), for the full parse with
the embedding fallback, and for ``embed_prompt`` alone; plus a 10,000-character prompt.
Run: .venv/bin/python bench/parse_speed.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))

from prompt_table import load_table

BUDGET_MS = 5.0
ROUNDS = 5


def per_call_ms(fn: Callable[[str], object], prompts: list[str]) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        for prompt in prompts:
            t = time.perf_counter()
            fn(prompt)
            times.append((time.perf_counter() - t) * 1000.0)
    return times


def show(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"{name:34s} median {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms  "
        f"max {times[-1]:6.2f} ms  ({len(times)} calls)"
    )


def main() -> None:
    t = time.perf_counter()
    import models.text as text

    print(f"import models.text: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    text.load_segmenter()
    print(f"load jieba + lexicon words: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    text.load_embedding()
    print(f"load sentence encoder + description tables: {time.perf_counter() - t:.2f} s")
    prompts = [row["prompt"] for row in load_table()]
    lexicon = per_call_ms(lambda p: text.parse_prompt(p, use_embedding=False), prompts)
    show("parse_prompt, lexicon only", lexicon)
    show("parse_prompt, with embedding", per_call_ms(text.parse_prompt, prompts))
    show("embed_prompt", per_call_ms(text.embed_prompt, prompts))
    long = "一段充满东方禅意的古筝独奏,节奏舒缓 sad piano 90bpm " * 300
    show(
        f"parse_prompt, {len(long)} chars, lexicon",
        per_call_ms(lambda p: text.parse_prompt(p, use_embedding=False), [long[:10_000]]),
    )
    median = statistics.median(lexicon)
    print(
        f"lexicon path: median {median:.2f} ms = {median / BUDGET_MS:.0%} of the {BUDGET_MS:g} ms budget"
    )


if __name__ == "__main__":
    main()
