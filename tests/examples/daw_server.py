"""A real OSC server on 127.0.0.1 for the DAW-script tests (the ``server`` fixture; imported
by the test modules, not a conftest.py, which would shadow tests/conftest.py's helpers). Its runner writes real takes of the
built-in example song (no model) and records every request as the server built it, so a test
can check what the script asked for (tempo, meter, bars) apart from what the example plays."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.commands.serve import example_runner
from bridge.resolution import job_request
from bridge.server import OscServer, ServerConfig
from models.request import GenerateRequest


class Recorded:
    def __init__(self, server: OscServer, requests: list[GenerateRequest]) -> None:
        self.server, self.requests = server, requests

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Recorded]:
    requests: list[GenerateRequest] = []
    inner = example_runner(tmp_path)

    def run_job(spec, progress, cancelled):  # type: ignore[no-untyped-def]
        requests.append(job_request(spec, tmp_path))
        return inner(spec, progress, cancelled)

    srv = OscServer(ServerConfig(out=tmp_path, port=0), run_job)
    srv.start()
    yield Recorded(srv, requests)
    srv.stop(grace=0)
