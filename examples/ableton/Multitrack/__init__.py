"""Multitrack for Ableton Live 11 and 12: a MIDI Remote Script that talks to `multitrack serve`
over OSC.

Live loads this folder from the User Library's "Remote Scripts" folder and calls
``create_instance`` when "Multitrack" is chosen as a Control Surface. See README.md.
"""

from typing import Any

from .surface import Multitrack


def create_instance(c_instance: Any) -> Multitrack:
    return Multitrack(c_instance)
