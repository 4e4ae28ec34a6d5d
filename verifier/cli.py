"""The `medcred` console script.

The root group and the verify commands live here so that a licensing body can install the verifier
alone. The issuer adds its commands through the `medcred.commands` entry point group; the verifier
never imports the issuer.

Start-up time is part of the contract (`medcred --help` and `--version` in 0.25 s): the root group is
a `LazyGroup` that knows each command by name, import path and one-line help, and imports a command's
module only when that command runs (or its own `--help` is asked for). HOW TO ADD A COMMAND and keep
the command line quick:

- write it in its own module (e.g. `issuer/cli/achievement_commands.py`) and register it by import
  path, never by importing it: `root.add_lazy_command("achievement",
  "issuer.cli.achievement_commands:achievement")` (the issuer's table is `COMMANDS` in
  `issuer/cli/__init__.py`); `--help` lists it with its docstring's first line, read from the
  module's source without importing it (so the command function needs a docstring, and help given
  in the decorator instead must also be passed as `short_help`);
- the module itself may import what its commands need at the top, but nothing may sign, connect or
  open a database at import time;
- modules imported by `verifier.cli` and `issuer.cli` themselves stay light: no web3, eth_account,
  SQLAlchemy, Alembic or Flask (`tests/test_cli_startup.py` checks it in a fresh interpreter).
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click

from verifier import __version__
from verifier.errors import InputError, MedCredError
from verifier.settings import DEFAULT_CHAIN, DEFAULT_DATA_DIR, Settings

EXIT_FAILURE = 1
EXIT_USAGE = 2


@functools.cache
def _module_tree(module_name: str) -> ast.Module | None:
    """The parsed source of `module_name`, found without importing it (its parent packages are)."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def docstring_of(import_path: str) -> str:
    """The docstring of the function `module:attribute` names, read from the module's source (the
    function a `@click.command()` decorates: its docstring is the command's help). Empty if none."""
    module_name, attribute = import_path.split(":", 1)
    tree = _module_tree(module_name)
    for node in tree.body if tree is not None else ():
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == attribute:
            return ast.get_docstring(node) or ""
    return ""


class LazyGroup(click.Group):
    """A Click group whose subcommands are imported only when used (Click's documented LazyGroup).

    `add_lazy_command(name, "package.module:attribute")` registers a command without importing it;
    `--help` lists it with the first line of its docstring, read from the module's source (or with
    `short_help`, when given). Commands added with `add_command` work as usual.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, tuple[str, str | None]] = {}

    def add_lazy_command(self, name: str, import_path: str, short_help: str | None = None) -> None:
        """Register `name` as the Click command at `import_path` ("module:attribute")."""
        if ":" not in import_path:
            raise ValueError(f"import path {import_path!r} must be 'module:attribute'")
        self.lazy_commands[name] = (import_path, short_help)

    def lazy_help(self, name: str, limit: int = 45) -> str:
        """The one-line help of lazy command `name`, as Click would shorten it, without importing it."""
        import_path, short_help = self.lazy_commands[name]
        text = short_help if short_help is not None else docstring_of(import_path)
        return click.Command(name, help=text).get_short_help_str(limit)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.add_command(self.load_lazy(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def load_lazy(self, name: str) -> click.Command:
        """Import the command registered as `name` (without adding it to the group)."""
        import_path = self.lazy_commands[name][0]
        module_name, attribute = import_path.split(":", 1)
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{import_path} is not a Click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, with help read from source or registered: it imports no command module."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, self.lazy_help(name, limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class MedCredGroup(LazyGroup):
    """The root group: lazy commands, and every `MedCredError` as one line on stderr, not a traceback."""

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


# The verifier's own commands (verifier/commands.py), by import path.
VERIFY_COMMANDS = {
    "verify": "verifier.commands:verify",
    "verify-batch": "verifier.commands:verify_batch",
    "verify-server": "verifier.commands:verify_server",
}

_plugins_loaded = False


def _load_plugins() -> None:
    """Attach the verify commands and those contributed by installed packages (the issuer) to the root
    group, by name only. Idempotent."""
    global _plugins_loaded  # noqa: PLW0603 - one registration per process, however many callers
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for name, import_path in VERIFY_COMMANDS.items():
        cli.add_lazy_command(name, import_path)
    for ep in entry_points(group="medcred.commands"):
        try:
            register = ep.load()
        except ImportError:
            continue  # the issuer's optional dependencies are not installed: verifier-only install
        register(cli)


def main(argv: list[str] | None = None) -> None:
    _load_plugins()
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="medcred")
