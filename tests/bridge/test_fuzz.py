"""10,000 random and malformed packets over UDP: the server stays up, answers ping, and
answers every well-formed request message exactly once (an error when it is invalid).

Packets go in windows of 10 followed by a ``status`` barrier; the server handles packets in
order on one thread, so the replies before the barrier's answer are exactly the replies to
that window.
"""

from __future__ import annotations

import random
import socket
import struct
from pathlib import Path
from typing import Any

from osc_testing import WAIT, running_server
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge import protocol, verbs, wire
from bridge.outdir import LOCK_NAME
from bridge.protocol import Control

REQUESTS = [verb.address for verb in verbs.VERBS]

PACKETS = 10_000
WINDOW = 10
ADDRESSES = [*REQUESTS, *protocol.REPLIES, "/multitrack", "/multitrack/*", "/", "/x/y"]
JOBS = ["j1", "../x", "", ".h", "a" * 80, "ok-job", "/abs", "名字", 7]


def _value(rng: random.Random) -> Any:
    kind = rng.randrange(9)
    if kind == 0:
        return rng.randrange(-(2**31), 2**31)
    if kind == 1:
        return rng.uniform(-1e6, 1e6)
    if kind == 2:
        return "".join(rng.choice("abc 中文,:/-.0123456789") for _ in range(rng.randrange(20)))
    if kind == 3:
        return rng.choice(["bars", "seed", "bpm", "key", "chords", "keep", "notes", "token"])
    if kind == 4:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
    if kind == 5:
        return rng.choice([True, False, None])
    if kind == 6:
        return rng.choice(JOBS)
    if kind == 7:
        return "x" * rng.choice([300, 2500, 5000, 12000])
    return rng.randrange(-5, 70)


def _message(rng: random.Random) -> bytes:
    builder = OscMessageBuilder(rng.choice(ADDRESSES))
    for _ in range(rng.randrange(7)):
        value = _value(rng)
        if value is None:
            builder.add_arg(value, "N")
        elif isinstance(value, bytes):
            builder.add_arg(value, "b")
        elif isinstance(value, bool):
            builder.add_arg(value, "T" if value else "F")
        elif isinstance(value, int) and rng.random() < 0.2:
            builder.add_arg(value, "h")
        elif isinstance(value, float) and rng.random() < 0.2:
            builder.add_arg(value, "d")
        else:
            builder.add_arg(value)
    return bytes(builder.build().dgram)


def _bundle(contents: list[bytes]) -> bytes:
    head = b"#bundle\x00" + struct.pack(">Q", 1)
    return head + b"".join(struct.pack(">i", len(c)) + c for c in contents)


def fuzz_packet(rng: random.Random) -> bytes:
    kind = rng.randrange(8)
    if kind == 0:  # random bytes, sometimes dressed as OSC
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        return rng.choice([b"", b"/", b"#bundle\x00"]) + raw
    message = _message(rng)
    if kind == 1:  # truncated
        return message[: rng.randrange(len(message) + 1)]
    if kind == 2:  # bad type tags
        data = bytearray(message)
        comma = data.find(b",")
        if comma > 0:
            data[comma + 1 : comma + 2] = bytes([rng.randrange(32, 127)])
        return bytes(data)
    if kind == 3:  # bit flips
        data = bytearray(message)
        for _ in range(rng.randrange(1, 4)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind == 4:  # nested bundles, sometimes too deep
        packet = message
        for _ in range(rng.randrange(1, 11)):
            packet = _bundle([packet] + [_message(rng) for _ in range(rng.randrange(2))])
        return packet
    if kind == 5:  # a huge string argument
        return wire.encode_message(rng.choice(REQUESTS), ["j", "p" * 15000])
    return message  # well-formed, random arguments


def expected_replies(packet: bytes) -> list[str] | None:
    """Reply addresses the server owes, or None to skip a packet whose answer would leave
    this socket (a valid reply_port) or that would start a real job."""
    try:
        messages = wire.decode_packet(packet)
    except wire.MalformedPacket:
        return []
    owed: list[str] = []
    for address, args in messages:
        if address in protocol.REPLIES:
            continue
        if verbs.parse_envelope(address, args).reply_port is not None:
            return None
        try:
            _, request = verbs.parse_request(address, args)
        except Exception:
            owed.append(protocol.ERROR)
            continue
        if address == protocol.PING:
            owed.append(protocol.PONG)
        elif address == protocol.STATUS and request.job is None:
            owed.append(protocol.STATE)
        elif isinstance(request, Control):
            owed.append(protocol.ERROR)  # unknown_job: no job ever starts here
        else:
            return None
    return owed


def test_fuzz_10000_packets(tmp_path: Path) -> None:
    rng = random.Random(20260601)
    with running_server(tmp_path) as server:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(WAIT)
        sent = answered = malformed = 0
        window: list[str] = []
        barrier = 0
        while sent < PACKETS:
            packet = fuzz_packet(rng)
            owed = expected_replies(packet)
            if owed is None or len(packet) > wire.UDP_MAX:
                continue
            sock.sendto(packet, server.address)
            sent += 1
            malformed += not owed and not packet.startswith(b"/multitrack/")
            window += owed
            if sent % WINDOW and sent < PACKETS:
                continue
            barrier += 1
            tag = f"barrier-{barrier}"
            sock.sendto(wire.encode_message(protocol.STATUS, [tag]), server.address)
            got: list[str] = []
            while True:
                address, args = wire.decode_packet(sock.recv(65536))[0]
                if address == protocol.ERROR and args[0] == tag:
                    break
                got.append(address)
            assert got == window, f"window ending at packet {sent}"
            answered += len(got)
            window = []
        sock.sendto(wire.encode_message(protocol.PING, []), server.address)
        assert wire.decode_packet(sock.recv(65536))[0][0] == protocol.PONG
        sock.close()
    assert sent == PACKETS
    assert answered > 2000 and malformed > 2000  # both kinds were really exercised
    assert server.bridge.malformed > 2000
    assert [p.name for p in tmp_path.iterdir()] == [LOCK_NAME]  # no fuzz packet started a job
