"""The issuer's `medcred` commands, attached to the verifier's root group by entry point."""

from __future__ import annotations

import click

from issuer.cli.chain_commands import chain
from issuer.cli.registry_commands import registry
from issuer.cli.run_command import run


def register_commands(root: click.Group) -> None:
    root.add_command(chain)
    root.add_command(registry)
    root.add_command(run)
