"""The `medcred` console script.

The root group and the verify commands live here so that a licensing body can install the verifier
alone. The issuer adds its commands through the `medcred.commands` entry point group; the verifier
never imports the issuer.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from typing import Any

import click

from verifier import __version__
from verifier.commands import register as register_verify_commands
from verifier.errors import InputError, MedCredError
from verifier.settings import DEFAULT_CHAIN, DEFAULT_DATA_DIR, Settings

EXIT_FAILURE = 1
EXIT_USAGE = 2


class MedCredGroup(click.Group):
    """A group that turns every `MedCredError` into one line on stderr instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MedCredError as exc:
            click.secho(f"Error: {exc}", err=True, fg="red")
            ctx.exit(EXIT_USAGE if isinstance(exc, InputError) else EXIT_FAILURE)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=MedCredGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="medcred")
@click.option(
    "--data-dir",
    metavar="DIR",
    help=f"Folder for the database, keys, local chain state and deployment records "
    f"[env MEDCRED_DATA_DIR; default {DEFAULT_DATA_DIR}].",
)
@click.option(
    "--chain",
    metavar="memory|local|URL",
    help="Which chain to use: 'memory' (in-process EVM, gone when the command ends), 'local' (the "
    "anvil node started by `medcred chain start`) or an http(s) RPC URL "
    f"[env MEDCRED_CHAIN; default {DEFAULT_CHAIN}].",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, chain: str | None) -> None:
    """MedCred: issue and verify tamper-evident medical micro-credentials (Open Badges 3.0,
    W3C Verifiable Credentials 2.0) anchored on an EVM registry."""
    ctx.obj = Settings.from_env(data_dir, chain)


def _load_plugins() -> None:
    """Attach commands contributed by installed packages (the issuer) to the root group."""
    register_verify_commands(cli)
    for ep in entry_points(group="medcred.commands"):
        try:
            register = ep.load()
        except ImportError:
            continue  # the issuer's optional dependencies are not installed: verifier-only install
        register(cli)


def main(argv: list[str] | None = None) -> None:
    _load_plugins()
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="medcred")
