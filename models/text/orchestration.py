"""Which instrument plays which stem, and which stems play at all.

The rules, in order: a role the prompt gives wins (钢琴伴奏, 笛子主奏, "harmonica lead");
bass instruments take the bass; of the rest a monophonic instrument (flute, violin, sax)
leads before a polyphonic one (piano, guitar, guzheng), which comps; pads only comp; a
low instrument (cello, bassoon) may take a free bass. One polyphonic instrument alone plays
both melody and chords (钢琴曲, "piano ballad"). A solo (古筝独奏, "solo piano", 纯钢琴) is
that one instrument: melody, plus chords when it can play them; no bass, no drums. A trio
(爵士三重奏, "jazz trio", "piano trio") is one lead instrument, the piano unless another is
named, with bass and drums: no horn; a classical one (古典钢琴三重奏, "classical piano
trio") is violin, piano and cello, no drums; a string quartet (弦乐四重奏) violin, strings and
cello, no drums. A negation turns its stem off and beats a mention of
the same stem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from models.text.instruments import (
    BASS_PROGRAMS,
    BY_ID,
    GENERIC_BASS,
    GENERIC_GUITARS,
    Instrument,
    program_label,
)
from models.text.matcher import Hit
from multitrack.song import DEFAULT_PROGRAMS, PITCHED_STEMS, STEMS
from multitrack.styles import style

ROLE_STEMS = PITCHED_STEMS
# Programs a stem falls back on when its default is an instrument the prompt refused.
STAND_INS: dict[str, tuple[int, ...]] = {
    "melody": (0, 4, 25, 73),
    "chords": (4, 0, 25, 48),
    "bass": (33, 32, 38),
}


def _kept(field: str, kept: str, other: str) -> str:
    return f"{field}: {kept} vs {other} — kept {kept}"


def _generic_bass(inst: Instrument, hit: Hit) -> bool:
    """Whether ``hit`` names a bass but no kind of one (``GENERIC_BASS``)."""
    return inst.id == "bass" and hit.text.strip().lower() in GENERIC_BASS


def _bass_of(style_id: str | None, program: int) -> int:
    """The program a bass named by no kind plays: the double bass where the style's (or a
    trio's) bass is one (jazz, bluegrass, folk, tango ...) or is no bass guitar at all (the
    cello of classical, a march's tuba, ragtime's left hand); else the electric bass, as
    before (a disco take's "funky bass" is no synth bass)."""
    double = BY_ID["acoustic_bass"].program_for("bass")
    if program == double or (style_id is not None and program not in BASS_PROGRAMS):
        return double
    return BY_ID["bass"].program_for("bass")


def _guitar_of(style_id: str | None, stem: str, inst: Instrument, hit: Hit) -> int | None:
    """The program a guitar named by no kind plays on ``stem`` (``GENERIC_GUITARS``): the
    style's program for the stem where it is a guitar of that family, else the style's guitar
    on its other stem; None where the words name a kind, or the style has no such guitar."""
    family = GENERIC_GUITARS.get(hit.text.strip().lower())
    if family is None or style_id is None or inst.id not in ("guitar", "electric_guitar"):
        return None
    melody, chords, _ = style(style_id).programs
    ours = melody if stem == "melody" else chords
    return next((p for p in (ours, chords, melody) if p in family), None)


def swapped_programs(
    programs: Mapping[str, int], stems: tuple[str, ...], old: str | None, new: str
) -> dict[str, int]:
    """``programs`` with instrument ``new`` (feedback: "把钢琴换成吉他") where ``old`` played:
    each stem whose program is one of ``old``'s and that ``new``'s kind plays (a one-note
    instrument the melody, a pad the chords, a bass instrument the bass, any other both).
    With no ``old``, or where it plays none of those, where its kind plays, a chordal one
    on the chords too only when they were the melody's instrument (a piano playing both)."""
    inst = BY_ID[new]
    plays = {"bass": ("bass",), "pad": ("chords",), "mono": ("melody",)}.get(
        inst.kind, ("melody", "chords")
    )
    was = set(BY_ID[old].programs) if old is not None else set()
    targets = [s for s in plays if programs.get(s) in was]
    if not targets:
        both = programs.get("chords") == programs.get("melody") and "chords" in stems
        targets = [s for s in plays if s == plays[0] or both]
    return {**programs, **{s: inst.program_for(s) for s in targets}}


class Orchestrator:
    """Assigns one prompt's instruments to stems; appends its reasons to the shared lists."""

    def __init__(self, hits: list[Hit], understood: list[str], conflicts: list[str]) -> None:
        self.hits = hits
        self.understood = understood
        self.conflicts = conflicts
        self.stems_named = False  # set by assign(): the prompt said which stems play
        self.trio: tuple[Instrument, Hit] | None = None  # set by assign(): lead, trio word
        self.chamber = False  # set by assign(): the trio is a classical one (no drums)

    def _instrument_hits(self) -> list[tuple[Instrument, Hit]]:
        out: list[tuple[Instrument, Hit]] = []
        seen: set[str] = set()
        for hit in self.hits:
            if hit.negated:
                continue
            if hit.has("instrument"):
                inst = BY_ID[hit.values("instrument")[0]]
            elif hit.has("guitar_tone") and hit.role != "applied":
                inst = BY_ID[
                    "distortion_guitar"
                    if hit.values("guitar_tone")[0] == "30"
                    else "overdrive_guitar"
                ]
            else:
                continue
            if inst.id not in seen:
                seen.add(inst.id)
                out.append((inst, hit))
        return out

    def assign(
        self, style_id: str | None
    ) -> tuple[dict[str, int], tuple[str, ...], tuple[str, ...]]:
        programs = dict(DEFAULT_PROGRAMS)
        if style_id is not None:
            programs.update(zip(ROLE_STEMS, style(style_id).programs, strict=True))
        named = self._instrument_hits()
        trio = next((h for h in self.hits if h.has("trio") and not h.negated), None)
        quartet = next((h for h in self.hits if h.has("quartet") and not h.negated), None)
        if quartet is not None:
            trio = None  # "string quartet" is no trio, whatever else the prompt says
        chamber = quartet or (trio if trio is not None and style_id == "classical" else None)
        if chamber is not None:
            # a classical (piano) trio is violin, piano and cello, no drums; a string quartet
            # violin, strings (the second violin and viola) and cello: each part the prompt
            # does not name is added, the violin leading
            def has(test: Callable[[Instrument, str | None], bool]) -> bool:
                return any(test(inst, hit.role) for inst, hit in named)

            lead = not has(lambda x, role: role == "melody" or (
                x.kind == "mono" and not x.can_bass and role is None))  # fmt: skip
            comp = not has(lambda x, role: role == "chords" or x.kind in ("poly", "pad"))
            low = not has(lambda x, role: role == "bass" or x.kind == "bass" or (
                x.can_bass and role is None))  # fmt: skip
            middle = BY_ID["strings" if quartet is not None else "piano"]
            named = (
                [(BY_ID["violin"], chamber)] * lead
                + named
                + [(middle, chamber)] * comp
                + [(BY_ID["cello"], chamber)] * low
            )
            self.trio = (named[0][0], chamber)
            self.chamber = True
        pitched = [p for p in named if p[0].kind != "bass"]
        # a trio (a classical one is piano, violin and cello: left to the rules below) is a
        # lead instrument, bass and drums; the piano unless the prompt names another
        if trio is not None and style_id != "classical" and len(pitched) <= 1:
            if not pitched:
                pitched = [(BY_ID["piano"], trio)]
                named.append(pitched[0])
            self.trio = (pitched[0][0], trio)
            if style_id is None and not any(
                p[0].kind == "bass" and not _generic_bass(*p) for p in named
            ):
                programs["bass"] = 32  # a trio's bass is the double bass
        assigned: dict[str, tuple[Instrument, Hit]] = {}
        pending = list(named)

        def take(stem: str, pick: tuple[Instrument, Hit]) -> None:
            assigned[stem] = pick
            if pick in pending:
                pending.remove(pick)

        for inst, hit in named:
            if hit.role in ROLE_STEMS:
                if hit.role in assigned:
                    self.conflicts.append(_kept(hit.role, assigned[hit.role][1].text, hit.text))
                    pending.remove((inst, hit))
                else:
                    take(hit.role, (inst, hit))
        for pick in [p for p in pending if p[0].kind == "bass"]:
            if "bass" not in assigned:
                take("bass", pick)
        # Pads only lead when the prompt says so (合成器铺底 is chords, never the tune).
        order = {"melody": ("mono", "poly"), "chords": ("poly", "pad", "mono")}
        for stem, kinds in order.items():
            for kind in kinds:
                if stem in assigned:
                    break
                found = next((p for p in pending if p[0].kind == kind), None)
                if found is not None:
                    take(stem, found)
        if "bass" not in assigned:
            found = next((p for p in pending if p[0].can_bass), None)
            if found is not None:
                take("bass", found)
        for _, hit in pending:
            self.conflicts.append(
                f"instrument: {hit.text} — every stem already has an instrument; left out"
            )
        pitched = [p for p in named if p[0].kind != "bass"]
        if len(pitched) == 1 and "chords" not in assigned and pitched[0][0].kind == "poly":
            if assigned.get("melody") == pitched[0]:
                assigned["chords"] = pitched[0]
        for stem in ROLE_STEMS:
            if stem in assigned:
                inst, hit = assigned[stem]
                guitar = _guitar_of(style_id, stem, inst, hit) if stem != "bass" else None
                program = (
                    hit.program
                    if hit.program is not None and stem != "bass"
                    else _bass_of(style_id, programs["bass"])
                    if stem == "bass" and _generic_bass(inst, hit)
                    else guitar
                    if guitar is not None
                    else inst.program_for(stem)
                )  # fmt: skip
                programs[stem] = program
                self.understood.append(f"{stem}: {program_label(program)} ({hit.text})")
        stems = self._stems(named, assigned)
        # An ensemble sound with its own bass (chiptune: square waves over a synth bass; a
        # synth) gives the free bass that program when no style names one.
        if "bass" not in assigned and style_id is None and "bass" in stems:
            kit = next((p for p in pitched if p[0].programs[2] != p[0].programs[0]), None)
            if kit is not None:
                programs["bass"] = kit[0].program_for("bass")
                self.understood.append(f"bass: {program_label(programs['bass'])} ({kit[1].text})")
        self._avoid_refused(programs, assigned, stems)
        return programs, tuple(s for s in ROLE_STEMS if s in assigned), stems

    def _avoid_refused(
        self,
        programs: dict[str, int],
        assigned: dict[str, tuple[Instrument, Hit]],
        stems: tuple[str, ...],
    ) -> None:
        """不要钢琴 / "no piano": a default program that is a refused instrument is swapped for
        the first stand-in that is not refused either, in the stems that play ("no bass"
        turns the bass off: it needs no other bass)."""
        refused = {
            p: hit.text
            for hit in self.hits
            if hit.negated and hit.has("instrument") and not hit.has("bass_line")
            for p in BY_ID[hit.values("instrument")[0]].programs
        }
        for stem in ROLE_STEMS:
            if stem in assigned or stem not in stems or programs[stem] not in refused:
                continue
            stand_in = next((p for p in STAND_INS[stem] if p not in refused), programs[stem])
            self.understood.append(
                f"{stem}: {program_label(stand_in)} (instead of {refused[programs[stem]]})"
            )
            programs[stem] = stand_in

    def _stems(
        self, named: list[tuple[Instrument, Hit]], assigned: dict[str, tuple[Instrument, Hit]]
    ) -> tuple[str, ...]:
        def expand(value: str) -> tuple[str, ...]:
            return ("chords", "bass", "drums") if value == "accompaniment" else (value,)

        off: dict[str, str] = {}
        on: dict[str, str] = {}
        only: dict[str, str] = {}
        for hit in self.hits:
            if hit.negated and hit.has("bass_line"):
                continue  # "no walking bass": a bass, not a walking one
            if hit.has("stem"):
                target = off if hit.negated else (only if hit.only else on)
                for value in hit.values("stem"):
                    for stem in expand(value):
                        target.setdefault(stem, hit.text)
            elif hit.has("instrument") and BY_ID[hit.values("instrument")[0]].kind == "bass":
                target = off if hit.negated else (only if hit.only else on)
                target.setdefault("bass", hit.text)
        solo = [
            (inst, hit) for inst, hit in named if (hit.solo or hit.only) and inst.kind != "bass"
        ]
        duet = next((h for h in self.hits if h.has("duet") and not h.negated), None)
        trio = self.trio
        reason = ""
        # Naming a part that plays anyway (伴奏, a bass instrument, "with piano chords")
        # leaves the set as it was, drums undecided: the model (models.pipeline) decides
        # them for the style. Drums said on, anything said off, only, solo or duet settle it.
        drums_said = any(
            hit.has("stem") and not hit.negated and "drums" in hit.values("stem")
            for hit in self.hits
        )
        self.stems_named = bool(only or solo or duet or trio or off or drums_said)
        if only:
            stems = set(only)
            texts = list(only.values())
            # "只要钢琴和贝斯", "only piano and bass": the melodic instrument named with "only"
            # plays too (the take was the bass alone)
            for hit in self.hits:  # every mention: "钢琴曲,只要钢琴和贝斯" names piano twice
                if not hit.only or hit.negated or not hit.has("instrument"):
                    continue
                inst = BY_ID[hit.values("instrument")[0]]
                if inst.kind == "bass":
                    continue
                stems.add("melody")
                if inst.kind in ("poly", "pad"):
                    stems.add("chords")
                texts.insert(0, hit.text)
            reason = "only " + ", ".join(dict.fromkeys(texts))
        elif solo:
            stems = {"melody"}
            if any(inst.kind in ("poly", "pad") for inst, _ in solo):
                stems.add("chords")
            # 钢琴独奏加鼓, "piano solo with bass": drums or bass named on purpose
            stems |= {s for s in on if s in ("drums", "bass")}
            reason = "solo: " + ", ".join(hit.text for _, hit in solo)
        elif duet is not None:
            stems = {"melody", "chords"} | {s for s in on if s == "drums"}
            reason = f"duet: {duet.text}"
        elif trio is not None and self.chamber:
            # drums only when said: "string quartet with drums"
            stems = {"melody", "chords", "bass"} | {s for s in on if s == "drums"}
            kind = "a string quartet" if trio[1].has("quartet") else "a classical trio"
            reason = f"{kind}{'' if 'drums' in stems else ', no drums'} ({trio[1].text})"
        elif trio is not None:
            lead, hit = trio
            stems = {"melody", "bass", "drums"} | (
                {"chords"} if lead.kind in ("poly", "pad") else set()
            )
            reason = f"trio: {lead.id.replace('_', ' ')}, bass, drums ({hit.text})"
        else:
            stems = set(STEMS)
        for stem, text in off.items():
            if stem in on:
                self.conflicts.append(_kept(stem, text, on[stem]))
            if stem in stems:
                stems.discard(stem)
                reason = f"{reason}; " if reason else ""
                reason += text
        if not stems:
            self.conflicts.append("stems: every stem was turned off — kept all four")
            stems = set(STEMS)
            reason = ""
        ordered = tuple(s for s in STEMS if s in stems)
        if ordered != STEMS:
            self.understood.append(f"stems: {', '.join(ordered)} ({reason})")
        return ordered
