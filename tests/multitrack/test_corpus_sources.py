"""Tune extraction from ABC: pickups, meters, modes, skips."""

from __future__ import annotations

from multitrack.corpus.sources_music21 import TuneJob, extract, find_mode, split_abc

PICKUP_TUNE = """X:7
T:Pickup
M:3/4
L:1/8
K:G
D2|G2 B2 d2|c2 A2 F2|G6|]
"""
TRIPLET_TUNE = """X:8
T:Triplets
M:2/4
L:1/8
K:C
(3cde f2|g4|(3gfe d2|c4|c2 e2|g4|]
"""
FIVE_FOUR = """X:9
T:Five
M:5/4
L:1/4
K:C
c d e f g|g f e d c|c d e f g|c5|]
"""


def test_pickup_is_shifted_onto_the_bar_line() -> None:
    result = extract(TuneJob("abc", "essen", "essen/x/7", PICKUP_TUNE))
    tune = result["tune"]
    assert tune["meter"] == "3/4"
    # the D pickup (a quarter) ends on the first bar line: 3/4 bar = 12 steps
    assert tune["notes"][:3] == [[8, 62, 4], [12, 67, 4], [16, 71, 4]]
    assert tune["notes"][-1] == [36, 67, 12]
    assert (tune["tonic"], tune["mode"]) == (7, "major")


def test_tuplets_and_unsupported_meters_are_skipped_with_a_reason() -> None:
    assert extract(TuneJob("abc", "essen", "t", TRIPLET_TUNE)) == {
        "skip": "duration off the 16th grid",
        "piece": "t",
    }
    assert extract(TuneJob("abc", "essen", "f", FIVE_FOUR))["skip"] == "meter 5/4"
    assert extract(TuneJob("abc", "essen", "b", "X:1\nT:x\nK:C\nthis is not abc"))["skip"]


def test_chinese_modes_are_named_by_the_final_degree() -> None:
    # gong scale C D E G A: a tune ending on D is shang, on G zhi, on A yu
    ending_on = lambda pc: [(0, 60, 4), (4, 60 + pc, 4)]  # noqa: E731
    assert find_mode(0, ending_on(2), chinese=True, abc_mode=None) == (2, "shang")
    assert find_mode(0, ending_on(7), chinese=True, abc_mode=None) == (7, "zhi")
    assert find_mode(0, ending_on(9), chinese=True, abc_mode=None) == (9, "yu")
    assert find_mode(0, ending_on(9), chinese=False, abc_mode=None) == (9, "minor")
    # a Western tune ending on a rare degree is read in its signature's major key
    assert find_mode(7, ending_on(5), chinese=False, abc_mode="major") == (7, "major")


def test_abc_files_split_into_tunes_keeping_the_header() -> None:
    header, tunes = split_abc("%abc\nL:1/8\n\n" + PICKUP_TUNE + "\n" + FIVE_FOUR)
    assert header == "%abc\nL:1/8\n\n"
    assert [n for n, _ in tunes] == ["7", "9"]
    assert tunes[1][1].startswith(header + "X:9")
