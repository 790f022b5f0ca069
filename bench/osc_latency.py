"""OSC latency: ping round trip (idle and while a job runs) and request-to-done for 8 bars
on a warm `multitrack serve`.

    .venv/bin/python bench/osc_latency.py [--checkpoint PATH | --example] [--runs 5]

Without a flag it serves the shipped checkpoint when there is one, else a tiny untrained
model (same code path, meaningless music). Prints one `name value unit` line per figure.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bridge import protocol
from bridge.client import OscClient

MULTITRACK = Path(sys.executable).with_name("multitrack")


def model_args(args: argparse.Namespace, scratch: Path) -> tuple[list[str], str]:
    if args.example:
        return ["--example"], "example song (no model)"
    if args.checkpoint is not None:
        return ["--checkpoint", str(args.checkpoint)], str(args.checkpoint)
    from models.checkpoint import DEFAULT_CHECKPOINT

    if DEFAULT_CHECKPOINT.is_file():
        return [], f"shipped {DEFAULT_CHECKPOINT.name}"
    import torch

    from models.checkpoint import build, save_checkpoint
    from models.config import ModelConfig

    torch.manual_seed(0)
    config = ModelConfig.tiny()
    path = scratch / "tiny.pt"
    save_checkpoint(path, config, *build(config))
    return ["--checkpoint", str(path)], "tiny untrained model (no shipped checkpoint)"


def start(out: Path, extra: list[str]) -> tuple[subprocess.Popen[str], int, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(MULTITRACK), "serve", "--port", "0", "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.match(r"ready \w+://[\d.]+:(\d+) ", line)
        if match:
            return proc, int(match[1]), time.perf_counter() - t0
    raise SystemExit("the server did not start")


def pings(client: OscClient, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        reply = client.ping(timeout=10)
        assert reply is not None and reply.address == protocol.PONG
        times.append((time.perf_counter() - t0) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--example", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        extra, label = model_args(args, Path(scratch))
        proc, port, ready = start(Path(scratch) / "out", extra)
        try:
            print(f"model {label}")
            print(f"startup_to_ready {ready:.2f} s")
            with OscClient("127.0.0.1", port, timeout=120) as client:
                idle = pings(client, 1000)
                print(f"ping_rtt_median {statistics.median(idle):.3f} ms")
                print(f"ping_rtt_p99 {pct(idle, 0.99):.3f} ms")
                warm = client.run_job(protocol.GENERATE, ["warm", "pop", "bars", 8])
                assert warm.ok, warm.to_json()
                accepted, first_progress, done = [], [], []
                for run in range(args.runs):
                    job = f"run-{run}"
                    t0 = time.perf_counter()
                    client.send(protocol.GENERATE, [job, f"欢快的流行歌 {run}", "bars", 8])
                    while True:
                        reply = client.receive(120)
                        assert reply is not None
                        now = time.perf_counter() - t0
                        if reply.job != job:
                            continue
                        if reply.address == protocol.ACCEPTED:
                            accepted.append(now * 1000)
                        elif reply.address == protocol.PROGRESS and len(first_progress) == run:
                            first_progress.append(now * 1000)
                        elif reply.address in (protocol.DONE, protocol.ERROR):
                            assert reply.address == protocol.DONE, reply
                            done.append(now)
                            break
                print(f"accepted_median {statistics.median(accepted):.1f} ms")
                print(f"first_progress_median {statistics.median(first_progress):.1f} ms")
                print(f"request_to_done_8_bars_median {statistics.median(done):.3f} s")
                print(f"request_to_done_8_bars_min {min(done):.3f} s")
                # Pings from a second client while an 8-bar job runs on the worker.
                busy: list[float] = []
                with OscClient("127.0.0.1", port, timeout=120) as other:
                    job = threading.Thread(
                        target=client.run_job, args=(protocol.GENERATE, ["busy", "rock", "bars", 8])
                    )
                    job.start()
                    while job.is_alive():
                        busy += pings(other, 10)
                    job.join()
                if busy:
                    print(f"ping_rtt_during_job_median {statistics.median(busy):.3f} ms")
                    ratio = statistics.median(busy) / statistics.median(idle)
                    print(f"ping_during_job_over_idle {ratio:.2f} x")
        finally:
            proc.terminate()
            proc.wait(60)


if __name__ == "__main__":
    main()
