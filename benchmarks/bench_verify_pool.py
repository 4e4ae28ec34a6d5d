"""Verification slots under attack (issue 9): ATTACKERS verify requests to a server that trickles one
byte every 2 s, against the issuer app on waitress as `medcred serve` runs it (8 threads, 4
verification slots); then /healthz and issuing are timed while the slots are held, beside /healthz
on the quiet server.

    .venv/bin/python benchmarks/bench_verify_pool.py [--attackers 40]
"""

import argparse
import dataclasses
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))
from slow_server import SlowServer
from web_fixtures import make_world

from issuer.web.app import create_app
from issuer.web.server import WebServer


def timed(call: Callable[[], requests.Response], times: int) -> list[float]:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        response = call()
        spent.append(time.perf_counter() - start)
        assert response.status_code < 300, response.text
    return spent


def ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attackers", type=int, default=40)
    args = parser.parse_args()
    logging.getLogger("waitress").setLevel(logging.ERROR)
    world = make_world(Path(tempfile.mkdtemp()))
    with SlowServer() as slow:
        config = dataclasses.replace(world.verifier_config, allow_hosts=frozenset({slow.origin}))
        app = create_app(world.service, config, secret_key=os.urandom(32))
        server = WebServer(app, "127.0.0.1", 0, kind="waitress").start()
        health = lambda: requests.get(f"{server.url}/healthz", timeout=60)  # noqa: E731
        quiet = timed(health, 30)
        answers: list[int] = []

        def attack() -> None:
            got = requests.get(f"{server.url}/verify", params={"credential": slow.url}, timeout=120)
            answers.append(got.status_code)

        threads = [threading.Thread(target=attack) for _ in range(args.attackers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        slots = app.extensions["medcred.verify_gate"].slots
        while len(answers) < args.attackers - slots:
            time.sleep(0.01)
        refused_in = time.perf_counter() - started
        busy = timed(health, 30)
        counter = iter(range(10**6))
        issue = timed(
            lambda: requests.post(
                f"{server.url}/api/v1/institutions/sim/credentials",
                json={"template": "acls", "email": f"bench{next(counter)}@example.org"},
                headers=world.auth("issue"),
                timeout=60,
            ),
            10,
        )
        print(
            f"{args.attackers} slow verify requests: {slow.connections} held the {slots} slots, "
            f"{answers.count(503)} answered 503 within {refused_in * 1000:.0f} ms of the first"
        )
        print(f"/healthz quiet:        {ms(quiet)}")
        print(f"/healthz under attack: {ms(busy)}")
        print(f"issue under attack:    {ms(issue)}")
        slow.stop()
        for thread in threads:
            thread.join()
        server.stop()
    world.service.close()


if __name__ == "__main__":
    main()
