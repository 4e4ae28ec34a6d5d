"""`medcred institution create|list|register|logo`: issuing institutions, their keys, registration, logo."""

from __future__ import annotations

from pathlib import Path

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


@institution.command("keys")
@click.argument("slug")
@click.pass_obj
def keys(settings: Settings, slug: str) -> None:
    """List the institution's signing keys: the current one and those it used before."""
    from issuer.key_lifecycle import list_keys  # noqa: PLC0415

    for key in list_keys(open_service(settings), slug):
        data = key.to_json()
        until = data["validUntil"] or "open-ended"
        mark = "current" if key.current else "earlier"
        click.echo(f"{mark:<8} {key.key_id}  {key.verification_method}  {data['validFrom']} .. {until}")


@institution.command("rotate-key")
@click.argument("slug")
@click.pass_obj
def rotate_key(settings: Settings, slug: str) -> None:
    """New signing key: registered now, signing from now on; the old key's window closes once what
    it signed is anchored, so every credential issued before stays VALID (did:web institutions)."""
    from issuer.key_lifecycle import rotate_key as rotate  # noqa: PLC0415

    change = rotate(open_service(settings), slug)
    click.echo(f"New signing key {change.new_key} registered; it signs from now on.")
    if change.retired_until:
        click.echo(f"Key {change.retired_key} closed: valid until block time {change.retired_until}.")
    for note in change.notes:
        click.secho(note, fg="yellow")


@institution.command("retire-key")
@click.argument("slug")
@click.option("--key", "key", required=True, metavar="KEY_ID", help="The key: its 0x id, or key-N.")
@click.option(
    "--as-of",
    metavar="TIME",
    help="When it stopped being trustworthy (ISO 8601 or unix seconds) [default: now].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_obj
def retire_key(settings: Settings, slug: str, key: str, as_of: str | None, as_json: bool) -> None:
    """After a compromise: KEY is invalid from TIME on. Credentials signed (or anchored) with it at
    or after TIME turn INVALID and are listed, so they can be issued again."""
    import json  # noqa: PLC0415

    from issuer.key_lifecycle import parse_time  # noqa: PLC0415
    from issuer.key_lifecycle import retire_key as retire  # noqa: PLC0415

    change = retire(open_service(settings), slug, key, parse_time(as_of) if as_of else None)
    if as_json:
        click.echo(json.dumps(change.to_json(), indent=2))
        return
    if change.new_key:
        click.echo(f"New signing key {change.new_key} registered; it signs from now on.")
    click.echo(f"Key {change.retired_key} retired: invalid from block time {change.retired_until} on.")
    for note in change.notes:
        click.secho(note, fg="yellow")
    if not change.affected:
        click.echo("No credential signed with it is affected.")
        return
    click.secho(f"{len(change.affected)} credential(s) now INVALID; issue them again:", fg="red")
    for item in change.affected:
        who = item.recipient_name or "(name hidden)"
        click.echo(f"  {item.id}  {item.template:<8} {who}  signed {item.signed_at}")


@institution.command("new-account")
@click.argument("slug")
@click.pass_obj
def new_account(settings: Settings, slug: str) -> None:
    """Give the institution a fresh Ethereum account (its old one was compromised or lost) and print
    the governance command that moves the issuer to it."""
    from issuer.account_move import new_account as make  # noqa: PLC0415

    old, new = make(open_service(settings), slug)
    click.echo(f"New account {new} (the old one was {old}).")
    click.secho(f"Governance must move the issuer: medcred registry move-issuer {old} {new}", fg="yellow")
    click.echo("then reinstate it if it is suspended: medcred registry reinstate " + new)


@institution.command("logo")
@click.argument("slug")
@click.argument("image", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--remove", is_flag=True, help="Remove the logo instead.")
@click.pass_obj
def logo(settings: Settings, slug: str, image: Path | None, remove: bool) -> None:
    """Set the logo drawn on the institution's certificates (IMAGE: a PNG or SVG file, at most
    512 KiB; SVG is sanitized), or --remove it."""
    from issuer.institution_logo import set_logo  # noqa: PLC0415

    if (image is None) == (not remove):
        raise click.UsageError("Give an IMAGE file, or --remove.")
    data = None
    if image is not None:
        try:
            data = image.read_bytes()
        except OSError as exc:
            raise click.FileError(str(image), exc.strerror) from None
    declared = {".png": "image/png", ".svg": "image/svg+xml"}.get(image.suffix.lower()) if image else None
    kind = set_logo(open_service(settings).db, slug, data, declared)
    click.echo(f"Logo of {slug}: {kind}." if kind else f"Logo of {slug} removed.")
