"""``multitrack send``: talk to a running ``multitrack serve`` from a shell or a DAW script.

Prints one line of JSON (the terminal reply, with song.json and optionally the notes) and
exits 0 on success, 1 on an error reply, 3 when the server does not answer in time. This is
what the Reaper scripts run through ``reaper.ExecProcess``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from bridge.arguments import finite_float
from multitrack.errors import MultitrackError

EXIT_ERROR, EXIT_TIMEOUT = 1, 3
TOKEN_ENV = "MULTITRACK_TOKEN"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "send",
        help="send a request to a running server and print the reply as JSON",
        description="Send one OSC request to `multitrack serve` and print the reply as JSON.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    gen = actions.add_parser("generate", help="a new take from a prompt")
    gen.add_argument("prompt", help='e.g. "欢快的流行歌, 120 bpm" or "sad piano ballad in A minor"')
    gen.add_argument("--bars", type=int, help="length in bars (1-64)")
    gen.add_argument("--seed", type=int, help="random seed (same seed, same music)")
    gen.add_argument("--bpm", type=finite_float, help="tempo, overrides the prompt")
    gen.add_argument("--key", help='key, overrides the prompt: "A minor", "Eb", "D zhi"')
    gen.add_argument("--meter", help="4/4, 3/4, 2/4 or 6/8")
    gen.add_argument("--guidance", type=finite_float, help="classifier-free guidance scale")
    gen.add_argument("--steps", type=int, help="sampler steps")
    gen.add_argument("--stems", help="stems that play, e.g. melody,chords,bass")
    _job_options(gen)

    regen = actions.add_parser("regenerate", help="edit an earlier take (new take folder)")
    regen.add_argument("from_job", help="the job id (take folder name) to start from")
    regen.add_argument("--keep", help="stems kept note for note, e.g. chords,bass")
    regen.add_argument("--chords", help='force a progression: "Am F C G" or "Am:2 F:2"')
    regen.add_argument(
        "--chord-notes", help='the edited chords clip: "pitch start_beat length_beat …" triples'
    )
    regen.add_argument("--repaint", help="bars to regenerate, e.g. 5-8")
    regen.add_argument("--seed", type=int, help="random seed (default: the source's)")
    regen.add_argument("--guidance", type=finite_float, help="classifier-free guidance scale")
    regen.add_argument("--steps", type=int, help="sampler steps")
    _job_options(regen)

    ping = actions.add_parser("ping", help="is the server there? prints its version")
    _connection_options(ping)
    status = actions.add_parser("status", help="the server's queue, or one job's state")
    status.add_argument("job", nargs="?", help="a job id")
    _connection_options(status)
    cancel = actions.add_parser("cancel", help="cancel a queued or running job")
    cancel.add_argument("job", help="the job id")
    _connection_options(cancel)
    p.set_defaults(func=run)


def _connection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="server port (default 9000)")
    p.add_argument("--tcp", action="store_true", help="use TCP (the server runs with --tcp)")
    p.add_argument("--token", default=os.environ.get(TOKEN_ENV), help="the server's shared secret")
    p.add_argument(
        "--timeout", type=finite_float, default=120.0, help="seconds to wait (default 120)"
    )


def _job_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--job", help="job id = take folder name (default: job-<time>-<random>)")
    p.add_argument("--wait", action="store_true", help="wait for done/error (else: accepted)")
    p.add_argument("--notes", action="store_true", help="include every stem's notes in the JSON")
    p.add_argument("--progress", action="store_true", help="print progress lines on stderr")
    _connection_options(p)


def job_arguments(args: argparse.Namespace, job: str) -> tuple[str, list[Any]]:
    """The OSC address and arguments of a job verb from CLI flags: every option of the
    verb's row in ``bridge.verbs`` that a flag of the same name (``--chord-notes`` for
    ``chord_notes``) gave."""
    from bridge import protocol, verbs

    address = protocol.GENERATE if args.action == "generate" else protocol.REGENERATE
    verb = verbs.BY_ADDRESS[address]
    head = [job, args.prompt if args.action == "generate" else args.from_job]
    options: list[Any] = []
    for param in verb.options:
        value = getattr(args, param.name, None)
        if param.name == "notes":
            value = 1 if value else None
        if value is not None:
            options += [param.name, value]
    return address, head + options


def run(args: argparse.Namespace) -> int:
    from bridge import protocol
    from bridge.client import OscClient, new_job_id

    if not 1 <= args.port <= 65535:
        raise MultitrackError(f"--port must be 1-65535, got {args.port}")
    if args.timeout <= 0:
        raise MultitrackError(f"--timeout must be positive seconds, got {args.timeout:g}")
    try:
        client = OscClient(
            args.host, args.port, tcp=args.tcp, token=args.token, timeout=args.timeout
        )
    except OSError as exc:
        return _emit(
            {"ok": False, "code": "unreachable", "message": f"{args.host}:{args.port}: {exc}"}
        )
    with client:
        if args.action in ("generate", "regenerate"):
            job = args.job or new_job_id()
            address, osc_args = job_arguments(args, job)

            def on_progress(fraction: float, stage: str) -> None:
                print(f"{job} {fraction * 100:5.1f}% {stage}", file=sys.stderr, flush=True)

            result = client.run_job(
                address,
                osc_args,
                wait=args.wait,
                on_progress=on_progress if args.progress else None,
            )
            record = result.to_json()
            if result.terminal is None:
                record["message"] = f"no reply from {args.host}:{args.port} in {args.timeout:g} s"
            return _emit(record)
        if args.action == "ping":
            reply = client.ping()
        elif args.action == "status":
            reply = client.status(args.job)
        else:
            reply = client.cancel(args.job)
    if reply is None:
        message = f"no reply from {args.host}:{args.port} in {args.timeout:g} s; is `multitrack serve` running?"
        return _emit({"ok": False, "code": "timeout", "message": message})
    if reply.address == protocol.ERROR:
        return _emit(
            {"ok": False, "job": reply.args[0], "code": reply.args[1], "message": reply.args[2]}
        )
    if reply.address == protocol.PONG:
        return _emit({"ok": True, "version": reply.args[0]})
    return _emit({"ok": True, "job": reply.args[0] or None, "state": json.loads(reply.args[1])})


def _emit(record: dict[str, Any]) -> int:
    print(json.dumps(record, ensure_ascii=False), flush=True)
    if record.get("ok"):
        return 0
    return EXIT_TIMEOUT if record.get("code") in ("timeout", "unreachable") else EXIT_ERROR
