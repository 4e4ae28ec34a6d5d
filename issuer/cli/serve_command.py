"""`medcred serve`: the issuer API, admin UI and verifier page, with the anchoring worker.

Unlike `medcred run`, it starts nothing else: the chain, the registry and the institutions must
exist (`medcred chain start`, `registry deploy`, `institution create`). It serves until Ctrl-C or
SIGTERM, then stops accepting, lets requests finish and stops the worker.
"""

from __future__ import annotations

import logging

import click

from issuer.cli.service_factory import open_service
from verifier.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0: any free).",
)
@click.option("--no-worker", is_flag=True, help="Do not run the anchoring worker in this process.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, no_worker: bool) -> None:
    """Serve the issuer API, admin UI and verifier page on HOST:PORT (anchoring in the background).

    Credential URLs, QR codes and status lists use MEDCRED_PUBLIC_URL (default
    http://127.0.0.1:8000): set it to the address people and verifiers reach this server at.
    """
    from issuer.web import server as web  # noqa: PLC0415 - Flask is imported only when serving

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = open_service(settings)

    def ready(server: web.WebServer) -> None:
        click.echo(f"MedCred issuer ({server.kind}) on {server.url}")
        for url in server.urls:
            click.echo(f"  {url}")
        public = service.config.public_base_url
        if public != server.url:
            click.secho(
                f"Note: credentials, QR codes and status lists point at {public} (MEDCRED_PUBLIC_URL); "
                "make sure that address reaches this server.",
                fg="yellow",
            )
        click.echo("Anchoring worker: " + ("off (--no-worker)" if no_worker else "running"))
        click.echo("Press Ctrl-C to stop.")

    web.serve(service, None, host, port, worker=not no_worker, on_ready=ready)
    click.echo("Stopped.")
