"""Relative feedback (issue 17): 48 phrases, half Chinese, each with its expected direction,
and ``apply_feedback`` on a take's attributes."""

from __future__ import annotations

import pytest

from models.text import PromptAttributes
from models.text.feedback import FeedbackChange, apply_feedback, parse_feedback

UP, DOWN = 1, -1
# phrase -> {field: expected sign (or value)}; fields not named must stay unchanged.
TABLE: list[tuple[str, dict[str, object]]] = [
    # Chinese (24)
    ("太沉闷了", {"energy": UP, "tempo": UP}),
    ("再欢快一点", {"energy": UP, "tempo": UP, "mode": UP}),
    ("不够中国风", {"pentatonic": True, "melody": "dizi"}),
    ("更有活力", {"energy": UP}),
    ("太吵了", {"energy": DOWN}),
    ("安静一点", {"energy": DOWN}),
    ("快一点", {"tempo": UP}),
    ("太慢了", {"tempo": UP}),
    ("慢一点", {"tempo": DOWN}),
    ("太快了", {"tempo": DOWN}),
    ("明亮一点", {"mode": UP, "register": UP}),
    ("太压抑了", {"mode": UP, "register": UP}),
    ("再忧郁一点", {"mode": DOWN, "register": DOWN}),
    ("高一点", {"register": UP}),
    ("太尖了", {"register": DOWN}),
    ("多点鼓", {"drums": 1}),
    ("鼓太吵了", {"drums": -1}),
    ("鼓少一点", {"drums": -1}),
    ("不要鼓", {"drums": -2}),
    ("鼓点再多一点", {"drums": 1}),
    ("换成二胡", {"melody": "erhu"}),
    ("更有国风味道,用古筝", {"pentatonic": True, "melody": "guzheng"}),
    ("太单调了,再快一点", {"energy": UP, "tempo": UP}),
    ("太沉闷了,再欢快一点", {"energy": UP, "tempo": UP, "mode": UP}),
    # English (24)
    ("too dull", {"energy": UP, "tempo": UP}),
    ("more drums", {"drums": 1}),
    ("slower", {"tempo": DOWN}),
    ("brighter", {"mode": UP, "register": UP}),
    ("fewer drums", {"drums": -1}),
    ("no drums", {"drums": -2}),
    ("faster please", {"tempo": UP}),
    ("too slow", {"tempo": UP}),
    ("too fast", {"tempo": DOWN}),
    ("more energy", {"energy": UP}),
    ("more energetic", {"energy": UP}),
    ("calmer", {"energy": DOWN}),
    ("too busy", {"energy": DOWN}),
    ("darker", {"mode": DOWN, "register": DOWN}),
    ("too sad", {"mode": UP, "register": UP}),
    ("happier", {"mode": UP, "register": UP}),
    ("lower", {"register": DOWN}),
    ("higher", {"register": UP}),
    ("louder drums", {"drums": 1}),
    ("drop the drums", {"drums": -2}),
    ("not chinese enough", {"pentatonic": True, "melody": "dizi"}),
    ("more oriental, on erhu", {"pentatonic": True, "melody": "erhu"}),
    ("it's boring, make it livelier", {"energy": UP, "tempo": UP}),
    ("less percussion and slower", {"drums": -1, "tempo": DOWN}),
]
NEUTRAL = {"energy": 0, "tempo": 0, "mode": 0, "register": 0, "drums": 0, "pentatonic": False,
           "melody": None}  # fmt: skip


def _sign(change: FeedbackChange, name: str) -> object:
    if name == "tempo":
        return 0 if change.tempo == 1.0 else (1 if change.tempo > 1 else -1)
    value = getattr(change, name)
    if name in ("energy", "mode", "register"):
        return (value > 0) - (value < 0)
    return value


def test_the_table_has_forty_phrases_half_chinese() -> None:
    chinese = [p for p, _ in TABLE if not p.isascii()]
    assert len(TABLE) >= 40 and len(chinese) * 2 >= len(TABLE)


@pytest.mark.parametrize(("phrase", "expected"), TABLE, ids=[p for p, _ in TABLE])
def test_feedback_direction(phrase: str, expected: dict[str, object]) -> None:
    change = parse_feedback(phrase)
    got = {name: _sign(change, name) for name in NEUTRAL}
    assert got == {**NEUTRAL, **expected}, change.understood
    assert change.understood and not change.ignored


def test_unreadable_feedback_is_ignored_not_guessed() -> None:
    change = parse_feedback("嗯……我不知道")
    assert change.empty and change.ignored
    assert parse_feedback("").empty
    # a fresh prompt is not feedback: no marker says "more" or "less"
    for prompt in (
        "一段充满东方禅意的古筝独奏,节奏舒缓",
        "sad piano ballad in A minor",
        "upbeat pop",
    ):
        assert parse_feedback(prompt).empty, prompt


def _attrs(**kw: object) -> PromptAttributes:
    base: dict[str, object] = dict(key="A minor", bpm=80.0, style="guofeng", mood="sad",
                                   energy="low", understood=("style: guofeng (国风)",))  # fmt: skip
    base.update(kw)
    return PromptAttributes(**base)  # type: ignore[arg-type]


def test_apply_too_dull_raises_energy_and_tempo() -> None:
    out = apply_feedback(_attrs(), parse_feedback("太沉闷了"))
    assert out.energy == "medium" and out.bpm == 86.0
    assert out.key == "A minor" and out.style == "guofeng"
    assert "feedback: energy low -> medium (太沉闷了)" in out.understood
    assert "feedback: tempo 80 -> 86 bpm (太沉闷了)" in out.understood


def test_apply_brighter_pentatonic_instrument_and_drums() -> None:
    bright = apply_feedback(_attrs(), parse_feedback("brighter"))
    assert bright.key == "A major" and bright.mood == "hopeful"
    chinese = apply_feedback(_attrs(key="C major"), parse_feedback("不够中国风"))
    assert chinese.key == "C gong" and chinese.programs["melody"] == 73
    assert "melody" in chinese.named_programs
    none = apply_feedback(_attrs(), parse_feedback("no drums"))
    assert "drums" not in none.stems and none.stems_named
    solo = apply_feedback(_attrs(stems=("melody",)), parse_feedback("more drums"))
    assert solo.stems == ("melody", "drums")
    top = apply_feedback(_attrs(energy="high"), parse_feedback("更有活力"))
    assert top.energy == "high" and top.dynamics == "loud"  # past the top: louder
    assert not any(u.startswith("feedback: energy") for u in top.understood)
    quiet = apply_feedback(_attrs(energy="low"), parse_feedback("安静一点"))
    assert quiet.energy == "low" and quiet.dynamics == "soft"
    back = apply_feedback(_attrs(energy="low", dynamics="soft"), parse_feedback("more energy"))
    assert back.energy == "medium" and back.dynamics is None


def test_change_round_trips_through_json() -> None:
    change = parse_feedback("太沉闷了,再欢快一点")
    assert FeedbackChange.from_json(change.to_json()) == FeedbackChange.from_json(
        {**change.to_json()}
    )
    assert FeedbackChange.from_json(change.to_json()).energy == change.energy


@pytest.mark.parametrize(
    ("phrase", "shape"),
    [("渐强", "crescendo"), ("越来越强", "crescendo"), ("build up", "crescendo"),
     ("crescendo", "crescendo"), ("渐弱", "diminuendo"), ("fade out", "diminuendo")],
)  # fmt: skip
def test_a_swell_or_a_fade_is_a_dynamics_change(phrase: str, shape: str) -> None:
    """The prompt understood these words; as feedback they were "nothing to change"."""
    change = parse_feedback(phrase)
    assert not change.empty and change.dynamics == shape and change.energy == 0
    out = apply_feedback(PromptAttributes(dynamics="soft"), change)
    assert out.dynamics == f"soft {shape}"  # the take's level stays, the shape is added
    assert out.understood == (f"feedback: dynamics soft -> soft {shape} ({phrase})",)
    assert apply_feedback(PromptAttributes(), change).dynamics == shape
    assert FeedbackChange.from_json(change.to_json()) == change


def test_energy_feedback_moves_the_level_and_keeps_the_shape() -> None:
    soft_swell = PromptAttributes(energy="low", dynamics="soft crescendo")
    up = apply_feedback(soft_swell, parse_feedback("太沉闷了"))
    assert up.energy == "medium" and up.dynamics == "crescendo"
    down = apply_feedback(soft_swell, parse_feedback("再安静一点"))
    assert down.energy == "low" and down.dynamics == "soft crescendo"  # at the bottom already
    fade = apply_feedback(PromptAttributes(energy="low", dynamics="diminuendo"),
                          parse_feedback("再安静一点"))  # fmt: skip
    assert fade.dynamics == "soft diminuendo"  # past the bottom: softer, still fading
    louder = apply_feedback(PromptAttributes(energy="high", dynamics="loud crescendo"),
                            parse_feedback("太吵了"))  # fmt: skip
    assert louder.energy == "medium" and louder.dynamics == "crescendo"


def test_lighter_and_more_forceful_move_the_energy() -> None:
    assert parse_feedback("轻一点").energy == -1 and parse_feedback("更有力").energy == 1
    assert parse_feedback("轻快一点").energy == 1  # brisk, not light


@pytest.mark.parametrize(
    ("phrase", "energy", "tempo", "drums"),
    [
        # each of these was read backwards: "slow down" made the take faster, "calm down" and
        # "quiet down" raised the energy, "no more drums" added drums
        ("slow down", 0, "<", 0),
        ("calm down", -1, "=", 0),
        ("quiet down", -1, "=", 0),
        ("calm it down", -1, "=", 0),
        ("no more drums", 0, "=", -2),
        # these were refused as saying nothing
        ("the drums are too loud", 0, "=", -1),
        ("drums too busy", 0, "=", -1),
        # and these stay as they were
        ("speed up", 0, ">", 0),
        ("tempo down", 0, "<", 0),
        ("turn the drums down", 0, "=", -1),
        ("the melody is too slow", 0, ">", 0),
    ],
)
def test_phrasal_feedback_reads_the_right_way(
    phrase: str, energy: int, tempo: str, drums: int
) -> None:
    change = parse_feedback(phrase)
    assert change.energy == energy and change.drums == drums and not change.ignored, change
    assert {"<": change.tempo < 1, ">": change.tempo > 1, "=": change.tempo == 1}[tempo]


@pytest.mark.parametrize(
    ("phrase", "tempo", "energy", "drums", "read"),
    [
        # a negated "slow down" did what it negates
        ("don't slow down", ">", 0, 0, True),
        ("please don't calm down", "=", 1, 0, True),
        # "don't add more drums" added drums; now it asks for nothing
        ("不要再加鼓了", "=", 0, 0, False),
        ("别再加鼓了", "=", 0, 0, False),
        ("don't add more drums", "=", 0, 0, False),
        # and "add a little drums" was not read at all
        ("再加点鼓", "=", 0, 1, True),
    ],
)
def test_negated_and_added_feedback(
    phrase: str, tempo: str, energy: int, drums: int, read: bool
) -> None:
    change = parse_feedback(phrase)
    assert change.energy == energy and change.drums == drums, change
    assert {"<": change.tempo < 1, ">": change.tempo > 1, "=": change.tempo == 1}[tempo]
    assert bool(change.understood) == read


@pytest.mark.parametrize(
    ("phrase", "swap"),
    [
        ("把钢琴换成吉他", ("piano", "guitar")),
        ("换成吉他", (None, "guitar")),
        ("switch to strings", (None, "strings")),
        ("use a guitar instead of the piano", ("piano", "guitar")),
        ("replace the piano with an organ", ("piano", "organ")),
        ("用小提琴代替长笛", ("flute", "violin")),
        ("换成贝斯", (None, "bass")),
    ],
)
def test_feedback_swaps_an_instrument(phrase: str, swap: tuple[str | None, str]) -> None:
    # "把钢琴换成吉他" was "nothing says what to change": only Chinese leads could be asked for
    change = parse_feedback(phrase)
    assert change.swaps == (swap,) and not change.ignored
    assert FeedbackChange.from_json(change.to_json()) == change


def test_a_swapped_instrument_plays_where_the_old_one_did_as_its_kind_can() -> None:
    piano = _attrs(programs={"melody": 0, "chords": 0, "bass": 33, "drums": 0})
    guitar = apply_feedback(piano, parse_feedback("把钢琴换成吉他"))
    assert (guitar.programs["melody"], guitar.programs["chords"]) == (25, 25)
    assert {"melody", "chords"} <= set(guitar.named_programs)
    # a one-note instrument takes the tune, not the piano's chords
    violin = apply_feedback(piano, parse_feedback("用小提琴代替钢琴"))
    assert (violin.programs["melody"], violin.programs["chords"]) == (40, 0)
    assert apply_feedback(piano, parse_feedback("换成贝斯")).programs["bass"] == 33  # no change
    slap = apply_feedback(piano, parse_feedback("switch to slap bass"))
    assert slap.programs["bass"] == 36 and slap.programs["melody"] == 0
    # "用力一点" (harder) names no instrument: energy, as before; "on" or "with" alone ask
    # for no instrument ("too much reverb on the piano" is no switch to a piano)
    assert parse_feedback("用力一点").swaps == ()
    assert parse_feedback("too much reverb on the piano").swaps == ()
    assert parse_feedback("more energy with strings").swaps == ()
    assert parse_feedback("swap the piano for a rhodes").swaps == (("piano", "electric_piano"),)
