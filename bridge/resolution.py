"""A queued job -> the ``GenerateRequest`` the worker runs.

An edit names its source take by job id; the take is read when the job runs (it may have
been written by a job queued just before), then ``models.request.build_request`` makes the
request, the same function the CLI uses.
"""

from __future__ import annotations

from pathlib import Path

from bridge.arguments import ProtocolError
from bridge.protocol import JobSpec, resolve_take_dir
from models.request import GenerateRequest, Source, build_request


def read_source(name: str, out_root: Path) -> Source:
    """The song and song.json record of the take ``name`` in ``out_root``."""
    from multitrack.take import read_take

    source_dir = resolve_take_dir(out_root, name)
    if not source_dir.is_dir():
        raise ProtocolError("unknown_take", f"no take named {name!r} in {out_root}")
    return read_take(source_dir)


def job_request(spec: JobSpec, out_root: Path) -> GenerateRequest:
    """The request a job runs, its source take read now."""
    source = None if spec.source is None else read_source(spec.source, out_root)
    return build_request(spec.ask, source)
