"""Where the master key lives, and saying so when that place is unsafe.

    box = open_secret_box(config)   # MEDCRED_MASTER_KEY, MEDCRED_MASTER_KEY_FILE, or <data>/master.key
    text = key_placement_warning(config, "0.0.0.0")  # None, or the sentence to print once

The master key unseals every institution's private keys. Kept in the data folder (the default,
handy on a laptop), a copy of that folder - a backup, a snapshot, a stolen disk - holds the sealed
keys *and* the key to open them. A server reachable from other machines should take it from the
environment (`MEDCRED_MASTER_KEY`) or from a file outside the data folder
(`MEDCRED_MASTER_KEY_FILE`), so `medcred serve` on a non-loopback address, and the gunicorn entry
point (whose address the app cannot see), warn once at start while it sits beside the database.
"""

from __future__ import annotations

import logging
from pathlib import Path

from issuer.config import ConfigError, ServiceConfig
from issuer.loopback import is_loopback_host
from issuer.secrets import SecretBox

log = logging.getLogger("medcred.security")
DEFAULT_KEY_NAME = "master.key"


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def key_beside_database(config: ServiceConfig) -> bool:
    """Whether the master key is a file in the data folder that also holds the (SQLite) database."""
    if config.master_key:
        return False
    database = config.database_url.removeprefix("sqlite:///")
    if database == config.database_url or not database or database == ":memory:":
        return False  # PostgreSQL: the database is elsewhere
    folder = Path(config.data_dir)
    return _inside(config.master_key_file, folder) and _inside(Path(database), folder)


def open_secret_box(config: ServiceConfig) -> SecretBox:
    """The SecretBox for `config`'s master key (ConfigError with a sentence if it cannot be used).

    A MEDCRED_MASTER_KEY_FILE that does not exist yet is created, unless the data folder still has
    its own master.key: then the key is meant to be moved, not replaced, and the error says how.
    """
    default = Path(config.data_dir) / DEFAULT_KEY_NAME
    chosen = config.master_key_file
    if (
        not config.master_key
        and config.master_key_path is not None
        and not chosen.exists()
        and default.exists()
        and chosen.resolve() != default.resolve()
    ):
        raise ConfigError(
            f"MEDCRED_MASTER_KEY_FILE names {chosen}, which does not exist, while the data folder still "
            f"holds {default}: the institutions' keys are sealed with that one. Move it there "
            f"(mv {default} {chosen}) rather than starting a new key."
        )
    return SecretBox.from_config(config.master_key, chosen)


def key_placement_warning(config: ServiceConfig, host: str | None) -> str | None:
    """The warning for a server on `host` (None: unknown, as under gunicorn), or None if all is well."""
    if not key_beside_database(config) or (host is not None and is_loopback_host(host)):
        return None
    where = f"listens on {host}" if host is not None else "may be reachable from other machines"
    return (
        f"The master key ({config.master_key_file}) sits in the data folder beside the database, and "
        f"this server {where}: a copy of that folder would decrypt every institution's private keys. "
        "Move the key out of the folder and point MEDCRED_MASTER_KEY_FILE at it (or give it in "
        "MEDCRED_MASTER_KEY); see 'The master key' in the README."
    )


def warn_about_key_placement(config: ServiceConfig, host: str | None) -> str | None:
    """Log `key_placement_warning` (at WARNING, logger 'medcred.security') if there is one; returns it."""
    text = key_placement_warning(config, host)
    if text is not None:
        log.warning(text)
    return text
