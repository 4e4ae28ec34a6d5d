"""The issuer's `medcred` commands, attached to the verifier's root group by entry point."""

from __future__ import annotations

import click

from issuer.cli.chain_commands import chain
from issuer.cli.institution_commands import institution
from issuer.cli.issue_commands import anchor, export, issue, issue_batch, revoke
from issuer.cli.registry_commands import registry
from issuer.cli.run_command import run
from issuer.cli.serve_command import serve
from issuer.cli.token_commands import token
from issuer.cli.worker_command import worker


def register_commands(root: click.Group) -> None:
    for command in (chain, registry, run, institution, token, issue, issue_batch, anchor, export, revoke):
        root.add_command(command)
    root.add_command(serve)
    root.add_command(worker)
