"""Bulk export rate: `medcred export --institution` (CLI) and the API's JSON Lines and ZIP downloads.

    .venv/bin/python benchmarks/bench_export.py [--rows 10000] [--certificates 20]

Issues ROWS credentials by roster (in-process EVM, anchored), then prints credentials per second
for: the CLI to a JSON Lines file and to a folder (a real `medcred` process, start-up included and
also shown apart), the API's JSON Lines stream and its ZIP without certificates (over HTTP,
waitress), and the PDF certificate alone. Runs in a temporary data folder; SQLite unless
DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from issuer.chain.backends import memory_chain
from issuer.chain.context import deployment_store
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.config import ServiceConfig
from issuer.record_certificate import stored_certificate_pdf
from issuer.service import IssuerService
from issuer.web import start_web
from verifier.settings import Settings

MEDCRED = str(Path(sys.executable).with_name("medcred"))


def roster(rows: int) -> str:
    templates = ["acls", "pals", "bls", "cpd"]
    lines = ["name,email,template,valid_from"]
    lines += [f"Person {i},person{i}@example.org,{templates[i % 4]},2025-06-01" for i in range(rows)]
    return "\n".join(lines) + "\n"


def rate(label: str, count: int, seconds: float, cpu: float, extra: str = "") -> None:
    """Wall-clock rate, and the rate per CPU second (the machine may be shared: both are shown)."""
    print(
        f"{label:<32} {count:>6} credentials in {seconds:6.2f} s = {count / seconds:>7,.0f}/s "
        f"(CPU {cpu:5.2f} s = {count / cpu:>7,.0f}/CPU-s){extra}"
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--certificates", type=int, default=20, help="PDF certificates to time")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="medcred-bench-export-"))
    settings = Settings(data_dir=data, chain="memory")
    chain = memory_chain(fresh=True)
    deployment_store(settings, chain).save(deploy_registry(TransactionSender(chain.w3, chain.governor())))
    env = {k: v for k, v in os.environ.items() if k == "DATABASE_URL"}
    service = IssuerService(ServiceConfig.from_settings(settings, env=env).with_(batch_size=1000))
    service.create_institution("Benchmark Hospital", slug="bench")
    started = time.perf_counter()
    issued = len(service.issue_roster("bench", roster(args.rows)).issued)
    service.anchor_now()
    print(f"machine: {os.cpu_count()} cores; database: {service.db.dialect}; set-up: {issued} credentials "
          f"issued and anchored in {time.perf_counter() - started:.1f} s")  # fmt: skip

    cli_env = {**os.environ, "MEDCRED_DATA_DIR": str(data), "MEDCRED_CHAIN": "memory", **env}
    start = time.perf_counter()
    subprocess.run([MEDCRED, "--help"], env=cli_env, check=True, capture_output=True)
    startup = time.perf_counter() - start
    for label, target in (("CLI --jsonl FILE", ["--jsonl", str(data / "all.jsonl")]),
                          ("CLI -o DIR", ["-o", str(data / "out")])):  # fmt: skip
        start, cpu = time.perf_counter(), children_cpu()
        subprocess.run([MEDCRED, "export", "--institution", "bench", *target], env=cli_env, check=True,
                       capture_output=True)  # fmt: skip
        elapsed = time.perf_counter() - start
        rate(label, issued, elapsed, children_cpu() - cpu, f"; whole process, start-up {startup:.2f} s")
    with (data / "all.jsonl").open(encoding="utf-8") as lines_file:
        lines = sum(1 for _ in lines_file)
    assert lines == issued, (lines, issued)

    token, _ = service.create_token("bench", ["issue"])
    web = start_web(service, host="127.0.0.1", port=18695)
    try:
        url = "http://127.0.0.1:18695/api/v1/institutions/bench/exports"
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for label, body in (("API format jsonl (streamed)", {"all": True, "format": "jsonl"}),
                            ("API format zip, no certificates", {"all": True})):  # fmt: skip
            start, cpu = time.perf_counter(), time.process_time()
            size = 0
            with session.post(url, json=body, stream=True, timeout=600) as response:
                response.raise_for_status()
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
            elapsed = time.perf_counter() - start
            rate(label, issued, elapsed, time.process_time() - cpu, f"; {size / 1e6:.1f} MB, server+client")
    finally:
        web.stop()

    records = service.list_credentials("bench", limit=max(1, args.certificates))
    base = service.config.public_base_url
    stored_certificate_pdf(records[0].document, records[0].id, base, revoked=False)  # fonts loaded once
    start, cpu = time.perf_counter(), time.process_time()
    for record in records:
        stored_certificate_pdf(record.document, record.id, base, revoked=record.revoked)
    rate("PDF certificate (WeasyPrint)", len(records), time.perf_counter() - start, time.process_time() - cpu)
    service.close()


if __name__ == "__main__":
    main()
