"""The training corpus: sources, harmony, accompaniment, captions, windows and their storage.

``store`` is the one reader the training code uses (``read_corpus``, ``iter_examples``);
``build`` assembles the shipped corpus from music21 + MMA; ``prepare`` does the same for a
folder of the user's MIDI.
"""
