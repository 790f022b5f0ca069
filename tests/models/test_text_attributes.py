"""PromptAttributes as JSON, apply_overrides, and the sentence embedding."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.text import PromptAttributes, apply_overrides, embed_prompt, parse_prompt
from multitrack.errors import MusicError
from multitrack.song import STEMS

KEYS = {
    "key", "bpm", "meter", "bars", "style", "programs", "stems", "mood", "energy", "dynamics",
    "understood", "ignored", "conflicts", "nearest",
}  # fmt: skip


def test_json_has_the_agreed_keys_and_round_trips() -> None:
    a = parse_prompt("江南园林意境,降E大调,每分钟80拍,16小节,三拍子,琵琶与箫合奏,渐强")
    record = a.to_json()
    assert KEYS <= set(record)
    assert (record["key"], record["bpm"], record["meter"], record["bars"]) == (
        "Eb major",
        80,
        "3/4",
        16,
    )
    assert record["programs"] == {"melody": 77, "chords": 106, "bass": 32, "drums": 0}
    assert record["stems"] == list(STEMS)
    text = json.dumps(record, ensure_ascii=False)
    assert PromptAttributes.from_json(json.loads(text)).to_json() == record


def test_defaults_for_an_empty_prompt() -> None:
    record = parse_prompt("").to_json()
    assert record["bpm"] is None and record["style"] is None and record["nearest"] == {}
    assert record["programs"] == {"melody": 0, "chords": 4, "bass": 33, "drums": 0}


def test_overrides_win_and_say_so() -> None:
    a = parse_prompt("悲伤的钢琴,a小调,每分钟70拍,8小节", use_embedding=False)
    b = apply_overrides(a, bars=16, bpm=90, key="降E大调", meter="3/4", stems=["chords", "melody"])
    assert (b.bars, b.bpm, b.key, b.meter, b.stems) == (
        16,
        90.0,
        "Eb major",
        "3/4",
        ("melody", "chords"),
    )
    assert "key: Eb major (option; the prompt said A minor)" in b.understood
    assert "tempo: 90 bpm (option; the prompt said 70 bpm)" in b.understood
    assert apply_overrides(a) is a


def test_a_length_in_seconds_follows_a_tempo_override() -> None:
    a = parse_prompt("30秒的钢琴,每分钟120拍", use_embedding=False)
    assert a.bars == 15
    assert apply_overrides(a, bpm=60).bars == 8  # 30 s at 60 bpm in 4/4 = 7.5 bars
    assert apply_overrides(a, bpm=60, bars=4).bars == 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bars": 0}, "bars must be a whole number 1-512, got 0"),
        ({"bpm": 5}, "tempo must be 20-400 BPM, got 5"),
        ({"key": "H major"}, "'H major' is not a key"),
        ({"meter": "5/4"}, "meter 5/4 is not supported"),
        ({"stems": ["vocals"]}, "unknown stem 'vocals'; stems are melody, chords, bass, drums"),
        ({"stems": []}, "at least one stem must play"),
    ],
)
def test_bad_overrides_raise_music_error(options: dict[str, object], message: str) -> None:
    with pytest.raises(MusicError, match=message.replace("(", r"\(").replace(")", r"\)")):
        apply_overrides(PromptAttributes(), **options)  # type: ignore[arg-type]


def test_embedding_is_a_unit_512_vector_and_means_something() -> None:
    sad_zh, sad_en, happy, weather = (
        embed_prompt(t) for t in ("悲伤的吉他", "sad guitar", "欢快的钢琴曲", "今天天气很好")
    )
    assert sad_zh.shape == (512,) and sad_zh.dtype == np.float32
    assert abs(float(np.linalg.norm(sad_zh)) - 1.0) < 1e-5
    assert float(sad_zh @ sad_en) > 0.7 > float(happy @ weather)
    assert not embed_prompt("   ").any()
