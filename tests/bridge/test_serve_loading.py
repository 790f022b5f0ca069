"""``multitrack serve`` answers while its model loads: jobs wait for it, failures reach them."""

from __future__ import annotations

import threading
from pathlib import Path

from osc_testing import WAIT, running_server, tiny_checkpoint

from bridge import protocol
from bridge.client import OscClient
from bridge.commands.serve import Loading, model_runner
from models.checkpoint import CheckpointError
from models.pipeline import Pipeline


def test_a_job_sent_while_the_model_loads_waits_for_it(tmp_path: Path) -> None:
    gate = threading.Event()

    def load() -> Pipeline:
        gate.wait(WAIT)  # the model is still loading until the job has said so
        return Pipeline.load(tiny_checkpoint())

    loading = Loading(load)
    runner = model_runner(tmp_path, None, soundfont=None, sample_rate=44100, loading=loading)
    with running_server(tmp_path, runner) as server, OscClient(*server.address, timeout=WAIT) as client:  # fmt: skip
        assert client.ping() is not None and not loading.ready  # answering already
        result = client.run_job(
            protocol.GENERATE,
            ["l1", "pop", "bars", 2, "steps", 2],
            on_progress=lambda fraction, stage: gate.set() if stage == "loading model" else None,
        )
    assert result.ok, result.to_json()
    assert result.progress[0] == (0.0, "loading model")


def test_a_model_that_cannot_load_fails_the_job_with_its_error(tmp_path: Path) -> None:
    def load() -> Pipeline:
        raise CheckpointError("checkpoint x.pt is corrupt or incompatible (EOFError)")

    loading = Loading(load)
    runner = model_runner(tmp_path, None, soundfont=None, sample_rate=44100, loading=loading)
    with running_server(tmp_path, runner) as server, OscClient(*server.address, timeout=WAIT) as client:  # fmt: skip
        result = client.run_job(protocol.GENERATE, ["bad1", "pop"])
    assert result.terminal is not None and result.terminal.address == protocol.ERROR
    assert result.terminal.args[1:] == ("bad_checkpoint", "checkpoint x.pt is corrupt or incompatible (EOFError)")  # fmt: skip
    assert isinstance(loading.error, CheckpointError)
