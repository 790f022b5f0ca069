"""``multitrack serve``: the OSC server a DAW script talks to.

The server binds and prints one ``ready <url> out=<dir>`` line on stdout as soon as it
answers (``ping``, ``status``, and jobs are accepted); the model and the text models load
meanwhile in a background thread, and the first job waits for them. A model that cannot load
stops the server with its one-line error. SIGTERM or Ctrl-C stops it cleanly: queued jobs are cancelled, the running
one gets ``--grace`` seconds to finish, and every job is answered before the process exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.arguments import add_precision, finite_float
from bridge.transport import IDLE_TIMEOUT
from models.precision import DEFAULT_PRECISION
from models.request import DEFAULT_STEPS

if TYPE_CHECKING:
    from bridge.jobs import CancelFn, ProgressFn, Runner
    from bridge.protocol import JobSpec
    from models.pipeline import Pipeline
    from multitrack.take import Take

log = logging.getLogger(__name__)
TOKEN_ENV = "MULTITRACK_TOKEN"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the OSC server for Reaper / Ableton Live",
        description=(
            "Listen for /multitrack/* OSC requests (see docs/osc.md) and write takes under --out. "
            "Binding anywhere but 127.0.0.1 needs --token (or $MULTITRACK_TOKEN)."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="port to bind (default 9000; 0 = any)")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder that holds the takes")
    p.add_argument("--tcp", action="store_true", help="TCP (SLIP or size-prefixed) instead of UDP")
    p.add_argument("--token", default=os.environ.get(TOKEN_ENV), help="shared secret clients send")
    p.add_argument("--queue", type=int, default=8, help="jobs that may wait (default 8)")
    p.add_argument(
        "--grace",
        type=finite_float,
        default=30.0,
        help="seconds a running job may finish on SIGTERM",
    )
    p.add_argument(
        "--idle-timeout",
        type=finite_float,
        default=IDLE_TIMEOUT,
        help=f"TCP: seconds a connection without a job in flight may stay silent (default {IDLE_TIMEOUT:g})",
    )
    p.add_argument("--checkpoint", type=Path, help="model checkpoint (default: the shipped one)")
    p.add_argument("--soundfont", type=Path, help=".sf2/.sf3 to render with")
    p.add_argument("--sample-rate", type=int, default=44100, choices=(44100, 48000))
    add_precision(p)
    p.add_argument(
        "--example",
        action="store_true",
        help="answer every job with the built-in example song (no model; for DAW script set-up)",
    )
    p.add_argument("--example-pause", type=finite_float, default=0.0, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    from bridge.outdir import FolderLock, prepare_folder
    from bridge.server import OscServer, ServerConfig

    config = ServerConfig(
        out=args.out.resolve(),
        host=args.host,
        port=args.port,
        tcp=args.tcp,
        token=args.token or None,
        capacity=args.queue,
        grace=args.grace,
        idle_timeout=args.idle_timeout,
    )
    if not args.example:  # a font that cannot load fails here, not in every job after "ready"
        from multitrack.render import shared_synthesizer

        shared_synthesizer(args.soundfont, sample_rate=args.sample_rate)
    lock = FolderLock(prepare_folder(config.out))
    lock.acquire()  # before the model loads: a second server on this folder stops at once
    if args.example:
        runner = example_runner(config.out, pause=args.example_pause, sample_rate=args.sample_rate)
        loading = Loading(lambda: None, start=False)
    else:
        print("loading model…", file=sys.stderr, flush=True)

        def load() -> Pipeline:
            from bridge.service import load_pipeline  # torch: in the loading thread

            return load_pipeline(args.checkpoint, precision=args.precision)

        loading = Loading(load, start=False)
        runner = model_runner(config.out, args.checkpoint, soundfont=args.soundfont,
                              sample_rate=args.sample_rate, loading=loading)  # fmt: skip
    server = OscServer(config, runner, lock=lock)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:  # a second Ctrl-C: do not wait
            print("stopped without waiting for jobs", file=sys.stderr, flush=True)
            os._exit(130)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    for stale in server.removed:
        print(f"removed unfinished take {stale.name}", file=sys.stderr)
    print(f"ready {server.url} out={config.out}", flush=True)
    loading.start()
    while not stop.wait(0.1):
        if loading.error is not None:
            server.stop(grace=0.0)
            raise loading.error
    print(
        "stopping: answering in-flight jobs… (Ctrl-C again to quit now)",
        file=sys.stderr,
        flush=True,
    )
    server.stop()
    print("stopped", flush=True)
    return 0


class Loading:
    """The model (``load()``), then the prompt parser's dictionaries and the sentence
    encoder, loading in a background thread from the server's start; ``get`` waits for the
    model and raises what its loading raised."""

    def __init__(self, load: Callable[[], Any], *, start: bool = True) -> None:
        self._load = load
        self._loaded = threading.Event()
        self._value: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="multitrack-load", daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        """Begin loading (once); ``serve`` starts it once it answers, so importing torch
        does not hold the interpreter while the socket comes up."""
        if not self._thread.is_alive() and not self._loaded.is_set():
            self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._load()
        except BaseException as exc:  # raised again by get() and by the serve loop
            self.error = exc
        finally:
            self._loaded.set()
        if self.error is None:
            try:
                describe_warm_up()
            except Exception:
                log.exception("warming the prompt parser up failed; it loads on first use")

    @property
    def ready(self) -> bool:
        return self._loaded.is_set()

    def get(self) -> Any:
        self._loaded.wait()
        if self.error is not None:
            raise self.error
        return self._value


def describe_warm_up() -> None:
    """Load jieba, the lexicon and the sentence encoder now rather than in the first job."""
    from bridge.server import describe_request
    from models.text import load_text_models

    describe_request(_warm_up_spec())
    load_text_models()


def model_runner(
    out: Path,
    checkpoint: Path | None,
    *,
    soundfont: Path | None,
    sample_rate: int,
    precision: str = DEFAULT_PRECISION,
    loading: Loading | None = None,
) -> Runner:
    """The production runner: the pipeline loaded once (now, or by ``loading`` in the
    background, which the first job waits for), ``generate_take`` per job."""
    from bridge.resolution import job_request

    if loading is None:
        from bridge.service import load_pipeline

        loaded = load_pipeline(checkpoint, precision=precision)
        loading = Loading(lambda: loaded)

    def run_job(spec: JobSpec, progress: ProgressFn, cancelled: CancelFn) -> Take:
        assert loading is not None
        if not loading.ready:
            progress(0.0, "loading model")  # a job sent while the server starts waits here
        pipeline: Pipeline = loading.get()
        from bridge.service import generate_take  # loaded with the model: torch is in

        if spec.kind == "refine":
            from bridge import protocol
            from bridge.commands.refine import refine_take
            from bridge.resolution import read_source

            assert spec.source is not None
            read_source(spec.source, out)  # unknown_take when it is not there (any more)
            return refine_take(pipeline, protocol.resolve_take_dir(out, spec.source),
                               spec.ask.prompt, out, name=spec.job, seed=spec.ask.seed,
                               steps=spec.ask.steps or DEFAULT_STEPS, progress=progress,
                               cancelled=cancelled, soundfont=soundfont,
                               sample_rate=sample_rate)  # fmt: skip
        request = job_request(spec, out)
        return generate_take(
            pipeline,
            request,
            out,
            name=spec.job,
            progress=progress,
            cancelled=cancelled,
            soundfont=soundfont,
            sample_rate=sample_rate,
            defer_preview=True,  # drawn after `done` (bridge.server): the DAW does not wait
        )

    return run_job


def example_runner(out: Path, *, pause: float = 0.0, sample_rate: int = 44100) -> Runner:
    """A model-free runner writing real takes of the built-in example song (tempo from the
    request), honouring progress and cancel between stages. ``pause`` seconds in each
    rendering stage (the take half written) stretch a job out for fault tests."""
    from bridge.resolution import job_request
    from models.request import Cancelled
    from multitrack.example import example_song
    from multitrack.take import write_take

    def run_job(spec: JobSpec, progress: ProgressFn, cancelled: CancelFn) -> Take:
        request = job_request(spec, out)

        def stage(fraction: float, name: str) -> None:
            if cancelled():
                raise Cancelled("cancelled")
            progress(0.1 + 0.9 * fraction, name)
            deadline = time.monotonic() + (pause if name.startswith("rendering") else 0.0)
            while time.monotonic() < deadline and not cancelled():
                time.sleep(0.01)
            if cancelled():
                raise Cancelled("cancelled")

        stage(0.0, "example")
        song = example_song()
        if request.bpm is not None:
            song = replace(song, tempo=request.bpm)
        meta = {
            "prompt": request.prompt,
            "seed": request.seed,
            "model": "example",
            "job": spec.job,
        }
        take = write_take(song, out, name=spec.job, meta=meta, sample_rate=sample_rate,
                          progress=stage, defer_preview=True)  # fmt: skip
        progress(1.0, "done")
        return take

    return run_job


def _warm_up_spec() -> JobSpec:
    from bridge.protocol import JobSpec
    from models.request import Ask

    return JobSpec("warm-up", "generate", Ask(prompt="warm up 热身"))
