"""The issuer's `medcred` commands, attached to the verifier's root group by entry point.

Each command is registered by import path, so that `medcred --help` lists them
without importing web3, SQLAlchemy or Flask (see `verifier/cli.py` for how to add one). This module
itself must stay light: it is imported on every `medcred` start.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

# name -> "module:attribute" of the Click command (its help is its docstring's first line)
COMMANDS: dict[str, str | tuple[str, str | None]] = {
    "chain": "issuer.cli.chain_commands:chain",
    "registry": "issuer.cli.registry_commands:registry",
    "run": "issuer.cli.run_command:run",
    "institution": "issuer.cli.institution_commands:institution",
    "token": "issuer.cli.token_commands:token",
    "achievement": "issuer.cli.achievement_commands:achievement",
    "issue": "issuer.cli.issue_commands:issue",
    "issue-batch": "issuer.cli.issue_commands:issue_batch",
    "anchor": "issuer.cli.issue_commands:anchor",
    "export": "issuer.cli.export_command:export",
    "revoke": "issuer.cli.issue_commands:revoke",
    "serve": "issuer.cli.serve_command:serve",
    "worker": "issuer.cli.worker_command:worker",
}


def issuer_installed() -> bool:
    """Whether the issuer's extras are installed (a verifier-only install lacks SQLAlchemy)."""
    return find_spec("sqlalchemy") is not None


def register_commands(root: Any) -> None:
    """Add the issuer's commands to `root` (a `verifier.cli.LazyGroup`) by name, importing none."""
    if not issuer_installed():
        return
    for name, entry in COMMANDS.items():
        import_path, short_help = (entry, None) if isinstance(entry, str) else entry
        root.add_lazy_command(name, import_path, short_help)
