"""The fault half of bench/osc_load.py: each attack of issue 14, measured against a running
`multitrack serve`, one `name value unit` line per figure. ``run_faults`` returns whether
every check held.
"""

from __future__ import annotations

import argparse
import random
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from osc_latency import MULTITRACK, start

from bridge import protocol, wire
from bridge.client import OscClient

INVALID: list[tuple[str, list[object]]] = [
    (protocol.GENERATE, []),
    (protocol.GENERATE, ["j"]),
    (protocol.GENERATE, [5, "p"]),
    (protocol.GENERATE, ["../x", "p"]),
    (protocol.GENERATE, ["-rf", "p"]),
    (protocol.GENERATE, ["j", ""]),
    (protocol.GENERATE, ["j", "p" * 2001]),
    (protocol.GENERATE, ["j", "p", "bars"]),
    (protocol.GENERATE, ["j", "p", "bars", 0]),
    (protocol.GENERATE, ["j", "p", "bars", "eight"]),
    (protocol.GENERATE, ["j", "p", "bpm", 1000]),
    (protocol.GENERATE, ["j", "p", "bpm", float("nan")]),
    (protocol.GENERATE, ["j", "p", "guidance", float("inf")]),
    (protocol.GENERATE, ["j", "p", "guidance", "nan"]),
    (protocol.GENERATE, ["j", "p", "steps", 0]),
    (protocol.GENERATE, ["j", "p", "seed", -1]),
    (protocol.GENERATE, ["j", "p", "key", "H minor"]),
    (protocol.GENERATE, ["j", "p", "meter", "5/4"]),
    (protocol.GENERATE, ["j", "p", "stems", "vocals"]),
    (protocol.GENERATE, ["j", "p", "tempo", 120]),
    (protocol.GENERATE, ["j", "p", "notes", 2]),
    (protocol.GENERATE, ["j", "p", "reply_port", 0]),
    (protocol.REGENERATE, ["r", "r"]),
    (protocol.REGENERATE, ["r", "nothing"]),
    (protocol.REGENERATE, ["r", "x", "chords", "Xyz"]),
    (protocol.REGENERATE, ["r", "x", "chords", "Am Hmaj13"]),
    (protocol.REGENERATE, ["r", "x", "chords", "Am" * 2000]),
    (protocol.REGENERATE, ["r", "x", "chord_notes", "60 nan 4"]),
    (protocol.REGENERATE, ["r", "x", "repaint", "8-5"]),
    (protocol.CANCEL, []),
    (protocol.CANCEL, ["nobody"]),
    (protocol.STATUS, ["nobody"]),
    ("/multitrack/explode", []),
]
BAD_CLI: list[list[str]] = [
    ["generate", "pop", "--guidance", "nan"],
    ["generate", "pop", "--guidance", "inf"],
    ["generate", "pop", "--bpm=-inf"],
    ["generate", "pop", "--bars", "0"],
    ["generate", "pop", "--steps", "0"],
    ["generate", "pop", "--name=-rf"],
    ["generate", "pop", "--key", "H minor"],
    ["generate", "pop", "--chords", "Am Hmaj13"],
    ["serve", "--grace", "nan"],
    ["send", "ping", "--timeout", "inf"],
]


def proc_status(pid: int, field: str) -> int:
    """A number from /proc/<pid>/status (VmRSS in kB, Threads); -1 where there is none."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def junk(port: int, pid: int, n: int) -> bool:
    """Random junk interleaved with pings, then a burst; every ping must be answered."""
    rng = random.Random(14)
    rss0 = proc_status(pid, "VmRSS")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(10)
    ping = wire.encode_message(protocol.PING, [])
    pings = pongs = 0
    for i in range(n):
        size = rng.choice((0, 1, 7, 64, 512, 8000))
        sock.sendto(bytes(rng.getrandbits(8) for _ in range(size)), ("127.0.0.1", port))
        if i % 100 == 99:
            sock.sendto(ping, ("127.0.0.1", port))
            pings += 1
            pongs += _drain_pong(sock)
    burst = 10_000
    for _ in range(burst):
        sock.sendto(b"not osc", ("127.0.0.1", port))
    sock.sendto(ping, ("127.0.0.1", port))
    pings += 1
    pongs += _drain_pong(sock)
    sock.close()
    rss1 = proc_status(pid, "VmRSS")
    print(f"junk_udp_packets {n + burst} packets")
    print(f"pings_between_junk {pings} pings")
    print(f"pings_lost {pings - pongs} pings")
    print(f"rss_before_junk {rss0} kB")
    print(f"rss_after_junk {rss1} kB")
    return pongs == pings


def _drain_pong(sock: socket.socket) -> int:
    try:
        while True:
            address = wire.decode_packet(sock.recv(65535))[0][0]
            if address == protocol.PONG:
                return 1
    except (TimeoutError, wire.MalformedPacket):
        return 0


def invalid(port: int) -> bool:
    answered_once = 0
    with OscClient("127.0.0.1", port, timeout=10) as client:
        for address, args in INVALID:
            client.send(address, args)
            replies = []
            while (reply := client.receive(0.5 if replies else 10)) is not None:
                replies.append(reply)
            answered_once += len(replies) == 1 and replies[0].address == protocol.ERROR
        status = client.status()
    size = len(wire.encode_message(protocol.STATE, list(status.args))) if status else 0
    print(f"invalid_requests {len(INVALID)} requests")
    print(f"invalid_answered_by_one_error {answered_once} requests")
    print(f"status_reply {size} bytes")
    return answered_once == len(INVALID) and 0 < size <= protocol.MAX_STATE_BYTES


def tcp(scratch: Path, extra: list[str], idle: int) -> bool:
    """Idle connections (threads held, then closed by a 2 s idle timeout) and 50 clients
    connecting at once, on a TCP server of its own."""
    proc, port, _ = start(scratch / "out-tcp", [*extra, "--tcp", "--idle-timeout", "2"])
    try:
        base = proc_status(proc.pid, "Threads")
        conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(idle)]
        held = 0
        for _ in range(18):  # the most threads seen inside the 2 s idle timeout
            held = max(held, proc_status(proc.pid, "Threads"))
            time.sleep(0.1)
        time.sleep(3)  # past the idle timeout
        after = proc_status(proc.pid, "Threads")
        closed = sum(_closed(c) for c in conns)
        for c in conns:
            c.close()
        times: list[float] = []
        barrier = threading.Barrier(50)

        def connect() -> None:
            barrier.wait()
            t0 = time.perf_counter()
            with socket.create_connection(("127.0.0.1", port), timeout=10):
                times.append(time.perf_counter() - t0)

        threads = [threading.Thread(target=connect) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(60)
    slow = sum(t > 0.5 for t in times)
    print(f"tcp_idle_connections {idle} connections")
    print(f"tcp_threads_base {base} threads")
    print(f"tcp_threads_with_idle_connections_max {held} threads")
    print(f"tcp_threads_after_idle_timeout {after} threads")
    print(f"tcp_idle_connections_closed {closed} connections")
    print(f"tcp_simultaneous_connects {len(times)} connects")
    print(f"tcp_connects_over_0.5s {slow} connects")
    print(f"tcp_connect_max {max(times) * 1000:.1f} ms")
    return closed == idle and slow == 0 and len(times) == 50


def _closed(conn: socket.socket) -> bool:
    conn.settimeout(5)
    try:
        return conn.recv(1) == b""
    except OSError:
        return True


def second_server(port: int, out: Path) -> bool:
    before = sorted(p.name for p in out.iterdir())
    done = subprocess.run(
        [str(MULTITRACK), "serve", "--port", str(port), "--out", str(out), "--example"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    after = sorted(p.name for p in out.iterdir())
    one_line = len(done.stderr.strip().splitlines()) == 1
    print(f"second_server_exit {done.returncode} code")
    print(f"second_server_one_line {int(one_line)} bool")
    print(f"takes_lost_to_second_server {len(set(before) - set(after))} takes")
    return done.returncode == 2 and one_line and before == after


def bad_cli(scratch: Path) -> bool:
    one_line = 0
    for argv in BAD_CLI:
        extra = ["--out", str(scratch / "cli-out")] if argv[0] == "generate" else []
        done = subprocess.run(
            [str(MULTITRACK), *argv, *extra], capture_output=True, text=True, timeout=300
        )
        lines = done.stderr.strip().splitlines()
        one_line += done.returncode != 0 and len(lines) == 1 and "Traceback" not in done.stderr
    print(f"bad_cli_inputs {len(BAD_CLI)} inputs")
    print(f"bad_cli_one_line_errors {one_line} inputs")
    return one_line == len(BAD_CLI)


def disk_full(extra: list[str]) -> bool:
    """A take into a 1 MiB tmpfs: `disk_full`, and nothing left behind. Root only."""
    mount = Path(tempfile.mkdtemp(prefix="multitrack-full-"))
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:  # fmt: skip
        print("disk_full_code skipped (mounting a tmpfs needs root)")
        return True
    try:
        proc, port, _ = start(mount, extra)
        try:
            with OscClient("127.0.0.1", port, timeout=300) as client:
                result = client.run_job(protocol.GENERATE, ["big", "pop", "bars", 8])
        finally:
            proc.terminate()
            proc.wait(60)
        code = result.terminal.args[1] if result.terminal is not None else "timeout"
        left = [p.name for p in mount.iterdir() if p.name != ".multitrack-serve.lock"]
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
    print(f"disk_full_code {code}")
    print(f"disk_full_left_behind {len(left)} files")
    return code == "disk_full" and not left


def run_faults(
    proc: subprocess.Popen[str], port: int, out: Path, scratch: Path, extra: list[str],
    args: argparse.Namespace,
) -> bool:  # fmt: skip
    checks = [
        junk(port, proc.pid, args.junk),
        invalid(port),
        second_server(port, out),
        tcp(scratch, extra, args.idle),
        bad_cli(scratch),
        disk_full(extra),
    ]
    threads = proc_status(proc.pid, "Threads")
    print(f"server_threads_at_end {threads} threads")
    print(f"server_alive {int(proc.poll() is None)} bool")
    return all(checks) and proc.poll() is None
