"""`medcred token create|list|revoke`: API tokens for the web API."""

from __future__ import annotations

from datetime import timedelta

import click

from issuer.cli.service_factory import open_service
from issuer.storage.models import SCOPES
from verifier.settings import Settings


@click.group()
def token() -> None:
    """API tokens: scoped per institution and per action; stored hashed, shown once."""


@token.command("create")
@click.option(
    "--institution", "slug", required=True, metavar="SLUG", help="The institution the token acts for."
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="What the token may do; repeat for several (admin implies all).",
)
@click.option("--label", help="A note to recognise the token by later.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), help="Expire after this many days.")
@click.pass_obj
def create(
    settings: Settings, slug: str, scopes: tuple[str, ...], label: str | None, expires_in_days: int | None
) -> None:
    """Create a token and print it ONCE: only its hash is stored, it cannot be shown again."""
    expires = timedelta(days=expires_in_days) if expires_in_days else None
    secret, info = open_service(settings).create_token(slug, scopes, label=label, expires_in=expires)
    click.echo(
        f"Token {info.id} for {info.institution} (scopes: {' '.join(info.scopes)}). "
        "Copy it now, it is shown once:"
    )
    click.echo(secret)


@token.command("list")
@click.option("--institution", "slug", required=True, metavar="SLUG")
@click.pass_obj
def list_(settings: Settings, slug: str) -> None:
    """List an institution's tokens (never the tokens themselves)."""
    for info in open_service(settings).list_tokens(slug):
        state = (
            "revoked"
            if info.revoked
            else (f"expires {info.expires_at:%Y-%m-%d}" if info.expires_at else "active")
        )
        click.echo(f"{info.id:>4}  {' '.join(info.scopes):<20} {state:<20} {info.label or ''}")


@token.command("revoke")
@click.option("--institution", "slug", required=True, metavar="SLUG")
@click.argument("token_id", type=int)
@click.pass_obj
def revoke(settings: Settings, slug: str, token_id: int) -> None:
    """Revoke a token by its number (from `medcred token list`)."""
    open_service(settings).revoke_token(slug, token_id)
    click.echo(f"Token {token_id} revoked.")
