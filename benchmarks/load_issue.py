"""Open-loop issue load against gunicorn (two workers) on loopback, then verify everything issued.

    .venv/bin/python benchmarks/load_issue.py                       # 200 req/s for 60 s = 12,000
    .venv/bin/python benchmarks/load_issue.py --rate 50 --seconds 5 # the short CI run

What it does, all on 127.0.0.1 and in a throw-away data folder:

1. starts anvil (issuer.chain.anvil.LocalChain), deploys the registry, creates an institution and
   an `issue` token;
2. starts `gunicorn 'issuer.web.wsgi:create_app()'` (--workers 2) and ONE `medcred worker`
   (the anchoring worker: gunicorn's workers never anchor);
3. from a separate process, sends exactly rate x seconds issue requests, each at its scheduled
   time t0 + i/rate whatever the previous ones are doing (open loop: a slow server cannot slow the
   offered load down and hide its own latency). Latency is measured from the scheduled time, so
   time a request spent waiting for a free client connection counts too;
4. prints the status codes, errors, achieved rate and p50/p95/p99;
5. waits until every credential is anchored, exports them all from the database and runs
   `medcred verify-batch` over them (status lists fetched from the running gunicorn);
6. stops everything it started and deletes the folder (unless --keep).

Bounded: the request count is fixed, every request has a timeout, and each phase has a deadline.
Exit code 0 only if there were zero errors, every issued credential is in the database, and
verify-batch found every one VALID. `--json FILE` writes the figures for tests and reports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from issuer.chain.anvil import LocalChain
from issuer.cli.run_command import ensure_registry
from issuer.config import ServiceConfig
from issuer.service import IssuerService
from verifier.settings import Settings

SLUG = "load"
REQUEST_TIMEOUT_S = 30.0
START_TIMEOUT_S = 60.0
ANCHOR_TIMEOUT_S = 300.0
VERIFY_TIMEOUT_S = 900.0
WARMUP_REQUESTS = 8
"""Sent (and verified) before the measured run, so each gunicorn worker has loaded its templates,
JSON-LD contexts and connections; not counted in the figures."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


# ---------------------------------------------------------------------------- the load generator


def _generate(url: str, token: str, rate: float, total: int, concurrency: int, out: str) -> None:
    """Child process: send `total` POSTs at `rate`/s, write one record per request to `out` (JSON)."""
    import asyncio

    import aiohttp

    async def run() -> dict[str, Any]:
        records: list[dict[str, Any]] = [{} for _ in range(total)]
        connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=15)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:

            async def one(i: int, scheduled: float) -> None:
                body = {"template": "bls", "email": f"load{i}@example.org", "name": f"Load Person {i}"}
                sent = time.perf_counter()
                record: dict[str, Any] = {"lag": sent - scheduled}
                try:
                    async with session.post(url, json=body) as response:
                        payload = await response.read()
                        record["status"] = response.status
                        if response.status == 201:
                            record["id"] = json.loads(payload)["id"]
                        else:
                            record["error"] = payload[:300].decode("utf-8", "replace")
                except Exception as exc:  # every failure is a result to count, not a crash
                    record["status"] = type(exc).__name__
                    record["error"] = str(exc)[:300]
                done = time.perf_counter()
                record["latency"] = done - scheduled
                record["service"] = done - sent
                record["done"] = done
                records[i] = record

            tasks = []
            t0 = time.perf_counter() + 0.05
            for i in range(total):
                scheduled = t0 + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(i, scheduled)))
            last_scheduled = time.perf_counter()
            _done, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_S + 10)
            for task in pending:  # cannot happen with the per-request timeout; bounded anyway
                task.cancel()
        return {"t0": t0, "last_scheduled": last_scheduled, "records": records}

    result = asyncio.run(run())
    Path(out).write_text(json.dumps(result), encoding="utf-8")


def drive_load(url: str, token: str, rate: float, total: int, concurrency: int, work: Path) -> dict[str, Any]:
    """Run the generator in its own process (its own GIL and core) and collect its records."""
    out = work / "load-records.json"
    context = multiprocessing.get_context("spawn")  # a clean interpreter: nothing inherited
    process = context.Process(target=_generate, args=(url, token, rate, total, concurrency, str(out)))
    process.start()
    process.join(total / rate + REQUEST_TIMEOUT_S + 60)
    if process.is_alive():
        process.terminate()
        process.join(10)
        raise SystemExit("The load generator did not finish in time.")
    if process.exitcode != 0 or not out.exists():
        raise SystemExit(f"The load generator failed (exit code {process.exitcode}).")
    return json.loads(out.read_text(encoding="utf-8"))


def summarize(result: dict[str, Any], rate: float, seconds: float) -> dict[str, Any]:
    records = result["records"]
    statuses = Counter(str(r.get("status", "missing")) for r in records)
    ok = [r for r in records if r.get("status") == 201]
    errors = [r for r in records if r.get("status") != 201]
    latencies = sorted(r["latency"] for r in ok)
    service = sorted(r["service"] for r in ok)
    t0 = result["t0"]
    span = (max(r["done"] for r in ok) - t0) if ok else math.nan
    return {
        "offered_rate": rate,
        "seconds": seconds,
        "requests": len(records),
        "ok": len(ok),
        "errors": len(errors),
        "statuses": dict(statuses),
        "first_errors": [r.get("error") for r in errors[:5]],
        "send_span_s": result["last_scheduled"] - t0,
        "achieved_rate": len(ok) / span if ok else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else math.nan,
        "service_p50_ms": percentile(service, 0.50) * 1000,
        "service_p99_ms": percentile(service, 0.99) * 1000,
        "max_send_lag_ms": max((r.get("lag", 0.0) for r in records), default=0.0) * 1000,
        "ids": [r["id"] for r in ok],
    }


# ---------------------------------------------------------------------------- the processes


class Stack:
    """Everything this script starts, stopped in reverse order by `stop()` (idempotent)."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.data = data
        self.env = env
        self.logs = data / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.node = LocalChain(data)
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            args, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.processes.append((name, process))
        return process

    def check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}:\n{self.tail(name)}")

    def cpu_seconds(self) -> dict[str, float]:
        """User+system CPU seconds used so far by each started process and its descendants (gunicorn's
        workers): CPU per request is a figure that other load on the machine barely changes."""
        return {name: _tree_cpu(process.pid) for name, process in self.processes}

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # gunicorn and `medcred worker`: graceful stop
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    print(f"{name} did not stop on SIGTERM: killing its process group", file=sys.stderr)
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)  # the group we created for it
                    process.wait(10)
        self.processes.clear()
        self.node.stop()


def _tree_cpu(pid: int) -> float:
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total += sum(_tree_cpu(int(child)) for child in children)
    return total


def wait_healthy(base: str, stack: Stack) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        stack.check_alive()
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {START_TIMEOUT_S:.0f} s:\n{stack.tail('gunicorn')}")


def wait_anchored(service: IssuerService, stack: Stack) -> tuple[dict[str, int], float]:
    started = time.monotonic()
    while True:
        counts = service.count_credentials(SLUG)
        if counts.get("pending", 0) == 0 and counts.get("submitted", 0) == 0:
            return counts, time.monotonic() - started
        if time.monotonic() - started > ANCHOR_TIMEOUT_S:
            raise SystemExit(f"Not everything was anchored within {ANCHOR_TIMEOUT_S:.0f} s: {counts}")
        stack.check_alive()
        time.sleep(1.0)


def export_all(service: IssuerService, path: Path) -> set[str]:
    """Every credential of the institution as it is now (with its anchor proof), one JSON a line."""
    ids: set[str] = set()
    with path.open("w", encoding="utf-8") as out:
        offset = 0
        while True:
            page = service.list_credentials(SLUG, limit=1000, offset=offset)
            for record in page:
                ids.add(record.id)
                out.write(json.dumps(record.document, separators=(",", ":")) + "\n")
            if len(page) < 1000:
                return ids
            offset += len(page)


def verify_batch(env: dict[str, str], data: Path, credentials: Path, report: Path) -> dict[str, Any]:
    started = time.monotonic()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "verifier",
            "verify-batch",
            "--quiet",
            "--report",
            str(report),
            str(credentials),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=VERIFY_TIMEOUT_S,
        check=False,
    )
    rows = json.loads(report.read_text(encoding="utf-8")) if report.exists() else []
    statuses = Counter(str(row.get("status")) for row in rows) if isinstance(rows, list) else Counter()
    return {
        "exit_code": completed.returncode,
        "seconds": time.monotonic() - started,
        "statuses": dict(statuses),
        "output": (completed.stdout + completed.stderr).strip(),
    }


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--concurrency", type=int, default=256, help="client connections at most")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (logs, database)")
    parser.add_argument("--json", metavar="FILE", help="write the figures to FILE")
    args = parser.parse_args(argv)
    total = round(args.rate * args.seconds)
    if not 1 <= total <= 100_000 or args.rate <= 0:
        parser.error("rate x seconds must be between 1 and 100,000 requests")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below on SIGTERM too
    data = Path(tempfile.mkdtemp(prefix="medcred-load-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCRED_") or k == "MEDCRED_ANVIL"}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "MEDCRED_DATA_DIR": str(data),
            "MEDCRED_CHAIN": "local",
            "MEDCRED_PUBLIC_URL": base,
            "MEDCRED_BATCH_MAX_AGE": "2",  # the tail of the run anchors within seconds
        }
    )
    settings = Settings(data_dir=data, chain="local")
    stack = Stack(data, env)
    figures: dict[str, Any] = {"load_before": os.getloadavg(), "cores": os.cpu_count()}
    service: IssuerService | None = None
    ok = False
    try:
        stack.node.start(port=free_port())
        ensure_registry(settings)
        service = IssuerService(ServiceConfig.from_settings(settings, env))
        service.create_institution("Load Test Simulation Centre", slug=SLUG)
        token, _ = service.create_token(SLUG, ["issue"], label="load test")
        service.db.dispose()  # no connection open in this process while gunicorn runs

        stack.spawn("worker", [sys.executable, "-m", "verifier", "worker"])
        stack.spawn(
            "gunicorn",
            [
                sys.executable, "-m", "gunicorn",
                "--workers", str(args.workers),
                "--threads", str(args.threads),
                "--bind", f"127.0.0.1:{port}",
                "--keep-alive", "30",  # longer than the client's 15 s: the client always closes first
                "--graceful-timeout", "20",
                "issuer.web.wsgi:create_app()",
            ],
        )  # fmt: skip
        wait_healthy(base, stack)
        url = f"{base}/api/v1/institutions/{SLUG}/credentials"
        for i in range(WARMUP_REQUESTS):
            response = requests.post(
                url,
                json={"template": "bls", "email": f"warmup{i}@example.org"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=REQUEST_TIMEOUT_S,
            )
            if response.status_code != 201:
                raise SystemExit(f"Warm-up request failed: {response.status_code} {response.text[:300]}")

        print(
            f"Load: {total:,} issue requests at {args.rate:g}/s for {args.seconds:g} s against gunicorn "
            f"({args.workers} workers x {args.threads} threads) on {base}; {os.cpu_count()} cores; "
            f"load average before {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        cpu_before = stack.cpu_seconds()
        result = drive_load(url, token, args.rate, total, args.concurrency, data)
        cpu_after = stack.cpu_seconds()
        load = summarize(result, args.rate, args.seconds)
        load["cpu_ms_per_request"] = {
            name: (cpu_after[name] - cpu_before.get(name, 0.0)) * 1000 / total for name in cpu_after
        }
        figures["load_after"] = os.getloadavg()
        stack.check_alive()
        print(f"  statuses: {load['statuses']}")
        print(f"  errors: {load['errors']}" + (f"  first: {load['first_errors']}" if load["errors"] else ""))
        print(
            f"  achieved {load['achieved_rate']:.1f} req/s (offered {args.rate:g}/s over "
            f"{load['send_span_s']:.1f} s; max send lag {load['max_send_lag_ms']:.0f} ms)"
        )
        print(
            f"  latency from scheduled time: p50 {load['p50_ms']:.0f} ms, p95 {load['p95_ms']:.0f} ms, "
            f"p99 {load['p99_ms']:.0f} ms, max {load['max_ms']:.0f} ms "
            f"(server+network only: p50 {load['service_p50_ms']:.0f}, p99 {load['service_p99_ms']:.0f})"
        )
        cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in load["cpu_ms_per_request"].items())
        print(f"  CPU ms per request: {cpu}")
        print(f"  load average after: {figures['load_after'][0]:.2f}", flush=True)

        counts, anchor_wait = wait_anchored(service, stack)
        print(f"Anchored: {counts} ({anchor_wait:.1f} s after the last request)", flush=True)
        exported = data / "credentials.jsonl"
        in_db = export_all(service, exported)
        missing = set(load["ids"]) - in_db
        print(f"Exported {len(in_db):,} credentials ({len(missing)} answered 201 but missing)", flush=True)
        verdict = verify_batch(env, data, exported, data / "verify-report.json")
        print(
            f"verify-batch: exit {verdict['exit_code']}, {verdict['statuses']} in {verdict['seconds']:.1f} s"
        )
        print("  " + verdict["output"].replace("\n", "\n  "))
        all_valid = (
            verdict["exit_code"] == 0
            and verdict["statuses"].get("VALID", 0) == len(in_db) == len(load["ids"]) + WARMUP_REQUESTS
        )
        ok = load["errors"] == 0 and not missing and all_valid
        figures.update(
            {
                "load": {k: v for k, v in load.items() if k != "ids"},
                "anchored": counts,
                "anchor_wait_s": anchor_wait,
                "exported": len(in_db),
                "missing": len(missing),
                "verify": {k: v for k, v in verdict.items() if k != "output"},
                "all_valid": all_valid,
                "ok": ok,
            }
        )
        print("RESULT: " + ("OK (zero errors, all VALID)" if ok else "FAILED"))
    finally:
        if service is not None:
            service.close()
        stack.stop()
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
        if args.keep:
            print(f"Data folder kept: {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
