"""Chord symbols: parse and format them, and read a progression a producer types.

A ``Chord`` is a root pitch class, a quality from ``ALL_QUALITIES`` (the 15 trained
``QUALITIES`` plus the ``EXTENDED_QUALITIES`` producers type: 7sus4, m9, maj9, 13 ...) and an optional bass pitch
class (the slash bass). ``format_chord`` writes one canonical spelling per chord ("Am7",
"F/C", "Bbmaj7", "F#m7b5", "N.C."), and ``parse_chord`` reads it back plus the common
alternatives producers type ("Cmin7", "C-7", "CM7", "CΔ", "Cø", "C°7", "Csus", "A#"), so
``parse_chord(format_chord(c)) == c`` for every chord. See docs/chords.md for the grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from multitrack.errors import ChordSymbolError, MusicError
from multitrack.theory import Key, parse_pitch_class, pitch_class_name

# The 15 qualities the recogniser names and the model was trained with. Never reorder or
# extend this tuple: models/tracks.py encodes a chord's quality as its index here.
QUALITIES: tuple[str, ...] = (
    "maj",
    "m",
    "dim",
    "aug",
    "sus2",
    "sus4",
    "6",
    "m6",
    "7",
    "maj7",
    "m7",
    "m7b5",
    "dim7",
    "9",
    "add9",
)
# Qualities producers type that the model was not trained with: each is read, written back
# and played with its full tones, and reaches the model as the trained quality it is
# nearest to (``MODEL_QUALITY``). The recogniser does not name them.
EXTENDED_QUALITIES: tuple[str, ...] = (
    "7sus4",
    "m9",
    "maj9",
    "11",
    "m11",
    "13",
    "mmaj7",
    "7b9",
    "7#9",
    "6/9",
)
ALL_QUALITIES: tuple[str, ...] = QUALITIES + EXTENDED_QUALITIES

# Chord tones as semitones above the root, root first.
QUALITY_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "m": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "9": (0, 4, 7, 10, 2),
    "add9": (0, 4, 7, 2),
    "7sus4": (0, 5, 7, 10),
    "m9": (0, 3, 7, 10, 2),
    "maj9": (0, 4, 7, 11, 2),
    "11": (0, 5, 7, 10, 2),  # the third left out, as an 11th chord is played: C11 = C9sus4
    "m11": (0, 3, 7, 10, 2, 5),
    "13": (0, 4, 7, 10, 2, 9),  # the 11th left out, as a dominant 13th is played
    "mmaj7": (0, 3, 7, 11),
    "7b9": (0, 4, 7, 10, 1),
    "7#9": (0, 4, 7, 10, 3),
    "6/9": (0, 4, 7, 9, 2),
}

# The trained quality (in ``QUALITIES``) each quality reaches the model as: itself, or for
# an extended quality the trained chord it extends (7sus4 -> sus4, m9 -> m7, maj9 -> maj7,
# 13 -> 7), so the model's chord input keeps the encoding it was trained with.
MODEL_QUALITY: dict[str, str] = {
    **{q: q for q in QUALITIES},
    "7sus4": "sus4",
    "m9": "m7",
    "maj9": "maj7",
    "11": "sus4",
    "m11": "m7",
    "13": "7",
    "mmaj7": "m",
    "7b9": "7",
    "7#9": "7",
    "6/9": "6",
}

# The triad each quality reduces to (sevenths and added tones dropped), for comparisons at
# triad level: maj, m, dim, aug, sus2, sus4.
TRIAD_OF: dict[str, str] = {
    "maj": "maj",
    "m": "m",
    "dim": "dim",
    "aug": "aug",
    "sus2": "sus2",
    "sus4": "sus4",
    "6": "maj",
    "m6": "m",
    "7": "maj",
    "maj7": "maj",
    "m7": "m",
    "m7b5": "dim",
    "dim7": "dim",
    "9": "maj",
    "add9": "maj",
    "7sus4": "sus4",
    "m9": "m",
    "maj9": "maj",
    "11": "sus4",
    "m11": "m",
    "13": "maj",
    "mmaj7": "m",
    "7b9": "maj",
    "7#9": "maj",
    "6/9": "maj",
}

NO_CHORD_SYMBOL = "N.C."

# Every accepted suffix, mapped to its quality. The canonical suffix of each quality is the
# one ``format_chord`` writes; it is listed first.
_SUFFIXES: dict[str, str] = {
    "": "maj",
    "maj": "maj",
    "M": "maj",
    "major": "maj",
    "m": "m",
    "min": "m",
    "mi": "m",
    "-": "m",
    "minor": "m",
    "dim": "dim",
    "°": "dim",
    "o": "dim",
    "aug": "aug",
    "+": "aug",
    "+5": "aug",
    "#5": "aug",
    "sus2": "sus2",
    "sus4": "sus4",
    "sus": "sus4",
    "6": "6",
    "maj6": "6",
    "M6": "6",
    "add6": "6",
    "m6": "m6",
    "min6": "m6",
    "-6": "m6",
    "7": "7",
    "dom7": "7",
    "maj7": "maj7",
    "M7": "maj7",
    "Δ": "maj7",
    "Δ7": "maj7",
    "ma7": "maj7",
    "j7": "maj7",
    "m7": "m7",
    "min7": "m7",
    "mi7": "m7",
    "-7": "m7",
    "m7b5": "m7b5",
    "m7-5": "m7b5",
    "min7b5": "m7b5",
    "-7b5": "m7b5",
    "ø": "m7b5",
    "ø7": "m7b5",
    "dim7": "dim7",
    "°7": "dim7",
    "o7": "dim7",
    "9": "9",
    "dom9": "9",
    "add9": "add9",
    "add2": "add9",
    "7sus4": "7sus4",
    "7sus": "7sus4",
    "sus7": "7sus4",
    "m9": "m9",
    "min9": "m9",
    "mi9": "m9",
    "-9": "m9",
    "maj9": "maj9",
    "M9": "maj9",
    "Δ9": "maj9",
    "ma9": "maj9",
    "11": "11",
    "dom11": "11",
    "m11": "m11",
    "min11": "m11",
    "mi11": "m11",
    "-11": "m11",
    "13": "13",
    "dom13": "13",
    "m(maj7)": "mmaj7",
    "mmaj7": "mmaj7",
    "mM7": "mmaj7",
    "m(M7)": "mmaj7",
    "mΔ7": "mmaj7",
    "mΔ": "mmaj7",
    "min(maj7)": "mmaj7",
    "minmaj7": "mmaj7",
    "-maj7": "mmaj7",
    "-Δ7": "mmaj7",
    "-Δ": "mmaj7",
    "7b9": "7b9",
    "7(b9)": "7b9",
    "7-9": "7b9",
    "7#9": "7#9",
    "7(#9)": "7#9",
    "7+9": "7#9",
    "6/9": "6/9",
    "69": "6/9",
    "6add9": "6/9",
    "M6/9": "6/9",
}
_CANONICAL: dict[str, str] = {
    **{q: ("" if q == "maj" else q) for q in ALL_QUALITIES},
    "mmaj7": "m(maj7)",
}
_NO_CHORD_FORMS: frozenset[str] = frozenset({"n.c.", "n.c", "nc", "n", "no chord"})
# Pitch classes spelt with flats by default: Db Eb Ab Bb (F# stays sharp), the usual lead-sheet
# habit.
_DEFAULT_FLAT_PCS: frozenset[int] = frozenset({1, 3, 8, 10})
# Roots whose slash bass is spelt with flats (C/Bb, F/Eb, Ab/Eb); the rest use sharps (E/G#).
_FLAT_SIDE_ROOTS: frozenset[int] = frozenset({0, 5, 10, 3, 8, 1})
_ROOT = re.compile(r"^([A-Ga-g](?:[#♯]+|[b♭]+)?)(.*)$")


@dataclass(frozen=True)
class Chord:
    """A chord: root pitch class (0-11), quality from ``ALL_QUALITIES``, optional bass pitch
    class.

    ``NO_CHORD`` is the one chord without a root (quality "N.C."). A bass equal to the root is
    stored as None, so "C/C" and "C" are the same chord.
    """

    root: int | None
    quality: str = "maj"
    bass: int | None = None

    def __post_init__(self) -> None:
        if self.root is None:
            if self.quality != NO_CHORD_SYMBOL or self.bass is not None:
                raise MusicError("a chord without a root must be N.C. (no chord), with no bass")
            return
        if not 0 <= self.root <= 11:
            raise MusicError(f"chord root must be a pitch class 0-11, got {self.root}")
        if self.quality not in QUALITY_INTERVALS:
            raise MusicError(
                f"unknown chord quality {self.quality!r}; qualities are {', '.join(ALL_QUALITIES)}"
            )
        if self.bass is not None:
            if not 0 <= self.bass <= 11:
                raise MusicError(f"chord bass must be a pitch class 0-11, got {self.bass}")
            if self.bass == self.root:
                object.__setattr__(self, "bass", None)

    @property
    def is_no_chord(self) -> bool:
        return self.root is None

    def tones(self) -> tuple[int, ...]:
        """Chord tones as pitch classes, root first, without the slash bass: G7 -> (7, 11, 2, 5)."""
        if self.root is None:
            return ()
        return tuple((self.root + i) % 12 for i in QUALITY_INTERVALS[self.quality])

    def pitch_classes(self) -> frozenset[int]:
        """Every pitch class the chord sounds: its tones plus the slash bass (C/Bb adds Bb)."""
        tones = set(self.tones())
        if self.bass is not None:
            tones.add(self.bass)
        return frozenset(tones)

    def bass_pitch_class(self) -> int | None:
        """The pitch class the bass plays: the slash bass, else the root (None for N.C.)."""
        return self.bass if self.bass is not None else self.root

    def triad(self) -> Chord:
        """The chord reduced to its triad, bass dropped: G7/B -> G, Cm7b5 -> Cdim."""
        if self.root is None:
            return self
        return Chord(self.root, TRIAD_OF[self.quality])


NO_CHORD = Chord(None, NO_CHORD_SYMBOL)


def parse_chord(symbol: str) -> Chord:
    """Read a chord symbol: "Am7", "F/C", "Bbmaj7", "C#m7b5", "N.C." and common alternatives.

    Raises ``ChordSymbolError`` naming the symbol when it is not a chord we know.
    """
    text = symbol.strip()
    if text.lower() in _NO_CHORD_FORMS:
        return NO_CHORD
    head, slash, bass_text = _split_slash(text)
    bass: int | None = None
    if slash:
        try:
            bass = parse_pitch_class(bass_text)
        except MusicError:
            raise ChordSymbolError(
                f"chord symbol {symbol!r}: the bass after '/' must be a note name like E or Bb"
            ) from None
    match = _ROOT.match(head)
    if match is None:
        raise ChordSymbolError(
            f"chord symbol {symbol!r} must start with a root note A-G (then # or b), "
            "e.g. Am7, F/C, Bbmaj7, or be N.C."
        )
    root = parse_pitch_class(match[1])
    suffix = match[2].replace(" ", "").replace("♭", "b").replace("♯", "#")
    quality = _SUFFIXES.get(suffix)
    if quality is None and len(suffix) >= 2 and suffix[:2].isalpha():
        quality = _SUFFIXES.get(suffix.lower())  # "Cmaj7" typed "CMaj7" or "CMIN"
    if quality is None:
        raise ChordSymbolError(
            f"chord symbol {symbol!r}: unknown quality {suffix!r}; write one of "
            + ", ".join("C" + _CANONICAL[q] for q in ALL_QUALITIES)
            + ", optionally with a slash bass (C/E), or N.C."
        )
    return Chord(root, quality, bass)


_SIX_NINE = re.compile(r"6\s*/\s*9(?![0-9])")


def _split_slash(text: str) -> tuple[str, str, str]:
    """(head, "/", bass) of a symbol, the '/' of a 6/9 chord kept in the head: "C6/9/E" ->
    ("C6/9", "/", "E")."""
    six_nine = _SIX_NINE.search(text)
    if six_nine is None:
        return text.partition("/")
    rest = text[six_nine.end() :]
    head, slash, bass = rest.partition("/")
    return text[: six_nine.start()] + "6/9" + head, slash, bass


def format_chord(chord: Chord, *, flats: bool | None = None, key: Key | None = None) -> str:
    """The canonical symbol of a chord: "Am7", "F/C", "N.C.".

    ``flats`` True spells every accidental with flats, False with sharps; None (default) uses
    the lead-sheet habit Db Eb F# Ab Bb for roots and spells a slash bass from its root's side
    of the circle of fifths (E7/G#, D/F#, C/Bb, Ab/Eb). With ``key`` (and no ``flats``), a
    root is spelt as ``_spelling_in`` says (C#m in A major and F# minor, Gb in Db major, Bb
    in G major) and a bass among the key's tones as the key spells it (G#m/C# in A major).
    """
    if chord.root is None:
        return NO_CHORD_SYMBOL
    keyed = key if flats is None else None
    root_flats = flats if keyed is None else _spelling_in(chord.root, keyed)
    root = _name(chord.root, root_flats)
    text = root + _CANONICAL[chord.quality]
    if chord.bass is not None:
        if keyed is not None and chord.bass in _key_tones(keyed):
            bass_flats = bool(_spelling_in(chord.bass, keyed))
        elif keyed is not None and len(root) > 1:  # the root's accidental: Gb/Db, G#/D#
            bass_flats = root.endswith("b")
        else:
            bass_flats = chord.root in _FLAT_SIDE_ROOTS if flats is None else flats
        text += "/" + pitch_class_name(chord.bass, flats=bass_flats)
    return text


def _key_tones(key: Key) -> set[int]:
    """The key's scale, and in a minor key its raised sixth and seventh (D minor's B, C#)."""
    tones = set(key.pitch_classes())
    if key.is_minor:
        tones |= {(key.tonic + 9) % 12, (key.tonic + 11) % 12}
    return tones


def _spelling_in(pc: int, key: Key) -> bool | None:
    """Flats (True), sharps (False) or the lead-sheet habit (None) for a chord root in
    ``key``: the key's own spelling for its scale; sharps for a minor key's raised sixth and
    seventh (C#dim in D minor); flats for anything else in a flat key (Gb in Db major, Ab in
    F major) and the habit in a sharp key or C (Bb in G major)."""
    if pc in key.pitch_classes():
        return key.flats
    if pc in _key_tones(key):
        return False
    return True if key.flats else None


def normalise_symbol(symbol: str) -> str:
    """A symbol as ``format_chord`` writes it, keeping the writer's sharps or flats:
    "Cmin7" -> "Cm7", "A#" -> "A#", "Bb/D" -> "Bb/D"."""
    chord = parse_chord(symbol)
    if chord.root is None:
        return NO_CHORD_SYMBOL
    head, _, bass_text = _split_slash(symbol.strip())
    text = _name(chord.root, _spelling(head)) + _CANONICAL[chord.quality]
    if chord.bass is not None:
        text += "/" + _name(chord.bass, _spelling(bass_text))
    return text


def _name(pc: int, flats: bool | None) -> str:
    return pitch_class_name(pc, flats=pc in _DEFAULT_FLAT_PCS if flats is None else flats)


def _spelling(name: str) -> bool | None:
    """Whether a written note name (or symbol head) uses a flat (True), a sharp (False) or
    neither (None): "Bbm7" -> True, "F#" -> False, "Am" -> None."""
    text = name.strip()
    if len(text) < 2 or text[0].upper() not in "ABCDEFG":
        return None
    if text[1] in "b♭":
        return True
    if text[1] in "#♯":
        return False
    return None


def transpose_symbol(symbol: str, shift: int, *, flats: bool) -> str:
    """``symbol`` moved ``shift`` semitones, spelt with flats or sharps; N.C. as it is."""
    chord = parse_chord(symbol)
    if chord.root is None:
        return symbol
    bass = None if chord.bass is None else (chord.bass + shift) % 12
    return format_chord(Chord((chord.root + shift) % 12, chord.quality, bass), flats=flats)


_SEVENTHS = frozenset({"7", "maj7", "m7", "m7b5", "dim7", "9", "m9", "maj9", "11", "m11", "13",
                       "mmaj7", "7b9", "7#9", "7sus4"})  # fmt: skip
_TRIADS = {(4, 7): "maj", (3, 7): "m", (3, 6): "dim", (4, 8): "aug"}
_WITH_SEVENTH = {("maj", 11): "maj7", ("maj", 10): "7", ("m", 10): "m7", ("m", 11): "mmaj7",
                 ("dim", 10): "m7b5", ("dim", 9): "dim7"}  # fmt: skip


def chord_in_key(chord: Chord, old: Key, new: Key) -> Chord:
    """``chord`` as the same degree of ``new`` plays it: in C major -> C minor, Am -> Ab, F ->
    Fm, Bdim -> Bb; in -> A minor (the relative), unchanged. The triad and a seventh are the
    new scale's at that degree, but a major chord on the fifth stays major in a minor key
    (its leading tone: G7 -> G7 in C minor); sus and added-tone colours stay. A root or a
    slash bass outside the old scale, or a key of other than seven notes, moves by the
    interval between the tonics."""
    shift = (new.tonic - old.tonic) % 12
    if chord.root is None:
        return chord
    old_pcs, new_pcs = old.pitch_classes(), new.pitch_classes()

    def moved(pc: int) -> int:
        d = old.degree(pc) if len(old_pcs) == len(new_pcs) == 7 else None
        return (pc + shift) % 12 if d is None else new_pcs[d - 1]

    root, bass = moved(chord.root), None if chord.bass is None else moved(chord.bass)
    d = old.degree(chord.root) if len(old_pcs) == len(new_pcs) == 7 else None
    quality = chord.quality
    if d is not None and quality not in ("sus2", "sus4", "7sus4", "11"):
        i = d - 1
        third, fifth, seventh = ((new_pcs[(i + k) % 7] - root) % 12 for k in (2, 4, 6))
        triad = _TRIADS.get((third, fifth))
        if d == 5 and new.is_minor and TRIAD_OF.get(quality) == "maj":
            triad, seventh = "maj", 10  # the dominant keeps its leading tone
        if triad is not None and TRIAD_OF.get(quality) in ("maj", "m", "dim", "aug"):
            if quality in _SEVENTHS:
                quality = _WITH_SEVENTH.get((triad, seventh), triad)
            elif quality in ("6", "m6"):
                quality = {"maj": "6", "m": "m6"}.get(triad, triad)
            elif quality in ("add9", "6/9"):
                quality = quality if triad == "maj" else triad
            else:
                quality = triad
    if chord.bass is not None:  # a chord tone in the bass stays that tone: G/B -> G/B in C minor
        tones = QUALITY_INTERVALS[chord.quality]
        now = QUALITY_INTERVALS[quality]
        j = (
            tones.index((chord.bass - chord.root) % 12)
            if (chord.bass - chord.root) % 12 in tones
            else None
        )
        if j is not None and j < len(now):
            bass = (root + now[j]) % 12
    return Chord(root, quality, bass)
