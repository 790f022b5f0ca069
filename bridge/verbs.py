"""The table of OSC verbs: each request is one ``Verb`` row (address, positional arguments,
typed options with their limits, request builder, handler), the way python-osc's
``Dispatcher.map`` ties an address to a handler.

``parse_request`` reads a message through its row into a typed request; the server calls
the row's ``handle``. Adding a verb is adding a row here (and its section in docs/osc.md);
adding an option is adding a ``Param`` to a row. Job verbs (generate, regenerate …) build a
``JobSpec`` holding an ``Ask``, whose field an option fills by name (``Param.field``), so a
new option needs no new code when ``models.request.Ask`` already has the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bridge import protocol
from bridge.arguments import (
    ProtocolError,
    Reader,
    port_number,
    read_bar_range,
    read_chord_notes,
    read_chords,
    read_feedback,
    read_flag,
    read_form,
    read_integer,
    read_job,
    read_key,
    read_meter,
    read_number,
    read_port,
    read_prompt,
    read_stems,
    short,
    type_name,
)
from bridge.protocol import Control, Envelope, JobSpec
from models.request import (
    BARS,
    BPM,
    EXTEND,
    GUIDANCE,
    SEED,
    STEPS,
    VARIATIONS,
    Ask,
    Limit,
    LimitError,
)

RATING_LIMIT = Limit("rating", -1, 1, integer=True)

if TYPE_CHECKING:
    from bridge.jobs import JobBoard, ReplyFn

Values = Mapping[str, Any]
Builder = Callable[[Values, Envelope], Any]
Handler = Callable[["Context", Any, "ReplyFn"], None]


class Context(Protocol):
    """What a handler may use: the server's version, output folder, job board and intake."""

    version: str
    board: JobBoard

    @property
    def out(self) -> Path: ...

    def submit(self, spec: JobSpec, reply: ReplyFn) -> None: ...


@dataclass(frozen=True)
class Param:
    """One argument: its OSC name, how its value is read (type and limits), the ``Ask``
    field it fills (default: its name) and a line for docs and ``--help``."""

    name: str
    read: Reader
    help: str = ""
    field: str | None = None
    kind: type = str  # what a CLI flag of it takes: str, int, float or bool (a switch)

    @property
    def target(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class Verb:
    """One request: ``address <positional…> [optional] [key value]…``."""

    address: str
    positional: tuple[Param, ...]
    build: Builder
    handle: Handler
    options: tuple[Param, ...] = ()
    optional: Param | None = None  # a last positional that may be left out

    @property
    def name(self) -> str:
        return self.address.rsplit("/", 1)[-1]

    @property
    def makes_jobs(self) -> bool:
        return self.handle is submit_job

    def fixed(self, args: Sequence[Any]) -> int:
        """How many leading arguments are positional: the required ones, plus the optional
        one when what follows them is odd (options come in pairs)."""
        extra = self.optional is not None and (len(args) - len(self.positional)) % 2 == 1
        return len(self.positional) + int(extra)

    def option(self, name: str) -> Param | None:
        return next((p for p in self.options if p.name == name), None)


# -- the arguments, each defined once --------------------------------------------------------

JOB = Param("job", read_job, "the job id, also the take folder name")
FROM_JOB = Param("from_job", read_job, "the take to edit", field="source")
PROMPT = Param("prompt", read_prompt, "Chinese, English or both, 1-2,000 characters")
REPLY_PORT = Param("reply_port", read_port, "replies go to this port on the sender's host")
TOKEN = Param("token", lambda name, value: value, "the server's shared secret")
ENVELOPE: tuple[Param, ...] = (REPLY_PORT, TOKEN)

BARS_OPT = Param("bars", read_integer(BARS), f"int {BARS.span}: length in bars", kind=int)
SEED_OPT = Param("seed", read_integer(SEED), "int >= 0: random seed", kind=int)
BPM_OPT = Param("bpm", read_number(BPM), f"number {BPM.span}: tempo", kind=float)
KEY_OPT = Param("key", read_key, 'key, e.g. "A minor", "Am", "Eb", "D zhi"')
METER_OPT = Param("meter", read_meter, "meter: 4/4, 3/4, 2/4 or 6/8")
GUIDANCE_OPT = Param(
    "guidance", read_number(GUIDANCE), f"number {GUIDANCE.span}: guidance scale", kind=float
)
STEPS_OPT = Param("steps", read_integer(STEPS), f"int {STEPS.span}: sampler steps", kind=int)
STEMS_OPT = Param("stems", read_stems, "stems that play, e.g. melody,chords,bass")
NOTES_OPT = Param("notes", read_flag, "also send every stem's notes before done", kind=bool)
KEEP_OPT = Param("keep", read_stems, "stems kept note for note, e.g. chords,bass")
CHORDS_OPT = Param(
    "chords",
    read_chords,
    'forced progression: "Am F C G", "Am:2 F:2" or "I V vi IV"',
    "progression",
)
CHORD_NOTES_OPT = Param(
    "chord_notes", read_chord_notes, 'the edited chords clip: "pitch start_beat length_beat …"'
)
REPAINT_OPT = Param("repaint", read_bar_range, "bars regenerated, e.g. 5-8 or 3")
FORM_OPT = Param(
    "form", read_form, 'sections: "AABA", "intro A A B A outro", "主歌-副歌-主歌-副歌"'
)
VARIATIONS_OPT = Param(
    "variations",
    read_integer(VARIATIONS),
    f"int {VARIATIONS.span}: takes from one request",
    kind=int,
)
EXTEND_OPT = Param(
    "bars", read_integer(EXTEND), "int: bars added after the take (an ending)", "extend", kind=int
)
INTRO_OPT = Param(
    "intro", read_integer(EXTEND), "int: bars added before the take", "prepend", kind=int
)
FEEDBACK = Param("feedback", read_feedback, 'what to change: "太沉闷了", "more drums"', "prompt")


def read_rating(name: str, value: Any) -> int:
    """-1, 0 or 1 (as an integer or a digit string)."""
    try:
        return read_integer(RATING_LIMIT)(name, value)
    except LimitError:
        raise LimitError(f"{name} must be -1, 0 or 1, got {short(value)}") from None


RATING = Param("rating", read_rating, "int -1, 0 or 1: discard, neutral, keep")


# -- builders and handlers -----------------------------------------------------------------


def build_control(values: Values, envelope: Envelope) -> Control:
    port = values.get("port")
    if port is not None:
        envelope = Envelope(port, envelope.token)
    return Control(values.get("job"), envelope)


def job_builder(kind: str) -> Builder:
    """A job verb's builder: ``job``, ``from_job`` and ``notes`` go to the ``JobSpec``,
    every other value to the ``Ask`` field of its name."""

    def build(values: Values, envelope: Envelope) -> JobSpec:
        fields = {k: v for k, v in values.items() if k not in ("job", "source", "notes")}
        job, source = values["job"], values.get("source")
        if source == job:
            raise ProtocolError("bad_request", f"job {job!r} cannot {kind} from itself")
        if kind == "extend" and not (fields.get("extend") or fields.get("prepend")):
            raise ProtocolError(
                "bad_request", "extend adds bars: give bars (after the take) or intro (before it)"
            )
        return JobSpec(job, kind, Ask(**fields), source, bool(values.get("notes", False)))

    return build


def answer_ping(ctx: Context, request: Control, reply: ReplyFn) -> None:
    reply(*protocol.pong(ctx.version))


def answer_status(ctx: Context, request: Control, reply: ReplyFn) -> None:
    record = ctx.board.status(request.job)
    if request.job is None:
        record = {"version": ctx.version, **record}
    reply(*protocol.state(request.job or "", record))


def answer_cancel(ctx: Context, request: Control, reply: ReplyFn) -> None:
    assert request.job is not None
    reply(*protocol.state(request.job, ctx.board.cancel(request.job)))


def submit_job(ctx: Context, spec: JobSpec, reply: ReplyFn) -> None:
    ctx.submit(spec, reply)


@dataclass(frozen=True)
class Rating:
    """``/multitrack/rate``: a take (by job id) and -1, 0 or 1."""

    job: str
    rating: int


def build_rating(values: Values, envelope: Envelope) -> Rating:
    return Rating(values["job"], values["rating"])


def answer_rate(ctx: Context, request: Rating, reply: ReplyFn) -> None:
    """Store the rating with the take's features (``multitrack.prefs``) and answer at once
    with ``state``: the take, its rating, how many takes are rated, whether the preference
    model is active. A take that does not exist is ``unknown_take``."""
    from multitrack.prefs import PreferenceStore
    from multitrack.take import read_take

    out = ctx.out
    take_dir = protocol.resolve_take_dir(out, request.job)
    if not take_dir.is_dir():
        raise ProtocolError("unknown_take", f"no take named {request.job!r} in {out}")
    song, _ = read_take(take_dir)
    store = PreferenceStore.open(out)
    try:
        store.add_rating(request.job, request.rating, song)
        rated = len(store.ratings())
        active = store.model() is not None
    finally:
        store.close()
    record = {"rated": request.rating, "ratings": rated, "preferences_active": active}
    reply(*protocol.state(request.job, record))


# -- the table -----------------------------------------------------------------------------

VERBS: tuple[Verb, ...] = (
    Verb(protocol.PING, (), build_control, answer_ping,
         optional=Param("port", read_port, "int: reply port")),
    Verb(protocol.STATUS, (), build_control, answer_status, optional=JOB),
    Verb(protocol.CANCEL, (JOB,), build_control, answer_cancel),
    Verb(protocol.GENERATE, (JOB, PROMPT), job_builder("generate"), submit_job,
         options=(BARS_OPT, SEED_OPT, BPM_OPT, KEY_OPT, METER_OPT, GUIDANCE_OPT, STEPS_OPT,
                  STEMS_OPT, NOTES_OPT, FORM_OPT, VARIATIONS_OPT)),
    Verb(protocol.REGENERATE, (JOB, FROM_JOB), job_builder("regenerate"), submit_job,
         options=(KEEP_OPT, CHORDS_OPT, CHORD_NOTES_OPT, REPAINT_OPT, SEED_OPT, GUIDANCE_OPT,
                  STEPS_OPT, NOTES_OPT)),
    Verb(protocol.REFINE, (JOB, FROM_JOB, FEEDBACK), job_builder("refine"), submit_job,
         options=(SEED_OPT, STEPS_OPT, NOTES_OPT)),
    Verb(protocol.RATE, (JOB, RATING), build_rating, answer_rate),
    Verb(protocol.EXTEND, (JOB, FROM_JOB), job_builder("extend"), submit_job,
         options=(EXTEND_OPT, INTRO_OPT, SEED_OPT, GUIDANCE_OPT, STEPS_OPT, NOTES_OPT)),
)  # fmt: skip
BY_ADDRESS: dict[str, Verb] = {verb.address: verb for verb in VERBS}


def parse_request(address: str, args: Sequence[Any]) -> tuple[Verb, Any]:
    """One OSC message through its row: the verb and its typed request. Raises
    ``ProtocolError`` for the request's shape, and the value errors of the readers."""
    verb = BY_ADDRESS.get(address)
    if verb is None:
        raise ProtocolError(
            "unknown_address", f"unknown address {short(address)}; try {protocol.PING}"
        )
    if len(args) < len(verb.positional):
        names = " ".join(f"<{p.name}>" for p in verb.positional)
        raise ProtocolError("bad_request", f"{address} needs {names}")
    fixed = verb.fixed(args)
    params = verb.positional + ((verb.optional,) if verb.optional is not None else ())
    values = {
        p.target: p.read(p.name, value) for p, value in zip(params, args[:fixed], strict=False)
    }
    allowed = {p.name: p for p in (*verb.options, *ENVELOPE)}
    options = _pairs(address, args[fixed:], allowed)
    for key, value in options.items():
        param = allowed.get(key)
        if param is None:
            known = ", ".join(allowed)
            raise ProtocolError(
                "bad_request", f"{address}: unknown option {short(key)}; options are {known}"
            )
        if param in verb.options:
            values[param.target] = param.read(key, value)
    return verb, verb.build(values, _envelope(options))


def parse_envelope(address: str, args: Sequence[Any]) -> Envelope:
    """Best-effort reply port and token of a message, even one whose other arguments are bad,
    so an error still reaches ``reply_port``. Never raises."""
    verb = BY_ADDRESS.get(address)
    fixed = verb.fixed(args) if verb is not None else 0
    reply_port: int | None = None
    token: str | None = None
    rest = list(args[fixed:])
    # names in their places first; then anywhere, so a stray argument before them ("bars=4"
    # in an oscsend line) does not send the error to a port nobody listens on
    for step in (2, 1):
        for i in range(0, len(rest) - 1, step):
            key, value = rest[i], rest[i + 1]
            if key == "reply_port" and reply_port is None:
                try:
                    reply_port = port_number(value)
                except ValueError:
                    pass
            elif key == "token" and isinstance(value, str) and token is None:
                token = value
    if verb is not None and verb.optional is not None and verb.optional.read is read_port:
        if fixed > len(verb.positional):
            try:
                reply_port = port_number(args[len(verb.positional)])
            except ValueError:
                pass
    return Envelope(reply_port, token)


def error_job_of(address: str, args: Sequence[Any]) -> str:
    """The job id to put in an error reply: the request's own job argument when it is a
    string (truncated), else ""."""
    verb = BY_ADDRESS.get(address)
    if verb is None or not args or not isinstance(args[0], str):
        return ""
    first = verb.positional[0] if verb.positional else verb.optional
    if first is JOB and verb.fixed(args) > 0:
        return args[0][:100]
    return ""


def _pairs(address: str, rest: Sequence[Any], allowed: Mapping[str, Any]) -> dict[str, Any]:
    if len(rest) % 2:
        # the stray argument: the first in a name's place that names no option ("bars=4"
        # before "reply_port 46716" was reported as "46716 has no value")
        stray = next((k for k in rest[::2] if not (isinstance(k, str) and k in allowed)), rest[-1])
        raise ProtocolError(
            "bad_request",
            f"{address}: options come in key value pairs; {short(stray)} is not an option "
            f"name followed by its value",
        )
    options: dict[str, Any] = {}
    for key, value in zip(rest[::2], rest[1::2], strict=True):
        if not isinstance(key, str):
            raise ProtocolError(
                "bad_request", f"{address}: option names are strings, got {type_name(key)}"
            )
        if key in options:
            raise ProtocolError("bad_request", f"{address}: option {short(key)} given twice")
        options[key] = value
    return options


def _envelope(options: Mapping[str, Any]) -> Envelope:
    port, token = options.get("reply_port"), options.get("token")
    if token is not None and not isinstance(token, str):
        raise ProtocolError("unauthorized", "token must be a string")
    return Envelope(None if port is None else port_number(port), token)
