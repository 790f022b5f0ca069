"""``multitrack daw install reaper|ableton [--path DIR]`` and ``multitrack daw check``.

``install`` copies the DAW scripts from this checkout's ``examples/`` into the host's user
folder for this OS (REAPER's resource path ``Scripts/Multitrack``; Ableton's User Library
``Remote Scripts/Multitrack``), writes beside them the path of this ``multitrack`` executable
and the server's address (REAPER: ``multitrack_settings.lua``; Ableton: ``settings.json``),
and prints what it did. ``check`` says whether the server answers and whether the installed
scripts are byte for byte the ones this version ships.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sys
from pathlib import Path

from multitrack.errors import MultitrackError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HOSTS: dict[str, tuple[str, tuple[str, ...]]] = {  # host -> (examples folder, file patterns)
    "reaper": ("reaper", ("*.lua",)),
    "ableton": ("ableton/Multitrack", ("*.py",)),
}
SETTINGS = {"reaper": "multitrack_settings.lua", "ableton": "settings.json"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("daw", help="install the REAPER / Ableton Live scripts, or check them",
                       description="Install the DAW scripts into the host's user folder, or "
                                   "check the server and the installed scripts.")  # fmt: skip
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="copy the scripts into the host's user folder")
    install.add_argument("host", choices=sorted(HOSTS), help="reaper or ableton")
    install.add_argument("--path", type=Path, help="install into DIR instead of the host's folder")
    install.add_argument("--host", dest="server_host", default="127.0.0.1", help="server address")
    install.add_argument("--port", type=int, default=9000, help="server port (default 9000)")
    install.add_argument("--token", default=None,
                         help="the server's shared secret (`multitrack serve --token`); needed "
                              "for a server away from 127.0.0.1")  # fmt: skip
    check = actions.add_parser("check", help="does the server answer; are the scripts current?")
    check.add_argument("host", nargs="?", choices=sorted(HOSTS), help="only this host")
    check.add_argument("--path", type=Path, help="the folder the scripts were installed into")
    check.add_argument(
        "--host",
        dest="server_host",
        default=None,
        help="server address (default: the installed scripts', else 127.0.0.1)",
    )
    check.add_argument(
        "--port",
        type=int,
        default=None,
        help="server port (default: the installed scripts', else 9000)",
    )
    check.add_argument(
        "--token", default=None, help="the server's shared secret (default: the installed scripts')"
    )
    p.set_defaults(func=run)


def version() -> str:
    try:
        return importlib.metadata.version("multitrack")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def user_folder(host: str, platform: str = sys.platform, home: Path | None = None) -> Path:
    """Where ``host`` looks for user scripts on this OS."""
    home = home or Path.home()
    if host == "reaper":
        if platform == "win32":
            return (
                Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
                / "REAPER"
                / "Scripts"
                / "Multitrack"
            )
        if platform == "darwin":
            return home / "Library" / "Application Support" / "REAPER" / "Scripts" / "Multitrack"
        return home / ".config" / "REAPER" / "Scripts" / "Multitrack"
    if platform == "win32":
        return home / "Documents" / "Ableton" / "User Library" / "Remote Scripts" / "Multitrack"
    if platform == "darwin":
        return home / "Music" / "Ableton" / "User Library" / "Remote Scripts" / "Multitrack"
    raise MultitrackError("Ableton Live does not run on this OS; pass --path DIR to install anyway")


def sources(host: str) -> list[Path]:
    folder, patterns = HOSTS[host]
    source = EXAMPLES / folder
    files = sorted(p for pattern in patterns for p in source.glob(pattern))
    if not files:
        raise MultitrackError(f"the {host} scripts are not in this installation ({source} is "
                              "missing); install Multitrack from its repository")  # fmt: skip
    return files


def executable() -> Path:
    """This ``multitrack`` command: the running script, else the one beside this Python."""
    argv0 = Path(sys.argv[0])
    if argv0.name.startswith("multitrack") and argv0.is_file():
        return argv0.resolve()
    name = "multitrack.exe" if sys.platform == "win32" else "multitrack"
    return Path(sys.executable).with_name(name)


def _lua_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid Lua string here


def settings_text(host: str, server_host: str, port: int, token: str | None = None) -> str:
    """The settings file the scripts read: the command, the server's address, its token."""
    command = str(executable())
    if host == "reaper":
        secret = "" if token is None else f"token = {_lua_string(token)}, "
        return ("-- Written by `multitrack daw install reaper`; ExtState settings override it.\n"
                f"return {{ command = {_lua_string(command)}, host = {_lua_string(server_host)}, "
                f"port = {port}, {secret}version = {_lua_string(version())} }}\n")  # fmt: skip
    data: dict[str, object] = {"host": server_host, "port": port, "multitrack": command}
    if token is not None:
        data["token"] = token
    data["version"] = version()
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def install(
    host: str, target: Path, server_host: str, port: int, token: str | None = None
) -> list[Path]:
    """Copy ``host``'s scripts and settings into ``target``; returns the files written. A
    server away from this machine binds only with a token, so one is required for it."""
    from bridge.server import is_loopback

    if token is not None and not token:
        raise MultitrackError("--token must not be empty")
    if token is None and not is_loopback(server_host):
        raise MultitrackError(
            f"a server on {server_host} (not this machine) answers only with its token: add "
            "--token SECRET, the one `multitrack serve --token` was given"
        )
    try:
        target.mkdir(parents=True, exist_ok=True)
        written = [Path(shutil.copy2(src, target / src.name)) for src in sources(host)]
        settings = target / SETTINGS[host]
        settings.write_text(settings_text(host, server_host, port, token), encoding="utf-8")
    except OSError as exc:
        raise MultitrackError(f"cannot install into {target}: {exc.strerror or exc}") from None
    return [*written, settings]


def installed_server(host: str, target: Path) -> tuple[str, int, str | None] | None:
    """(server address, port, token) the scripts installed in ``target`` use, from the
    settings file ``install`` wrote; None when there is none or it cannot be read."""
    path = target / SETTINGS[host]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if host == "reaper":
        found = {k: re.search(rf"\b{k}\s*=\s*(\"(?:[^\"\\]|\\.)*\"|\d+)", text)
                 for k in ("host", "port", "token")}  # fmt: skip
        values = {k: json.loads(m.group(1)) for k, m in found.items() if m is not None}
    else:
        try:
            values = json.loads(text)
        except json.JSONDecodeError:
            return None
    server, port, token = values.get("host"), values.get("port"), values.get("token")
    if not isinstance(server, str) or not isinstance(port, int) or isinstance(port, bool):
        return None
    return server, port, token if isinstance(token, str) else None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compare(host: str, target: Path) -> tuple[str, list[str]]:
    """('missing' | 'matches' | 'differs', names of files that differ or are missing)."""
    if not target.is_dir():
        return "missing", []
    bad = [src.name for src in sources(host)
           if not (target / src.name).is_file() or _digest(target / src.name) != _digest(src)]  # fmt: skip
    return ("differs" if bad else "matches"), bad


def server_answers(server_host: str, port: int, token: str | None = None) -> str | None:
    """The server's version, or None when nothing answers in 2 s."""
    from bridge import protocol
    from bridge.client import OscClient

    try:
        with OscClient(server_host, port, timeout=2.0, token=token) as client:
            reply = client.ping()
    except OSError:
        return None
    if reply is None or reply.address != protocol.PONG:
        return None
    return str(reply.args[0])


def run(args: argparse.Namespace) -> int:
    if args.port is not None and not 1 <= args.port <= 65535:
        raise MultitrackError(f"--port must be 1-65535, got {args.port}")
    if args.action == "install":
        target = args.path or user_folder(args.host)
        files = install(args.host, target, args.server_host, args.port, args.token)
        print(f"installed the {args.host} scripts into {target}:")
        for path in files:
            print(f"  {path.name}")
        print(f"multitrack command: {executable()}; server {args.server_host}:{args.port}")
        if args.host == "reaper":
            print("next: REAPER > Actions > Show action list > New action > Load ReaScript…, and load "
                  "'Multitrack - Generate.lua' and 'Multitrack - Regenerate from edited chords.lua'")  # fmt: skip
        else:
            print("next: restart Live; Settings > Link, Tempo & MIDI > Control Surface: Multitrack")
        return 0
    ok = True
    hosts: list[tuple[str, Path]] = []
    for host in [args.host] if args.host else sorted(HOSTS):
        try:
            hosts.append((host, args.path or user_folder(host)))
        except MultitrackError:
            print(f"{host}: not available on this OS")
    # the server the installed scripts talk to, unless the flags name one
    servers: list[tuple[str, int, str | None]] = []
    for host, target in hosts:
        own = installed_server(host, target)
        server = (
            args.server_host or (own[0] if own else "127.0.0.1"),
            args.port or (own[1] if own else 9000),
            args.token if args.token is not None else (own[2] if own else None),
        )
        if server not in servers:
            servers.append(server)
    for server_host, port, token in servers or [(args.server_host or "127.0.0.1",
                                                 args.port or 9000, args.token)]:  # fmt: skip
        answered = server_answers(server_host, port, token)
        if answered is None:
            ok = False
            print(f"server: no answer on {server_host}:{port}; start it with `multitrack serve`")
        else:
            print(f"server: answers on {server_host}:{port} (version {answered})")
    for host, target in hosts:
        state, bad = compare(host, target)
        if state == "matches":
            print(f"{host}: {target} matches this version ({version()})")
        elif state == "missing":
            ok = ok and args.host is None
            print(f"{host}: not installed in {target}; run `multitrack daw install {host}`")
        else:
            ok = False
            print(f"{host}: {target} differs from this version ({', '.join(bad)}); "
                  f"run `multitrack daw install {host}`")  # fmt: skip
    return 0 if ok else 1
