"""A PNG picture of a song: the four stems as piano rolls stacked, bar lines, chord symbols.

Melody, chords and bass are drawn as note rectangles on their own pitch range (velocity as
opacity); drums as a 9-row grid named by class. Chord symbols sit above the top roll at their
onsets; the title gives key, tempo, meter, length and style. Drawn with matplotlib's Agg
canvas directly (no pyplot state, so it is safe in a worker thread), written atomically.
"""

from __future__ import annotations

from pathlib import Path

from multitrack.atomic import atomic_file
from multitrack.song import DRUM_CLASSES, STEMS, Song
from multitrack.stems import STEM_SPECS

WIDTH_INCHES = 12.0
HEIGHT_INCHES = 7.0
DPI = 100
COLOURS: dict[str, str] = {s.name: s.colour for s in STEM_SPECS}
_HEIGHTS = tuple(s.preview_height for s in STEM_SPECS)  # relative panel heights
_GAP = 0.2  # steps cut from each note's end so repeated notes stay apart


def write_preview(song: Song, path: Path) -> None:
    """Draw ``song`` to a PNG at ``path`` (1200 x 700 pixels), atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    path = Path(path)
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    axes = figure.subplots(len(STEMS), 1, sharex=True, gridspec_kw={"height_ratios": _HEIGHTS})
    bar = song.meter.steps_per_bar
    for ax, name in zip(axes, STEMS, strict=True):
        notes = song.stems[name].notes
        drums = name == "drums"
        boxes = [
            [(n.start, n.pitch - 0.4), (n.end - _GAP, n.pitch - 0.4),
             (n.end - _GAP, n.pitch + 0.4), (n.start, n.pitch + 0.4)]
            for n in notes
        ]  # fmt: skip
        colours = [(*_rgb(COLOURS[name]), 0.35 + 0.65 * n.velocity / 127) for n in notes]
        ax.add_collection(PolyCollection(boxes, facecolors=colours, edgecolors="none"))
        if drums:
            ax.set_ylim(-0.6, len(DRUM_CLASSES) - 0.4)
            ax.set_yticks(range(len(DRUM_CLASSES)), [c.replace("_", " ") for c in DRUM_CLASSES])
            ax.tick_params(axis="y", labelsize=6)
        else:
            low = min((n.pitch for n in notes), default=60)
            high = max((n.pitch for n in notes), default=60)
            bottom, top = min(low, high - 11) - 1.5, max(high, low + 11) + 1.5
            ax.set_ylim(bottom, top)
            cs = [p for p in range(0, 128, 12) if bottom <= p <= top]
            ax.set_yticks(cs, [f"C{p // 12 - 1}" for p in cs])
            ax.tick_params(axis="y", labelsize=7)
        ax.set_ylabel(name, fontsize=9)
        for x in range(0, song.steps + 1, bar):
            ax.axvline(x, color="#888888", linewidth=0.6, zorder=0)
        ax.set_xlim(0, song.steps)
        ax.set_facecolor("#fafafa")
    for chord, row in zip(song.chords, _label_rows(song), strict=True):
        axes[0].text(chord.start + 0.3, 1.02 + 0.1 * row, chord.symbol, fontsize=8, ha="left",
                     va="bottom", transform=axes[0].get_xaxis_transform())  # fmt: skip
    every = max(1, song.bars // 32)  # keep bar numbers readable on long songs
    axes[-1].set_xticks(range(0, song.steps, bar * every), [str(b + 1) for b in
                        range(0, song.bars, every)], fontsize=7)  # fmt: skip
    axes[-1].set_xlabel("bar", fontsize=8)
    style = f" · {song.style}" if song.style else ""
    figure.suptitle(
        f"{song.key} · {song.tempo:g} BPM · {song.meter} · {song.bars} bars{style}", fontsize=11
    )
    figure.subplots_adjust(left=0.07, right=0.99, top=0.9, bottom=0.07, hspace=0.12)
    with atomic_file(path) as handle:
        canvas.print_png(handle)


# Width of a chord symbol's character at fontsize 8, in inches (matplotlib's DejaVu Sans
# averages about 0.6 em), and the share of the figure's width the rolls take.
_CHAR_INCHES = 8 * 0.6 / 72
_ROLL_SHARE = 0.92


_LABEL_ROWS = 3


def _label_rows(song: Song) -> list[int]:
    """Which row each chord symbol sits on: the lowest where it runs into no symbol before
    it (quick changes in a long take stack up), else the one whose last symbol ends first."""
    steps_per_inch = song.steps / (WIDTH_INCHES * _ROLL_SHARE)
    ends = [float("-inf")] * _LABEL_ROWS
    rows = []
    for chord in song.chords:
        width = (len(chord.symbol) + 1) * _CHAR_INCHES * steps_per_inch
        free = [r for r in range(_LABEL_ROWS) if chord.start >= ends[r]]
        row = free[0] if free else min(range(_LABEL_ROWS), key=lambda r: ends[r])
        ends[row] = chord.start + width
        rows.append(row)
    return rows


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]
