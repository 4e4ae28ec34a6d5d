"""`medcred run`: the main job on the embedded defaults."""

from __future__ import annotations

import contextlib
import signal
import threading

import click

from issuer.chain.anvil import LocalChain
from issuer.chain.backends import open_chain
from issuer.chain.context import deployment_store
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from verifier.settings import Settings


@click.command()
@click.option("--once", is_flag=True, help="Set everything up, print the summary and exit.")
@click.pass_obj
def run(settings: Settings, once: bool) -> None:
    """Start the local chain, deploy the registry if this data folder has none, and keep running.

    Stop with Ctrl-C: the local chain it started is stopped and its state saved, so the next run
    continues where this one ended.
    """
    node = LocalChain(settings.data_dir)
    started_here = False
    if settings.chain == "local" and node.info() is None:
        node.start()
        started_here = True
    try:
        chain = open_chain(settings.chain, settings.data_dir)
        store = deployment_store(settings, chain)
        deployment = store.load(chain.chain_id)
        if deployment is None or not chain.w3.eth.get_code(deployment.address):
            deployment = deploy_registry(TransactionSender(chain.w3, chain.governor()))
            store.save(deployment)
            click.echo(f"Deployed a new registry at {deployment.address}.")
        click.echo(f"Chain:    {chain.rpc_url or chain.kind} (chain id {chain.chain_id})")
        click.echo(f"Registry: {deployment.address} (block {deployment.block_number})")
        click.echo(f"Data:     {settings.data_dir.resolve()}")
        if once:
            return
        click.echo("Running; press Ctrl-C to stop.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        if started_here and not once:
            node.stop()
            click.echo("Local chain stopped; state saved.")
