"""The model's frame: key-normalised arrays round-trip, and decoding is calibrated."""

from __future__ import annotations

import numpy as np

from models.config import CHORDS_ROWS
from models.decoding import decode_logits
from models.representation import POS_WEIGHT, all_channels, song_to_arrays
from multitrack.song import STEMS, Note, Song
from multitrack.theory import Key


def _logits_of(song: Song) -> dict[str, np.ndarray]:
    """Confident logits (+-20) that say exactly what the song's arrays say."""
    return {k: v * 40 - 20 for k, v in all_channels(song_to_arrays(song)).items()}


def test_arrays_round_trip_in_the_asked_key() -> None:
    song = Song(bars=2, key=Key.parse("E minor")).with_stem(
        "melody", [Note(0, 64, 4), Note(4, 67, 2), Note(6, 71, 10)]
    )
    song = song.with_stem("chords", [Note(0, 52, 16), Note(0, 55, 16), Note(16, 59, 16)])
    song = song.with_stem("bass", [Note(0, 40, 8), Note(8, 47, 8)])
    song = song.with_stem("drums", [Note(0, 0, 1), Note(8, 1, 1)])
    back = decode_logits(_logits_of(song), song)
    for stem in STEMS:
        got = [(n.start, n.pitch, n.duration) for n in back.stems[stem].notes]
        want = [(n.start, n.pitch, n.duration) for n in song.stems[stem].notes]
        assert sorted(got) == sorted(want), stem


def test_binary_rows_are_thresholded_for_their_positive_weight() -> None:
    """A chords row trained with positive weight w reads "on" only above logit log(w)."""
    song = Song(bars=1, key=Key.parse("C major"))
    logits = {k: np.full_like(v, -20.0) for k, v in _logits_of(song).items()}
    row = 60 - 36  # middle C in the chords window (C2 = row 0)
    just_under = np.log(POS_WEIGHT["chords"]) - 0.1
    logits["chords"][row, :8] = just_under  # hold
    logits["chords"][CHORDS_ROWS + row, 0] = just_under  # onset
    assert decode_logits(logits, song).stems["chords"].notes == ()
    logits["chords"][row, :8] += 0.2
    logits["chords"][CHORDS_ROWS + row, 0] += 0.2
    notes = decode_logits(logits, song).stems["chords"].notes
    assert [(n.start, n.pitch, n.duration) for n in notes] == [(0, 60, 8)]


def test_the_melodic_prior_settles_octave_doubt_but_keeps_sure_leaps() -> None:
    from models.config import MELODY_LOW, MELODY_ROWS

    song = Song(bars=1, key=Key.parse("C major"))
    melody = np.full((MELODY_ROWS + 2, 16), -20.0, np.float32)

    def note(start: int, pitches: dict[int, float]) -> None:
        for t in range(start, start + 4):
            for pitch, logit in pitches.items():
                melody[pitch - MELODY_LOW + 1, t] = logit
        melody[MELODY_ROWS + 1, start] = 20.0  # onset

    note(0, {60: 10.0})
    note(4, {62: 9.9, 86: 10.0})  # D4 or D6, near equal: the line takes D4
    note(8, {64: 10.0})
    note(12, {84: 10.0, 64: 4.0})  # a sure leap up to C6 stays a leap
    logits = {k: np.full_like(v, -20.0) for k, v in _logits_of(song).items()}
    logits["melody"] = melody
    pitches = [n.pitch for n in decode_logits(logits, song).stems["melody"].notes]
    assert pitches == [60, 62, 64, 84]


def test_the_melody_leans_to_a_chord_tone_only_where_the_network_hesitates() -> None:
    from models.config import MELODY_LOW, MELODY_ROWS

    song = Song(bars=1, key=Key.parse("C major"))
    logits = {k: np.full_like(v, -20.0) for k, v in _logits_of(song).items()}
    for pitch in (48, 52, 55):  # C major triad held all bar
        logits["chords"][pitch - 36, :] = 20.0
        logits["chords"][CHORDS_ROWS + pitch - 36, 0] = 20.0
    melody = np.full((MELODY_ROWS + 2, 16), -20.0, np.float32)

    def note(start: int, pitches: dict[int, float]) -> None:
        for t in range(start, start + 8):
            for pitch, logit in pitches.items():
                melody[pitch - MELODY_LOW + 1, t] = logit
        melody[MELODY_ROWS + 1, start] = 20.0

    note(0, {65: 10.05, 64: 10.0})  # F or E, near equal: E sounds in the chord
    note(8, {65: 12.0, 64: 10.0})  # a sure F stays F
    logits["melody"] = melody
    pitches = [n.pitch for n in decode_logits(logits, song).stems["melody"].notes]
    assert pitches == [64, 65]


def test_the_signature_frame_puts_relative_keys_on_the_same_rows() -> None:
    """A minor and C major share their notes, so in the signature frame the same notes give
    the same arrays; the tonic frame moves A minor's tonic to C, three rows down."""
    notes = [Note(0, 69, 4), Note(4, 72, 4), Note(8, 76, 8)]
    minor = Song(bars=1, key=Key.parse("A minor")).with_stem("melody", notes)
    major = Song(bars=1, key=Key.parse("C major")).with_stem("melody", notes)
    sig = song_to_arrays(minor, key_frame="signature").melody_pitch
    assert np.array_equal(sig, song_to_arrays(major, key_frame="signature").melody_pitch)
    tonic = song_to_arrays(minor, key_frame="tonic").melody_pitch
    assert np.array_equal(tonic[tonic > 0], sig[sig > 0] + 3)


def test_every_mode_round_trips_in_both_frames() -> None:
    from models.representation import key_shift

    for key in ("A minor", "D dorian", "G zhi", "E jue", "F# minor", "Bb mixolydian"):
        assert key_shift(Key.parse(key), "signature") in range(-6, 6)
        song = Song(bars=1, key=Key.parse(key)).with_stem(
            "melody", [Note(0, 62, 4), Note(4, 66, 12)]
        )
        song = song.with_stem("chords", [Note(0, 50, 16), Note(0, 57, 16)])
        for frame in ("signature", "tonic"):
            channels = all_channels(song_to_arrays(song, key_frame=frame))
            back = decode_logits({k: v * 40 - 20 for k, v in channels.items()}, song,
                                 key_frame=frame)  # fmt: skip
            for stem in ("melody", "chords"):
                got = {(n.start, n.pitch, n.duration) for n in back.stems[stem].notes}
                want = {(n.start, n.pitch, n.duration) for n in song.stems[stem].notes}
                assert got == want, (key, frame, stem)


def test_a_bar_takes_an_earlier_bars_rhythm_only_when_the_network_nearly_says_so() -> None:
    """Bar 1 plays quarter notes. Bar 2's onset on beat 3 is a coin toss (log-odds -0.2): it
    becomes bar 1's rhythm. Bar 3 is sure of its own, different rhythm and keeps it."""
    from models.lines import _motif_rhythm

    bar = 16
    sound = np.full(3 * bar, 8.0, np.float32)
    onset = np.full(3 * bar, -8.0, np.float32)
    onset[[0, 4, 8, 12]] = 8.0  # bar 1: four quarter notes
    onset[[16, 20, 28]] = 8.0  # bar 2: beat 3 in doubt
    onset[24] = -0.2
    onset[[32, 38, 44]] = 8.0  # bar 3: a sure dotted rhythm
    s, o = _motif_rhythm(sound, onset, bar, nats=2.0, sounding=sound > 0)
    starts = [set(np.flatnonzero(o[b * bar : (b + 1) * bar] & s[b * bar : (b + 1) * bar]))
              for b in range(3)]  # fmt: skip
    assert starts == [{0, 4, 8, 12}, {0, 4, 8, 12}, {0, 6, 12}]
    s0, o0 = _motif_rhythm(
        sound, onset, bar, nats=0.0, sounding=sound > 0
    )  # off: the thresholds as they are
    assert set(np.flatnonzero(o0[bar : 2 * bar])) == {0, 4, 12} and s0.all()
