"""The issuer service's configuration: global settings plus what only a running issuer needs.

Everything comes from `Settings` (data folder, chain) and the environment, so the CLI, `medcred run`
and a gunicorn-hosted web layer all configure the service the same way:

- `DATABASE_URL`: SQLAlchemy URL, `sqlite:///...` or `postgresql://...` (psycopg 3);
  default `sqlite:///<data_dir>/medcred.db`.
- `MEDCRED_MASTER_KEY`: the key that encrypts private keys at rest (base64url, 32 bytes);
  or `MEDCRED_MASTER_KEY_FILE`: a 0600 file holding it, best outside the data folder (created on
  first use if missing); default: the 0600 file `<data_dir>/master.key`, created on first use.
  Kept beside the database, a copy of the data folder decrypts every key: a server listening
  beyond loopback warns about it (issuer.key_placement)
- `MEDCRED_PUBLIC_URL`: the base URL the web layer is reached at (credential ids, status lists);
  default: the URL the data folder remembers (`issuer.public_url`), else `http://127.0.0.1:8000`.
- `MEDCRED_BATCH_SIZE` (1000) / `MEDCRED_BATCH_MAX_AGE` (60 s): an anchoring batch closes at this
  many credentials or when its oldest credential has waited this long.
- `MEDCRED_CONFIRMATIONS`: blocks to wait after the anchoring transaction (1 on dev chains, else 3).
- `MEDCRED_RETRY_BACKOFF`: `initial,max` seconds between retries while the chain is unreachable (`1,60`).
- `MEDCRED_TEMPLATES`: a folder of extra achievement templates.
- `MEDCRED_SMTP_*`, `MEDCRED_MAIL_*`, `MEDCRED_CLAIM_DAYS`: claim e-mails (issuer.delivery.mail_settings).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from issuer.public_url import DEFAULT_PUBLIC_URL, remembered_public_url
from verifier.errors import MedCredError
from verifier.settings import Settings
from verifier.urls import MalformedURLError, check_http_url

DEFAULT_BATCH_SIZE = 1000
DEFAULT_BATCH_MAX_AGE = 60.0
DEV_CONFIRMATIONS = 1
PRODUCTION_CONFIRMATIONS = 3
DEFAULT_RETRY = (1.0, 60.0)
MAX_BATCH_SIZE = 65_536
"""Bigger batches make Merkle paths longer without saving gas that matters; also bounds memory."""


if TYPE_CHECKING:
    from issuer.delivery.mail_settings import MailSettings


class ConfigError(MedCredError):
    """The service is misconfigured (a bad environment variable, an unsafe key file)."""


@dataclass(frozen=True)
class ServiceConfig:
    """Everything the issuer core needs; build it with `from_settings` and tweak with `with_`."""

    settings: Settings
    database_url: str
    public_base_url: str = DEFAULT_PUBLIC_URL
    batch_size: int = DEFAULT_BATCH_SIZE
    batch_max_age: float = DEFAULT_BATCH_MAX_AGE
    confirmations: int | None = None
    """None: 1 on development chains (memory, anvil), 3 on a real network."""
    retry_initial: float = DEFAULT_RETRY[0]
    retry_max: float = DEFAULT_RETRY[1]
    master_key: str | None = field(default=None, repr=False)
    """The master key given directly (environment); None: the key file."""
    master_key_path: Path | None = None
    """MEDCRED_MASTER_KEY_FILE; None: `<data_dir>/master.key`."""
    template_folder: Path | None = None
    poll_interval: float = 1.0
    """How often the anchoring worker looks for work."""
    recheck_interval: float = 300.0
    """How often the worker checks that anchored roots are still on chain (a reset dev chain)."""
    mail: MailSettings | None = None
    """Claim e-mails (issuer.delivery.mail_settings); None: the development mailbox defaults."""
    mail_poll_interval: float = 2.0
    """How often the delivery worker looks for e-mails to send."""

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def master_key_file(self) -> Path:
        """Where the master key is read from (unless MEDCRED_MASTER_KEY gives it directly)."""
        return self.master_key_path or self.settings.data_dir / "master.key"

    def confirmations_for(self, is_dev_chain: bool) -> int:
        if self.confirmations is not None:
            return self.confirmations
        return DEV_CONFIRMATIONS if is_dev_chain else PRODUCTION_CONFIRMATIONS

    def with_(self, **changes: Any) -> ServiceConfig:
        """A copy with some fields changed (tests, `medcred run`)."""
        return replace(self, **changes)

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str] | None = None) -> ServiceConfig:
        """Read the environment (see the module docstring); raise ConfigError naming a bad variable."""
        env = os.environ if env is None else env
        database_url = env.get("DATABASE_URL") or default_database_url(settings.data_dir)
        backoff = _backoff(env.get("MEDCRED_RETRY_BACKOFF"))
        confirmations = env.get("MEDCRED_CONFIRMATIONS")
        templates = env.get("MEDCRED_TEMPLATES")
        from issuer.delivery.mail_settings import MailSettings  # noqa: PLC0415 - it needs ConfigError

        public_base_url = _url(
            env.get("MEDCRED_PUBLIC_URL") or remembered_public_url(settings.data_dir) or DEFAULT_PUBLIC_URL
        )
        return cls(
            settings=settings,
            database_url=normalize_database_url(database_url),
            public_base_url=public_base_url,
            batch_size=_int(env, "MEDCRED_BATCH_SIZE", DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
            batch_max_age=_float(env, "MEDCRED_BATCH_MAX_AGE", DEFAULT_BATCH_MAX_AGE),
            confirmations=(
                _int(env, "MEDCRED_CONFIRMATIONS", 1, 1, 1000) if confirmations is not None else None
            ),
            retry_initial=backoff[0],
            retry_max=backoff[1],
            master_key=env.get("MEDCRED_MASTER_KEY") or None,
            master_key_path=Path(env["MEDCRED_MASTER_KEY_FILE"])
            if env.get("MEDCRED_MASTER_KEY_FILE")
            else None,
            template_folder=Path(templates) if templates else None,
            mail=MailSettings.from_env(public_base_url, env),
        )


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'medcred.db'}"


def normalize_database_url(url: str) -> str:
    """`postgres://` and `postgresql://` (what hosting platforms hand out) mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError(
            "DATABASE_URL must be a sqlite:/// or postgresql:// URL (PostgreSQL is used through psycopg 3)."
        )
    return url


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"MEDCRED_PUBLIC_URL must start with http:// or https://, got {value!r}.")
    try:
        check_http_url(value)
    except MalformedURLError as exc:
        raise ConfigError(f"MEDCRED_PUBLIC_URL: {exc}") from None
    return value.rstrip("/")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}.")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}.") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative.")
    return value


def _backoff(raw: str | None) -> tuple[float, float]:
    if not raw:
        return DEFAULT_RETRY
    try:
        initial, maximum = (float(part) for part in raw.split(","))
    except ValueError:
        raise ConfigError(f"MEDCRED_RETRY_BACKOFF must be 'initial,max' in seconds, got {raw!r}.") from None
    if not 0 < initial <= maximum:
        raise ConfigError("MEDCRED_RETRY_BACKOFF needs 0 < initial <= max.")
    return initial, maximum
