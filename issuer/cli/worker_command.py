"""`medcred worker`: the anchoring worker (and the claim e-mail worker), until Ctrl-C or SIGTERM.

The companion of a multi-process web deployment (`gunicorn 'issuer.web.wsgi:create_app()'`),
whose web processes never anchor: exactly one anchoring worker for the database, in its own
process, so a web worker restarted by gunicorn never interrupts an anchoring transaction and
N web workers do not mean N workers polling for the lease. A second `medcred worker` on the same
database is harmless: it waits for the lease and takes over if the first one dies.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click

from issuer.cli.service_factory import open_service
from verifier.settings import Settings


@click.command()
@click.pass_obj
def worker(settings: Settings) -> None:
    """Run the anchoring worker and the claim e-mail worker (no web server) until Ctrl-C or SIGTERM.

    Use it beside web processes that do not anchor, such as gunicorn with
    'issuer.web.wsgi:create_app()'. Batches close at MEDCRED_BATCH_SIZE credentials or after
    MEDCRED_BATCH_MAX_AGE seconds; claim e-mails go out once anchored (MEDCRED_SMTP_HOST, else
    the development mailbox in the data folder).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = open_service(settings)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        click.echo(f"MedCred anchoring worker on {service.db.describe()} (chain {settings.chain}).")
        click.echo(f"Claim e-mails: {service.delivery.settings.describe(service.config.public_base_url)}")
        service.delivery.start()  # its own thread: a slow mail server never holds anchoring up
        # In this thread: a signal only sets `stop`, and the current pass finishes before we return.
        service.worker().run_forever(stop)
    finally:
        service.delivery.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Anchoring worker stopped.")
