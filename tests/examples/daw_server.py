"""A real OSC server on 127.0.0.1 for the DAW-script tests (the ``server`` fixture; imported
by the test modules, not a conftest.py, which would shadow tests/conftest.py's helpers). Its
runner writes real takes of the built-in example song (no model) through the real take
writer, and records every request as the server built it, so a test can check what the
script asked for (tempo, meter, bars) apart from what the example plays. As the model's
runner does, it takes the form (``AABB``, 主歌-副歌) and the ambience (雨声, birds) from the
prompt read by the real parser: the take then has song.json ``sections`` and
``ambience.wav``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.jobs import CancelFn, ProgressFn
from bridge.protocol import JobSpec
from bridge.resolution import job_request
from bridge.server import OscServer, ServerConfig
from models.request import GenerateRequest
from models.text.parser import parse_prompt
from multitrack.example import example_song
from multitrack.form import parse_form
from multitrack.take import Take, write_take


class Recorded:
    def __init__(self, server: OscServer, requests: list[GenerateRequest]) -> None:
        self.server, self.requests = server, requests

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Recorded]:
    requests: list[GenerateRequest] = []

    def run_job(spec: JobSpec, progress: ProgressFn, cancelled: CancelFn) -> Take:
        request = job_request(spec, tmp_path)
        requests.append(request)
        progress(0.1, "example")
        attributes = parse_prompt(request.prompt, use_embedding=False)
        song = example_song()
        if request.bpm is not None:
            song = replace(song, tempo=request.bpm)
        form = request.form or attributes.form
        if form is not None:
            song = replace(song, sections=parse_form(form, song.bars))
        meta = {"prompt": request.prompt, "seed": request.seed, "model": "example",
                "job": spec.job, "attributes": attributes.to_json()}  # fmt: skip
        take = write_take(song, tmp_path, name=spec.job, meta=meta)
        progress(1.0, "done")
        return take

    srv = OscServer(ServerConfig(out=tmp_path, port=0), run_job)
    srv.start()
    yield Recorded(srv, requests)
    srv.stop(grace=0)
