"""Multitrack music domain: songs, stems, theory, MIDI, audio, metrics. No torch here."""
