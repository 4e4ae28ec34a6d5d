"""`medcred serve`: the issuer API, admin UI and verifier page, with the anchoring worker.

Unlike `medcred run`, it starts nothing else: the chain, the registry and the institutions must
exist (`medcred chain start`, `registry deploy`, `institution create`). It serves until Ctrl-C or
SIGTERM, then stops accepting, lets requests finish and stops the worker.
"""

from __future__ import annotations

import logging

import click

from issuer.cli.service_factory import open_service
from issuer.key_placement import warn_about_key_placement
from issuer.public_url import DEFAULT_PORT, choose_server_address, clear_running_server, record_running_server
from verifier.settings import Settings

DEFAULT_HOST = "127.0.0.1"


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help=f"Port (0: any free) [default: the port of the public URL this data folder remembers, else "
    f"{DEFAULT_PORT}].",
)
@click.option("--no-worker", is_flag=True, help="Do not run the anchoring worker in this process.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int | None, no_worker: bool) -> None:
    """Serve the issuer API, admin UI and verifier page on HOST:PORT (anchoring in the background).

    Credential URLs, QR codes and status lists start with MEDCRED_PUBLIC_URL when it is set (set it
    to the address people and verifiers reach this server at), else http://HOST:PORT; the data
    folder remembers it, and every command issuing in the folder uses it.
    """
    from issuer.web import server as web  # noqa: PLC0415 - Flask is imported only when serving

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    address = choose_server_address(settings.data_dir, host, None if port == 0 else port)
    service = open_service(settings)
    warn_about_key_placement(service.config, host)  # once, on stderr, if the key is beside the database

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
        if address.changed_from:
            click.secho(
                f"Note: this data folder issued under {address.changed_from} until now; credentials "
                "issued before keep their links there.",
                fg="yellow",
            )
        record_running_server(settings.data_dir, public, server.url)
        click.echo("Anchoring worker: " + ("off (--no-worker)" if no_worker else "running"))
        if not no_worker:
            click.echo(f"Claim e-mails: {service.delivery.settings.describe(service.config.public_base_url)}")
        click.echo("Press Ctrl-C to stop.")

    try:
        web.serve(service, None, host, 0 if port == 0 else address.port, worker=not no_worker, on_ready=ready)
    finally:
        clear_running_server(settings.data_dir)
    click.echo("Stopped.")
