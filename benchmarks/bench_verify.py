"""verify-batch throughput, peak memory, and deep-link latency of the verifier page.

    .venv/bin/python benchmarks/bench_verify.py [--credentials 10000] [--batches 10] [--memory-total 100000]

Starts its own anvil node in a temporary folder, deploys a registry, accredits an institution,
signs N credentials and anchors them in B batches, then:
  1. runs `medcred verify-batch` over them with 1 and 2 workers, and over the first `--small`
     (2,000) with 2 workers: credentials/second inside the loop (the command's own figure, start-up
     excluded) and for the whole command, all VALID;
  2. runs it over `--memory-total` credentials (the same file repeated) and samples the peak
     resident memory of the whole process tree;
  3. when Node.js and the npm packages are there, verifies `--small` of the same credentials with
     the reference JavaScript verifier (benchmarks/js_verify.mjs: @digitalbazaar/vc, signature and
     dates only, no anchor: less work than MedCred's full checks) and prints its rate beside;
  4. serves the verifier page and times `/verify?credential=<URL>` (p50/p95/p99).
The machine's load average is printed first and last: figures from a loaded machine are low.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pipeline.servers import credential_host
from pipeline.world import World

from issuer.chain.anvil import LocalChain
from issuer.chain.backends import open_chain
from verifier.config import TrustedRegistry, load_config, render_config
from verifier.web.app import create_app

MEDCRED = [sys.executable, "-m", "verifier"]
ROOT = Path(__file__).resolve().parents[1]
IN_LOOP = re.compile(r"([\d,]+) credentials in ([\d.]+) s \(([\d,]+)/s\)")


def in_loop_rate(output: str) -> str:
    """The command's own rate (start-up excluded), from its summary line."""
    match = IN_LOOP.search(output)
    return match.group(3) if match else "?"


def js_reference(jsonl: Path, limit: int) -> str:
    """The reference JavaScript verifier's rate over the first `limit` credentials, or why not."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        return "skipped (needs Node.js and the npm packages of package.json)"
    done = subprocess.run(
        [node, str(ROOT / "benchmarks" / "js_verify.mjs"), str(jsonl), str(limit)],
        capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    if done.returncode != 0:
        return f"failed: {done.stderr.strip()[-300:]}"
    result = json.loads(done.stdout)
    return (
        f"{result['perSecond']:,.0f} credentials/s over {result['credentials']:,} "
        f"({result['verified']:,} verified; 1 process, signature and dates only)"
    )


def _tree_memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of `pid` and all its descendants, from /proc. RSS counts the pages forked
    workers share with their parent once per process; PSS splits them, so it is the real total."""
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return rss, pss


def run_batch(paths: list[Path], config: Path, workers: int) -> tuple[float, tuple[int, int], str]:
    """Seconds, peak (RSS, PSS) in KiB of the process tree, and the command's summary."""
    cmd = [*MEDCRED, "verify-batch", "--quiet", "--config", str(config), "--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen([*cmd, *map(str, paths)], stdout=subprocess.PIPE, text=True)
    peak = (0, 0)
    while proc.poll() is None:
        rss, pss = _tree_memory_kib(proc.pid)
        peak = (max(peak[0], rss), max(peak[1], pss))
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    output = proc.stdout.read() if proc.stdout else ""
    return elapsed, peak, output


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--credentials", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--memory-total", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=2_000, help="the short run (and the JS reference's)")
    parser.add_argument("--latency-requests", type=int, default=200)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="medcred-bench-"))
    node = LocalChain(work)
    info = node.start(port=18700)
    try:
        world = World.create(open_chain("local", work))
        school = world.institution("Benchmark Resuscitation Council")
        per_batch = args.credentials // args.batches
        jsonl = work / "credentials.jsonl"
        started = time.perf_counter()
        with jsonl.open("w") as out:
            for _ in range(args.batches):
                for credential in world.issue_anchored(school, per_batch, template="bls"):
                    out.write(json.dumps(credential) + "\n")
        print(
            f"Prepared {per_batch * args.batches:,} credentials in {args.batches} anchored batches "
            f"({time.perf_counter() - started:.1f} s, signing included)\n"
        )
        trust = work / "verifier.toml"
        trust.write_text(
            render_config([TrustedRegistry("bench", world.chain.chain_id, world.address, info.rpc_url)])
        )

        total = per_batch * args.batches
        print(f"Load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
        print(f"verify-batch over {total:,} credentials")
        for workers in (1, 2):
            elapsed, peak, output = run_batch([jsonl], trust, workers)
            invalid = next((line.split()[-1] for line in output.splitlines() if "INVALID" in line), "?")
            print(
                f"  workers={workers}: {in_loop_rate(output):>6}/s in the loop, {total / elapsed:6,.0f}/s "
                f"whole command ({elapsed:5.1f} s)   peak RSS {peak[0] / 1024:4.0f} MiB, "
                f"PSS {peak[1] / 1024:4.0f} MiB   invalid: {invalid}"
            )

        small_count = min(args.small, total)
        small = work / "small.jsonl"
        with jsonl.open() as source, small.open("w") as out:
            for _, line in zip(range(small_count), source, strict=False):
                out.write(line)
        elapsed, _, output = run_batch([small], trust, 2)
        print(
            f"verify-batch over {small_count:,} credentials, workers=2: {in_loop_rate(output)}/s in the "
            f"loop, {small_count / elapsed:,.0f}/s whole command (start-up included, {elapsed:.1f} s)"
        )
        print(f"JavaScript reference verifier: {js_reference(small, small_count)}")

        repeats = max(1, args.memory_total // total)
        files = [jsonl] * repeats
        elapsed, peak, output = run_batch(files, trust, 2)
        print(
            f"\nverify-batch over {total * repeats:,} credentials, workers=2: "
            f"{in_loop_rate(output)}/s in the loop, {total * repeats / elapsed:,.0f}/s whole command, "
            f"peak memory of the process tree: RSS {peak[0] / 1024:.0f} MiB, PSS {peak[1] / 1024:.0f} MiB"
        )

        with credential_host() as host:
            first = json.loads(jsonl.open().readline())
            url = host.put("credential.json", first)
            app = create_app(load_config(trust).allowing_origin(host.base_url))  # loopback host
            app.logger.disabled = True
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            page = f"http://127.0.0.1:{server.server_port}/verify"
            session = requests.Session()
            timings = []
            for _ in range(args.latency_requests):
                t0 = time.perf_counter()
                response = session.get(page, params={"credential": url}, timeout=10)
                timings.append((time.perf_counter() - t0) * 1000)
                assert 'data-status="VALID"' in response.text
            server.shutdown()
        first = timings[0]
        timings.sort()
        pct = statistics.quantiles(timings, n=100)
        print(
            f"\nDeep link to rendered verdict ({args.latency_requests} requests, loopback): "
            f"p50 {pct[49]:.1f} ms, p95 {pct[94]:.1f} ms, p99 {pct[98]:.1f} ms, first request {first:.1f} ms"
        )
        print(f"\nLoad average {os.getloadavg()[0]:.2f} at the end")
    finally:
        node.stop()


if __name__ == "__main__":
    main()
