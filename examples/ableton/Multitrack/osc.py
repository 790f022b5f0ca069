"""A minimal OSC 1.0 codec (standard library only; Live's Python has no python-osc).

``encode`` writes one message with i/h/f/s/T/F arguments; ``decode`` reads a message or a
(nested) bundle into ``[(address, [args])]`` and raises ``ValueError`` on anything else.
"""

import struct
from typing import Any, List, Tuple

MAX_DEPTH = 8


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (4 - len(data) % 4)


def _string(text: str) -> bytes:
    return _pad(text.encode("utf-8"))


def encode(address: str, args: List[Any]) -> bytes:
    tags, body = ",", b""
    for value in args:
        if value is True or value is False:
            tags += "T" if value else "F"
        elif isinstance(value, int):
            if -(2 ** 31) <= value < 2 ** 31:
                tags, body = tags + "i", body + struct.pack(">i", value)
            else:
                tags, body = tags + "h", body + struct.pack(">q", value)
        elif isinstance(value, float):
            tags, body = tags + "f", body + struct.pack(">f", value)
        elif isinstance(value, str):
            tags, body = tags + "s", body + _string(value)
        else:
            raise TypeError("cannot send %r over OSC" % (value,))
    return _string(address) + _string(tags) + body


def _read_string(data: bytes, index: int) -> Tuple[str, int]:
    end = data.index(b"\0", index)
    text = data[index:end].decode("utf-8")
    return text, index + ((end - index) // 4 + 1) * 4


def _message(data: bytes) -> Tuple[str, List[Any]]:
    address, index = _read_string(data, 0)
    if index >= len(data):
        return address, []
    tags, index = _read_string(data, index)
    if not tags.startswith(","):
        raise ValueError("type tags must start with ','")
    args: List[Any] = []
    for tag in tags[1:]:
        if tag in "if":
            args.append(struct.unpack(">" + tag, data[index:index + 4])[0])
            index += 4
        elif tag in "hd":
            args.append(struct.unpack(">" + ("q" if tag == "h" else "d"), data[index:index + 8])[0])
            index += 8
        elif tag == "s":
            text, index = _read_string(data, index)
            args.append(text)
        elif tag == "b":
            size = struct.unpack(">i", data[index:index + 4])[0]
            args.append(data[index + 4:index + 4 + size])
            index += 4 + ((size + 3) // 4) * 4
        elif tag in "TFN":
            args.append({"T": True, "F": False, "N": None}[tag])
        else:
            raise ValueError("unsupported type tag %r" % tag)
        if index > len(data):
            raise ValueError("message truncated")
    return address, args


def decode(data: bytes, depth: int = 0) -> List[Tuple[str, List[Any]]]:
    """Every message in a packet, in order."""
    try:
        if data.startswith(b"#bundle\0"):
            if depth >= MAX_DEPTH:
                raise ValueError("bundles nested too deep")
            messages: List[Tuple[str, List[Any]]] = []
            index = 16
            while index < len(data):
                size = struct.unpack(">i", data[index:index + 4])[0]
                if size <= 0 or index + 4 + size > len(data):
                    raise ValueError("bad bundle element size")
                messages += decode(data[index + 4:index + 4 + size], depth + 1)
                index += 4 + size
            return messages
        if data.startswith(b"/"):
            return [_message(data)]
    except (struct.error, UnicodeDecodeError) as exc:
        raise ValueError("malformed OSC packet: %s" % exc)
    raise ValueError("not an OSC message or bundle")
