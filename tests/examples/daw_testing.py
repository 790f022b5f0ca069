"""What the DAW-script tests share: the recorded OSC server's handle (the fixture is in
conftest.py)."""

from __future__ import annotations

from bridge.server import OscServer
from models.request import GenerateRequest


class Recorded:
    def __init__(self, server: OscServer, requests: list[GenerateRequest]) -> None:
        self.server, self.requests = server, requests

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address
