"""Command-line start-up: `medcred --help`, `--version` and `verify one.json` (VALID, local chain).

    .venv/bin/python benchmarks/bench_cli.py [--runs 9]

Each figure is the median (and the fastest) wall time of --runs runs of a fresh process, and its
median CPU time (user + system, which a loaded machine inflates much less), measured in the same run
as `python -c pass` and `node -e 0`, which say how loaded the machine was. `verify`'s CPU time leaves
out the local chain's (anvil) work answering its calls. The credential is
issued and anchored first on a local anvil chain in a temporary data folder (a few seconds, not
measured); the chain is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MEDCRED = str(BIN / "medcred")
TARGETS = {"medcred --help": 0.25, "medcred --version": 0.25, "medcred verify one.json": 0.8}


def timed(argv: list[str], runs: int, env: dict[str, str], expect_rc: int = 0) -> tuple[float, float, float]:
    """(median wall time, fastest wall time, median CPU time: user + system) in seconds of `argv` over
    `runs` fresh processes. CPU time says what the command costs when other work slows the clock."""
    times = []
    cpu = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(argv, check=False, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if result.returncode != expect_rc:
            raise SystemExit(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return statistics.median(times), min(times), statistics.median(cpu)


def prepare(data: Path, env: dict[str, str]) -> Path:
    """A VALID anchored credential on the local chain of `data`; returns its file."""

    def medcred(*args: str) -> str:
        return subprocess.run([MEDCRED, *args], env=env, check=True, capture_output=True, text=True).stdout

    medcred("run", "--once")  # chain, registry, demo institution
    credential = data / "one.json"
    medcred(
        "issue",
        "--institution",
        "demo",
        "--template",
        "acls",
        "--email",
        "a@example.org",
        "--name",
        "Ada Lovelace",
        "-o",
        str(credential),
    )
    medcred("anchor")
    credential_id = json.loads(credential.read_text())["id"]
    medcred("export", credential_id, "-o", str(credential))
    return credential


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="medcred-bench-cli-"))
    env = {**os.environ, "MEDCRED_DATA_DIR": str(data), "MEDCRED_CHAIN": "local"}
    try:
        credential = prepare(data, env)
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("node -e 0", [shutil.which("node") or "node", "-e", "0"]),
            ("medcred --help", [MEDCRED, "--help"]),
            ("medcred --version", [MEDCRED, "--version"]),
            ("medcred verify one.json", [MEDCRED, "verify", str(credential)]),
        ]
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {args.runs} runs each")
        print(f"{'command':<26}{'median':>9}{'fastest':>9}{'CPU':>9}   target (median)")
        for label, argv in rows:
            median, fastest, cpu = timed(argv, args.runs, env)
            target = TARGETS.get(label)
            mark = "" if target is None else f"   ≤ {target:.2f} s {'ok' if median <= target else 'OVER'}"
            print(f"{label:<26}{median:>8.3f}s{fastest:>8.3f}s{cpu:>8.3f}s{mark}")
    finally:
        subprocess.run([MEDCRED, "chain", "stop"], check=False, env=env, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
