"""The project's numeric limits, defined once. Everything that checks a tempo or a length
reads them from here: the ``Song`` container, the MIDI reader, the prompt parser and the
request (``models.request`` builds its typed limits on these).
"""

from __future__ import annotations

MIN_BPM = 20.0  # tempo, quarter notes a minute
MAX_BPM = 400.0
MAX_BARS = 512  # the longest song the project holds (a read MIDI file, an extended take)
MAX_GENERATE_BARS = 64  # the longest piece one request may generate
