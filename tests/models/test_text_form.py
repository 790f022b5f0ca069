"""Form words in prompts (issue 12): letters, section words in both languages, 曲式."""

from __future__ import annotations

import pytest

from models.text import PromptAttributes, parse_prompt
from multitrack.form import parse_form


def lex(prompt: str) -> PromptAttributes:
    return parse_prompt(prompt, use_embedding=False)


@pytest.mark.parametrize(
    ("prompt", "form"),
    [
        ("AABA曲式的爵士乐", "A A B A"),
        ("AABB的爱尔兰里尔舞曲", "A A B B"),
        ("ABAB结构的流行歌", "A B A B"),
        ("曲式:AABA, 摇摆乐", "A A B A"),
        ("主歌-副歌-主歌-副歌的流行歌", "A B A B"),
        ("前奏 主歌 副歌 尾声, 民谣", "intro A B outro"),
        ("前奏、主歌、副歌、桥段、副歌、尾声", "intro A B C B outro"),
        ("主歌副歌主歌副歌", "A B A B"),
        ("有前奏和尾声的古筝曲", "intro A outro"),
        ("an AABB reel in D major", "A A B B"),
        ("jazz standard, AABA form, 32 bars", "A A B A"),
        ("verse chorus verse chorus pop song", "A B A B"),
        ("intro, verse, chorus, bridge, chorus, outro", "intro A B C B outro"),
        ("intro -> verse -> chorus -> outro, rock", "intro A B outro"),
        ("A A B A jazz ballad in A minor", "A A B A"),
        ("ABAB form rock in A minor", "A B A B"),
    ],
)
def test_form_words_give_a_normalised_form(prompt: str, form: str) -> None:
    a = lex(prompt)
    assert a.form == form
    assert any(u.startswith(f"form: {form} (") for u in a.understood)
    assert parse_form(form, 32)  # the lead's planner reads what the parser writes


def test_form_letters_do_not_eat_keys_or_words() -> None:
    a = lex("A A B A jazz ballad in A minor")
    assert a.key == "A minor" and a.style == "jazz"
    for prompt in ("a song with a catchy chorus", "add some drums", "结尾有水滴声的古筝", "aaa"):
        assert lex(prompt).form is None


def test_two_forms_conflict_and_the_first_wins() -> None:
    a = lex("AABA曲式, verse chorus verse chorus")
    assert a.form == "A A B A"
    assert any(c.startswith("form: A A B A") for c in a.conflicts)


def test_form_round_trips_through_json() -> None:
    a = lex("主歌-副歌-主歌-副歌")
    record = a.to_json()
    assert record["form"] == "A B A B"
    assert PromptAttributes.from_json(record).form == "A B A B"
    assert PromptAttributes.from_json({}).form is None
