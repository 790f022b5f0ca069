"""A small OSC client for the Multitrack server: send a request, collect its replies.

Over UDP the client binds its own socket (on 127.0.0.1 for a local server) and sends from
it, so replies come straight back without a ``reply_port``. Over TCP it keeps one connection
(SLIP framing, python-osc's default). ``run_job`` follows one job from ``accepted`` through
``progress`` and ``notes`` to its terminal ``done`` or ``error``.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge import protocol, wire
from bridge.server import is_loopback


@dataclass(frozen=True)
class Reply:
    """One message from the server."""

    address: str
    args: tuple[Any, ...]

    @property
    def job(self) -> str | None:
        """The job a reply is about (pong has none)."""
        if self.address == protocol.PONG or not self.args or not isinstance(self.args[0], str):
            return None
        return self.args[0]


@dataclass
class JobResult:
    """Everything the server said about one job. ``terminal`` is None on timeout."""

    job: str
    terminal: Reply | None = None
    attributes: dict[str, Any] | None = None
    progress: list[tuple[float, str]] = field(default_factory=list)
    notes: dict[str, list[list[float]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Done, or (when not waiting) accepted."""
        return self.terminal is not None and self.terminal.address in (
            protocol.DONE,
            protocol.ACCEPTED,
        )

    def to_json(self, *, read_song: bool = True) -> dict[str, Any]:
        """The record ``multitrack send`` prints: paths, attributes, song.json and notes on
        success; code and message on error or timeout."""
        record: dict[str, Any] = {"ok": self.ok, "job": self.job}
        if self.terminal is None:
            record.update(code="timeout", message="no terminal reply in time")
        elif self.terminal.address == protocol.ERROR:
            record.update(code=self.terminal.args[1], message=self.terminal.args[2])
        elif self.terminal.address == protocol.DONE:
            record["take_dir"] = self.terminal.args[1]
            record["files"] = protocol.done_files(self.terminal.args)
            song_json = Path(record["files"].get("json", ""))
            if read_song and song_json.is_file():
                record["song"] = json.loads(song_json.read_text(encoding="utf-8"))
        if self.attributes is not None:
            record["attributes"] = self.attributes
        if self.notes:
            record["notes"] = self.notes
        return record


def new_job_id(prefix: str = "job") -> str:
    """A fresh job id (also the take folder name): prefix, local time, 6 random hex digits."""
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


class OscClient:
    """One client socket. ``timeout`` is the default seconds to wait for replies."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9000,
        *,
        tcp: bool = False,
        token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.server = (host, port)
        self.tcp = tcp
        self.token = token
        self.timeout = timeout
        self._reader = wire.FrameReader(wire.SLIP)
        self._pending: list[Reply] = []
        if tcp:
            self.sock = socket.create_connection(self.server, timeout=timeout)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1" if is_loopback(host) else "0.0.0.0", 0))

    def __enter__(self) -> OscClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    @property
    def local_port(self) -> int:
        return int(self.sock.getsockname()[1])

    def send(self, address: str, args: Sequence[Any]) -> None:
        """Send one request; the token, when set, is appended as an option."""
        full = [*args, "token", self.token] if self.token is not None else list(args)
        data = wire.encode_message(address, full)
        if self.tcp:
            self.sock.sendall(wire.frame(data, wire.SLIP))
        else:
            self.sock.sendto(data, self.server)

    def receive(self, timeout: float) -> Reply | None:
        """The next reply, or None after ``timeout`` seconds. Undecodable packets are skipped."""
        deadline = time.monotonic() + max(0.0, timeout)
        while not self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return None
            except ConnectionResetError:  # an ICMP 'port unreachable' for an earlier datagram
                continue
            if self.tcp and not data:
                raise ConnectionError("the server closed the connection")
            packets = self._reader.feed(data) if self.tcp else [data]
            for packet in packets:
                try:
                    self._pending += [Reply(a, tuple(p)) for a, p in wire.decode_packet(packet)]
                except wire.MalformedPacket:
                    continue
        return self._pending.pop(0)

    def request(
        self, address: str, args: Sequence[Any], *, until: Callable[[Reply], bool], timeout: float
    ) -> Reply | None:
        """Send, then return the first reply ``until`` accepts (others are dropped), or None."""
        self.send(address, args)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.receive(deadline - time.monotonic())
            if reply is None or until(reply):
                return reply

    def ping(self, *, timeout: float | None = None) -> Reply | None:
        return self.request(
            protocol.PING, [], until=_is(protocol.PONG, protocol.ERROR), timeout=self._t(timeout)
        )

    def status(self, job: str | None = None, *, timeout: float | None = None) -> Reply | None:
        args = [] if job is None else [job]
        until = _for_job(job or "", protocol.STATE, protocol.ERROR)
        return self.request(protocol.STATUS, args, until=until, timeout=self._t(timeout))

    def cancel(self, job: str, *, timeout: float | None = None) -> Reply | None:
        until = _for_job(job, protocol.STATE, protocol.ERROR)
        return self.request(protocol.CANCEL, [job], until=until, timeout=self._t(timeout))

    def run_job(
        self,
        address: str,
        args: Sequence[Any],
        *,
        wait: bool = True,
        timeout: float | None = None,
        on_progress: Callable[[float, str], None] | None = None,
    ) -> JobResult:
        """Send a generate/regenerate (``args[0]`` is the job id) and follow its replies: up
        to ``accepted`` (or an error) without ``wait``, else to the terminal reply."""
        job = str(args[0])
        result = JobResult(job)
        self.send(address, args)
        deadline = time.monotonic() + self._t(timeout)
        while True:
            reply = self.receive(deadline - time.monotonic())
            if reply is None:
                return result
            if reply.job != job:
                continue
            if reply.address == protocol.ACCEPTED:
                result.attributes = _json_or_text(reply.args[1])
                if not wait:
                    result.terminal = reply
                    return result
            elif reply.address == protocol.PROGRESS:
                result.progress.append((float(reply.args[1]), str(reply.args[2])))
                if on_progress is not None:
                    on_progress(float(reply.args[1]), str(reply.args[2]))
            elif reply.address == protocol.NOTES:
                _add_notes(result.notes, reply.args)
            elif reply.address in (protocol.DONE, protocol.ERROR):
                result.terminal = reply
                return result

    def _t(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout


def _is(*addresses: str) -> Callable[[Reply], bool]:
    return lambda reply: reply.address in addresses


def _for_job(job: str, *addresses: str) -> Callable[[Reply], bool]:
    return lambda reply: reply.address in addresses and reply.job == job


def _add_notes(notes: dict[str, list[list[float]]], args: tuple[Any, ...]) -> None:
    """Append one ``notes`` chunk: [pitch, start_beat, length_beat, velocity] rows."""
    stem, flat = str(args[1]), args[4:]
    rows = notes.setdefault(stem, [])
    for i in range(0, len(flat) - 3, 4):
        rows.append(
            [
                int(flat[i]),
                round(float(flat[i + 1]), 4),
                round(float(flat[i + 2]), 4),
                int(flat[i + 3]),
            ]
        )


def _json_or_text(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"text": str(text)}
    return value if isinstance(value, dict) else {"value": value}
