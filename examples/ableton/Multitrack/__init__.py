"""Multitrack for Ableton Live: a MIDI Remote Script that talks to `multitrack serve` over OSC.

Live loads this folder from its "MIDI Remote Scripts" directory and calls
``create_instance`` when "Multitrack" is chosen as a Control Surface. See README.md.
"""

from .surface import Multitrack


def create_instance(c_instance):
    return Multitrack(c_instance)
