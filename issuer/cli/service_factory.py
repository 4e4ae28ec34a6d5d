"""Building the issuer service for a CLI command from the global settings and the environment."""

from __future__ import annotations

import click

from issuer.config import ServiceConfig
from issuer.public_url import mismatch_warning
from issuer.service import IssuerService
from verifier.settings import Settings


def open_service(settings: Settings) -> IssuerService:
    """The service for this command; closed automatically when the command ends."""
    service = IssuerService(ServiceConfig.from_settings(settings))
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(service.close)
    return service


def warn_if_a_server_issues_elsewhere(service: IssuerService) -> None:
    """Warn (stderr) when a server runs in this data folder under another public URL than `service`."""
    warning = mismatch_warning(service.config.data_dir, service.config.public_base_url)
    if warning:
        click.secho(f"Warning: {warning}", err=True, fg="yellow")
