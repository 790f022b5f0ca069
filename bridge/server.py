"""The OSC server: UDP (default) or TCP transport, request routing, replies.

One receive thread reads packets and answers ``ping``, ``status`` and ``cancel`` at once; jobs
go to the ``JobBoard``'s single worker, so the server keeps answering while a job runs.
Replies go back to the sender, or to ``reply_port`` on the sender's host. A packet that does
not decode is logged (rate-limited) and dropped; every message that decodes gets an answer,
except replies (``/multitrack/pong`` …) sent to us, which are ignored so two peers cannot
loop.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge import protocol, verbs, wire
from bridge.jobs import JobBoard, ReplyFn, Runner
from bridge.outdir import FolderLock, clean_stale_takes, prepare_folder
from bridge.protocol import JobSpec, Reply
from bridge.transport import IDLE_TIMEOUT, Channel, Sender, TcpServer, UdpServer
from multitrack.errors import MultitrackError
from multitrack.song import DRUM_NOTES, STEMS

if TYPE_CHECKING:
    from multitrack.take import Take

log = logging.getLogger(__name__)

Describe = Callable[[JobSpec], dict[str, Any]]


class ServerError(MultitrackError):
    """A server that cannot start as configured."""

    code = "server"


def server_version() -> str:
    """What ``pong`` answers: package version and protocol version."""
    try:
        package = metadata.version("multitrack")
    except metadata.PackageNotFoundError:
        package = "unknown"
    return f"multitrack {package} osc/{protocol.PROTOCOL_VERSION}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServerConfig:
    """Where to listen and write. ``port`` 0 picks a free port; ``capacity`` bounds the
    waiting jobs; ``grace`` is the seconds a shutdown lets the running job finish;
    ``idle_timeout`` the seconds a TCP connection with no request in flight may stay silent."""

    out: Path
    host: str = "127.0.0.1"
    port: int = 9000
    tcp: bool = False
    token: str | None = None
    capacity: int = 8
    grace: float = 30.0
    idle_timeout: float = IDLE_TIMEOUT

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ServerError(f"port must be 0-65535, got {self.port}")
        if self.token is not None and not self.token:
            raise ServerError("--token must not be empty")
        if self.token is None and not is_loopback(self.host):
            raise ServerError(
                f"binding to {self.host} exposes the server to the network; "
                "give --token SECRET (clients send it as 'token SECRET')"
            )
        if not self.idle_timeout > 0:
            raise ServerError(f"--idle-timeout must be positive seconds, got {self.idle_timeout:g}")
        if not 1 <= self.capacity <= 10_000:
            raise ServerError(f"queue capacity must be 1-10000, got {self.capacity}")


def describe_request(spec: JobSpec) -> dict[str, Any]:
    """The ``accepted`` record: for a new take, the parsed prompt with the request's
    overrides applied; for an edit, what it changes."""
    ask = spec.ask
    if spec.source is None:
        from models.text import apply_overrides, parse_prompt

        attributes = apply_overrides(parse_prompt(ask.prompt), bars=ask.bars, bpm=ask.bpm,
                                     key=ask.key, meter=ask.meter, stems=ask.stems,
                                     form=ask.form)  # fmt: skip
        return dict(attributes.to_json())
    if spec.kind == "refine":
        from models.refinement import read_change

        change = read_change(ask.prompt)
        return {"from_job": spec.source, "feedback": change.to_json(), "seed": ask.seed}
    return {
        "from_job": spec.source,
        "keep": list(ask.keep),
        "chords": None if ask.progression is None else ask.progression.text,
        "chord_notes": None if ask.chord_notes is None else len(ask.chord_notes),
        "repaint": None if ask.repaint is None else list(ask.repaint),
        "seed": ask.seed,
    }


def done_replies(spec: JobSpec, take: Take) -> list[Reply]:
    """``done``, preceded by the take's notes in chunks when the request asked for them. The
    take is already in place, so a failure to read the notes back costs only the notes."""
    replies: list[Reply] = []
    if spec.notes:
        try:
            replies += note_replies(spec.job, take)
        except Exception:
            log.exception(
                "could not read the notes of take %s; sending done without them", take.dir
            )
    replies.append(protocol.done(spec.job, take.dir, take.files))
    return replies


def note_replies(job: str, take: Take) -> list[Reply]:
    """Every stem's notes as ``notes`` replies (quarter-note beats where song.mid plays them,
    its style's swing included; drums as GM notes)."""
    from multitrack.midi_io import PPQ, step_ticks
    from multitrack.swing import swing_of
    from multitrack.take import read_take

    song, _ = read_take(take.dir)
    tick = step_ticks(song.meter, *swing_of(song.style))
    replies: list[Reply] = []
    for stem in STEMS:
        notes = [
            (
                DRUM_NOTES[n.pitch] if stem == "drums" else n.pitch,
                tick(n.start) / PPQ,
                (tick(n.end) - tick(n.start)) / PPQ,
                n.velocity,
            )
            for n in song.stems[stem].notes
        ]
        replies += protocol.notes_chunks(job, stem, notes)
    return replies


class Bridge:
    """Routes decoded messages: token check, parsing, answers, job submission."""

    def __init__(
        self, config: ServerConfig, board: JobBoard, *, describe: Describe, version: str
    ) -> None:
        self.config = config
        self.board = board
        self.describe = describe
        self.version = version
        self.malformed = 0
        # takes whose deferred work (preview.png) runs once their `done` is sent, by job id
        self._unfinished: dict[str, Take] = {}
        self._unfinished_lock = threading.Lock()

    @property
    def out(self) -> Path:
        return self.config.out

    def handle_packet(self, data: bytes, sender: Sender, channel: Channel) -> None:
        try:
            messages = wire.decode_packet(data)
        except wire.MalformedPacket as exc:
            self.malformed += 1
            if self.malformed <= 10 or self.malformed % 1000 == 0:
                log.warning(
                    "malformed packet #%d (%d bytes) from %s:%d dropped: %s",
                    self.malformed, len(data), sender[0], sender[1], exc,
                )  # fmt: skip
            return
        for address, args in messages:
            try:
                self.handle_message(address, args, sender, channel)
            except Exception:  # never let one message take the receive loop down
                log.exception("could not answer %s from %s:%d", address, *sender)

    def handle_message(
        self, address: str, args: list[Any], sender: Sender, channel: Channel
    ) -> None:
        if address in protocol.REPLIES:
            log.debug("ignored reply %s from %s:%d", address, *sender)
            return
        job = verbs.error_job_of(address, args)
        envelope = verbs.parse_envelope(address, args)
        if self.config.token is not None and not hmac.compare_digest(
            (envelope.token or "").encode(), self.config.token.encode()
        ):
            # Unauthenticated requests are answered only to their sender, never redirected.
            message = "this server needs its shared token: add the option token <secret>"
            channel.reply_fn(sender, None)(*protocol.error(job, "unauthorized", message))
            return
        reply = channel.reply_fn(sender, envelope.reply_port)
        try:
            verb, request = verbs.parse_request(address, args)
            verb.handle(self, request, reply)
        except MultitrackError as exc:
            reply(*protocol.error(job, getattr(exc, "code", "bad_request"), str(exc)))
        except Exception as exc:
            log.exception("request %s failed", address)
            reply(*protocol.error(job, "internal", f"internal error: {type(exc).__name__}: {exc}"))

    def submit(self, spec: JobSpec, reply: ReplyFn) -> None:
        """Queue a job verb's request, refusing a job id whose take (or one of its
        variations') exists and an edit of a take that is neither on disk nor queued."""
        out = self.out
        # the take and its variations (<job>-2 ... <job>-K), all refused up front
        names = [spec.job] + [f"{spec.job}-{k}" for k in range(2, (spec.ask.variations or 1) + 1)]
        for name in names:
            target = protocol.resolve_take_dir(out, name)
            if target.exists() or target.is_symlink():
                raise protocol.ProtocolError(
                    "duplicate_job", f"a take named {name!r} already exists in {out}"
                )
        if spec.source is not None:
            source = protocol.resolve_take_dir(out, spec.source)
            if not source.is_dir() and not self.board.knows(spec.source):
                raise protocol.ProtocolError(
                    "unknown_take", f"no take or job named {spec.source!r} in {out}"
                )

        def accepted() -> Reply:  # made on the intake thread: parsing a prompt takes a while
            record = json.dumps(self.describe(spec), ensure_ascii=False, separators=(",", ":"))
            return protocol.accepted(spec.job, record)

        self.board.submit(spec, self._finishing(spec.job, reply), accepted)

    def done_first(self, spec: JobSpec, take: Take, *more: Any) -> list[Reply]:
        """The board's ``done_replies``: those of ``done_replies``, with the take's deferred
        work (its preview) held until ``done`` has gone out (``_finishing``)."""
        try:
            made = done_replies(spec, take, *more)
        except BaseException:
            _finish_take(take)
            raise
        if take.pending:
            with self._unfinished_lock:
                self._unfinished[spec.job] = take
        return made

    def _finishing(self, job: str, reply: ReplyFn) -> ReplyFn:
        """``reply``, then, once ``done`` of ``job`` is sent (or failed to send), the take's
        deferred work: the DAW does not wait for preview.png."""

        def send(address: str, args: list[Any]) -> None:
            try:
                reply(address, args)
            finally:
                if address == protocol.DONE:
                    self.finish(job)

        return send

    def finish(self, job: str | None = None) -> None:
        """Run the deferred work of ``job``'s take (None: of every take still holding some)."""
        with self._unfinished_lock:
            jobs = list(self._unfinished) if job is None else [job]
            takes = [t for t in (self._unfinished.pop(j, None) for j in jobs) if t is not None]
        for take in takes:
            _finish_take(take)


def _finish_take(take: Take) -> None:
    from multitrack.take import finish_take

    finish_take(take)


class OscServer:
    """The server: ``start()`` binds and starts the worker; ``stop()`` answers every job
    (finishing or cancelling the running one) and closes the socket."""

    def __init__(
        self,
        config: ServerConfig,
        runner: Runner,
        *,
        describe: Describe = describe_request,
        version: str | None = None,
        lock: FolderLock | None = None,
    ) -> None:
        self.config = config
        self.board = JobBoard(runner, capacity=config.capacity, done_replies=self._done_replies)
        self.bridge = Bridge(
            config, self.board, describe=describe, version=version or server_version()
        )
        self._server: UdpServer | TcpServer | None = None
        self._thread: threading.Thread | None = None
        self.lock = lock or FolderLock(config.out)
        self.removed: list[Path] = []

    def _done_replies(self, spec: JobSpec, take: Take) -> list[Reply]:
        return self.bridge.done_first(spec, take)

    @property
    def address(self) -> Sender:
        if self._server is None:
            raise ServerError("the server is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"{'tcp' if self.config.tcp else 'udp'}://{host}:{port}"

    def start(self) -> None:
        """Own the output folder (one server each), bind, then remove the hidden takes of
        writers that are gone (``self.removed``); a server that cannot bind removes nothing."""
        out = prepare_folder(self.config.out)
        self.lock.acquire()
        address = (self.config.host, self.config.port)
        try:
            if self.config.tcp:
                self._server = TcpServer(address, self.bridge, idle=self.config.idle_timeout)
            else:
                self._server = UdpServer(address, self.bridge)
        except OSError as exc:
            self.lock.release()
            raise ServerError(
                f"cannot listen on {address[0]}:{address[1]}: {exc.strerror}"
            ) from None
        self.removed = clean_stale_takes(out)
        self.board.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def stop(self, *, grace: float | None = None) -> None:
        self.board.shutdown(grace=self.config.grace if grace is None else grace)
        if self._server is not None:
            self._server.shutdown()
            if isinstance(self._server, TcpServer):
                with self._server.connections_lock:
                    for conn in list(self._server.connections):
                        try:
                            conn.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self.bridge.finish()  # a take whose done never went out still gets its preview
        self.lock.release()
