"""The harmony analysis generation shares with evaluation, and generation's independence of
the evaluation metrics."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from multitrack.example import example_song
from multitrack.harmony import key_agrees, pitch_class_histogram
from multitrack.metrics import key_metrics
from multitrack.song import Song
from multitrack.theory import Key


def test_key_agrees_is_the_metrics_key_agreement() -> None:
    song = example_song()  # A minor, Am F C G
    for key in ("A minor", "C major", "E minor", "D dorian", "F major"):
        asked = replace(song, key=Key.parse(key))
        assert key_agrees(asked) == key_metrics(song, asked_key=asked.key)["key_agrees"]
    found = key_metrics(song)["key_found"]  # the loop sounds in C major, its relative
    assert key_agrees(replace(song, key=Key.parse(str(found))))
    assert not key_agrees(replace(song, key=Key.parse("F# major")))
    assert not key_agrees(Song(bars=1))  # no notes: no key sounds


def test_pitch_class_histogram_counts_quarter_notes() -> None:
    hist = pitch_class_histogram(example_song())
    assert hist.sum() > 0 and hist[9] > hist[1]  # A sounds, C# does not


def test_generation_does_not_import_the_evaluation_metrics() -> None:
    code = "import sys, models.pipeline; print('multitrack.metrics' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
