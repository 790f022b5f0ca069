"""Prompt text -> normalised text -> tokens.

Normalising keeps every character's position (NFKC first, then only length-preserving
changes), so the spans the number and key readers find in the normalised text line up
with the tokens. Chinese runs are cut by jieba with the lexicon's words added (loaded once,
lazily, ~1 s); Latin words, digits and symbols are split by a regular expression.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from models.text.lexicon import FILLERS, LEXICON

# Traditional characters that appear in music prompts -> simplified (one char to one char).
_TRAD = str.maketrans(
    "鋼樂搖滾電調節歡傷憂靜寧爾華貝國風謠藍輕鬆緩漸強復懷舊夢幻詩讚聖簫鑼鳴響韻獨淒涼隊團"
    "聲氣氛體單雙吉紅鐘鈴號長極慢熱鬧詭異緊張浪漫溫馨療癒愛戀莊嚴肅穆史詩磅礡壯麗進曲圓舞兒歌",
    "钢乐摇滚电调节欢伤忧静宁尔华贝国风谣蓝轻松缓渐强复怀旧梦幻诗赞圣箫锣鸣响韵独凄凉队团"
    "声气氛体单双吉红钟铃号长极慢热闹诡异紧张浪漫温馨疗愈爱恋庄严肃穆史诗磅礴壮丽进曲圆舞儿歌",
)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
SEPARATOR = "\u0001"  # written over spans already read (numbers, keys): a hard boundary
_TOKEN = re.compile(
    rf"(?P<han>[{_HAN}]+)"
    r"|(?P<word>[a-z0-9]+(?:['&\-.][a-z0-9]+)*(?:'s)?)"
    r"|(?P<sym>[&+/、])"
    r"|(?P<sep>[^\s])",
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Token:
    """One token: its text (normalised), character span and kind: han, word, sym or sep."""

    text: str
    start: int
    end: int
    kind: str


def normalise(text: str, *, lower: bool = True) -> str:
    """NFKC, traditional -> simplified for common music words, ASCII lower case (unless
    ``lower`` is False: key names need their case), control characters to spaces. Both forms
    have the same length, so spans found in one hold in the other."""
    text = unicodedata.normalize("NFKC", text).translate(_TRAD)
    return "".join(
        (c.lower() if lower and c.isascii() else c) if c.isprintable() else " " for c in text
    )


# jieba words that straddle two of ours in music prompts: 国风电音 is 国风 + 电音, not 风电
# (wind power).
NOT_WORDS: tuple[str, ...] = ("风电",)


class _Jieba:
    """One private jieba tokenizer with our words added; built on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: Any = None

    def get(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in (*LEXICON, *FILLERS):
                    if word and all("\u3400" <= c <= "\u9fff" for c in word):
                        tokenizer.add_word(word)
                for word in NOT_WORDS:
                    tokenizer.del_word(word)
                self._tokenizer = tokenizer
            return self._tokenizer


_JIEBA = _Jieba()


def load_segmenter() -> None:
    """Load jieba and its dictionary now (about a second) instead of on the first prompt."""
    _JIEBA.get()


def tokenize(text: str) -> list[Token]:
    """Tokens of normalised text. Whitespace is dropped; every other character belongs to
    exactly one token, so a token's span can be mapped back to the prompt."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "sep"
        if kind != "han":
            tokens.append(Token(match.group(), match.start(), match.end(), kind))
            continue
        pos = match.start()
        for piece in _JIEBA.get().lcut(match.group(), HMM=False):
            tokens.append(Token(piece, pos, pos + len(piece), "han"))
            pos += len(piece)
    return tokens
