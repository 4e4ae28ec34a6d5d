"""A real `medcred serve` under a bounded hostile mix, beside genuine verify and issue requests.

    .venv/bin/python benchmarks/bench_hostile.py                  # 20,000 hostile requests
    .venv/bin/python benchmarks/bench_hostile.py --hostile 2000   # a short run

What it does, all on 127.0.0.1 in a throw-away data folder (issue 9):

1. starts anvil, deploys the registry, creates an institution and an `issue` token, and starts
   `medcred serve` (waitress, its verification pool, the anchoring worker);
2. issues and anchors a few genuine credentials; prepares the hostile payloads before measuring;
   sends 30 genuine requests to warm up (not measured);
3. quiet run: genuine requests alone, open loop at `--rate` per second for `--quiet` requests,
   cycling through the three genuine kinds: the verifier page's deep link (`/verify?credential=`,
   which fetches the credential and its status list from the issuer), the VC-API verify endpoint,
   and issuing through the API;
4. hostile run: the same genuine schedule while another process sends `--hostile` requests with
   `--concurrency` connections, cycling through: poison datasets (8- and 10-node blank-node cliques),
   400 chained proofs, 40,000 @context entries, self-signed credentials each naming a distinct status
   list URL and a distinct Merkle root on the trusted registry, SSRF links (loopback, private,
   link-local, cloud metadata, redirects are the fetcher tests' job), and, on one extra connection
   for the whole run, deep links to a server that trickles one byte every 2 s;
5. for scale (unless --no-flood): the same genuine schedule beside GET /healthz, the cheapest
   request there is, on the same connections for as long as the hostile run took: what is left of
   the ratio then is the load itself (the clients and `serve` sharing the cores), not what the
   hostile requests carry;
6. prints the genuine requests' p50/p95 per kind in each run, their errors and 503s, the hostile
   answers by kind (and those slower than 1 s), and the RSS of `serve` and its worker processes at
   the start and end of the hostile run (and its peak), then stops everything and deletes the
   folder (unless --keep).

Goals (issue 9): genuine p95 within 2x of the quiet run; RSS growth under 50 MiB over 20,000
hostile requests. Exit code 0 when no genuine request failed; the goals are printed, not enforced
(the machine is shared).
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil
import requests
from load_issue import Stack, free_port, percentile

from issuer.anchor_proof import AnchorInfo, attach_anchor_proof
from issuer.chain.context import allow_local_origin
from issuer.cli.run_command import ensure_registry
from issuer.config import ServiceConfig
from issuer.credential_builder import IssuerProfile, Recipient, build_credential
from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
from issuer.service import IssuerService
from issuer.signing import sign
from issuer.templates import load_template
from verifier.config import load_config
from verifier.merkle import credential_digest, leaf_hash, process_proof
from verifier.settings import Settings

SLUG = "bench"
REQUEST_TIMEOUT_S = 60.0
KINDS = ("deep_link", "vc_api", "issue")
HOSTILE_KINDS = ("poison8", "poison10", "chain400", "contexts", "distinct", "ssrf")
STALL_S = 1.0
"""Hostile requests slower than this are counted: a verification waiting on the network (DNS for an
attacker's host name, up to the fetch deadline) holds a worker process meanwhile."""
KNOWS = "https://example.org/knows"


# ---------------------------------------------------------------------------- a trickling server


class _Drip(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        try:
            for _ in range(60):  # two minutes at most per connection
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(2.0)
        except OSError:
            pass

    def log_message(self, *args: Any) -> None:
        pass


def start_drip() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    server.block_on_close = False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/credential.json"


# ---------------------------------------------------------------------------- payloads


def clique(n: int) -> list[dict[str, Any]]:
    return [{"id": f"_:n{i}", KNOWS: [{"id": f"_:n{j}"} for j in range(n) if j != i]} for i in range(n)]


def hostile_payloads(
    genuine: dict[str, Any], chain_id: int, registry: str, distinct: int, work: Path
) -> Path:
    """Every hostile request, one JSON line each: {"kind", "method", "path", "body" | "params"}."""
    poison8 = copy.deepcopy(genuine)
    poison8["credentialSubject"]["https://example.org/poison"] = clique(8)
    poison10 = copy.deepcopy(genuine)
    poison10["credentialSubject"]["https://example.org/poison"] = clique(10)
    chained = copy.deepcopy(genuine)
    first = chained["proof"][0]
    chained["proof"] = [dict(first, id="urn:p:0")] + [
        dict(first, id=f"urn:p:{i}", previousProof=f"urn:p:{i - 1}") for i in range(1, 400)
    ]
    contexts = copy.deepcopy(genuine)
    contexts["@context"] = contexts["@context"] + ["https://www.w3.org/ns/credentials/v2"] * 40_000
    fixed = {
        "poison8": json.dumps(poison8),
        "poison10": json.dumps(poison10),
        "chain400": json.dumps(chained),
        "contexts": json.dumps(contexts),
    }
    # An attacker's own key: the signatures hold, the issuer is not accredited, every credential names
    # its own status list URL and carries an anchor proof to its own Merkle root on the trusted registry.
    key = Ed25519KeyPair.generate()
    did = did_key_for(key.public_key_multibase)
    method = did_key_verification_method(key.public_key_multibase)
    profile = IssuerProfile(did=did, name="Not A Hospital")
    template = load_template("bls")
    valid_from = datetime.now(UTC) - timedelta(days=1)
    path = work / "hostile.jsonl"
    rng = random.Random(9)
    with path.open("w", encoding="utf-8") as out:
        for n in range(distinct):
            status = {
                "id": f"https://lists-{n}.attacker.example/status/{n}#{n}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(n),
                "statusListCredential": f"https://lists-{n}.attacker.example/status/{n}",
            }
            unsigned = build_credential(
                template, profile, Recipient(email=f"x{n}@attacker.example"), valid_from=valid_from,
                credential_status=status,
            )  # fmt: skip
            signed = sign(unsigned, key, method)
            sibling = rng.randbytes(32)
            root = process_proof(leaf_hash(0, credential_digest(signed)), [sibling])
            anchor = AnchorInfo(chain_id, registry, root, rng.randbytes(32), 1, valid_from)
            body = json.dumps(attach_anchor_proof(signed, anchor, 0, [sibling]))
            out.write(json.dumps({"kind": "distinct", "body": body}) + "\n")  # a credential's JSON
        for name, body in fixed.items():
            out.write(json.dumps({"kind": name, "body": body}) + "\n")
    return path


def ssrf_link(n: int, rng: random.Random) -> str:
    choices = (
        f"http://169.254.169.254/latest/meta-data/{n}",
        f"http://127.0.0.1:{rng.randrange(1, 65535)}/admin/{n}",
        f"http://10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}/{n}",
        f"http://[::1]:{rng.randrange(1, 65535)}/{n}",
        f"http://localhost:{rng.randrange(1, 65535)}/{n}",
        f"http://192.168.{rng.randrange(256)}.1/{n}",
        f"http://[::ffff:127.0.0.1]:{rng.randrange(1, 65535)}/{n}",
    )
    return choices[n % len(choices)]


# ---------------------------------------------------------------------------- the two clients


def _genuine(base: str, token: str, links: list[str], bodies: list[str], rate: float, total: int,
             stop_path: str | None, out: str, tag: str) -> None:  # fmt: skip
    """Child process: open-loop genuine requests; with `stop_path`, until that file exists."""
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def one(i: int, scheduled: float) -> dict[str, Any]:
        kind = KINDS[i % len(KINDS)]
        record: dict[str, Any] = {"kind": kind}
        try:
            if kind == "deep_link":
                response = session().get(
                    f"{base}/verify", params={"credential": links[i % len(links)]}, timeout=REQUEST_TIMEOUT_S
                )
                ok = response.status_code == 200 and 'data-status="VALID"' in response.text
            elif kind == "vc_api":
                response = session().post(
                    f"{base}/credentials/verify", data=bodies[i % len(bodies)],
                    headers={"Content-Type": "application/json"}, timeout=REQUEST_TIMEOUT_S,
                )  # fmt: skip
                ok = response.status_code == 200 and response.json().get("verified") is True
            else:
                response = session().post(
                    f"{base}/api/v1/institutions/{SLUG}/credentials",
                    json={"template": "bls", "email": f"{tag}{i}@example.org", "name": f"Genuine {i}"},
                    headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT_S,
                )  # fmt: skip
                ok = response.status_code == 201
            record["status"] = response.status_code
            record["ok"] = ok
            if not ok:
                record["error"] = response.text[:200]
        except requests.RequestException as exc:
            record["status"] = type(exc).__name__
            record["ok"] = False
        record["latency"] = time.perf_counter() - scheduled
        return record

    records: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = []
        t0 = time.perf_counter() + 0.05
        i = 0
        while (stop_path is None and i < total) or (stop_path is not None and not os.path.exists(stop_path)):
            scheduled = t0 + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(one, i, scheduled))
            i += 1
        records = [f.result() for f in futures]
    Path(out).write_text(json.dumps(records), encoding="utf-8")


def _hostile(base: str, payloads: str, total: int, concurrency: int, slow_url: str | None,
             done_path: str, out: str, kinds: tuple[str, ...] = HOSTILE_KINDS,
             seconds: float | None = None) -> None:  # fmt: skip
    """Child process: `total` requests of `kinds` over `concurrency` connections (or fewer, when
    `seconds` run out first), plus one slow loop when `slow_url` is given (the flood run passes
    kinds=("healthz",), no slow loop, and the hostile run's duration)."""
    items = [json.loads(line) for line in Path(payloads).read_text(encoding="utf-8").splitlines()]
    distinct = [item["body"] for item in items if item["kind"] == "distinct"]
    fixed = {item["kind"]: item["body"] for item in items if item["kind"] != "distinct"}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    lock = threading.Lock()
    finished = threading.Event()
    next_index = iter(range(total))

    def send(n: int, http: requests.Session) -> tuple[str, str]:
        kind = kinds[n % len(kinds)]
        started = time.perf_counter()
        try:
            return kind, _status(n, kind, http)
        finally:
            if time.perf_counter() - started > STALL_S:  # e.g. the resolver sat on an attacker's name
                with lock:
                    counts[kind][f"over {STALL_S:g} s"] += 1

    def _status(n: int, kind: str, http: requests.Session) -> str:
        try:
            if kind == "healthz":
                response = http.get(f"{base}/healthz", timeout=REQUEST_TIMEOUT_S)
            elif kind == "ssrf":
                link = ssrf_link(n, random.Random(n))
                response = http.get(f"{base}/verify", params={"credential": link}, timeout=REQUEST_TIMEOUT_S)
            else:
                index = (n // len(HOSTILE_KINDS)) % len(distinct)
                credential = distinct[index] if kind == "distinct" else fixed[kind]
                body = '{"verifiableCredential": ' + credential + "}"
                response = http.post(
                    f"{base}/credentials/verify", data=body, headers={"Content-Type": "application/json"},
                    timeout=REQUEST_TIMEOUT_S,
                )  # fmt: skip
            return str(response.status_code)
        except requests.RequestException as exc:
            return type(exc).__name__

    def worker() -> None:
        http = requests.Session()
        while seconds is None or time.perf_counter() - started < seconds:
            with lock:
                n = next(next_index, None)
            if n is None:
                return
            kind, status = send(n, http)
            with lock:
                counts[kind][status] += 1

    def slow() -> None:
        if slow_url is None:
            return
        http = requests.Session()
        n = 0
        while not finished.is_set():
            n += 1  # a new URL each time: a failure is remembered briefly, a new URL is fetched again
            link = f"{slow_url}?n={n}"
            try:
                status = str(http.get(f"{base}/verify", params={"credential": link}, timeout=60).status_code)
            except requests.RequestException as exc:
                status = type(exc).__name__
            with lock:
                counts["slow"][status] += 1
            if status == "503":
                finished.wait(1.0)  # told to come back later: do, like a client would

    started = time.perf_counter()
    slow_thread = threading.Thread(target=slow, daemon=True)
    slow_thread.start()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    finished.set()
    Path(done_path).write_text("done", encoding="utf-8")
    slow_thread.join(70)
    Path(out).write_text(json.dumps({"elapsed": elapsed, "counts": counts}), encoding="utf-8")


# ---------------------------------------------------------------------------- measuring


def wait_up(base: str, stack: Stack) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"medcred serve did not answer within 60 s:\n{stack.tail('serve')}")


def rss_mib(pid: int) -> float:
    """Resident set size of `pid` and of every process below it (its verification workers), MiB."""
    process = psutil.Process(pid)
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue  # ended meanwhile
    return total / (1024 * 1024)


def summarize(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    for kind in (*KINDS, "all"):
        mine = [r for r in records if kind in ("all", r["kind"])]
        ok = sorted(r["latency"] * 1000 for r in mine if r["ok"])
        figures[kind] = {
            "requests": len(mine),
            "failed": sum(1 for r in mine if not r["ok"]),
            "503": sum(1 for r in mine if r["status"] == 503),
            "errors": Counter(f"{r['status']} {r.get('error', '')[:80]}" for r in mine if not r["ok"]),
            "p50": percentile(ok, 0.50),
            "p95": percentile(ok, 0.95),
        }
    return figures


def print_figures(
    hostile: dict[str, Any],
    quiet: dict[str, dict[str, Any]],
    loud: dict[str, dict[str, Any]],
    rss: tuple[float, float, float],
    total: int,
    flood: tuple[dict[str, Any], dict[str, dict[str, Any]]] | None = None,
) -> None:
    elapsed = hostile["elapsed"]
    print(f"\nHostile answers ({elapsed:.0f} s, {total / elapsed:.0f}/s), HTTP status: count")
    for kind, statuses in sorted(hostile["counts"].items()):
        print(f"  {kind:10} {dict(sorted(statuses.items()))}")
    if flood is not None:
        answers, _ = flood
        elapsed, counts = answers["elapsed"], answers["counts"]["healthz"]
        sent = sum(count for status, count in counts.items() if not status.startswith("over"))
        print(f"Flood answers ({elapsed:.0f} s, {sent / elapsed:.0f}/s): {dict(sorted(counts.items()))}")
    print("\nGenuine requests, latency from the scheduled time (ms); failed and 503 in quiet/hostile")
    print(f"  {'kind':10} {'quiet p50':>9} {'p95':>6} {'hostile p50':>11} {'p95':>6} {'p95 ratio':>9}"
          f" {'failed':>9} {'503':>9}" + (f" {'flood p95':>9} {'ratio':>6}" if flood else ""))  # fmt: skip
    for kind in (*KINDS, "all"):
        q, h = quiet[kind], loud[kind]
        ratio = h["p95"] / q["p95"]
        failed, refused = f"{q['failed']}/{h['failed']}", f"{q['503']}/{h['503']}"
        extra = f" {flood[1][kind]['p95']:9.0f} {flood[1][kind]['p95'] / q['p95']:6.2f}" if flood else ""
        print(f"  {kind:10} {q['p50']:9.0f} {q['p95']:6.0f} {h['p50']:11.0f} {h['p95']:6.0f} {ratio:9.2f}"
              f" {failed:>9} {refused:>9}{extra}")  # fmt: skip
    runs = [("quiet", quiet), ("hostile", loud)] + ([("flood", flood[1])] if flood else [])
    for run, figures in runs:
        for kind in KINDS:
            for error, count in figures[kind]["errors"].most_common(3):
                print(f"  {run} {kind} failed x{count}: {error}")
    start, end, peak = rss
    growth = end - start
    print(f"\nRSS of medcred serve and its verification workers: {start:.0f} MiB at the start of the"
          f" hostile run, {end:.0f} MiB at the end (peak {peak:.0f}): {growth:+.0f} MiB over {total:,}"
          " hostile requests")  # fmt: skip
    ratio = loud["all"]["p95"] / quiet["all"]["p95"]
    print(f"Goals: genuine p95 within 2x of quiet: {ratio:.2f}x ({'met' if ratio <= 2 else 'NOT met'});"
          f" RSS growth under 50 MiB: {'met' if growth < 50 else 'NOT met'}")  # fmt: skip
    if flood is not None:
        floor = flood[1]["all"]["p95"] / quiet["all"]["p95"]
        print(
            f"For scale: GET /healthz on the same connections for as long, the cheapest request there"
            f" is, gave {floor:.2f}x: what any load at that concurrency costs on this machine"
        )


def loaded_run(name: str, base: str, token: str, links: list[str], bodies: list[str],
               args: argparse.Namespace, data: Path, stack: Stack, **load: Any,
               ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:  # fmt: skip
    """The genuine schedule at `--rate` beside one `_hostile` client (`load`: its payloads, total,
    concurrency, slow_url and, optionally, kinds and seconds), until that client is done. Returns
    (its answers, the genuine requests' figures); files in `data` are named after `name`."""
    done, answers, genuine_out = data / f"{name}.done", data / f"{name}.json", data / f"{name}-genuine.json"
    genuine = run_child(_genuine, base, token, links, bodies, args.rate, 0, str(done), str(genuine_out), name)
    client = run_child(_hostile, base, done_path=str(done), out=str(answers), **load)
    client.join()
    genuine.join(5 * REQUEST_TIMEOUT_S)
    stack.check_alive()
    return json.loads(answers.read_text()), summarize(json.loads(genuine_out.read_text()))


def flood_run(base: str, token: str, links: list[str], bodies: list[str], args: argparse.Namespace,
              seconds: float, data: Path, stack: Stack,
              ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:  # fmt: skip
    """The genuine schedule beside GET /healthz on `--concurrency` connections for `seconds` (the
    hostile run's duration): the cheapest request, so what is left of the ratio is the load itself
    (clients and server sharing the cores), not what the hostile requests carry. Returns (answers,
    genuine figures)."""
    print(f"Flood run: GET /healthz over {args.concurrency} connections for {seconds:.0f} s", flush=True)
    return loaded_run(
        "flood", base, token, links, bodies, args, data, stack, payloads=str(data / "hostile.jsonl"),
        total=10**9, concurrency=args.concurrency, slow_url=None, kinds=("healthz",), seconds=seconds,
    )  # fmt: skip


def run_child(target: Any, *args: Any, **kwargs: Any) -> multiprocessing.Process:
    # Daemonic: a bench stopped early (Ctrl-C, SIGTERM) takes its clients with it, where the
    # genuine client would otherwise wait forever for a "hostile run done" file.
    process = multiprocessing.get_context("spawn").Process(
        target=target, args=args, kwargs=kwargs, daemon=True
    )
    process.start()
    return process


def anchored_credentials(base: str, token: str, count: int) -> tuple[list[str], list[dict[str, Any]]]:
    """Issue `count` credentials through the API and wait for their anchor proofs: (URLs, documents)."""
    urls = []
    for i in range(count):
        response = requests.post(
            f"{base}/api/v1/institutions/{SLUG}/credentials",
            json={"template": "bls", "email": f"seed{i}@example.org", "name": f"Seed Person {i}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=REQUEST_TIMEOUT_S,
        )
        if response.status_code != 201:
            raise SystemExit(f"Issuing failed: {response.status_code} {response.text[:300]}")
        urls.append(response.json()["url"])
    deadline = time.monotonic() + 120
    while True:
        documents = [requests.get(url, timeout=REQUEST_TIMEOUT_S).json() for url in urls]
        if all(len(d.get("proof", [])) >= 2 for d in documents):
            return urls, documents
        if time.monotonic() > deadline:
            raise SystemExit("The seed credentials were not anchored within 120 s.")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hostile", type=int, default=20_000, help="hostile requests (default 20,000)")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="hostile connections (default 2, plus 1 slow)"
    )
    parser.add_argument("--rate", type=float, default=6.0, help="genuine requests per second (default 6)")
    parser.add_argument(
        "--quiet",
        type=int,
        default=600,
        help="genuine requests in the quiet run (default 600: 100 s, so its p95 rests on 30 requests)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="verification worker processes for serve (MEDCRED_VERIFY_WORKERS; default: serve's own)",
    )
    parser.add_argument(
        "--no-flood",
        action="store_true",
        help="skip the last run: as many GET /healthz as hostile requests, for scale",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args(argv)
    if not 1 <= args.hostile <= 200_000:
        parser.error("--hostile must be between 1 and 200,000")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    data = Path(tempfile.mkdtemp(prefix="medcred-hostile-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCRED_") or k == "MEDCRED_ANVIL"}
    env.pop("DATABASE_URL", None)
    env.update({"MEDCRED_DATA_DIR": str(data), "MEDCRED_CHAIN": "local", "MEDCRED_PUBLIC_URL": base,
                "MEDCRED_BATCH_MAX_AGE": "1"})  # fmt: skip
    if args.workers is not None:
        env["MEDCRED_VERIFY_WORKERS"] = str(args.workers)
    settings = Settings(data_dir=data, chain="local")
    stack = Stack(data, env)
    drip, slow_url = start_drip()
    failed = True
    try:
        stack.node.start(port=free_port())
        ensure_registry(settings)
        allow_local_origin(settings, slow_url)  # the trickling server stands for a slow public host
        service = IssuerService(ServiceConfig.from_settings(settings, env))
        service.create_institution("Hostile Bench Simulation Centre", slug=SLUG)
        token, _ = service.create_token(SLUG, ["issue"], label="hostile bench")
        service.db.dispose()
        command = [sys.executable, "-m", "verifier", "serve", "--host", "127.0.0.1", "--port", str(port)]
        serve = stack.spawn("serve", command)
        wait_up(base, stack)
        links, seeds = anchored_credentials(base, token, 6)
        bodies = [json.dumps({"verifiableCredential": d}) for d in seeds]
        registry = load_config(None, data).registries[0]
        distinct = max(1, args.hostile // len(HOSTILE_KINDS))
        started = time.perf_counter()
        payloads = hostile_payloads(seeds[0], registry.chain_id, registry.address, distinct, data)
        print(
            f"Prepared {distinct:,} distinct self-signed credentials in {time.perf_counter() - started:.0f} s"
        )
        children = len(psutil.Process(serve.pid).children(recursive=True))
        print(
            f"medcred serve on {base} (pid {serve.pid}, {children} child processes);"
            f" {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f}"
        )

        warm_out = data / "warm.json"  # templates, contexts, connections: not measured
        run_child(_genuine, base, token, links, bodies, args.rate, 30, None, str(warm_out), "warm").join(300)
        quiet_out = data / "quiet.json"
        child = run_child(
            _genuine, base, token, links, bodies, args.rate, args.quiet, None, str(quiet_out), "quiet"
        )
        child.join(args.quiet / args.rate + 5 * REQUEST_TIMEOUT_S)
        quiet = summarize(json.loads(quiet_out.read_text()))
        stack.check_alive()

        rss_start = rss_mib(serve.pid)
        peak = [rss_start]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(1.0):
                peak[0] = max(peak[0], rss_mib(serve.pid))

        threading.Thread(target=sample, daemon=True).start()
        print(
            f"Hostile run: {args.hostile:,} requests over {args.concurrency} connections + 1 slow; "
            f"genuine at {args.rate:g}/s alongside",
            flush=True,
        )
        hostile, loud = loaded_run(
            "hostile", base, token, links, bodies, args, data, stack, payloads=str(payloads),
            total=args.hostile, concurrency=args.concurrency, slow_url=slow_url,
        )  # fmt: skip
        sampling.set()
        rss_end = rss_mib(serve.pid)

        flood = None
        if not args.no_flood:
            try:  # for scale only: the measured runs are printed whatever becomes of it
                flood = flood_run(base, token, links, bodies, args, hostile["elapsed"], data, stack)
            except Exception as exc:  # reported, and the exit code says so
                print(f"The flood run failed: {type(exc).__name__}: {exc}")
        print_figures(hostile, quiet, loud, (rss_start, rss_end, peak[0]), args.hostile, flood)
        failed = bool(quiet["all"]["failed"] or loud["all"]["failed"])
        failed = failed or (not args.no_flood and (flood is None or bool(flood[1]["all"]["failed"])))
    finally:
        drip.shutdown()
        drip.server_close()
        stack.stop()
        if args.keep:
            print(f"Data folder kept: {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
