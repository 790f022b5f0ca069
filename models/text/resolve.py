"""Hits and findings -> one value per attribute, with the reasons and the conflicts.

The ``Resolver`` holds one prompt's evidence and decides each attribute in turn; every
decision leaves a line in ``understood`` and every value it had to drop a line in
``conflicts``, so the producer sees exactly why the result is what it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.text.attributes import PromptAttributes
from models.text.instruments import BY_ID
from models.text.lexicon import MOOD_ENERGY, OPPOSED_MOODS, TEMPO_CLASSES
from models.text.matcher import Hit
from models.text.orchestration import Orchestrator
from models.text.quantities import Finding
from multitrack.default_keys import key_for_mode
from multitrack.dynamics import DYNAMICS_SHAPES, join_dynamics
from multitrack.limits import MAX_BPM, MIN_BPM
from multitrack.limits import MAX_GENERATE_BARS as MAX_BARS
from multitrack.song import Meter
from multitrack.styles import style

DEFAULT_BPM = 100.0  # the pipeline's tempo when neither the prompt nor a style gives one
# Fused styles: a melodic/cultural style takes melody and harmony, a groove style the drums.
MELODIC_STYLES = frozenset(
    {"guofeng", "classical", "folk", "celtic", "hymn", "lullaby", "ballad", "country", "bluegrass"}
)
GROOVE_STYLES = frozenset(
    {"edm", "hiphop", "lofi", "rock", "punk", "funk", "disco", "reggae", "ska", "samba", "salsa",
     "bossa_nova", "rumba", "cha_cha", "tango", "rnb", "swing"}
)  # fmt: skip
_OPPOSED_DYNAMICS = (frozenset({"crescendo", "diminuendo"}), frozenset({"soft", "loud"}))


# Where in its style's tempo range a take falls when the prompt names no tempo: the middle,
# a quarter of the way up when it says its energy is low ("安静", "calm", "gentle"), three
# quarters when high ("energetic"); without a style, these tempos. "睡前的安静钢琴曲" took
# 100 BPM, as fast as any prompt that says nothing.
ENERGY_PLACE: dict[str | None, float] = {None: 0.5, "medium": 0.5, "low": 0.25, "high": 0.75}
ENERGY_BPM: dict[str | None, float] = {None: DEFAULT_BPM, "medium": DEFAULT_BPM, "low": 76.0,
                                       "high": 128.0}  # fmt: skip


def default_bpm(style_id: str | None, energy: str | None = None) -> float:
    """The tempo a piece gets when the prompt names none: the middle of the style's range,
    else ``DEFAULT_BPM``; lower or higher in it for a low or high ``energy``
    (``ENERGY_PLACE``)."""
    if style_id is None:
        return ENERGY_BPM.get(energy, DEFAULT_BPM)
    lo, hi = style(style_id).bpm
    return float(round(lo + (hi - lo) * ENERGY_PLACE.get(energy, 0.5)))


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _share(unnamed: str, hits: Sequence[Hit]) -> float:
    """How much of what the prompt says (letters and Han characters) the lexicon left unnamed."""
    named = sum(_letters(h.text) for h in hits if not h.is_modifier)
    free = _letters(unnamed)
    return free / (free + named) if free else 0.0


def _is_weak(hit: Hit) -> bool:
    return any(s.weak for s in hit.senses if s.field == "style")


def _kept(field: str, kept: str, other: str) -> str:
    return f"{field}: {kept} vs {other} — kept {kept}"


class Resolver:
    """Decides every attribute of one prompt from its hits and findings."""

    def __init__(
        self,
        *,
        hits: Sequence[Hit],
        findings: Sequence[Finding],
        ignored: Sequence[str],
        fusion_word: bool = False,
    ) -> None:
        self.fusion_word = fusion_word
        self.groove_style: str | None = None
        self.hits = list(hits)
        self.findings = list(findings)
        self.understood: list[str] = []
        self.conflicts: list[str] = []
        self.ignored = list(ignored)

    def _found(self, field: str) -> list[Finding]:
        return [f for f in self.findings if f.field == field]

    def _hits(self, field: str, *, negated: bool = False) -> list[Hit]:
        return [h for h in self.hits if h.has(field) and h.negated == negated]

    # -- the whole record ------------------------------------------------------------------
    def resolve(self, *, use_embedding: bool, unnamed: str) -> PromptAttributes:
        nearest: dict[str, object] = {}
        if use_embedding and unnamed.strip():
            from models.text.embedding import ADOPT_SHARE, nearest_descriptions

            nearest = {"text": unnamed, **nearest_descriptions(unnamed)}
            if _share(unnamed, self.hits) < ADOPT_SHARE:
                nearest["adopt"] = False  # a leftover fragment does not speak for the prompt
        style_id = self._style(nearest)
        key = self._key()
        meter = self._meter(style_id)
        bpm = self._tempo(style_id)
        if bpm is None and self.groove_style is not None:
            bpm = default_bpm(self.groove_style)
            self.understood.append(f"tempo: {bpm:g} bpm (the groove's, {self.groove_style})")
        mood = self._mood(nearest)
        energy = self._energy(mood)
        bars, seconds = self._length(bpm, style_id, meter, energy)
        orchestrator = Orchestrator(self.hits, self.understood, self.conflicts)
        programs, named, stems = orchestrator.assign(style_id)
        dynamics = self._dynamics()
        form = self._form()
        ambience = self._ambience()
        bass_line = self._bass_line()
        self._negations()
        for finding in self._found("unsupported_meter"):
            self.ignored.append(
                f"{finding.text} (meter {finding.value} is not supported: 4/4, 3/4, 2/4, 6/8)"
            )
        return PromptAttributes(
            key=key,
            bpm=bpm,
            meter=meter,
            bars=bars,
            style=style_id,
            programs=programs,
            stems=stems,
            stems_named=orchestrator.stems_named,
            mood=mood,
            energy=energy,
            dynamics=dynamics,
            form=form,
            groove_style=self.groove_style,
            ambience=ambience,
            bass_line=bass_line,
            understood=tuple(self.understood),
            ignored=tuple(self.ignored),
            conflicts=tuple(self.conflicts),
            nearest=nearest,
            named_programs=named,
            seconds=seconds,
        )

    # -- style -----------------------------------------------------------------------------
    def _fusion(self, hits: list[Hit]) -> str | None:
        """Two styles named together ("国风电音", "赛博朋克电音融合京剧唱腔", "jazz meets
        reggae"): the melodic one takes melody and harmony, the groove one the drums (or,
        after a fusion word, the first and the second). Sets ``groove_style``; returns the
        melody-and-harmony style, or None when the styles do not fuse."""
        firsts: dict[str, Hit] = {}
        for hit in hits:  # each style's first strong word names it (else its first hint)
            sid = hit.values("style")[0]
            weak = any(s.weak for s in hit.senses if s.field == "style")
            if sid not in firsts or (not weak and _is_weak(firsts[sid])):
                firsts[sid] = hit
        if len(firsts) < 2:
            return None
        ids = list(firsts)
        melodic = [i for i in ids if i in MELODIC_STYLES]
        groove = [i for i in ids if i in GROOVE_STYLES]
        if melodic and groove:
            lead, beat = melodic[0], groove[0]
        elif self.fusion_word:
            lead, beat = ids[0], ids[1]
        else:
            return None
        self.groove_style = beat
        self.understood.append(
            f"style: {lead} for melody and harmony ({firsts[lead].text}), {beat} for the "
            f"groove ({firsts[beat].text})"
        )
        for other in ids:
            if other not in (lead, beat):
                self.conflicts.append(
                    _kept("style", f"{lead} + {beat}", f"{other} ({firsts[other].text})")
                )
        return lead

    def _style(self, nearest: dict[str, object]) -> str | None:
        hits = self._hits("style")
        # a corpus genre noun first, then a genre played as its nearest style, then a hint
        strong = [
            h for h in hits if not any(s.weak or s.kin for s in h.senses if s.field == "style")
        ]
        strong = strong or [h for h in hits if any(s.kin for s in h.senses if s.field == "style")]
        fused = self._fusion(hits)
        if fused is not None:
            return fused
        if strong or hits:
            chosen = (strong or hits)[0]
            sid = chosen.values("style")[0]
            if any(s.kin for s in chosen.senses if s.field == "style"):
                self.understood.append(
                    f"style: {sid} ({chosen.text}, the nearest style the model knows)"
                )
            else:
                self.understood.append(f"style: {sid} ({chosen.text})")
            seen = {sid}
            for other in hits:
                value = other.values("style")[0]
                if value not in seen:
                    seen.add(value)
                    self.conflicts.append(
                        _kept("style", f"{sid} ({chosen.text})", f"{value} ({other.text})")
                    )
            return sid
        for hit in self._hits("instrument"):
            inst = BY_ID[hit.values("instrument")[0]]
            if inst.style is not None:
                self.understood.append(f"style: {inst.style} (implied by {hit.text})")
                return inst.style
        from models.text.embedding import STYLE_MARGIN, STYLE_THRESHOLD, adoptable

        pick = adoptable(nearest, "style", STYLE_THRESHOLD, STYLE_MARGIN)
        if pick is not None:
            sid, score = pick
            self.understood.append(
                f"style: {sid} (nearest in meaning to “{nearest['text']}”, cosine {score:.2f})"
            )
            return str(sid)
        return None

    # -- key -------------------------------------------------------------------------------
    def _key(self) -> str | None:
        keys = self._found("key")
        if keys:
            first = keys[0]
            self.understood.append(f"key: {first.value} ({first.text})")
            for other in keys[1:]:
                if other.value != first.value:
                    self.conflicts.append(
                        _kept(
                            "key", f"{first.value} ({first.text})", f"{other.value} ({other.text})"
                        )
                    )
            return str(first.value)
        modes = self._hits("mode")
        if not modes:
            return None
        mode = modes[0].values("mode")[0]
        key = str(key_for_mode(mode))
        self.understood.append(
            f"key: {key} ({modes[0].text}; no tonic named, {key.split()[0]} chosen)"
        )
        return key

    # -- meter -----------------------------------------------------------------------------
    def _meter(self, style_id: str | None) -> str | None:
        explicit: list[tuple[int, str, str]] = [
            (0, str(f.value), f.text) for f in self._found("meter")
        ]
        implied: tuple[str, str] | None = None
        for hit in self._hits("meter"):
            if hit.has("style"):
                if implied is None and style_id in hit.values("style"):
                    implied = (hit.values("meter")[0], hit.text)
            else:
                explicit.append((1, hit.values("meter")[0], hit.text))
        if implied is None and style_id is not None:
            meter = style(style_id).meter
            if meter is not None and meter != "4/4":
                implied = (meter, style_id)
        if explicit:
            _, meter, text = explicit[0]
            self.understood.append(f"meter: {meter} ({text})")
            for _, other, other_text in explicit[1:]:
                if other != meter:
                    self.conflicts.append(
                        _kept("meter", f"{meter} ({text})", f"{other} ({other_text})")
                    )
            if implied is not None and implied[0] != meter:
                self.conflicts.append(
                    _kept("meter", f"{meter} ({text})", f"{implied[0]} (implied by {implied[1]})")
                )
            return meter
        if implied is not None:
            self.understood.append(f"meter: {implied[0]} (implied by {implied[1]})")
            return implied[0]
        return None

    # -- tempo -----------------------------------------------------------------------------
    def _tempo(self, style_id: str | None) -> float | None:
        words: list[tuple[str, str]] = []
        for hit in self.hits:
            for value in hit.values("tempo"):
                if not hit.negated:
                    words.append((value, hit.text))
                elif value != "moderate":
                    words.append(("moderate", f"not {value}: {hit.text}"))
        word = words[0] if words else None
        if word is not None:
            lo, hi = TEMPO_CLASSES[word[0]]
            for other, text in words[1:]:
                olo, ohi = TEMPO_CLASSES[other]
                if ohi < lo or olo > hi:
                    self.conflicts.append(_kept("tempo", word[1], text))
        numbers: list[Finding] = []
        for finding in self._found("bpm"):
            if MIN_BPM <= float(finding.value) <= MAX_BPM:
                numbers.append(finding)
            else:
                self.conflicts.append(
                    f"tempo: {float(finding.value):g} bpm ({finding.text}) is outside "
                    f"{MIN_BPM:g}-{MAX_BPM:g} — ignored"
                )
        if numbers:
            bpm = float(numbers[0].value)
            self.understood.append(f"tempo: {bpm:g} bpm ({numbers[0].text})")
            for extra in numbers[1:]:
                if float(extra.value) != bpm:
                    self.conflicts.append(
                        _kept("tempo", f"{bpm:g} bpm", f"{float(extra.value):g} bpm")
                    )
            if word is not None:
                lo, hi = TEMPO_CLASSES[word[0]]
                if not lo - 8 <= bpm <= hi + 8:
                    self.conflicts.append(_kept("tempo", f"{bpm:g} bpm", f"{word[1]} ({word[0]})"))
            return bpm
        if word is None:
            return None
        lo, hi = TEMPO_CLASSES[word[0]]
        within = ""
        if style_id is not None:
            slo, shi = style(style_id).bpm
            if max(lo, slo) <= min(hi, shi):
                lo, hi = max(lo, slo), min(hi, shi)
                within = f" (within {style_id}'s {slo}-{shi})"
        bpm = float(round((lo + hi) / 2))
        self.understood.append(f"tempo: {word[0]} ({word[1]}) -> {bpm:g} bpm{within}")
        return bpm

    # -- length ----------------------------------------------------------------------------
    def _length(
        self, bpm: float | None, style_id: str | None, meter: str | None, energy: str | None
    ) -> tuple[int | None, float | None]:
        bars_found = [f for f in self._found("bars") if float(f.value) >= 1]
        for finding in self._found("bars"):
            if float(finding.value) < 1:
                self.conflicts.append(f"bars: {finding.text} is less than one bar — ignored")
        seconds_found = self._found("seconds")
        if bars_found:
            first = bars_found[0]
            bars = round(float(first.value))
            if bars > MAX_BARS:
                self.conflicts.append(
                    f"bars: {bars} ({first.text}) is more than {MAX_BARS} — kept {MAX_BARS}"
                )
                bars = MAX_BARS
            else:
                self.understood.append(f"bars: {bars} ({first.text})")
            for other in [*bars_found[1:], *seconds_found]:
                self.conflicts.append(_kept("length", first.text, other.text))
            return bars, None
        if not seconds_found:
            return None, None
        first = seconds_found[0]
        seconds = float(first.value)
        tempo = bpm if bpm is not None else default_bpm(style_id, energy)
        quarters = Meter.parse(meter or "4/4").quarters_per_bar
        exact = seconds * tempo / 60.0 / quarters
        bars = max(1, int(exact + 0.5))
        how = f"{first.text} at {tempo:g} bpm in {meter or '4/4'}"
        if bars > MAX_BARS:
            self.conflicts.append(
                f"bars: {how} is {bars} bars, more than {MAX_BARS} — kept {MAX_BARS}"
            )
            bars = MAX_BARS
        else:
            self.understood.append(f"bars: {bars} ({how})")
        for other in seconds_found[1:]:
            self.conflicts.append(_kept("length", first.text, other.text))
        return bars, seconds

    # -- mood, energy, dynamics ------------------------------------------------------------
    def _mood(self, nearest: dict[str, object]) -> str | None:
        hits = [(v, h) for h in self._hits("mood") for v in h.values("mood")]
        if hits:
            mood, first = hits[0]
            self.understood.append(f"mood: {mood} ({first.text})")
            seen = {mood}
            for value, hit in hits[1:]:
                if value in seen:
                    continue
                seen.add(value)
                if frozenset({mood, value}) in OPPOSED_MOODS:
                    self.conflicts.append(
                        _kept("mood", f"{mood} ({first.text})", f"{value} ({hit.text})")
                    )
                else:
                    self.understood.append(f"mood: also {value} ({hit.text})")
            return mood
        from models.text.embedding import MOOD_MARGIN, MOOD_THRESHOLD, adoptable

        pick = adoptable(nearest, "mood", MOOD_THRESHOLD, MOOD_MARGIN)
        if pick is not None:
            mood, score = pick
            self.understood.append(
                f"mood: {mood} (nearest in meaning to “{nearest['text']}”, cosine {score:.2f})"
            )
            return str(mood)
        return None

    def _energy(self, mood: str | None) -> str | None:
        hits = [(v, h) for h in self._hits("energy") for v in h.values("energy")]
        if hits:
            energy, first = hits[0]
            self.understood.append(f"energy: {energy} ({first.text})")
            for value, hit in hits[1:]:
                if value != energy:
                    self.conflicts.append(
                        _kept("energy", f"{energy} ({first.text})", f"{value} ({hit.text})")
                    )
                    break
            return energy
        if mood is not None:
            self.understood.append(f"energy: {MOOD_ENERGY[mood]} (from mood {mood})")
            return MOOD_ENERGY[mood]
        return None

    def _dynamics(self) -> str | None:
        """A level (soft, loud) and a shape (crescendo, diminuendo) are kept both: 柔和…渐强
        is "soft crescendo". Within each, the first word wins over its opposite."""
        hits = [(v, h) for h in self._hits("dynamics") for v in h.values("dynamics")]
        kept: dict[str, tuple[str, Hit]] = {}
        for value, hit in hits:
            kind = "shape" if value in DYNAMICS_SHAPES else "level"
            if kind not in kept:
                kept[kind] = (value, hit)
                self.understood.append(f"dynamics: {value} ({hit.text})")
                continue
            first, first_hit = kept[kind]
            if frozenset({first, value}) in _OPPOSED_DYNAMICS:
                self.conflicts.append(
                    _kept("dynamics", f"{first} ({first_hit.text})", f"{value} ({hit.text})")
                )
        level = kept["level"][0] if "level" in kept else None
        shape = kept["shape"][0] if "shape" in kept else None
        return join_dynamics(level, shape)

    def _form(self) -> str | None:
        forms = self._found("form")
        if not forms:
            return None
        first = forms[0]
        self.understood.append(f"form: {first.value} ({first.text})")
        for other in forms[1:]:
            if other.value != first.value:
                self.conflicts.append(
                    _kept("form", f"{first.value} ({first.text})", f"{other.value} ({other.text})")
                )
        return str(first.value)

    def _ambience(self) -> tuple[str, ...]:
        out = []
        for finding in self._found("ambience"):
            sound, _, place = str(finding.value).partition("@")
            where = {"end": ", at the end", "start": ", at the start"}.get(place, "")
            self.understood.append(f"ambience: {sound}{where} ({finding.text})")
            out.append(str(finding.value))
        return tuple(out)

    def _bass_line(self) -> str | None:
        hits = self._hits("bass_line")
        if not hits:
            return None
        line = hits[0].values("bass_line")[0]
        self.understood.append(f"bass line: {line} ({hits[0].text})")
        return line

    def _negations(self) -> None:
        for hit in self.hits:
            if not hit.negated:
                continue
            fields = [s.field for s in hit.senses]
            if "bass_line" in fields:
                self.understood.append(f"bass line: not {hit.values('bass_line')[0]} ({hit.text})")
            elif "instrument" in fields:
                inst = BY_ID[hit.values("instrument")[0]]
                if inst.kind != "bass":
                    self.understood.append(f"instrument: {hit.text} (given to no stem)")
            elif "style" in fields:
                self.understood.append(f"style: not {hit.values('style')[0]} ({hit.text})")
            elif "mood" in fields:
                self.understood.append(f"mood: not {hit.values('mood')[0]} ({hit.text})")
            elif "energy" in fields or "dynamics" in fields:
                self.understood.append(f"not: {hit.text}")
