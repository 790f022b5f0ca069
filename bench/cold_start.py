"""A cold ``multitrack generate`` of 8 bars, the server's readiness, and the hand-off.

Runs the CLI as a fresh subprocess ``--runs`` times per variant, interleaved, and prints the
median wall time and the split the command reports (``--timings``: handoff probe, imports,
model load, generate and write, preview; song.json's text/sampling/decode inside it):

- ``cold``: a fresh text-vector cache each run (models.text.cache), as on a first prompt;
- ``warm cache``: the prompt met before (the cache holds its vector);
- ``--compare CLI`` (e.g. ``/work/main/.venv/bin/multitrack``): another install, same runs;
- ``handed off``: a ``multitrack serve`` owns --out and the command hands the job to it.

Then the import split of one cold run (``python -X importtime``, self time summed by
top-level package) and the server's readiness (``serve`` start to answering ``ping``).

    .venv/bin/python bench/cold_start.py [--runs 5] [--compare PATH] [--prompt TEXT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bridge.client import OscClient

ROOT = Path(__file__).resolve().parents[1]
MULTITRACK = Path(sys.executable).with_name("multitrack")
PROMPT = "lo-fi hip hop in A minor, 85 bpm, mellow electric piano"
READY_WAIT = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(cli: Path, args: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Wall seconds of one ``generate`` and what it reported (stages, song.json timings)."""
    t = time.perf_counter()
    done = subprocess.run([str(cli), "generate", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=False)  # fmt: skip
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"{cli} generate failed: {done.stderr.strip()[-400:]}")
    report: dict[str, Any] = {}
    for line in done.stderr.splitlines():
        if line.startswith('{"stages"'):
            report.update(json.loads(line))
    take = re.search(r"^take: (.+)$", done.stdout, re.M)
    if take:
        record = json.loads((Path(take[1]) / "song.json").read_text(encoding="utf-8"))
        report["timings"] = record.get("timings", {})
    return wall, report


def summary(name: str, walls: list[float], reports: list[dict[str, Any]]) -> None:
    line = f"{name:14s} median {statistics.median(walls):.2f} s (min {min(walls):.2f})"
    stages: dict[str, list[float]] = defaultdict(list)
    for report in reports:
        for key, value in {**report.get("stages", {}), **report.get("timings", {})}.items():
            stages[key].append(value)
    if stages:
        line += " | " + " ".join(f"{k} {statistics.median(v):.2f}" for k, v in stages.items())
    print(line, flush=True)


def import_split(env: dict[str, str], out: Path) -> None:
    """Self import time by top-level package for one cold generate, largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bridge.cli", "generate",
                           PROMPT, "--bars", "8", "--out", str(out), "--local"],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)  # fmt: skip
    totals: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            totals[m[2].split(".")[0]] += int(m[1]) / 1e6
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    print(
        f"imports {sum(totals.values()):.2f} s: "
        + ", ".join(f"{k} {v:.2f}" for k, v in ranked[:10])
    )


def start_server(out: Path, port: int, env: dict[str, str]) -> tuple[subprocess.Popen[str], float]:
    """``multitrack serve`` and the seconds from its start to answering ``ping``."""
    t = time.perf_counter()
    proc = subprocess.Popen([str(MULTITRACK), "serve", "--port", str(port), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            cwd=ROOT, text=True)  # fmt: skip
    with OscClient("127.0.0.1", port, timeout=0.05) as client:
        while time.perf_counter() - t < READY_WAIT:
            if proc.poll() is not None:
                raise SystemExit("multitrack serve exited before it was ready")
            if client.ping() is not None:
                return proc, time.perf_counter() - t
    proc.terminate()
    raise SystemExit("multitrack serve was not ready in time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--compare", type=Path, help="another install's multitrack, run alike")
    ap.add_argument("--prompt", default=PROMPT)
    ap.add_argument("--servers", type=int, default=3, help="server starts to time")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        warm = {**os.environ, "MULTITRACK_CACHE_DIR": str(tmp / "cache")}
        run_cli(MULTITRACK, [args.prompt, "--bars", "8", "--out", str(tmp / "w"), "--local"], warm)
        variants: dict[str, list[tuple[float, dict[str, Any]]]] = defaultdict(list)
        for i in range(args.runs):
            common = [args.prompt, "--bars", "8", "--seed", str(i)]
            cold = {**os.environ, "MULTITRACK_CACHE_DIR": str(tmp / f"cache-{i}")}
            ours = [*common, "--local", "--timings"]
            variants["cold"].append(run_cli(MULTITRACK, [*ours, "--out", str(tmp / "c")], cold))
            variants["warm cache"].append(run_cli(MULTITRACK, [*ours, "--out", str(tmp / "w")], warm))  # fmt: skip
            if args.compare is not None:
                variants["compare"].append(
                    run_cli(args.compare, [*common, "--out", str(tmp / "x")], dict(os.environ))
                )
        for name, rows in variants.items():
            summary(name, [w for w, _ in rows], [r for _, r in rows])
        import_split({**warm, "MULTITRACK_CACHE_DIR": str(tmp / "cache-x")}, tmp / "i")
        readiness, served = [], tmp / "served"
        for k in range(max(1, args.servers)):
            port = free_port()
            proc, ready = start_server(served, port, warm)
            readiness.append(ready)
            if k == 0:  # hand-offs to this server
                env = {**warm, "MULTITRACK_SERVE_PORT": str(port)}
                rows = [run_cli(MULTITRACK, [args.prompt, "--bars", "8", "--seed", str(i),
                                             "--out", str(served), "--timings"], env)
                        for i in range(args.runs)]  # fmt: skip
                summary("handed off", [w for w, _ in rows], [r for _, r in rows])
            proc.terminate()
            proc.wait(timeout=60)
        print(f"server ready (start to pong): median {statistics.median(readiness):.2f} s "
              f"over {len(readiness)} starts ({', '.join(f'{r:.2f}' for r in readiness)})")  # fmt: skip


if __name__ == "__main__":
    main()
