"""What the denoiser is told for a request: its conditioning row and its tracks.

The pipeline (``models.pipeline``) decides what a take is (its frame, what it keeps, what it
aims at); this module turns that into what the denoiser sees: the stems token (which stems
play, ``playing``), the chord, section and feel tracks (``tracks``, ``feel``; a model without
them is told none) and the conditioning row (``condition``: style, mode, meter, tempo,
programs, stems, text vector, tracks). Music policy; torch only through ``collate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.aims import BandAims, book_for
from models.checkpoint import LoadedModel
from models.conditioning import CondBatch, Condition, collate, known_programs
from models.representation import key_shift
from models.request import GenerateRequest
from models.structure import closing_chords
from models.text import PromptAttributes
from models.tracks import CHORD_ROWS, chord_track, song_tracks
from multitrack.features import Density
from multitrack.recognise import recognise_song
from multitrack.song import STEMS, ChordSpan, Section, Song
from multitrack.stems import PROGRAM_STEMS

# A model with the feel track (``DenoiserConfig.feel``) is asked for the densities the
# decoder aims at (``models.aims.BandAims.feel``): a new take its style's, an edit its
# source's. False leaves the track unknown.
FEEL_TRACK = True


@dataclass
class Telling:
    """What a loaded model's denoiser can be told, and its checkpoint's tables for it."""

    has_tracks: bool  # the denoiser reads the chord and section tracks
    has_feel: bool  # ... and the feel track
    compression: int  # steps a latent frame
    key_frame: str
    # programs each stem played in training (checkpoint meta; models.conditioning)
    programs_seen: dict[str, list[int]] | None
    # share of each style's training windows with drums (checkpoint meta; ``playing``)
    drums_by_style: dict[str, float]
    # each style's density a meter (checkpoint meta; ``feel``)
    band: BandAims
    # as few drum hits a bar as a style's drummers play, by style and meter (checkpoint
    # meta ``drum_floors``, ``models.recipe.corpus_facts``; ``drum_floor``)
    drum_floors: dict[str, float]

    @classmethod
    def of(cls, model: LoadedModel, band: BandAims) -> Telling:
        """A loaded model's: its denoiser's tracks, its autoencoder's compression, its
        checkpoint meta's tables."""
        cfg = model.denoiser.cfg
        return cls(
            has_tracks=cfg.tracks,
            has_feel=cfg.feel,
            compression=model.autoencoder.cfg.compression,
            key_frame=model.config.key_frame,
            programs_seen=model.meta.get("programs_seen"),
            drums_by_style=dict(model.meta.get("drums_by_style", {})),
            band=band,
            drum_floors={k: float(v) for k, v in model.meta.get("drum_floors", {}).items()},
        )

    def drum_floor(self, frame: Song) -> float:
        """As few drum hits a bar as ``frame``'s style's drummers play in its meter (every
        style's in that meter where the style has too few windows there; 0 unknown)."""
        return book_for(frame, self.drum_floors) or 0.0

    @property
    def asks_feel(self) -> bool:
        """Whether the feel track is told (``FEEL_TRACK``, on a model that has it)."""
        return FEEL_TRACK and self.has_feel

    def tracks(
        self,
        frame: Song,
        spans: tuple[ChordSpan, ...] | None,
        base: Song | None,
        bars: tuple[int, int] | None,
        phrases: tuple[Section, ...],
        feel: Density | None = None,
        band: bool = True,
    ) -> np.ndarray | None:
        """The chord, section and feel tracks (8, F) of a request: the forced progression,
        else the source's chords in the bars an edit keeps; the sections sampling follows
        (``phrases``: the form's, or a short take's phrase plan); the ``feel`` (``feel``:
        comping strikes and bass notes a bar, None for unknown); and its closing chords
        (``models.structure.closing_chords``; ``band``: its chords or bass play). None for a
        model without tracks."""
        if not self.has_tracks:
            return None
        comp = self.compression
        frames = frame.steps // comp
        fpb = frame.meter.steps_per_bar // comp
        shift = key_shift(frame.key, self.key_frame)
        tracks = song_tracks(spans, phrases, bars=frame.bars, frames_per_bar=fpb,
                             frames=frames, shift=shift, compression=comp,
                             feel=feel)  # fmt: skip
        if spans is not None:
            return tracks
        if base is not None and bars is not None:
            own = base.chords or recognise_song(base)
            tracks[CHORD_ROWS] = chord_track(own, frames, shift=shift, compression=comp)
            tracks[CHORD_ROWS, bars[0] * fpb : bars[1] * fpb] = 0
        closing = closing_chords(frame, fresh=base is None, repaint=bars, band=band)
        if closing:  # those bars told, the rest as they were
            planned = chord_track(closing, frames, shift=shift, compression=comp)
            for span in closing:
                lo, hi = span.start // comp, min((span.start + span.duration) // comp, frames)
                tracks[CHORD_ROWS, lo:hi] = planned[:, lo:hi]
        return tracks

    def playing(
        self, attrs: PromptAttributes, request: GenerateRequest
    ) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        """(the stems that play, the stems token the denoiser is told: None for null).

        Stems the prompt names are as named. For a new take whose prompt names none, in a
        style the checkpoint knows, whether drums play is drawn (seeded by the request) with
        the share of that style's training windows that have them, and the denoiser is told
        the drawn set, as 85% of its training examples were: its null token, seen in the
        other 15%, played drums in 18 of 20 guofeng takes (13 of 20 with known programs)
        where 2 of 20 guofeng windows have them (docs/model.md, "Session 7").
        An edit is told the stems its source plays (``Pipeline.attributes`` names them:
        under the null token a chord edit of a 16-bar jazz take dropped its drums, 161 hits
        to 0). Otherwise (an edit of a take that plays nothing, an unknown style, a
        checkpoint without the table) the null token: the model chooses, and every stem may
        play."""
        named = tuple(attrs.stems)
        if attrs.stems_named:
            return named, named
        share = self.drums_by_style.get(attrs.style or "")
        if share is None or request.source is not None:
            return named, None
        drums = np.random.default_rng([request.seed, 0xD4]).random() < share
        told = tuple(s for s in STEMS if s != "drums" or drums)
        return told, told

    def feel(self, frame: Song, request: GenerateRequest) -> Density:
        """The feel track's (comping strikes a bar, bass notes a bar) a request asks the
        denoiser for (``BandAims.feel``; None leaves a row unknown): ``FEEL_TRACK`` off, or
        a model without the track (``DenoiserConfig.feel``), unknown."""
        if not self.asks_feel:
            return None, None
        return self.band.feel(frame, request)

    def condition(
        self,
        attrs: PromptAttributes,
        frame: Song,
        text: np.ndarray | None,
        tracks: np.ndarray | None = None,
        stems: tuple[str, ...] | None = None,
    ) -> CondBatch:
        """The request's conditioning, one row; ``stems`` the stems token (None: null, the
        model chooses; ``playing`` says which)."""
        key = frame.key
        return collate([
            Condition(
                style=attrs.style,
                mode=key.mode,
                meter=str(frame.meter),
                bpm=frame.tempo,
                programs=known_programs(
                    [frame.stems[s].program for s in PROGRAM_STEMS], self.programs_seen
                ),
                stems=stems,
                text=text,
                tracks=tracks,
            )
        ], frames=frame.steps // self.compression)  # fmt: skip
