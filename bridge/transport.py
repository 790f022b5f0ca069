"""OSC transports on sockets: UDP datagrams and TCP streams (SLIP or size-prefixed frames),
and the channels replies travel back on. They hand every packet to a ``PacketHandler`` (the
server's router) with the sender's address and the ``Channel`` to answer on.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
import time
from typing import Any, Protocol

from bridge import protocol, wire
from bridge.jobs import ReplyFn

log = logging.getLogger(__name__)

Sender = tuple[str, int]
TERMINAL = (protocol.PONG, protocol.DONE, protocol.ERROR, protocol.STATE)
TCP_SEND_TIMEOUT = 5.0  # seconds before a TCP client that stopped reading is given up
# A TCP connection with no job of its own in flight that sends nothing for this long is
# closed (each holds a thread); a client waiting on a job is never cut off.
IDLE_TIMEOUT = 120.0
# Pending connections the kernel queues: bench/osc_load.py connects 50 clients at once.
LISTEN_BACKLOG = 128


class Channel(Protocol):
    """A transport's way back to a client."""

    def reply_fn(self, sender: Sender, reply_port: int | None) -> ReplyFn: ...


class PacketHandler(Protocol):
    """Whoever routes packets: ``bridge.server.Bridge``."""

    def handle_packet(self, data: bytes, sender: Sender, channel: Channel) -> None: ...


def _send_quietly(sock: socket.socket, data: bytes, target: Sender | None = None) -> None:
    try:
        if target is None:
            sock.sendall(data)
        else:
            sock.sendto(data, target)
    except OSError as exc:
        log.warning("reply not delivered to %s: %s", target or "TCP client", exc)


class UdpChannel:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def reply_fn(self, sender: Sender, reply_port: int | None) -> ReplyFn:
        target = (sender[0], reply_port or sender[1])

        def send(address: str, args: list[Any]) -> None:
            _send_quietly(self.sock, wire.encode_message(address, args), target)

        return send


class TcpChannel:
    """Replies on the client's connection, or on a connection dialled back to reply_port
    (closed after the request's terminal reply). ``open_jobs`` holds the connection's
    accepted jobs still without a terminal reply."""

    def __init__(
        self, conn: socket.socket, framing: str, lock: threading.Lock, open_jobs: set[str]
    ) -> None:
        self.conn, self.framing, self.lock, self.open_jobs = conn, framing, lock, open_jobs

    def reply_fn(self, sender: Sender, reply_port: int | None) -> ReplyFn:
        if reply_port is None:
            conn, lock = self.conn, self.lock
        else:
            conn, lock = socket.socket(socket.AF_INET, socket.SOCK_STREAM), threading.Lock()
            conn.settimeout(TCP_SEND_TIMEOUT)
            try:
                conn.connect((sender[0], reply_port))
            except OSError as exc:
                log.warning("cannot reach reply_port %s:%d: %s", sender[0], reply_port, exc)

        def send(address: str, args: list[Any]) -> None:
            data = wire.frame(wire.encode_message(address, args), self.framing)
            with lock:
                if reply_port is None and args:
                    if address == protocol.ACCEPTED:
                        self.open_jobs.add(str(args[0]))
                    elif address in (protocol.DONE, protocol.ERROR):
                        self.open_jobs.discard(str(args[0]))
                _send_quietly(conn, data)
                if reply_port is not None and address in TERMINAL:
                    conn.close()

        return send


class UdpServer(socketserver.UDPServer):
    max_packet_size = 65535

    def __init__(self, address: Sender, bridge: PacketHandler) -> None:
        self.bridge = bridge
        super().__init__(address, UdpHandler)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        except OSError:
            pass


class UdpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        server: UdpServer = self.server  # type: ignore[assignment]
        server.bridge.handle_packet(data, self.client_address, UdpChannel(sock))


class TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(
        self, address: Sender, bridge: PacketHandler, *, idle: float = IDLE_TIMEOUT
    ) -> None:
        self.bridge = bridge
        self.idle = idle
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, TcpHandler)


class TcpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: TcpServer = self.server  # type: ignore[assignment]
        conn: socket.socket = self.request
        conn.settimeout(min(TCP_SEND_TIMEOUT, server.idle))
        with server.connections_lock:
            server.connections.add(conn)
        reader = wire.FrameReader()
        lock = threading.Lock()
        open_jobs: set[str] = set()
        heard = time.monotonic()
        try:
            while True:
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    with lock:
                        idle = not open_jobs and time.monotonic() - heard >= server.idle
                    if idle:
                        log.info("closing TCP connection from %s:%d: idle", *self.client_address)
                        return
                    continue
                if not data:
                    return
                heard = time.monotonic()
                for packet in reader.feed(data):
                    channel = TcpChannel(conn, reader.framing or wire.SIZED, lock, open_jobs)
                    server.bridge.handle_packet(packet, self.client_address, channel)
        except wire.MalformedPacket as exc:
            log.warning("closing TCP connection from %s:%d: %s", *self.client_address, exc)
        except OSError:
            return
        finally:
            with server.connections_lock:
                server.connections.discard(conn)
