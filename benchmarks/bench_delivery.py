"""Claim e-mails: how fast the delivery worker hands e-mails to a real SMTP server (aiosmtpd on
loopback), and that the rate limit holds.

    .venv/bin/python benchmarks/bench_delivery.py [--count 200]

Issues COUNT credentials by roster on the in-process chain (SQLite), anchors them, then times one
delivery pass with a rate limit above COUNT (every e-mail sent: one SMTP connection, a new claim
token and three short transactions each), and one pass at the default 30/minute (sends 30, then
stops for the window).
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))
from web_fixtures import make_world

from issuer.delivery.desk import DeliveryDesk
from issuer.delivery.mail_settings import MailSettings


class Counter:
    received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        Counter.received += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = Controller(Counter(), hostname="127.0.0.1", port=port)
    smtp.start()
    world = make_world(Path(tempfile.mkdtemp(prefix="bench-delivery-")))
    service = world.service
    try:
        for rate in (f"{args.count * 10}/minute", "30/minute"):
            mail = MailSettings(host="127.0.0.1", port=port, tls="none", rate=rate)
            service.delivery = DeliveryDesk(service.db, service.box, service.config.with_(mail=mail))
            tag = rate.split("/")[0]
            roster = "email,name,template\n" + "".join(
                f"learner{tag}.{i}@example.org,Learner {i},bls\n" for i in range(args.count)
            )
            service.issue_roster("sim", roster, pool=False)
            service.anchor_now()
            Counter.received = 0
            start = time.perf_counter()
            report = service.delivery.run_once()
            took = time.perf_counter() - start
            print(
                f"rate {rate:>12}: {report.sent} sent in {took:.2f} s "
                f"({report.sent / took:.1f}/s, {1000 * took / max(1, report.sent):.0f} ms each); "
                f"{Counter.received} arrived; throttled: {report.throttled}"
            )
    finally:
        service.close()
        smtp.stop()


if __name__ == "__main__":
    main()
