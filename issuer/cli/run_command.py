"""`medcred run`: the main job on the embedded defaults.

Starts the local chain (when `--chain local` and it is not running), deploys the registry if this
data folder has none for the chain, opens the issuer service, creates the demo institution on
first start (printing its API token once), starts the anchoring worker and, when the web layer is
installed, the web server; then keeps running until Ctrl-C or SIGTERM.

The web layer plugs in through `start_services(..., web=...)`: a callable
`web(service, host=..., port=...)` returning an object with `stop()` (and optionally `urls`, a
list of strings to print). By default it is `issuer.web.start_web` when that module exists.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from issuer.anchoring.worker import WorkerHandle
from issuer.chain.anvil import LocalChain
from issuer.chain.backends import open_chain
from issuer.chain.context import allow_local_origin, deployment_store, record_deployment, trust_deployment
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.cli.institution_commands import print_registration
from issuer.config import ServiceConfig
from issuer.public_url import DEFAULT_PORT, choose_server_address, clear_running_server, record_running_server
from issuer.service import IssuerService
from issuer.storage.errors import NotFoundError
from verifier.settings import DEFAULT_DATA_DIR, Settings

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Resuscitation Council"
DEFAULT_HOST = "127.0.0.1"

WebStarter = Callable[..., Any]


@dataclass
class Services:
    """What `start_services` started; `stop()` stops it all in reverse order."""

    service: IssuerService
    worker: WorkerHandle | None
    web: Any | None = None
    demo_token: str | None = None
    """The demo institution's API token, set only on the run that created it."""
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.web is not None:
            with contextlib.suppress(Exception):
                self.web.stop()
        self.service.close()


def find_web_starter() -> WebStarter | None:
    """`issuer.web.start_web` if the web layer is installed, else None."""
    try:
        module = importlib.import_module("issuer.web")
    except ImportError:
        return None
    return getattr(module, "start_web", None)


def ensure_registry(settings: Settings) -> str:
    """Deploy the registry if none is recorded (or its code is gone); returns its address."""
    chain = open_chain(settings.chain, settings.data_dir)
    deployment = deployment_store(settings, chain).load(chain.chain_id)
    if deployment is None or not chain.w3.eth.get_code(deployment.address):
        deployment = deploy_registry(TransactionSender(chain.w3, chain.governor()))
        record_deployment(settings, chain, deployment)
        click.echo(f"Deployed a new registry at {deployment.address}.")
    else:
        trust_deployment(settings, chain, deployment)  # the local chain's port may have changed
    click.echo(f"Chain:    {chain.rpc_url or chain.kind} (chain id {chain.chain_id})")
    click.echo(f"Registry: {deployment.address} (block {deployment.block_number})")
    return deployment.address


def token_command(settings: Settings, slug: str) -> str:
    """The command that creates an admin token for `slug` in this data folder."""
    data = (
        ""
        if settings.data_dir.resolve() == Path(DEFAULT_DATA_DIR).resolve()
        else f" --data-dir {settings.data_dir}"
    )
    return f"medcred{data} token create --institution {slug} --scope admin"


def ensure_demo_institution(service: IssuerService) -> str | None:
    """Create the demo institution and an all-scopes token on first start; the token, or None."""
    try:
        service.get_institution(DEMO_SLUG)
        return None
    except NotFoundError:
        pass
    created = service.create_institution(DEMO_NAME, slug=DEMO_SLUG)
    print_registration(created.registration)
    token, _info = service.create_token(DEMO_SLUG, ["issue", "revoke", "admin"], label="demo (medcred run)")
    return token


def start_services(
    settings: Settings,
    *,
    web: WebStarter | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    worker: bool = True,
    config: ServiceConfig | None = None,
) -> Services:
    """Open the service, make the demo institution, start the worker and (if given) the web layer."""
    service = IssuerService(config or ServiceConfig.from_settings(settings))
    allow_local_origin(settings, service.config.public_base_url)  # `medcred verify` of what it serves
    services = Services(service=service, worker=None)
    try:
        services.demo_token = ensure_demo_institution(service)
        if worker:
            services.worker = service.start_worker()
        if web is not None:
            services.web = web(service, host=host, port=port, verify_processes=True)
    except BaseException:
        services.stop()
        raise
    return services


@click.command()
@click.option("--once", is_flag=True, help="Set everything up, print the summary and exit.")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Web server address (when installed).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Web server port; credentials are issued under http://127.0.0.1:PORT unless MEDCRED_PUBLIC_URL "
    "says otherwise, and the data folder remembers it "
    f"[default: the port it remembers, else {DEFAULT_PORT}].",
)
@click.pass_obj
def run(settings: Settings, once: bool, host: str, port: int | None) -> None:
    """Start the local chain, the registry, the demo institution and the anchoring worker; keep running.

    On first start the demo institution ('demo') is created and its API token printed ONCE. Stop
    with Ctrl-C: the local chain it started is stopped and its state saved, so the next run
    continues where this one ended (credentials issued before still verify).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    node = LocalChain(settings.data_dir)
    started_here = False
    if settings.chain == "local" and node.info() is None:
        node.start()
        started_here = True
    services: Services | None = None
    try:
        ensure_registry(settings)
        address = choose_server_address(settings.data_dir, host, port)
        services = start_services(
            settings, web=None if once else find_web_starter(), host=host, port=address.port, worker=not once
        )
        public = services.service.config.public_base_url
        if services.web is not None:
            record_running_server(settings.data_dir, public, f"{host}:{address.port}")
        click.echo(f"Data:     {settings.data_dir.resolve()}")
        click.echo(f"Public URL: {public} (credential links, QR codes, status lists)")
        if address.changed_from:
            click.secho(
                f"Note: this data folder issued under {address.changed_from} until now; credentials "
                "issued before keep their links there.",
                fg="yellow",
            )
        click.echo(f"Demo institution: {DEMO_SLUG}")
        if services.demo_token:
            click.secho("Demo API token (shown once, copy it now):", fg="yellow")
            click.echo(services.demo_token)
        else:
            click.echo(
                "Demo API token: shown on the first start only. For a new one (admin UI, API): "
                f"{token_command(settings, DEMO_SLUG)}"
            )
        for url in getattr(services.web, "urls", []) or []:
            click.echo(f"Web:      {url}")
        click.echo(f"Claim e-mails: {services.service.delivery.settings.describe(public)}")
        if once:
            return
        click.echo("Running; press Ctrl-C to stop.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        if services is not None:
            services.stop()
            clear_running_server(settings.data_dir)
        if started_here and not once:
            node.stop()
            click.echo("Local chain stopped; state saved.")
