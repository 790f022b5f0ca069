"""The OSC wire format on python-osc: encoding replies, decoding packets, TCP framing.

python-osc's own servers drop a packet they cannot parse without a word and sleep until a
bundle's time tag; here decoding raises ``MalformedPacket`` (the server logs and answers what
it can), walks nested bundles iteratively up to ``MAX_BUNDLE_DEPTH``, refuses type tags
python-osc would silently skip, and runs bundled messages at once, in order.

TCP streams carry either OSC 1.1 SLIP frames (python-osc's default; the stream starts with
the END byte 0xC0) or OSC 1.0 size-prefixed frames (liblo's; a 4-byte big-endian length).
``FrameReader`` tells them apart from the first byte.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from pythonosc import slip
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.parsing import osc_types

MAX_BUNDLE_DEPTH = 8
MAX_MESSAGES = 256  # messages in one packet
MAX_FRAME = 4 * 1024 * 1024  # bytes in one TCP frame
UDP_MAX = 65507
SUPPORTED_TAGS = frozenset("ihfdsbrmtTFN[]")
BUNDLE_HEAD = b"#bundle\x00"
SLIP, SIZED = "slip", "sized"

Message = tuple[str, list[Any]]


class MalformedPacket(ValueError):
    """Bytes that are not an OSC message or bundle we can read."""


def encode_message(address: str, args: Sequence[Any]) -> bytes:
    """One OSC message: str -> s, bool -> T/F, int -> i (h past 32 bits), float -> f."""
    builder = OscMessageBuilder(address)
    for value in args:
        if isinstance(value, bool):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_TRUE if value else "F")
        elif isinstance(value, int):
            small = -(2**31) <= value < 2**31
            builder.add_arg(value, "i" if small else OscMessageBuilder.ARG_TYPE_INT64)
        elif isinstance(value, float):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_FLOAT)
        elif isinstance(value, str):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_STRING)
        elif isinstance(value, bytes):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_BLOB)
        else:
            raise TypeError(f"cannot send {type(value).__name__} over OSC")
    return bytes(builder.build().dgram)


def decode_packet(data: bytes) -> list[Message]:
    """Every message in a packet (a message or a bundle, nested up to 8 deep), in order.
    Raises ``MalformedPacket`` naming what is wrong."""
    messages: list[Message] = []
    pending: list[tuple[bytes, int]] = [(data, 0)]
    while pending:
        chunk, depth = pending.pop()
        if chunk.startswith(BUNDLE_HEAD):
            if depth >= MAX_BUNDLE_DEPTH:
                raise MalformedPacket(f"bundles nested deeper than {MAX_BUNDLE_DEPTH}")
            pending.extend(reversed([(e, depth + 1) for e in _bundle_elements(chunk)]))
        elif chunk.startswith(b"/"):
            messages.append(_message(chunk))
            if len(messages) > MAX_MESSAGES:
                raise MalformedPacket(f"more than {MAX_MESSAGES} messages in one packet")
        else:
            raise MalformedPacket("not an OSC message or bundle (must start with '/' or #bundle)")
    return messages


def _bundle_elements(data: bytes) -> list[bytes]:
    if len(data) < 16:
        raise MalformedPacket("bundle shorter than its header")
    elements: list[bytes] = []
    index = 16  # "#bundle\0" and the 8-byte time tag, which we do not wait for
    while index < len(data):
        if index + 4 > len(data):
            raise MalformedPacket("bundle element size truncated")
        (size,) = struct.unpack(">i", data[index : index + 4])
        index += 4
        if size <= 0 or size % 4 or index + size > len(data):
            raise MalformedPacket(f"bundle element size {size} does not fit the bundle")
        elements.append(data[index : index + size])
        index += size
    return elements


def _message(data: bytes) -> Message:
    try:
        _, index = osc_types.get_string(data, 0)
        if index < len(data):
            tags, _ = osc_types.get_string(data, index)
            if not tags.startswith(","):
                raise MalformedPacket("type tag string must start with ','")
            unknown = set(tags[1:]) - SUPPORTED_TAGS
            if unknown:
                raise MalformedPacket(f"unsupported type tags {''.join(sorted(unknown))!r}")
        message = OscMessage(data)
        return message.address, message.params
    except MalformedPacket:
        raise
    except Exception as exc:  # python-osc raises ParseError, UnicodeDecodeError, struct.error
        raise MalformedPacket(f"{type(exc).__name__}: {exc}") from None


def frame(data: bytes, framing: str) -> bytes:
    """One packet framed for a TCP stream."""
    if framing == SLIP:
        return bytes(slip.encode(data))
    return struct.pack(">I", len(data)) + data


class FrameReader:
    """Splits a TCP byte stream into packets; detects the framing from the first byte."""

    def __init__(self, framing: str | None = None) -> None:
        self.framing = framing
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Packets completed by ``data``. Raises ``MalformedPacket`` on an oversized frame or
        bad SLIP escapes (the connection should then be closed)."""
        self._buffer += data
        if self.framing is None and self._buffer:
            self.framing = SLIP if self._buffer[0] == slip.END[0] else SIZED
        packets: list[bytes] = []
        if self.framing == SLIP:
            while True:
                start = self._buffer.find(slip.END, 1 if self._buffer[:1] == slip.END else 0)
                if start < 0:
                    if len(self._buffer) > 2 * MAX_FRAME:
                        raise MalformedPacket(f"SLIP frame longer than {MAX_FRAME} bytes")
                    break
                raw = bytes(self._buffer[: start + 1])
                del self._buffer[: start + 1]
                if raw.strip(slip.END):
                    try:
                        packets.append(bytes(slip.decode(raw)))
                    except slip.ProtocolError:
                        raise MalformedPacket("bad SLIP escape sequence") from None
        else:
            while len(self._buffer) >= 4:
                (size,) = struct.unpack(">I", self._buffer[:4])
                if size > MAX_FRAME:
                    raise MalformedPacket(f"frame of {size} bytes is over {MAX_FRAME}")
                if len(self._buffer) < 4 + size:
                    break
                packets.append(bytes(self._buffer[4 : 4 + size]))
                del self._buffer[: 4 + size]
        return packets
