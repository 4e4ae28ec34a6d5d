"""`medcred chain start|stop|status`: the managed local anvil node."""

from __future__ import annotations

import click

from issuer.chain.anvil import DEFAULT_PORT, LocalChain
from issuer.chain.backends import open_chain
from issuer.chain.context import deployment_store, trust_deployment
from verifier.chain.provider import connect_rpc
from verifier.settings import Settings


@click.group()
def chain() -> None:
    """Start, stop and inspect the local chain (an anvil node; state kept in DATA_DIR/chain)."""


@chain.command()
@click.option(
    "--port",
    type=int,
    default=None,
    help=f"Preferred port (default: the last one used, else {DEFAULT_PORT}); a free one if taken.",
)
@click.pass_obj
def start(settings: Settings, port: int | None) -> None:
    """Start the local chain in the background (does nothing if it already runs)."""
    node = LocalChain(settings.data_dir)
    was_running = node.info() is not None
    info = node.start(port)
    verb = "already running" if was_running else "started"
    click.echo(f"Local chain {verb}: {info.rpc_url} (chain id {info.chain_id}, pid {info.pid}).")
    local = open_chain("local", settings.data_dir)
    deployment = deployment_store(settings, local).load(info.chain_id)
    if deployment is not None:
        trust_deployment(settings, local, deployment)  # keep verifier.toml's RPC URL current


@chain.command()
@click.pass_obj
def stop(settings: Settings) -> None:
    """Stop the local chain, saving its state."""
    if LocalChain(settings.data_dir).stop():
        click.echo("Local chain stopped; its state is saved.")
    else:
        click.echo("The local chain is not running.")


@chain.command()
@click.pass_obj
def status(settings: Settings) -> None:
    """Say whether the local chain runs, where, and its latest block."""
    node = LocalChain(settings.data_dir)
    info = node.info()
    if info is None:
        state = "saved state present" if node.state_file.exists() else "no saved state"
        click.echo(f"The local chain is stopped ({state}).")
        return
    block = connect_rpc(info.rpc_url).eth.block_number
    click.echo(
        f"The local chain is running: {info.rpc_url}, chain id {info.chain_id}, "
        f"block {block}, pid {info.pid}."
    )
