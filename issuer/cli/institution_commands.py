"""`medcred institution create|list|register`: issuing institutions, their keys and registration."""

from __future__ import annotations

import click

from issuer.cli.service_factory import open_service
from issuer.institutions import InstitutionInfo, RegistrationOutcome
from verifier.settings import Settings


@click.group()
def institution() -> None:
    """Create and list issuing institutions (signing key, DID, Ethereum account, registration)."""


def print_institution(info: InstitutionInfo) -> None:
    click.echo(f"Institution: {info.name} (slug {info.slug})")
    click.echo(f"DID:         {info.did}")
    if info.did_web_url:
        click.echo(f"DID document must be served at {info.did_web_url}")
    click.echo(f"Account:     {info.eth_address}")
    click.echo(f"Signing key: {info.key_fingerprint}")
    click.echo(f"Registry:    {info.registration_state}")


def print_registration(outcome: RegistrationOutcome) -> None:
    for tx in outcome.transactions:
        click.echo(f"  transaction {tx}")
    for action in outcome.actions:
        click.secho(f"To do: {action}", fg="yellow")


@institution.command("create")
@click.argument("name")
@click.option("--slug", help="Short name used in commands and URLs [default: derived from NAME].")
@click.option(
    "--did-web",
    "did_web",
    metavar="DOMAIN[/PATH]",
    help="Use did:web under this domain (served at https://DOMAIN/.well-known/did.json, or "
    "https://DOMAIN/PATH/did.json) instead of a did:key.",
)
@click.option("--url", help="The institution's web site, shown in credentials.")
@click.option("--email", help="A contact e-mail shown in credentials.")
@click.option(
    "--hide-names", is_flag=True, help="Do not put recipients' names in credentials (hashed e-mail only)."
)
@click.pass_obj
def create(
    settings: Settings,
    name: str,
    slug: str | None,
    did_web: str | None,
    url: str | None,
    email: str | None,
    hide_names: bool,
) -> None:
    """Create an institution: Ed25519 signing key and DID, an Ethereum account, and registration.

    On the memory and local chains the institution is registered and funded automatically; on a
    real network this prints what the registry's governance must do and which address to fund.
    """
    service = open_service(settings)
    created = service.create_institution(
        name,
        slug=slug,
        did_web=did_web,
        url=url,
        email=email,
        include_names=not hide_names,
        progress=lambda message: click.echo(f"  {message}"),
    )
    print_institution(created.institution)
    print_registration(created.registration)


@institution.command("list")
@click.pass_obj
def list_(settings: Settings) -> None:
    """List institutions with their DID, account and registration state."""
    rows = open_service(settings).list_institutions()
    if not rows:
        click.echo("No institutions yet: create one with `medcred institution create NAME`.")
        return
    for info in rows:
        click.echo(
            f"{info.slug:<24} {info.registration_state:<20} {info.eth_address}  {info.did}  {info.name}"
        )


@institution.command("register")
@click.argument("slug")
@click.pass_obj
def register(settings: Settings, slug: str) -> None:
    """Complete registration (after governance added the account on a real network): registers the key."""
    outcome = open_service(settings).register_institution(slug, progress=lambda m: click.echo(f"  {m}"))
    click.echo(f"Registration: {outcome.state}")
    print_registration(outcome)
