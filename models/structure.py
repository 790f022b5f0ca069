"""Song form at sampling time: which sections a take has, which latent frames repeat
which (``tie_groups``), and the chord-track values a form fixes (the last bar on the tonic).

Same-letter sections come back by tied sampling: they start from the same noise and, at
every step, share the mean of their velocity predictions, so the network writes each
repeated section once while seeing every place it sounds. A repeat's last bar is left
untied, so it may vary into its phrase end or the next section.
"""

from __future__ import annotations

import torch

from models.request import GenerateRequest
from models.text import PromptAttributes
from multitrack.form import INTRO, OUTRO, default_form, parse_form
from multitrack.song import Section, Song
from multitrack.theory import Key

# A repeat's bars left untied at its end (the variation it may make), in sections of at
# least ``UNTIED_FROM`` bars; shorter ones return whole (a 4-bar section with one bar free
# kept only 0.38 of its melody events, bench/form.py's similarity).
UNTIED_BARS = 1
UNTIED_FROM = 8


def plan_sections(
    request: GenerateRequest, attrs: PromptAttributes, frame: Song, kept: tuple[Section, ...]
) -> tuple[Section, ...]:
    """The take's sections: an asked form (request, then prompt), else the style's default
    from 16 bars; for an edit, the source's sections plus one for the added bars."""
    if request.source is not None:
        added = request.extend or request.prepend
        if not added:
            return request.source.sections
        start = 0 if request.prepend else frame.bars - added
        letter = INTRO if request.prepend else OUTRO  # new music: no earlier letter returns
        new = Section(start, added, letter, "Intro" if request.prepend else "Extension")
        return tuple(sorted((*kept, new), key=lambda s: s.start))
    text = request.form or getattr(attrs, "form", None) or default_form(attrs.style, frame.bars)
    return parse_form(text, frame.bars) if text else ()


def tie_groups(
    sections: tuple[Section, ...], frames_per_bar: int, frames: int
) -> list[list[torch.Tensor]]:
    """Groups of equally long frame-index tensors sampled as one: for each letter that
    returns, its first section's frames and each later section's, all but the last
    ``UNTIED_BARS`` of the shorter (from ``UNTIED_FROM`` bars)."""
    groups: list[list[torch.Tensor]] = []
    by_letter: dict[str, list[Section]] = {}
    for s in sections:
        if s.letter not in (INTRO, OUTRO):
            by_letter.setdefault(s.letter, []).append(s)
    for members in by_letter.values():
        if len(members) < 2:
            continue
        shortest = min(s.bars for s in members)
        bars = shortest - (UNTIED_BARS if shortest >= UNTIED_FROM else 0)
        if bars < 1:
            continue
        group = [
            torch.arange(s.start * frames_per_bar, (s.start + bars) * frames_per_bar)
            for s in members
        ]
        if all(int(g[-1]) < frames for g in group):
            groups.append(group)
    return groups


def tie(x: torch.Tensor, groups: list[list[torch.Tensor]]) -> torch.Tensor:
    """``x`` (B, C, F) with each group's frames replaced by their mean."""
    if not groups:
        return x
    x = x.clone()
    for group in groups:
        mean = torch.stack([x[:, :, g] for g in group]).mean(0)
        for g in group:
            x[:, :, g] = mean
    return x


def tonic_chord(key: Key) -> str:
    """The tonic triad of a key within its parent scale ("C", "Am"; D zhi -> "D")."""
    parent = Key(key.relative_major_tonic, "major").pitch_classes()
    third = 4 if (key.tonic + 4) % 12 in parent else 3
    return f"{key.tonic_name}{'' if third == 4 else 'm'}"
