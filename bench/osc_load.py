"""OSC load and faults in one run against `multitrack serve`: the figures the next attack
starts from.

    .venv/bin/python bench/osc_load.py [--checkpoint PATH | --example] [--clients 20]
        [--requests 5] [--queue 8] [--junk 10000] [--idle 500]

Load: 20 clients x 5 generate requests at once; every job must end done or refused `busy`,
every reply reach the client that asked, every take hold the request that made it. Then the
faults (bench/osc_faults.py): junk UDP packets and a burst (replies lost, RSS), well-formed
invalid requests (one error each), the status reply's size, idle TCP connections (threads
held, closed by the idle timeout), 50 simultaneous connects (the listen backlog), a second
server on the same --out, bad CLI inputs (one line, non-zero exit) and a full disk (root
only). Prints one `name value unit` line per figure; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from osc_faults import run_faults
from osc_latency import model_args, pct, start

from bridge import protocol
from bridge.client import OscClient, Reply


def client_run(
    port: int, c: int, n: int, barrier: threading.Barrier, out: dict[int, object]
) -> None:
    jobs = [f"c{c:02d}-r{r}" for r in range(n)]
    sent: dict[str, float] = {}
    seen: list[tuple[float, Reply]] = []
    finals: dict[str, Reply] = {}
    with OscClient("127.0.0.1", port, timeout=600) as client:
        barrier.wait()
        for job in jobs:
            sent[job] = time.perf_counter()
            client.send(protocol.GENERATE, [job, f"pop song number {job}", "bars", 8])
        while len(finals) < n:
            reply = client.receive(600)
            if reply is None:
                break
            seen.append((time.perf_counter(), reply))
            if reply.address in (protocol.DONE, protocol.ERROR) and reply.job in sent:
                finals.setdefault(str(reply.job), reply)
    out[c] = (sent, seen, finals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--example", action="store_true")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--queue", type=int, default=8)
    parser.add_argument("--junk", type=int, default=10_000, help="junk UDP packets to send")
    parser.add_argument("--idle", type=int, default=500, help="idle TCP connections to open")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        extra, label = model_args(args, Path(scratch))
        out_dir = Path(scratch) / "out"
        proc, port, _ = start(out_dir, [*extra, "--queue", str(args.queue)])
        try:
            results: dict[int, object] = {}
            barrier = threading.Barrier(args.clients)
            threads = [
                threading.Thread(target=client_run, args=(port, c, args.requests, barrier, results))
                for c in range(args.clients)
            ]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            faults_ok = run_faults(proc, port, out_dir, Path(scratch), extra, args)
        finally:
            proc.terminate()
            proc.wait(120)
        done = busy = other = misrouted = mixed = missing = duplicate = 0
        accept_ms: list[float] = []
        done_s: list[float] = []
        for sent, seen, finals in results.values():  # type: ignore[misc]
            missing += len(sent) - len(finals)
            terminal_ids = [r.job for _, r in seen if r.address in (protocol.DONE, protocol.ERROR)]
            duplicate += len(terminal_ids) - len(set(terminal_ids))
            for when, reply in seen:
                if reply.job not in sent:
                    misrouted += 1
                elif reply.address == protocol.ACCEPTED:
                    accept_ms.append((when - sent[reply.job]) * 1000)
            for job, reply in finals.items():
                if reply.address == protocol.DONE:
                    done += 1
                    done_s.append(next(w for w, r in seen if r is reply) - sent[job])
                    record = json.loads((out_dir / job / "song.json").read_text(encoding="utf-8"))
                    mixed += record.get("prompt") != f"pop song number {job}"
                elif reply.args[1] == "busy":
                    busy += 1
                else:
                    other += 1
        total = args.clients * args.requests
        print(f"model {label}")
        print(f"requests {total}")
        print(f"done {done}")
        print(f"refused_busy {busy}")
        print(f"other_errors {other}")
        print(f"no_terminal_reply {missing}")
        print(f"duplicate_terminal_replies {duplicate}")
        print(f"replies_to_the_wrong_client {misrouted}")
        print(f"takes_mixed_with_another {mixed}")
        print(f"wall {wall:.2f} s")
        print(f"done_per_second {done / wall:.2f} jobs/s")
        if accept_ms:
            print(f"accepted_p50 {statistics.median(accept_ms):.1f} ms")
            print(f"accepted_p95 {pct(accept_ms, 0.95):.1f} ms")
        if done_s:
            print(f"request_to_done_p50 {statistics.median(done_s):.2f} s")
            print(f"request_to_done_p95 {pct(done_s, 0.95):.2f} s")
        ok = done + busy == total and not (other or missing or duplicate or misrouted or mixed)
        ok = ok and faults_ok
        print(f"all_checks {'pass' if ok else 'FAIL'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
