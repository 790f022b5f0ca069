"""The stems, defined once: every fact the code knows about a stem lives in one row here.

A fifth stem is one more ``StemSpec`` row (and, for the model, a retrained checkpoint: the
autoencoder gets a channel group per stem and the denoiser one program embedding per
``program_slot``). Everything else reads this table: the ``Song`` container, MIDI
channels, the WAV file names, the preview's rows, the model's pitch windows.
"""

from __future__ import annotations

from dataclasses import dataclass

from multitrack.errors import MusicError

DRUM_CHANNEL = 9  # 0-based; "channel 10" to a producer (General MIDI percussion)
DRUM_CLASS_COUNT = 9  # kick .. ride, see multitrack.song.DRUM_CLASSES


@dataclass(frozen=True)
class StemSpec:
    """What the project knows about one stem.

    ``channel``: 0-based MIDI channel in song.mid and the synth. ``program``: the default
    GM program (0-based). ``monophonic``: one note at a time (the model reads it as a pitch
    per step). ``window``: (lowest MIDI pitch, rows) of the model's roll in the
    key-normalised frame; for drums (0, classes). ``program_slot``: which of the model's
    program embeddings carries this stem's instrument, None when the program is not
    conditioned (drums: the kit is the kit). ``preview_height``: relative row height in
    preview.png; ``colour`` its note colour.
    """

    name: str
    channel: int
    program: int
    monophonic: bool
    window: tuple[int, int]
    program_slot: int | None
    preview_height: float
    colour: str

    @property
    def pitched(self) -> bool:
        return self.channel != DRUM_CHANNEL

    @property
    def wav_name(self) -> str:
        """The stem's audio file in a take folder."""
        return f"{self.name}.wav"


STEM_SPECS: tuple[StemSpec, ...] = (
    StemSpec("melody", 0, 0, True, (48, 48), 0, 3.0, "#d1495b"),  # piano; C3..B6
    StemSpec("chords", 1, 4, False, (36, 48), 1, 3.0, "#00798c"),  # electric piano; C2..B5
    StemSpec("bass", 2, 33, True, (24, 36), 2, 2.0, "#edae49"),  # fingered bass; C1..B3
    StemSpec("drums", DRUM_CHANNEL, 0, False, (0, DRUM_CLASS_COUNT), None, 2.2, "#30638e"),
)

STEMS: tuple[str, ...] = tuple(s.name for s in STEM_SPECS)
PITCHED_STEMS: tuple[str, ...] = tuple(s.name for s in STEM_SPECS if s.pitched)
# The stems whose GM program the model is conditioned on, in embedding-slot order.
PROGRAM_STEMS: tuple[str, ...] = tuple(
    s.name
    for s in sorted(STEM_SPECS, key=lambda s: s.program_slot or 0)
    if s.program_slot is not None
)
CHANNELS: dict[str, int] = {s.name: s.channel for s in STEM_SPECS}
DEFAULT_PROGRAMS: dict[str, int] = {s.name: s.program for s in STEM_SPECS}
# One stems-index per subset of stems (a bit each) plus one for "unknown".
NULL_STEMS = 1 << len(STEM_SPECS)
_BY_NAME: dict[str, StemSpec] = {s.name: s for s in STEM_SPECS}


def stem_spec(name: str) -> StemSpec:
    """The row of stem ``name``; MusicError naming the stems when there is none."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise MusicError(f"unknown stem {name!r}; stems are {', '.join(STEMS)}") from None
