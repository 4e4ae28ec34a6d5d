"""The issuer's `medcred` commands, attached to the verifier's root group by entry point.

Each command is registered by import path and one-line help, so that `medcred --help` lists them
without importing web3, SQLAlchemy or Flask (see `verifier/cli.py` for how to add one). This module
itself must stay light: it is imported on every `medcred` start.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

# name -> ("module:attribute", the first line of the command's docstring)
COMMANDS: dict[str, tuple[str, str]] = {
    "chain": (
        "issuer.cli.chain_commands:chain",
        "Start, stop and inspect the local chain (an anvil node; state kept in DATA_DIR/chain).",
    ),
    "registry": (
        "issuer.cli.registry_commands:registry",
        "Deploy the CredentialRegistry contract and register, suspend, reinstate or move issuers.",
    ),
    "run": (
        "issuer.cli.run_command:run",
        "Start the local chain, the registry, the demo institution and the anchoring worker; keep running.",
    ),
    "institution": (
        "issuer.cli.institution_commands:institution",
        "Create and list issuing institutions (signing key, DID, Ethereum account, registration).",
    ),
    "token": (
        "issuer.cli.token_commands:token",
        "API tokens: scoped per institution and per action; stored hashed, shown once.",
    ),
    "achievement": (
        "issuer.cli.achievement_commands:achievement",
        "The institution's achievement catalog: what it issues (Open Badges 3.0 Achievements).",
    ),
    "issue": (
        "issuer.cli.issue_commands:issue",
        "Issue one credential: signed now and, by default, anchored before it is written out.",
    ),
    "issue-batch": ("issuer.cli.issue_commands:issue_batch", "Issue a course roster from a CSV file."),
    "anchor": (
        "issuer.cli.issue_commands:anchor",
        "Anchor every pending credential now and wait until the roots are confirmed on chain.",
    ),
    "export": (
        "issuer.cli.export_command:export",
        "Print a credential as it is now, or export an institution's credentials in bulk.",
    ),
    "revoke": (
        "issuer.cli.issue_commands:revoke",
        "Revoke a credential: in the status list at once, and on the registry (after anchoring if needed).",
    ),
    "serve": (
        "issuer.cli.serve_command:serve",
        "Serve the issuer API, admin UI and verifier page on HOST:PORT (anchoring in the background).",
    ),
    "worker": (
        "issuer.cli.worker_command:worker",
        "Run the anchoring worker alone (no web server) until Ctrl-C or SIGTERM.",
    ),
}


def issuer_installed() -> bool:
    """Whether the issuer's extras are installed (a verifier-only install lacks SQLAlchemy)."""
    return find_spec("sqlalchemy") is not None


def register_commands(root: Any) -> None:
    """Add the issuer's commands to `root` (a `verifier.cli.LazyGroup`) by name, importing none."""
    if not issuer_installed():
        return
    for name, (import_path, short_help) in COMMANDS.items():
        root.add_lazy_command(name, import_path, short_help)
