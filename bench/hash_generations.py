"""Hash song.mid (and song.json) of a fixed set of generations, to show a refactor changed no notes.

Runs the real command line (``multitrack generate``) for ten requests, new takes and edits
of them (forced chords, kept stems, repainted bars), and prints one SHA-256 per take. With
``--save FILE`` the hashes are written as JSON; with ``--check FILE`` they are compared with
a saved run and the script exits non-zero on any difference.

    .venv/bin/python bench/hash_generations.py --save /tmp/before.json
    .venv/bin/python bench/hash_generations.py --check /tmp/before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# (take name, arguments after `multitrack generate`); "{out}" is the takes folder.
RUNS: list[tuple[str, list[str]]] = [
    ("lofi", ["lo-fi hip hop in A minor, 85 bpm, mellow electric piano", "--seed", "1"]),
    ("guzheng", ["一段充满东方禅意的古筝独奏,节奏舒缓", "--seed", "2"]),
    ("pop", ["upbeat pop in C major, 120 bpm", "--seed", "3", "--bars", "4"]),
    ("waltz", ["a gentle waltz in F major", "--seed", "4", "--meter", "3/4"]),
    ("jig", ["irish jig in D", "--seed", "5", "--meter", "6/8", "--bars", "4"]),
    ("keyflag", ["jazz ballad", "--seed", "6", "--key", "Eb minor", "--bpm", "70"]),
    ("forced", ["rock song in E minor", "--seed", "7", "--chords", "Em C G D"]),
    ("nodrums", ["儿童钢琴曲,C大调", "--seed", "8", "--stems", "melody,chords,bass"]),
    ("edit_chords", ["", "--from", "{out}/pop", "--chords", "C Am F G7"]),
    ("edit_keep", ["", "--from", "{out}/lofi", "--keep", "chords,bass", "--seed", "9"]),
    ("edit_repaint", ["", "--from", "{out}/guzheng", "--repaint", "3-4"]),
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_all(exe: Path, out: Path) -> dict[str, dict[str, str]]:
    """Generate every take into ``out``; return {take: {file: sha256}}."""
    hashes: dict[str, dict[str, str]] = {}
    for name, args in RUNS:
        argv = [a.replace("{out}", str(out)) for a in args]
        cmd = [str(exe), "generate", *argv, "--out", str(out), "--name", name]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{name}: {' '.join(cmd)} failed: {done.stderr.strip()}")
        take = out / name
        record = json.loads((take / "song.json").read_text(encoding="utf-8"))
        for volatile in ("created", "elapsed", "timings", "folder"):
            record.pop(volatile, None)
        hashes[name] = {
            "song.mid": digest(take / "song.mid"),
            "song.json": hashlib.sha256(
                json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
            ).hexdigest(),
        }
        print(f"{name:14s} song.mid {hashes[name]['song.mid'][:16]}")
    return hashes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", type=Path, help="write the hashes to this JSON file")
    ap.add_argument("--check", type=Path, help="compare with hashes saved by --save")
    ap.add_argument("--exe", type=Path, default=Path(sys.executable).parent / "multitrack")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hashes = run_all(args.exe, Path(tmp))
    if args.save is not None:
        args.save.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    if args.check is not None:
        saved = json.loads(args.check.read_text())
        differ = [
            f"{take} {name}"
            for take in sorted(set(saved) | set(hashes))
            for name in ("song.mid", "song.json")
            if saved.get(take, {}).get(name) != hashes.get(take, {}).get(name)
        ]
        same = 2 * len(RUNS) - len(differ)
        print(f"{same}/{2 * len(RUNS)} hashes equal" + (f"; differ: {differ}" if differ else ""))
        if differ:
            sys.exit(1)


if __name__ == "__main__":
    main()
