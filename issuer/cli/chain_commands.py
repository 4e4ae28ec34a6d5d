"""`medcred chain start|stop|status`: the managed local anvil node."""

from __future__ import annotations

import click

from issuer.chain.anvil import DEFAULT_PORT, LocalChain
from verifier.chain.provider import connect_rpc
from verifier.settings import Settings


@click.group()
def chain() -> None:
    """Start, stop and inspect the local chain (an anvil node; state kept in DATA_DIR/chain)."""


@chain.command()
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, help="Preferred port; a free one is used if taken."
)
@click.pass_obj
def start(settings: Settings, port: int) -> None:
    """Start the local chain in the background (does nothing if it already runs)."""
    node = LocalChain(settings.data_dir)
    was_running = node.info() is not None
    info = node.start(port)
    verb = "already running" if was_running else "started"
    click.echo(f"Local chain {verb}: {info.rpc_url} (chain id {info.chain_id}, pid {info.pid}).")


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
