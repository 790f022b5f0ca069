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

    from bridge import verbs

    for verb in verbs.VERBS:  # every job verb of the table, with its options as flags
        if not verb.makes_jobs:
            continue
        job_parser = actions.add_parser(verb.name, help=f"send {verb.address}")
        for param in verb.positional[1:]:  # the job id is --job
            job_parser.add_argument(param.name, help=param.help)
        for param in verb.options:
            flag = "--" + param.name.replace("_", "-")
            if param.kind is bool:
                job_parser.add_argument(flag, dest=param.name, action="store_true", help=param.help)
            else:
                kind = finite_float if param.kind is float else param.kind
                job_parser.add_argument(flag, dest=param.name, type=kind, help=param.help)
        _job_options(job_parser)

    ping = actions.add_parser("ping", help="is the server there? prints its version")
    _connection_options(ping)
    status = actions.add_parser("status", help="the server's queue, or one job's state")
    status.add_argument("job", nargs="?", help="a job id")
    _connection_options(status)
    cancel = actions.add_parser("cancel", help="cancel a queued or running job")
    cancel.add_argument("job", help="the job id")
    _connection_options(cancel)
    p.set_defaults(func=run)


# Default seconds to wait for a job's reply, and for a query's (ping, status, cancel).
JOB_TIMEOUT = 120.0
QUERY_TIMEOUT = 5.0


def _connection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="server port (default 9000)")
    p.add_argument("--tcp", action="store_true", help="use TCP (the server runs with --tcp)")
    p.add_argument("--token", default=os.environ.get(TOKEN_ENV), help="the server's shared secret")
    p.add_argument(
        "--timeout",
        type=finite_float,
        default=None,
        help=f"seconds to wait (default {JOB_TIMEOUT:g} for a job, {QUERY_TIMEOUT:g} for "
        "ping, status and cancel, which a running server answers at once)",
    )


def _job_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--job", help="job id = take folder name (default: job-<time>-<random>)")
    p.add_argument("--wait", action="store_true", help="wait for done/error (else: accepted)")
    p.add_argument("--progress", action="store_true", help="print progress lines on stderr")
    _connection_options(p)


def job_arguments(args: argparse.Namespace, job: str) -> tuple[str, list[Any]]:
    """The OSC address and arguments of a job verb from its flags: the verb's row in
    ``bridge.verbs`` names them (``--chord-notes`` is ``chord_notes``)."""
    from bridge import protocol, verbs

    verb = verbs.BY_ADDRESS[f"{protocol.PREFIX}/{args.action}"]
    head = [job, *(getattr(args, p.name) for p in verb.positional[1:])]
    options: list[Any] = []
    for param in verb.options:
        value = getattr(args, param.name, None)
        if param.kind is bool:
            value = 1 if value else None
        if value is not None:
            options += [param.name, value]
    return verb.address, head + options


def run(args: argparse.Namespace) -> int:
    from bridge import protocol
    from bridge.client import OscClient, new_job_id

    if not 1 <= args.port <= 65535:
        raise MultitrackError(f"--port must be 1-65535, got {args.port}")
    if args.timeout is None:
        args.timeout = QUERY_TIMEOUT if args.action in ("ping", "status", "cancel") else JOB_TIMEOUT
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
    if getattr(args, "chord_notes", None):
        from bridge.arguments import compact_chord_notes

        args.chord_notes = compact_chord_notes(args.chord_notes)  # bad notes: one line, here
    with client:
        if args.action not in ("ping", "status", "cancel"):
            job = args.job or new_job_id()
            address, osc_args = job_arguments(args, job)

            def on_progress(fraction: float, stage: str) -> None:
                print(f"{job} {fraction * 100:5.1f}% {stage}", file=sys.stderr, flush=True)

            try:
                result = client.run_job(
                    address,
                    osc_args,
                    wait=args.wait,
                    on_progress=on_progress if args.progress else None,
                )
            except OSError as exc:  # e.g. EMSGSIZE: a datagram past the system's limit
                return _emit({"ok": False, "code": "unsent", "message": (
                    f"the request could not be sent to {args.host}:{args.port} ({exc}); a "
                    "long chords clip may pass the system's UDP size: run the server with "
                    "--tcp and send with --tcp")})  # fmt: skip
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
    # UTF-8 bytes whatever the console's code page: a DAW reads this pipe as UTF-8 (on Windows
    # print() would encode in the ANSI code page and fail on, or mangle, a Chinese prompt).
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    stdout = getattr(sys.stdout, "buffer", None)
    if stdout is None:
        print(line.decode("utf-8"), end="", flush=True)
    else:
        sys.stdout.flush()
        stdout.write(line)
        stdout.flush()
    if record.get("ok"):
        return 0
    return EXIT_TIMEOUT if record.get("code") in ("timeout", "unreachable") else EXIT_ERROR
