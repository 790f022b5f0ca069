"""Takes: one folder per result, holding everything a DAW needs, never overwritten.

A take folder holds ``song.mid``, ``melody.wav``, ``chords.wav``, ``bass.wav``, ``drums.wav``,
``preview.png``, ``song.json`` (format ``multitrack.take/1``: prompt, attributes, chord
rows, seed, model, bars, tempo, meter, key, style, programs, sample rate, file names, plus
whatever the caller's ``meta`` adds; values computed from the song win over ``meta``), and
``ambience.wav`` when the prompt asked for rain, birds, waves ... (``multitrack.ambience``).

It is built in a hidden temporary folder inside the output root and renamed into place in one
step, so a DAW watching the root never sees half a take, and a failure leaves nothing behind.
A server may defer ``preview.png`` (``defer_preview``): the take goes into place with every
file a DAW reads, its song.json already listing the preview, and ``finish_take`` draws the
preview into it afterwards (atomically; a failure is logged, the take stands).
Unnamed takes are numbered ``take-001``, ``take-002``... after the highest number present.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from multitrack.ambience import render_ambience
from multitrack.atomic import DIR_MODE, DISK_FULL_MARGIN, write_text_atomic
from multitrack.errors import DiskFullError, MidiFileError, MultitrackError, MusicError, OutputError
from multitrack.midi_io import read_midi, write_midi
from multitrack.preview import write_preview
from multitrack.recognise import chord_rows
from multitrack.render import render_stems, shared_synthesizer, write_wav
from multitrack.song import ChordSpan, Meter, Song, Stem
from multitrack.stems import STEM_SPECS
from multitrack.styles import STYLE_IDS
from multitrack.swing import swing_of
from multitrack.theory import Key

FORMAT = "multitrack.take/1"
AMBIENCE_FILE = "ambience.wav"  # the optional fifth audio file (multitrack.ambience)
FILES: dict[str, str] = {
    "json": "song.json",
    "midi": "song.mid",
    **{spec.name: spec.wav_name for spec in STEM_SPECS},
    "preview": "preview.png",
}
TAKE_PREFIX = "take-"
MAX_NAME = 120
_NUMBERED = re.compile(rf"^{TAKE_PREFIX}(\d+)$")
_ATTEMPTS = 20  # unnamed takes: how often to move on to the next number if another writer won

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Take:
    """A finished take: its folder and its files by key (json, midi, the stems, preview).
    ``pending`` holds work deferred past the take's publication (its preview drawing), run
    once by ``finish_take``."""

    dir: Path
    files: dict[str, Path]
    pending: list[Callable[[], None]] = field(default_factory=list, compare=False, repr=False)


def finish_take(take: Take) -> None:
    """Run a take's deferred work (draw its preview.png); each failure is logged, never
    raised: the take is already in place and complete for a DAW."""
    while take.pending:
        job = take.pending.pop(0)
        try:
            job()
        except Exception:
            log.exception("could not finish take %s (its preview.png is missing)", take.dir)


def write_take(
    song: Song,
    root: Path,
    *,
    name: str | None = None,
    meta: Mapping[str, Any],
    soundfont: Path | None = None,
    sample_rate: int = 44100,
    progress: Progress | None = None,
    ambience: Sequence[str] | None = None,
    defer_preview: bool = False,
) -> Take:
    """Write ``song`` as a new take folder under ``root`` and return it.

    ``defer_preview``: put the take in place without preview.png (song.json lists it all the
    same) and leave drawing it to ``finish_take(take)``, e.g. after the server's ``done``.

    ``ambience`` (sounds of ``multitrack.ambience``, e.g. ``("rain", "drops@end")``; None:
    the ``ambience`` of ``meta["attributes"]``, the prompt's) adds a fifth audio file,
    ``ambience.wav``, as long as the stems, seeded by ``meta["seed"]``.

    ``name`` None picks the next free ``take-NNN``. Raises ``OutputError`` when the name is
    taken or not a plain folder name, or ``root`` cannot be written; ``SoundFontError`` for a
    bad SoundFont. ``progress(fraction 0-1, message)`` reports the stages.
    """
    report = progress or (lambda fraction, message: None)
    # bad font or rate: fail first; a font loaded for an earlier take is reused
    synth = shared_synthesizer(soundfont, sample_rate=sample_rate)
    root = Path(root)
    check_not_a_take(root)
    if name is not None:
        check_take_name(name)
        check_take_free(root, name)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=temp_prefix(), suffix=".tmp"))
        tmp.chmod(DIR_MODE)  # private while written; as any folder the producer makes after
    except OSError as exc:
        raise disk_full(exc, root) or OutputError(
            f"cannot write takes into {root}: {exc.strerror or exc}"
        ) from None
    try:
        report(0.0, "writing MIDI")
        swing, unit = swing_of(song.style)  # the style's feel, in the MIDI ticks only
        write_midi(song, tmp / FILES["midi"], swing=swing, swing_unit=unit)
        render_stems(
            song,
            tmp,
            synthesizer=synth,
            progress=lambda f, message: report(0.05 + 0.75 * f, message),
        )
        sounds = _ambience_of(meta) if ambience is None else tuple(ambience)
        files = dict(FILES)
        if sounds:
            report(0.8, "rendering ambience")
            seed = meta.get("seed")
            audio = render_ambience(song, sounds, sample_rate=synth.sample_rate,
                                    seed=seed if isinstance(seed, int) else 0)  # fmt: skip
            write_wav(audio, tmp / AMBIENCE_FILE, synth.sample_rate)
            files["ambience"] = AMBIENCE_FILE
        if not defer_preview:
            report(0.85, "drawing preview")
            write_preview(song, tmp / FILES["preview"])
        report(0.95, "writing song.json")
        final = _move_into_place(tmp, root, name, lambda chosen: _write_record(
            tmp, song, meta, chosen, synth.sample_rate, synth.path.name, files, sounds))  # fmt: skip
    except BaseException as exc:
        full = disk_full(exc, root)  # before the cleanup frees the space again
        shutil.rmtree(tmp, ignore_errors=True)
        if full is not None:
            raise full from None
        raise
    report(1.0, f"take written to {final}")
    take = Take(final, {key: final / file for key, file in files.items()})
    if defer_preview:
        take.pending.append(lambda: write_preview(song, take.files["preview"]))
    return take


def temp_prefix(pid: int | None = None) -> str:
    """The hidden folder prefix a process builds its takes under: ``.take-<pid>-``, so a
    cleanup can tell the takes of a live writer from those of a dead one."""
    return f".take-{os.getpid() if pid is None else pid}-"


TEMP_TAKE = re.compile(r"^\.take-(?:(\d+)-)?.*\.tmp$")
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def disk_full(exc: BaseException, root: Path) -> DiskFullError | None:
    """A ``DiskFullError`` naming ``root`` when ``exc`` came from a full disk: an
    ``OSError`` ENOSPC/EDQUOT, or any write error (libsndfile says only "System error.")
    while the disk holding ``root`` has less than 1 MiB free. None otherwise."""
    if isinstance(exc, DiskFullError):
        return exc
    full = isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS
    # The atomic writer reports a failed write as a plain OutputError naming the file.
    plain = not isinstance(exc, MultitrackError) or type(exc) is OutputError
    if not full and isinstance(exc, Exception) and plain:
        try:
            full = shutil.disk_usage(root).free < DISK_FULL_MARGIN
        except OSError:
            full = False
    if not full:
        return None
    return DiskFullError(
        f"no space left on the disk holding {root}: free some space there (or choose another "
        "output folder) and try again; nothing partial was written"
    )


# song.json fields read as numbers or text by the tools that read a take (refine, eval,
# edits): a hand edit that breaks one ("seed": "abc") is refused as not a take, not met by a
# traceback where it is used.
_RECORD_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "prompt": ((str,), "text"),
    "seed": ((int,), "an integer"),
    "steps": ((int,), "an integer"),
    "bars": ((int,), "an integer"),
    "tempo": ((int, float), "a number"),
    "guidance": ((int, float), "a number"),
    "key": ((str,), "text"),
    "meter": ((str,), "text"),
    "style": ((str,), "text"),
    "model": ((str,), "text"),
}


def _silent_programs(song: Song, programs: object) -> dict[str, Stem]:
    """``song``'s stems, a stem with no notes given the program song.json records for it:
    song.mid has no track for a silent stem, so it read back as program 0, and an edit that
    wrote into it played a piano whatever the take was made with."""
    stems = dict(song.stems)
    if not isinstance(programs, dict):
        return stems
    for name, stem in song.stems.items():
        program = programs.get(name)
        if stem.notes or isinstance(program, bool) or not isinstance(program, int):
            continue
        if 0 <= program <= 127:
            stems[name] = replace(stem, program=program)
    return stems


def read_take(directory: Path) -> tuple[Song, dict[str, Any]]:
    """The song and the song.json record of a take folder.

    The song comes from song.mid; key, style and chords from song.json when it has them (a
    DAW script may have edited the record). Raises ``OutputError`` "... is not a take" when
    song.json or song.mid is missing or unreadable.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise OutputError(f"{directory} is not a take: no such folder")
    try:
        record = json.loads((directory / FILES["json"]).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutputError(f"{directory} is not a take: song.json is missing") from None
    except (OSError, ValueError) as exc:
        raise OutputError(f"{directory} is not a take: song.json is unreadable ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise OutputError(f"{directory} is not a take: song.json is not a {FORMAT} record")
    for name, (kinds, what) in _RECORD_FIELDS.items():
        value = record.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            raise OutputError(
                f"{directory} is not a take: song.json's {name} is not {what} ({value!r})"
            )
    midi = directory / FILES["midi"]
    if not midi.is_file():
        raise OutputError(f"{directory} is not a take: song.mid is missing")
    try:
        song = read_midi(midi)
    except MidiFileError as exc:
        raise OutputError(f"{directory} is not a take: {exc}") from None
    key = record.get("key")
    style = record.get("style")
    if isinstance(style, str) and style not in STYLE_IDS:
        raise OutputError(
            f"{directory}: song.json's style {style!r} is not a style; known: "
            + ", ".join(STYLE_IDS)
        )
    song = replace(
        song,
        key=_record_key(key, directory) if isinstance(key, str) else song.key,
        style=style if isinstance(style, str) or style is None else song.style,
        stems=_silent_programs(song, record.get("programs")),
    )
    spans = spans_from_rows(record.get("chords"), song.meter, song.steps)
    if spans is not None and [(c.start, c.symbol) for c in spans] != [
        (c.start, c.symbol) for c in song.chords
    ]:
        song = replace(song, chords=spans)
    return song, record


def _record_key(name: str, directory: Path) -> Key:
    """The key song.json names (a DAW script may have edited it), parsed where it enters."""
    try:
        return Key.parse(name)
    except MusicError as exc:
        raise OutputError(f"{directory}: song.json's key is not a key: {exc}") from None


def spans_from_rows(rows: object, meter: Meter, steps: int) -> tuple[ChordSpan, ...] | None:
    """Chord rows ``{"bar", "beat", "symbol"}`` (from 1) back to spans, each lasting to the
    next row or ``steps``; None when ``rows`` is not a well-formed list of rows."""
    if not isinstance(rows, list):
        return None
    onsets: dict[int, str] = {}
    for row in rows:
        if not isinstance(row, dict):
            return None
        bar, beat, symbol = row.get("bar"), row.get("beat"), row.get("symbol")
        if not (isinstance(bar, int) and isinstance(beat, int | float) and isinstance(symbol, str)):
            return None
        if not math.isfinite(beat) or isinstance(bar, bool):  # NaN, Infinity: not a place
            return None
        start = (bar - 1) * meter.steps_per_bar + round((beat - 1) * meter.steps_per_beat)
        if 0 <= start < steps:
            onsets[start] = symbol
    starts = sorted(onsets)
    ends = [*starts[1:], steps] if starts else []
    return tuple(ChordSpan(s, e - s, onsets[s]) for s, e in zip(starts, ends, strict=True))


def check_not_a_take(root: Path) -> None:
    """``OutputError`` when ``root``, the folder takes are written under, is itself a take:
    ``--out take-001`` wrote take-001/take-001 inside the earlier take."""
    if (Path(root) / FILES["json"]).is_file():
        raise OutputError(
            f"{root} is a take; give the folder that holds takes (--from edits a take)"
        )


def check_take_free(root: Path, name: str) -> None:
    """``OutputError`` when a take (or anything) is already called ``name`` under ``root``."""
    if (root / name).exists():
        raise OutputError(f"take {root / name} already exists; takes are never overwritten")


def check_take_name(name: str) -> None:
    """A take name must be a plain, visible folder name (Chinese is fine)."""
    bad = (
        not name
        or name != name.strip()
        or name.startswith((".", "-"))
        or len(name) > MAX_NAME
        or any(c in name for c in "/\\\0:")
    )
    if bad:
        raise OutputError(
            f"take name {name!r} must be a plain folder name: 1-{MAX_NAME} characters, no "
            "slashes or colons, not starting with a dot, a dash or a space"
        )


def next_take_name(root: Path) -> str:
    """``take-NNN`` one past the highest number under ``root`` (``take-001`` when none)."""
    numbers = [int(m[1]) for p in _listing(root) if (m := _NUMBERED.match(p))]
    return f"{TAKE_PREFIX}{max(numbers, default=0) + 1:03d}"


def _listing(root: Path) -> list[str]:
    try:
        return os.listdir(root)
    except FileNotFoundError:
        return []


def _move_into_place(
    tmp: Path, root: Path, name: str | None, finish: Callable[[str], None]
) -> Path:
    """Rename the built folder to its name; unnamed takes move on if the number is taken.
    ``finish(name)`` writes the last file once the name is known."""
    for _ in range(_ATTEMPTS if name is None else 1):
        chosen = name if name is not None else next_take_name(root)
        final = root / chosen
        if final.exists():
            if name is None:
                continue
            raise OutputError(f"take {final} already exists; takes are never overwritten")
        finish(chosen)
        try:
            os.rename(tmp, final)  # fails if a non-empty folder appeared meanwhile
        except OSError as exc:
            if name is None and final.exists():
                continue
            raise OutputError(f"cannot create take {final}: {exc.strerror or exc}") from None
        return final
    raise OutputError(f"could not find a free take name under {root}")


def _ambience_of(meta: Mapping[str, Any]) -> tuple[str, ...]:
    attributes = meta.get("attributes")
    sounds = attributes.get("ambience") if isinstance(attributes, Mapping) else None
    if isinstance(sounds, list | tuple) and all(isinstance(x, str) for x in sounds):
        return tuple(sounds)
    return ()


def _write_record(
    tmp: Path,
    song: Song,
    meta: Mapping[str, Any],
    name: str,
    sample_rate: int,
    soundfont: str,
    files: Mapping[str, str],
    ambience: Sequence[str] = (),
) -> None:
    record: dict[str, Any] = {
        "format": FORMAT,
        "prompt": None,
        "attributes": None,
        "seed": None,
        "model": None,
        **meta,
    }
    record.update(
        format=FORMAT,
        take=name,
        bars=song.bars,
        tempo=song.tempo,
        meter=str(song.meter),
        key=str(song.key),
        style=song.style,
        programs=song.programs,
        sample_rate=sample_rate,
        soundfont=soundfont,
        chords=chord_rows(song.chords, song.meter),
        sections=[
            {"label": x.label, "letter": x.letter, "bar": x.start + 1, "bars": x.bars}
            for x in song.sections
        ],
        files=dict(files),
    )
    if ambience:
        record["ambience"] = list(ambience)
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    write_text_atomic(tmp / FILES["json"], text)
