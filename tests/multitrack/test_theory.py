"""Keys and scales, including the Chinese pentatonic modes, with exact expected notes."""

from __future__ import annotations

import pytest

from multitrack.errors import MusicError
from multitrack.theory import MODES, Key, parse_pitch_class, pitch_class_name


def test_a_minor_is_a_b_c_d_e_f_g() -> None:
    key = Key.parse("A minor")
    assert key == Key(9, "minor")
    assert key.pitch_classes() == (9, 11, 0, 2, 4, 5, 7)
    assert key.note_names() == ("A", "B", "C", "D", "E", "F", "G")
    assert key.is_minor
    assert key.relative_major_tonic == 0


def test_d_zhi_uses_the_g_gong_collection() -> None:
    key = Key.parse("D zhi")
    assert key == Key(2, "zhi")
    assert key.pitch_classes() == (2, 4, 7, 9, 11)
    assert key.note_names() == ("D", "E", "G", "A", "B")
    assert key.relative_major_tonic == 7  # gong is G
    assert set(key.pitch_classes()) == set(Key(7, "gong").pitch_classes())
    assert not key.is_minor


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("C gong", ("C", "D", "E", "G", "A")),
        ("D shang", ("D", "E", "G", "A", "C")),
        ("E jue", ("E", "G", "A", "C", "D")),
        ("G zhi", ("G", "A", "C", "D", "E")),
        ("A yu", ("A", "C", "D", "E", "G")),
    ],
)
def test_the_five_modes_of_one_gong_collection(text: str, names: tuple[str, ...]) -> None:
    key = Key.parse(text)
    assert key.note_names() == names
    assert key.relative_major_tonic == 0


@pytest.mark.parametrize(
    ("text", "mode"),
    [("C 宫", "gong"), ("D 商", "shang"), ("E 角", "jue"), ("G 徵", "zhi"), ("A 羽", "yu")],
)
def test_chinese_mode_names(text: str, mode: str) -> None:
    assert Key.parse(text).mode == mode
    assert Key.parse(text.replace(" ", "") + "调").mode == mode


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("A minor", Key(9, "minor")),
        ("Am", Key(9, "minor")),
        ("a", Key(9, "minor")),
        ("Eb major", Key(3, "major")),
        ("F# minor", Key(6, "minor")),
        ("C", Key(0, "major")),
        ("D zhi", Key(2, "zhi")),
        ("D 徵", Key(2, "zhi")),
        ("D徵调", Key(2, "zhi")),
        ("C大调", Key(0, "major")),
        ("A小调", Key(9, "minor")),
        ("升F小调", Key(6, "minor")),
        ("降E大调", Key(3, "major")),
        ("E- major", Key(3, "major")),
        ("bb", Key(10, "minor")),
        ("Bb", Key(10, "major")),
        ("D dorian", Key(2, "dorian")),
        ("G Mixolydian", Key(7, "mixolydian")),
        ("f lydian", Key(5, "lydian")),
        ("E phrygian", Key(4, "phrygian")),
        ("c# aeolian", Key(1, "minor")),
    ],
)
def test_parse_accepts_what_producers_write(text: str, key: Key) -> None:
    assert Key.parse(text) == key


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (Key(9, "minor"), "A minor"),
        (Key(3, "major"), "Eb major"),
        (Key(2, "zhi"), "D zhi"),
        (Key(6, "major"), "F# major"),
        (Key(3, "minor"), "Eb minor"),
        (Key(10, "minor"), "Bb minor"),
        (Key(1, "minor"), "C# minor"),
        (Key(8, "major"), "Ab major"),
        (Key(10, "dorian"), "Bb dorian"),
    ],
)
def test_str_spells_with_the_key_signature(key: Key, text: str) -> None:
    assert str(key) == text


def test_every_key_round_trips_through_its_name() -> None:
    for tonic in range(12):
        for mode in MODES:
            key = Key(tonic, mode)
            assert Key.parse(str(key)) == key
            assert len(set(key.note_names())) == len(key.pitch_classes())
            letters = [n[0] for n in key.note_names()]
            assert len(set(letters)) == len(letters)  # one letter per degree


def test_f_sharp_major_is_spelt_with_e_sharp() -> None:
    assert Key.parse("F#").note_names() == ("F#", "G#", "A#", "B", "C#", "D#", "E#")


@pytest.mark.parametrize(
    ("text", "signature"),
    [("C", "C"), ("Eb major", "Eb"), ("F# minor", "F#m"), ("D dorian", "Am"), ("D zhi", "G")],
)
def test_midi_signature(text: str, signature: str) -> None:
    assert Key.parse(text).midi_signature() == signature


def test_degree_and_chinese_name() -> None:
    key = Key.parse("D zhi")
    assert key.degree(9) == 4
    assert key.degree(0) is None
    assert key.chinese_name == "D徵调"
    assert Key.parse("A minor").chinese_name == "A小调"


@pytest.mark.parametrize("text", ["", "H minor", "C blues", "X", "Am7", "升Eb"])
def test_parse_rejects_non_keys_naming_the_text(text: str) -> None:
    with pytest.raises(MusicError, match="is not a key"):
        Key.parse(text)


def test_key_checks_its_fields() -> None:
    with pytest.raises(MusicError, match="tonic"):
        Key(12, "major")
    with pytest.raises(MusicError, match="unknown mode"):
        Key(0, "blues")


def test_pitch_class_names() -> None:
    assert pitch_class_name(10, flats=True) == "Bb"
    assert pitch_class_name(10, flats=False) == "A#"
    assert parse_pitch_class("Cb") == 11
    assert parse_pitch_class("E#") == 5
    assert parse_pitch_class("F♯") == 6
    with pytest.raises(MusicError):
        parse_pitch_class("H")
