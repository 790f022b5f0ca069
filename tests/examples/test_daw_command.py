"""`multitrack daw install|check`: the scripts land in the host's folder with the settings the
scripts read (checked by running them: the REAPER lib under lua5.4, the Live script's loader),
and `check` tells a current install and a live server from a stale one and a dead one."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import daw_server
import live_stub
import pytest
from daw_server import Recorded

from bridge.cli import main
from bridge.commands.daw import user_folder

HERE = Path(__file__).resolve().parent
LUA = shutil.which("lua5.4")
MULTITRACK = str(Path(sys.executable).with_name("multitrack"))

server = daw_server.server  # the real-server fixture


def test_user_folders_per_os(tmp_path: Path) -> None:
    assert (
        user_folder("reaper", "linux", tmp_path) == tmp_path / ".config/REAPER/Scripts/Multitrack"
    )
    assert user_folder("reaper", "darwin", tmp_path) == (
        tmp_path / "Library/Application Support/REAPER/Scripts/Multitrack"
    )
    assert user_folder("ableton", "darwin", tmp_path) == (
        tmp_path / "Music/Ableton/User Library/Remote Scripts/Multitrack"
    )
    assert user_folder("ableton", "win32", tmp_path) == (
        tmp_path / "Documents/Ableton/User Library/Remote Scripts/Multitrack"
    )


@pytest.mark.skipif(LUA is None, reason="lua5.4 is not installed (make sysdeps-test)")
def test_install_reaper_then_check(
    tmp_path: Path, server: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "REAPER Scripts" / "Multitrack"
    port = str(server.address[1])
    assert main(["daw", "install", "reaper", "--path", str(target), "--port", port]) == 0
    out = capsys.readouterr().out
    assert f"installed the reaper scripts into {target}" in out and "multitrack_lib.lua" in out
    probe = (
        f'reaper = dofile("{HERE}/reaper_stub.lua").reaper\n'
        f'local mt = dofile("{target}/multitrack_lib.lua")\n'
        'print(mt.setting("command", "?") .. "|" .. mt.setting("port", "?"))\n'
    )
    run = subprocess.run([str(LUA), "-e", probe], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == f"{MULTITRACK}|{port}", run.stderr
    assert main(["daw", "check", "reaper", "--path", str(target), "--port", port]) == 0
    out = capsys.readouterr().out
    assert "server: answers on" in out and f"reaper: {target} matches this version" in out
    # without --port: the port the scripts were installed with (it checked 9000)
    assert main(["daw", "check", "reaper", "--path", str(target)]) == 0
    assert f"server: answers on 127.0.0.1:{port}" in capsys.readouterr().out
    (target / "multitrack_lib.lua").write_text("-- edited\n", encoding="utf-8")
    assert main(["daw", "check", "reaper", "--path", str(target), "--port", port]) == 1
    assert "differs from this version (multitrack_lib.lua)" in capsys.readouterr().out


@pytest.mark.skipif(LUA is None, reason="lua5.4 is not installed (make sysdeps-test)")
def test_install_reaper_with_a_server_host_and_token(
    tmp_path: Path, server: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    # the host was printed but never written, and no token could be given
    target = tmp_path / "Multitrack"
    port = str(server.address[1])
    assert main(["daw", "install", "reaper", "--path", str(target), "--host", "10.1.2.3"]) == 2
    err = capsys.readouterr().err
    assert "--token" in err and err.count("\n") == 1 and not target.exists()
    assert main(["daw", "install", "reaper", "--path", str(target), "--host", "localhost",
                 "--port", port, "--token", "s3 cret"]) == 0  # fmt: skip
    probe = (
        f'local stub = dofile("{HERE}/reaper_stub.lua")\n'
        "reaper = stub.reaper\n"
        f'local mt = dofile("{target}/multitrack_lib.lua")\n'
        'local pong = mt.send({ "ping" })\n'
        'print(table.concat(stub.state.argvs[1], "|", 2))\n'
    )
    run = subprocess.run([str(LUA), "-e", probe], capture_output=True, text=True, timeout=60)
    assert (
        run.stdout.strip()
        == f"send|ping|--host|localhost|--port|{port}|--token|s3 cret|--timeout|3"
    ), run.stdout + run.stderr
    assert main(["daw", "check", "reaper", "--path", str(target), "--host", "localhost",
                 "--port", port, "--token", "s3 cret"]) == 0  # fmt: skip
    from bridge.commands.daw import installed_server

    assert installed_server("reaper", target) == ("localhost", int(port), "s3 cret")
    assert main(["daw", "check", "reaper", "--path", str(target)]) == 0  # the installed ones


def test_install_ableton_with_a_server_host_and_token(tmp_path: Path) -> None:
    from pythonosc.osc_message import OscMessage

    target = tmp_path / "Multitrack"
    assert main(["daw", "install", "ableton", "--path", str(target), "--host", "10.1.2.3",
                 "--port", "9123", "--token", "abc"]) == 0  # fmt: skip
    settings = json.loads((target / "settings.json").read_text(encoding="utf-8"))
    assert (settings["host"], settings["token"]) == ("10.1.2.3", "abc")
    live_stub.install(12)
    try:
        module = live_stub.load_script(target)
        surface = module.create_instance(live_stub.CInstance(live_stub.Song(live_stub.ClipSlot12)))
        assert surface.server == ("10.1.2.3", 9123) and surface.token == "abc"
        assert surface.sock.getsockname()[0] == "0.0.0.0"  # replies come from elsewhere
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.bind(("127.0.0.1", 0))
            peer.settimeout(5)
            surface.server = peer.getsockname()
            surface.send("/multitrack/ping", [])
            message = OscMessage(peer.recv(65536))
        assert (message.address, message.params) == ("/multitrack/ping", ["token", "abc"])
        surface.disconnect()
    finally:
        live_stub.uninstall()


def test_install_ableton_then_check_with_no_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "Remote Scripts" / "Multitrack"
    assert main(["daw", "install", "ableton", "--path", str(target), "--port", "9123"]) == 0
    settings = json.loads((target / "settings.json").read_text(encoding="utf-8"))
    assert settings["port"] == 9123 and settings["multitrack"] == MULTITRACK
    live_stub.install(12)
    try:
        module = live_stub.load_script(target)
        surface = module.create_instance(live_stub.CInstance(live_stub.Song(live_stub.ClipSlot12)))
        assert surface.server == ("127.0.0.1", 9123)
        surface.disconnect()
    finally:
        live_stub.uninstall()
    capsys.readouterr()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = str(silent.getsockname()[1])
        code = main(["daw", "check", "ableton", "--path", str(target), "--port", port])
    out = capsys.readouterr().out
    assert code == 1 and "server: no answer" in out and "matches this version" in out
    from bridge.commands.daw import installed_server

    assert installed_server("ableton", target) == ("127.0.0.1", 9123, None)
    assert main(["daw", "check", "ableton", "--path", str(tmp_path / "none")]) == 1
