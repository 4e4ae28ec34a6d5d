"""Issuer throughput: credentials issued per second through the service, then anchored.

    .venv/bin/python benchmarks/bench_issuer.py [--rows 10000] [--single 300] [--chain local|memory]

Prints: single-credential issuance (one request at a time, as the API does), a CSV roster
(validated, signed on one process per core, stored in one transaction), anchoring of everything
issued, and the time from issue to anchored on the local chain (anvil) for one credential.
Runs in a temporary data folder; SQLite unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from issuer.chain.anvil import LocalChain
from issuer.chain.backends import memory_chain
from issuer.chain.context import deployment_store
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.cli.run_command import ensure_registry
from issuer.config import ServiceConfig
from issuer.service import IssuerService
from issuer.web import start_web
from verifier.settings import Settings


def roster(rows: int) -> str:
    templates = ["acls", "pals", "bls", "cpd"]
    lines = ["name,email,template,valid_from"]
    lines += [f"Person {i},person{i}@example.org,{templates[i % 4]},2025-06-01" for i in range(rows)]
    return "\n".join(lines) + "\n"


def _api_load(
    url: str, token: str, requests_total: int, concurrency: int, prefix: str = "api"
) -> list[float]:
    """POST issue requests from `concurrency` threads; returns each request's latency (s)."""
    import requests

    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests_total))

    def client() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for i in counter:
            body = {"template": "bls", "email": f"{prefix}{i}@example.org", "name": f"Api {i}"}
            t0 = time.perf_counter()
            response = session.post(url, json=body, timeout=30)
            elapsed = time.perf_counter() - t0
            if response.status_code != 201:
                raise SystemExit(f"API answered {response.status_code}: {response.text[:200]}")
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def compare_rosters(service: IssuerService, sizes: list[int], settings: Settings) -> None:
    """Each roster size issued in one process, on the pool (forced) and as `issue_roster` chooses;
    then a 2,000-row `medcred issue-batch` as a user runs it (process start-up included)."""
    workers = os.cpu_count() or 1
    print(f"rosters (issue_roster: parse, sign, store), pool of {workers} forked workers:")
    for size in sizes:
        figures = []
        for label, pool in (("1 process", False), ("pool", True), ("auto", None)):
            start = time.perf_counter()
            result = service.issue_roster("bench", roster(size), pool=pool, allow_duplicates=True)
            elapsed = time.perf_counter() - start
            assert len(result.issued) == size
            figures.append(f"{label} {elapsed:6.2f} s ({size / elapsed:,.0f}/s)")
        print(f"  {size:>6} rows: " + "   ".join(figures))
    path = settings.data_dir / "roster-2000.csv"
    path.write_text(roster(2000))
    env = {**os.environ, "MEDCRED_DATA_DIR": str(settings.data_dir), "MEDCRED_CHAIN": settings.chain}
    medcred = str(Path(sys.executable).parent / "medcred")
    start = time.perf_counter()
    subprocess.run(
        [medcred, "issue-batch", "--institution", "bench", "--allow-duplicates", str(path)],
        env=env,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - start
    print(f"  medcred issue-batch, 2000 rows, whole command: {elapsed:.2f} s ({2000 / elapsed:,.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--chain", choices=["local", "memory"], default="local")
    parser.add_argument("--api", type=int, default=2000, help="issue requests through the HTTP API")
    parser.add_argument("--api-clients", type=int, default=8)
    parser.add_argument(
        "--roster-sizes", default="200,2000,10000", help="rosters signed with 1 process and with the pool"
    )
    parser.add_argument("--rosters-only", action="store_true", help="only the roster comparison")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="medcred-bench-"))
    settings = Settings(data_dir=data, chain=args.chain)
    node = LocalChain(data)
    if args.chain == "local":
        node.start(port=18690)
        ensure_registry(settings)
    else:
        chain = memory_chain(fresh=True)
        deployment_store(settings, chain).save(deploy_registry(TransactionSender(chain.w3, chain.governor())))
    try:
        config = ServiceConfig.from_settings(
            settings, env={k: v for k, v in os.environ.items() if k == "DATABASE_URL"}
        )
        config = config.with_(batch_size=1000)
        service = IssuerService(config)
        service.create_institution("Benchmark Hospital", slug="bench")
        print(f"machine: {os.cpu_count()} cores; database: {service.db.dialect}; chain: {args.chain}")

        service.issue("bench", "acls", "warmup@example.org", name="Warm Up")
        compare_rosters(service, [int(n) for n in args.roster_sizes.split(",")], settings)
        if args.rosters_only:
            service.close()
            return
        start = time.perf_counter()
        for i in range(args.single):
            service.issue("bench", "acls", f"single{i}@example.org", name=f"Single {i}")
        elapsed = time.perf_counter() - start
        print(
            f"single issue:   {args.single} credentials in {elapsed:.2f} s = {args.single / elapsed:,.0f}/s"
        )

        text = roster(args.rows)
        start = time.perf_counter()
        result = service.issue_roster("bench", text, allow_duplicates=True)
        elapsed = time.perf_counter() - start
        count = len(result.issued)
        print(f"CSV roster:     {count} credentials in {elapsed:.2f} s = {count / elapsed:,.0f}/s")

        start = time.perf_counter()
        batches = service.anchor_now()
        anchor_time = time.perf_counter() - start
        total = sum(b.size for b in batches)
        print(
            f"anchoring:      {total} credentials in {len(batches)} batches in {anchor_time:.2f} s "
            f"= {total / anchor_time:,.0f}/s; self-checks: {sorted({b.self_check for b in batches})}"
        )
        overall = len(result.issued) / (elapsed + anchor_time)
        print(f"roster signed+stored+anchored: {overall:,.0f}/s")

        token, _ = service.create_token("bench", ["issue"])
        web = start_web(service, host="127.0.0.1", port=18691)
        try:
            url = "http://127.0.0.1:18691/api/v1/institutions/bench/credentials"
            _api_load(url, token, 20, 2, "warmup")  # warm up (other recipients: no duplicates)
            context = multiprocessing.get_context("fork")
            start = time.perf_counter()
            with context.Pool(1) as pool:  # the load generator in its own process: no shared GIL
                api_latencies = pool.apply(_api_load, (url, token, args.api, args.api_clients))
            elapsed = time.perf_counter() - start
        finally:
            web.stop()
        q = statistics.quantiles(api_latencies, n=100)
        print(
            f"HTTP API:       {args.api} credentials in {elapsed:.2f} s = {args.api / elapsed:,.0f}/s "
            f"({args.api_clients} clients, {web.kind}); latency p50 {q[49] * 1000:.0f} ms, "
            f"p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms"
        )

        latencies = []
        for i in range(5):
            start = time.perf_counter()
            issued = service.issue("bench", "bls", f"latency{i}@example.org")
            service.anchor_now("bench")
            assert service.get_credential(issued.id).state == "anchored"
            latencies.append(time.perf_counter() - start)
        print(
            f"issue -> anchored (forced flush, {args.chain}): median {sorted(latencies)[2] * 1000:.0f} ms "
            f"(min {min(latencies) * 1000:.0f}, max {max(latencies) * 1000:.0f}); "
            f"with the worker the wait is up to MEDCRED_BATCH_MAX_AGE ({config.batch_max_age:.0f} s) on top"
        )
        service.close()
    finally:
        if args.chain == "local":
            node.stop()


if __name__ == "__main__":
    main()
