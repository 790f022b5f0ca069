"""Ambience words in a prompt: 雨声, 雨打芭蕉, 水滴, 鸟鸣, 风声, 海浪, 溪流, 虫鸣 and their English
equivalents, with an optional place in the take ("结尾有水滴声": drops at the end).

Each finding's value is a sound of ``multitrack.ambience.SOUNDS``, with ``@start`` or
``@end`` when its clause says where ("开头", "结尾", "at the end", "opening with"). The span
is blanked, with a trailing 声 / 声音 / 环境音 / 音效 and the place word, so none of them lands in
``ignored``; 雨打芭蕉 is also a guofeng piece, so it is left for the lexicon as well.
"""

from __future__ import annotations

import re

from models.text.quantities import Finding

_SOUND_TERMS: dict[str, str] = {
    "rain_leaves": "雨打芭蕉|雨打树叶|雨打荷叶|rain on leaves|rain on the leaves|rain on banana leaves",
    "drops": "水滴|滴水|滴答|water drops|water droplets|droplets|dripping water|dripping|drips",
    "rain": "雨声|下雨|雨天|雨夜|小雨|细雨|大雨|雨水|春雨|rain|rainfall|raining|rainy|rainstorm",
    "birds": "鸟鸣|鸟叫|鸟声|鸟语|鸟啼|birdsong|bird song|birds|birds singing|chirping birds",
    "wind": "风声|微风|清风|风吹|wind|windy|breeze|gusts",
    "waves": "海浪|浪花|海涛|海边|waves|ocean waves|ocean|seaside|surf|sea",
    "stream": "溪流|溪水|流水|小溪|泉水|山泉|stream|brook|creek|river|babbling brook",
    "insects": "虫鸣|虫叫|蛐蛐|蟋蟀|蝉鸣|蛙鸣|insects|crickets|cicadas|night insects",
}
# Terms that are also lexicon words keep their span for the lexicon.
SHARED_TERMS = frozenset({"雨打芭蕉"})
_TERMS = sorted(
    ((t, sound) for sound, terms in _SOUND_TERMS.items() for t in terms.split("|")),
    key=lambda p: len(p[0]),
    reverse=True,
)
_SUFFIX = r"(?:的?声音|声|的?环境音|环境声|音效|氛围|背景音?|\s*sounds?(?![a-z])|\s*ambience(?![a-z])|\s*noise(?![a-z]))?"
# Not ambience: 行云流水 (an idiom for "flowing"), 高山流水 (the guqin piece, a guofeng
# style word in the lexicon), wind instruments.
_GUARDS = {"流水": "(?<!云)(?<!高山)"}
_NOT_AFTER = ("instrument", "section", "ensemble", "band", "player", "quintet", "乐")
_CLAUSE = re.compile(r"[^,，。.!！?？;；]+")
_PLACES = (
    ("end", re.compile(r"结尾|结束|最后|末尾|收尾|ending with|at the end|toward(?:s)? the end|in the end")),
    ("start", re.compile(r"开头|开始|开篇|开场|起始|at the (?:start|beginning)|opening with|opens with|starting with")),
)  # fmt: skip


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + "\u0001" * (end - start) + text[end:]


def read_ambience(text: str) -> tuple[list[Finding], str]:
    """Ambience findings (field ``ambience``, value "rain" or "drops@end") in normalised
    text, first mention of each sound only, and the text with their spans blanked."""
    found: list[Finding] = []
    seen: set[str] = set()
    for clause in _CLAUSE.finditer(text):
        lower = clause.group().lower()
        hits: list[tuple[int, int, str, str]] = []
        taken = [False] * len(lower)
        for term, sound in _TERMS:
            pattern = (
                rf"(?<![a-z]){re.escape(term)}(?![a-z]){_SUFFIX}"
                if term.isascii()
                else rf"{re.escape(term)}{_SUFFIX}"
            )
            for m in re.finditer(_GUARDS.get(term, "") + pattern, lower):
                if any(taken[m.start() : m.end()]) or lower[m.end() :].lstrip().startswith(
                    _NOT_AFTER
                ):
                    continue
                taken[m.start() : m.end()] = [True] * (m.end() - m.start())
                hits.append((m.start(), m.end(), sound, term))
        if not hits:
            continue
        hits.sort()
        # a place word goes with the sound nearest to it ("rain, and birds at the start")
        placed: dict[int, str] = {}
        for name, place_re in _PLACES:
            if (pm := place_re.search(lower)) is not None:
                nearest = min(
                    range(len(hits)),
                    key=lambda i: min(abs(hits[i][0] - pm.end()), abs(pm.start() - hits[i][1])),
                )
                placed.setdefault(nearest, name)
                if not any(taken[pm.start() : pm.end()]):
                    text = _blank(text, clause.start() + pm.start(), clause.start() + pm.end())
        for i, (start, end, sound, term) in enumerate(hits):
            a, b = clause.start() + start, clause.start() + end
            value = f"{sound}@{placed[i]}" if i in placed else sound
            if sound not in seen:
                seen.add(sound)
                found.append(Finding("ambience", value, a, b, clause.group()[start:end]))
            if term not in SHARED_TERMS:
                text = _blank(text, a, b)
    found.sort(key=lambda f: f.start)
    return found, text
