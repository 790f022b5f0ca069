"""Measure the sentence-embedding fallback: how well the nearest style / mood of words the
lexicon does not know matches what a producer means, and which thresholds to adopt at.

Held-out phrases (none of them appears in models/text/descriptions.py): some with a clear
style or mood, some with none. For each threshold T (and a margin M over the runner-up) a
phrase counts as right when the fallback adopts an acceptable id, or adopts nothing where
none is meant. Prints the score table, the best (T, M) and the accuracy at the values in
models/text/embedding.py. Run: .venv/bin/python bench/parse_embedding.py
"""

from __future__ import annotations

import time
from typing import Any

from models.text.embedding import (
    MOOD_MARGIN,
    MOOD_THRESHOLD,
    STYLE_MARGIN,
    STYLE_THRESHOLD,
    adoptable,
    load_embedding,
    nearest_descriptions,
)

NONE: tuple[str | None, ...] = (None,)
STYLE_CASES: list[tuple[str, tuple[str | None, ...]]] = [
    ("江南园林意境", ("guofeng",)),
    ("敦煌壁画里的飞天旋律", ("guofeng",)),
    ("长安城的夜市", ("guofeng",)),
    ("西湖边的断桥残雪", ("guofeng",)),
    ("侠客仗剑走天涯", ("guofeng",)),
    ("月下独酌,举杯邀明月", ("guofeng",)),
    ("外星飞船降落在城市", ("edm",)),
    ("美国南方的棉花田", ("blues", "country")),
    ("军队阅兵", ("march",)),
    ("圣诞夜的教堂", ("hymn",)),
    ("哄宝宝睡觉", ("lullaby",)),
    ("维也纳新年音乐会", ("waltz", "classical")),
    ("德国啤酒节", ("polka",)),
    ("迪厅的灯球", ("disco",)),
    ("街头涂鸦和滑板", ("hiphop",)),
    ("考试复习的深夜", ("lofi",)),
    ("a rainy Sunday studying in my dorm", ("lofi",)),
    ("cowboys around a campfire", ("country",)),
    ("a spaceship drifting through a neon galaxy", ("edm",)),
    ("a beer festival in Munich", ("polka",)),
    ("rocking a newborn to sleep", ("lullaby",)),
    ("a parade of soldiers", ("march",)),
    ("a Sunday church service", ("hymn",)),
    ("New Orleans street band", ("jazz", "swing")),
    ("Brazilian beach at sunset", ("bossa_nova", "samba")),
    ("a Viennese ballroom", ("waltz",)),
    ("a 1970s roller rink with a mirror ball", ("disco",)),
    ("the Mississippi delta at dusk", ("blues",)),
    ("a pub in Dublin", ("celtic",)),
    ("kung fu temple in the mountains", ("guofeng",)),
    ("今天天气很好", NONE),
    ("我的猫", NONE),
    ("asdf qwer zxcv", NONE),
    ("随便", NONE),
    ("hello world", NONE),
    ("make it good", NONE),
    ("12345", NONE),
    ("哈哈哈哈哈", NONE),
    ("the quick brown fox jumps over the lazy dog", NONE),
    ("🎹🎵🎶", NONE),
    ("我想要一首歌", NONE),
    ("something nice", NONE),
    ("给我来点好听的", NONE),
    ("测试一下", NONE),
    ("test test", NONE),
    ("你好", NONE),
    ("周末", NONE),
    ("我的朋友", NONE),
    ("下午", NONE),
    ("窗外", NONE),
    ("一杯咖啡", NONE),
    ("我的房间", NONE),
    ("红色", NONE),
    ("明天", NONE),
    ("some words", NONE),
    ("blue sky", NONE),
    ("the morning", NONE),
    ("for my youtube channel", (None, "pop")),
    ("雨声环境", (None, "lofi")),
]
MOOD_CASES: list[tuple[str, tuple[str | None, ...]]] = [
    ("失恋的夜晚", ("sad", "lonely")),
    ("像初恋一样", ("romantic",)),
    ("毕业典礼", ("hopeful", "nostalgic")),
    ("暴风雨前夕", ("tense", "dark")),
    ("在云朵上漫步", ("dreamy", "calm")),
    ("童年的夏天", ("nostalgic", "happy")),
    ("战场冲锋", ("epic", "energetic")),
    ("一个人看海", ("lonely", "calm")),
    ("鬼屋探险", ("dark", "tense", "mysterious")),
    ("周末野餐", ("happy", "warm")),
    ("walking alone in the rain", ("lonely", "sad")),
    ("our wedding day", ("romantic", "happy")),
    ("a haunted mansion", ("dark", "mysterious", "tense")),
    ("morning yoga by the lake", ("calm", "zen")),
    ("winning the championship", ("energetic", "epic", "happy", "hopeful")),
    ("grandma's kitchen on a winter evening", ("warm", "nostalgic")),
    ("the final battle against the dragon", ("epic",)),
    ("kittens playing with yarn", ("playful",)),
    ("江南园林意境", (None, "calm", "zen", "dreamy")),
    ("asdf qwer zxcv", NONE),
    ("随便", NONE),
    ("12345", NONE),
    ("测试一下", NONE),
    ("make it good", NONE),
    ("🎹🎵🎶", NONE),
    ("test test", NONE),
    ("我想要一首歌", NONE),
    ("hello world", NONE),
    ("你好", NONE),
    ("下午", (None, "calm")),
    ("一杯咖啡", (None, "calm", "warm")),
    ("红色", NONE),
    ("明天", (None, "hopeful")),
    ("some words", NONE),
    ("the morning", (None, "calm", "hopeful")),
]


Row = tuple[dict[str, Any], tuple[str | None, ...]]


def adopted(ranking: dict[str, Any], name: str, threshold: float, margin: float) -> str | None:
    pick = adoptable(ranking, name, threshold, margin)
    return None if pick is None else pick[0]


def accuracy(rows: list[Row], name: str, t: float, m: float) -> float:
    return sum(adopted(r, name, t, m) in ok for r, ok in rows) / len(rows)


def sweep(name: str, cases: list[tuple[str, tuple[str | None, ...]]], t0: float, m0: float) -> None:
    rows = [(nearest_descriptions(text), ok) for text, ok in cases]
    print(f"\n== {name}: {len(cases)} held-out phrases (margin = over the generic score)")
    for (text, ok), (ranking, _) in zip(cases, rows, strict=True):
        best2 = ", ".join(f"{i} {s:.2f}" for i, s in ranking[name][:2])
        got = adopted(ranking, name, t0, m0)
        mark = "ok " if got in ok else "BAD"
        print(
            f"  {mark} {text[:30]:32s} want {'/'.join(str(o) for o in ok):22s} "
            f"top {best2} generic {ranking['generic']:.2f} -> {got}"
        )
    grid = [(round(t * 0.01, 2), round(m * 0.01, 2)) for t in range(20, 71) for m in range(-10, 21)]
    scores = {tm: accuracy(rows, name, *tm) for tm in grid}
    top = max(scores.values())
    best = [tm for tm, a in scores.items() if a == top]
    ts = sorted({t for t, _ in best})
    ms = sorted({m for _, m in best})
    print(
        f"  best accuracy {top:.1%} at thresholds {ts[0]:.2f}-{ts[-1]:.2f}, margins {ms[0]:.2f}-{ms[-1]:.2f}"
    )
    print(
        f"  shipped threshold {t0:.2f} margin {m0:.2f}: accuracy {accuracy(rows, name, t0, m0):.1%}"
    )


def main() -> None:
    t = time.perf_counter()
    load_embedding()
    print(f"load (encoder + description tables): {time.perf_counter() - t:.2f} s")
    texts = [text for text, _ in STYLE_CASES]
    t = time.perf_counter()
    for text in texts:
        nearest_descriptions(text)
    per = (time.perf_counter() - t) / len(texts)
    print(f"nearest_descriptions: {per * 1000:.2f} ms a phrase (mean of {len(texts)})")
    sweep("style", STYLE_CASES, STYLE_THRESHOLD, STYLE_MARGIN)
    sweep("mood", MOOD_CASES, MOOD_THRESHOLD, MOOD_MARGIN)


if __name__ == "__main__":
    main()
