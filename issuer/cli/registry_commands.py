"""`medcred registry ...`: deploy the registry and govern its issuers."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import click

from issuer.chain.backends import Chain, open_chain
from issuer.chain.context import deployment_store, open_registry, record_deployment
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from verifier.chain.registry_reader import IssuerInfo, IssuerStatus, checksum
from verifier.settings import Settings


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "-"


@click.group()
def registry() -> None:
    """Deploy the CredentialRegistry contract and register, suspend, reinstate or move issuers."""


@registry.command()
@click.option("--force", is_flag=True, help="Deploy a new registry even if one is recorded for this chain.")
@click.pass_obj
def deploy(settings: Settings, force: bool) -> None:
    """Deploy CredentialRegistry and record it in the data folder; prints its address."""
    chain = open_chain(settings.chain, settings.data_dir)
    store = deployment_store(settings, chain)
    existing = store.load(chain.chain_id)
    if existing is not None and not force:
        code = chain.w3.eth.get_code(existing.address)
        if code and _outdated(chain, existing.address):
            click.echo(
                f"The registry recorded for chain {existing.chain_id} ({existing.address}) is an older "
                "version: deploying the current one (register the institutions again afterwards).",
                err=True,
            )
            code = b""
        if code:
            click.echo(
                f"A registry is already deployed on chain {existing.chain_id}: {existing.address} "
                "(use --force for a new one)."
            )
            click.echo(existing.address)
            return
    deployment = deploy_registry(TransactionSender(chain.w3, chain.governor()))
    record_deployment(settings, chain, deployment)
    click.echo(
        f"Registry deployed on chain {deployment.chain_id} at block {deployment.block_number}.", err=True
    )
    click.echo(deployment.address)


def _outdated(chain: Chain, address: str) -> bool:
    """Whether the registry at `address` is an older MedCred registry (see RegistryReader.check)."""
    from verifier.chain.registry_reader import RegistryReader  # noqa: PLC0415
    from verifier.errors import RegistryOutdatedError  # noqa: PLC0415

    try:
        RegistryReader(chain.w3, address).check()
    except RegistryOutdatedError:
        return True
    return False


@registry.command("add-issuer")
@click.argument("address")
@click.option("--did", required=True, help="The institution's DID (did:key:... or did:web:...).")
@click.option("--name", required=True, help="The institution's display name.")
@click.pass_obj
def add_issuer(settings: Settings, address: str, did: str, name: str) -> None:
    """Accredit the institution whose Ethereum account is ADDRESS."""
    ctx = open_registry(settings)
    result = ctx.writer(ctx.chain.governor()).add_issuer(address, did, name)
    click.echo(f"Issuer {checksum(address)} registered as {did!r} ({name}) in block {result.block_number}.")


@registry.command()
@click.argument("address")
@click.pass_obj
def suspend(settings: Settings, address: str) -> None:
    """Stop ADDRESS from anchoring new credentials (earlier ones stay valid)."""
    ctx = open_registry(settings)
    result = ctx.writer(ctx.chain.governor()).suspend_issuer(address)
    click.echo(f"Issuer {checksum(address)} suspended in block {result.block_number}.")


@registry.command()
@click.argument("address")
@click.pass_obj
def reinstate(settings: Settings, address: str) -> None:
    """Let a suspended issuer anchor again."""
    ctx = open_registry(settings)
    result = ctx.writer(ctx.chain.governor()).reinstate_issuer(address)
    click.echo(f"Issuer {checksum(address)} reinstated in block {result.block_number}.")


@registry.command("move-issuer")
@click.argument("old")
@click.argument("new")
@click.pass_obj
def move_issuer(settings: Settings, old: str, new: str) -> None:
    """Governance: move issuer OLD (a compromised or lost account) to the account NEW.

    Its id, DID, name, status, anchored roots, keys and revocations move along, so every credential
    it issued keeps verifying; OLD can never be registered again. The status moves too: reinstate
    NEW when ready (`medcred registry reinstate NEW`). The institution gets NEW with
    `medcred institution new-account SLUG`.
    """
    ctx = open_registry(settings)
    result = ctx.writer(ctx.chain.governor()).move_issuer(old, new)
    info = ctx.reader.issuer(new)
    click.echo(
        f"Issuer {info.did} ({info.name}) moved from {checksum(old)} to {checksum(new)} in block "
        f"{result.block_number}; it is {info.status.label}."
    )


@registry.command("restore-key")
@click.argument("address")
@click.option("--key", "key_id", required=True, metavar="KEY_ID", help="The key's id (0x fingerprint).")
@click.option(
    "--valid-from", metavar="TIME", help="Start (ISO 8601 or unix seconds) [default: its registration]."
)
@click.option("--valid-until", metavar="TIME", help="End (ISO 8601 or unix seconds) [default: open-ended].")
@click.pass_obj
def restore_key(
    settings: Settings, address: str, key_id: str, valid_from: str | None, valid_until: str | None
) -> None:
    """Governance: set a key's validity window back, e.g. undo what a compromised account changed.

    The window can never start before the key was registered.
    """
    from issuer.key_lifecycle import parse_time  # noqa: PLC0415

    ctx = open_registry(settings)
    key = ctx.reader.key(address, key_id)
    start = parse_time(valid_from) if valid_from else key.registered_at
    end = parse_time(valid_until) if valid_until else 0
    result = ctx.writer(ctx.chain.governor()).restore_key_window(address, key_id, start, end)
    until = _when(end) if end else "open-ended"
    click.echo(
        f"Key {key_id} of {checksum(address)} valid from {_when(start)} until {until} "
        f"(block {result.block_number})."
    )


@registry.command()
@click.argument("address", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def show(settings: Settings, address: str | None, as_json: bool) -> None:
    """Show the registry and its issuers, or one issuer by ADDRESS."""
    ctx = open_registry(settings)
    reader = ctx.reader
    if address is not None:
        info = reader.issuer(address)
        if as_json:
            click.echo(json.dumps(_issuer_json(info), indent=2))
        elif info.status is IssuerStatus.NONE:
            click.echo(f"{info.account} is not a registered issuer.")
        else:
            _print_issuer(info)
        return
    issuers = reader.issuers(0, 10_000)
    summary = {
        "chain_id": ctx.deployment.chain_id,
        "address": ctx.deployment.address,
        "deployed_block": ctx.deployment.block_number,
        "issuers": [_issuer_json(i) for i in issuers],
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(
        f"Registry {ctx.deployment.address} on chain {ctx.deployment.chain_id} "
        f"(deployed in block {ctx.deployment.block_number})."
    )
    click.echo(f"{len(issuers)} issuer(s).")
    for info in issuers:
        _print_issuer(info)


def _issuer_json(info: IssuerInfo) -> dict[str, object]:
    data = asdict(info)
    data["status"] = info.status.label
    return data


def _print_issuer(info: IssuerInfo) -> None:
    click.echo(f"- {info.name} [{info.status.label}]")
    click.echo(f"    account:    {info.account}")
    click.echo(f"    DID:        {info.did}")
    click.echo(f"    registered: {_when(info.registered_at)}   updated: {_when(info.updated_at)}")
