"""How claim e-mails are sent: SMTP settings from the environment or a TOML file.

Environment variables (each overrides the same key of the file):

- `MEDCRED_SMTP_HOST`: the SMTP server. Unset: no mail server; e-mails go to the development
  mailbox (files in `<data dir>/mailbox`, shown to admins at `/admin/mailbox` on loopback).
- `MEDCRED_SMTP_PORT`: default 587 for `starttls`, 465 for `tls`, 25 for `none`.
- `MEDCRED_SMTP_TLS`: `starttls` (default), `tls` (implicit TLS) or `none` (loopback relays only).
- `MEDCRED_SMTP_USER`, and `MEDCRED_SMTP_PASSWORD` or `MEDCRED_SMTP_PASSWORD_FILE` (a secret:
  never logged, never written anywhere by MedCred).
- `MEDCRED_MAIL_FROM`: the From address (default `MedCred <no-reply@HOST>`, HOST from the public URL).
- `MEDCRED_MAIL_RATE`: at most this many e-mails per process (a `limits` rate string,
  default `30/minute`).
- `MEDCRED_MAIL_RETRY`: `initial,max` seconds between retries of a failed send (`30,3600`), and
  `MEDCRED_MAIL_ATTEMPTS` (8): attempts before a delivery is marked failed.
- `MEDCRED_CLAIM_DAYS`: how long a claim link works (30 days).
- `MEDCRED_MAIL_CONFIG`: a TOML file with the same settings in a `[smtp]` table: `host`, `port`,
  `tls`, `user`, `password_file`, `from`, `rate`, `retry`, `attempts`, `claim_days`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import RateLimitItem, parse

from issuer.config import ConfigError

TLS_MODES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
DEFAULT_RATE = "30/minute"
DEFAULT_RETRY = (30.0, 3600.0)
DEFAULT_ATTEMPTS = 8
DEFAULT_CLAIM_DAYS = 30


@dataclass(frozen=True)
class MailSettings:
    """Where and how claim e-mails go. `host` None: the development mailbox folder."""

    host: str | None = None
    port: int = 587
    tls: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "MedCred <no-reply@localhost>"
    rate: str = DEFAULT_RATE
    retry_initial: float = DEFAULT_RETRY[0]
    retry_max: float = DEFAULT_RETRY[1]
    attempts: int = DEFAULT_ATTEMPTS
    claim_days: float = DEFAULT_CLAIM_DAYS
    timeout: float = 20.0

    @property
    def development(self) -> bool:
        """No mail server configured: e-mails are kept in the data folder's mailbox."""
        return self.host is None

    @property
    def rate_limit(self) -> RateLimitItem:
        return parse(self.rate)

    def retry_delay(self, attempts: int) -> float:
        """Seconds before the next try after `attempts` failed ones (exponential, capped)."""
        return min(self.retry_max, self.retry_initial * 2 ** max(0, attempts - 1))

    def describe(self, public_url: str = "") -> str:
        """One line for the start-up output (no password)."""
        if self.development:
            return (
                f"kept in the development mailbox, {public_url}/admin/mailbox (set MEDCRED_SMTP_HOST "
                "to send them)"
            )
        who = f"{self.user}@" if self.user else ""
        return f"smtp {who}{self.host}:{self.port} ({self.tls}), from {self.sender}, at most {self.rate}"

    @classmethod
    def from_env(cls, public_url: str, env: Mapping[str, str] | None = None) -> MailSettings:
        """Read the file named by MEDCRED_MAIL_CONFIG, then the environment; ConfigError naming what
        is wrong."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        config_file = env.get("MEDCRED_MAIL_CONFIG")
        if config_file:
            values.update(_read_file(Path(config_file)))
        names = {
            "host": "MEDCRED_SMTP_HOST", "port": "MEDCRED_SMTP_PORT", "tls": "MEDCRED_SMTP_TLS",
            "user": "MEDCRED_SMTP_USER", "password": "MEDCRED_SMTP_PASSWORD",
            "password_file": "MEDCRED_SMTP_PASSWORD_FILE", "from": "MEDCRED_MAIL_FROM",
            "rate": "MEDCRED_MAIL_RATE", "retry": "MEDCRED_MAIL_RETRY", "attempts": "MEDCRED_MAIL_ATTEMPTS",
            "claim_days": "MEDCRED_CLAIM_DAYS",
        }  # fmt: skip
        for key, name in names.items():
            if env.get(name):
                values[key] = env[name]
        return cls._build(values, public_url)

    @classmethod
    def _build(cls, values: Mapping[str, Any], public_url: str) -> MailSettings:
        tls = str(values.get("tls") or "starttls").lower()
        if tls not in TLS_MODES:
            raise ConfigError(f"MEDCRED_SMTP_TLS must be one of {', '.join(TLS_MODES)}, got {tls!r}.")
        password = values.get("password")
        if values.get("password_file"):
            try:
                password = Path(str(values["password_file"])).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"The SMTP password file cannot be read: {exc.strerror}.") from None
        rate = str(values.get("rate") or DEFAULT_RATE)
        try:
            parse(rate)
        except ValueError:
            raise ConfigError(f"MEDCRED_MAIL_RATE must look like '30/minute', got {rate!r}.") from None
        retry = _retry(values.get("retry"))
        host = str(values["host"]).strip() if values.get("host") else None
        domain = urlsplit(public_url).hostname or "localhost"
        return cls(
            host=host,
            port=_number(values.get("port"), "MEDCRED_SMTP_PORT", DEFAULT_PORTS[tls], 1, 65535),
            tls=tls,
            user=str(values["user"]) if values.get("user") else None,
            password=str(password) if password else None,
            sender=str(values.get("from") or f"MedCred <no-reply@{domain}>"),
            rate=rate,
            retry_initial=retry[0],
            retry_max=retry[1],
            attempts=_number(values.get("attempts"), "MEDCRED_MAIL_ATTEMPTS", DEFAULT_ATTEMPTS, 1, 100),
            claim_days=float(
                _number(values.get("claim_days"), "MEDCRED_CLAIM_DAYS", DEFAULT_CLAIM_DAYS, 1, 3650)
            ),
        )


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"MEDCRED_MAIL_CONFIG: {path} cannot be read ({exc.strerror}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"MEDCRED_MAIL_CONFIG: {path} is not valid TOML ({exc}).") from None
    table = data.get("smtp", {})
    if not isinstance(table, dict):
        raise ConfigError(f"MEDCRED_MAIL_CONFIG: {path} needs an [smtp] table.")
    if "password" in table:
        raise ConfigError(
            f"MEDCRED_MAIL_CONFIG: {path} must not hold the password itself; name a file with "
            "password_file (or set MEDCRED_SMTP_PASSWORD)."
        )
    return dict(table)


def _number(raw: Any, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}.")
    return value


def _retry(raw: Any) -> tuple[float, float]:
    if not raw:
        return DEFAULT_RETRY
    try:
        initial, maximum = (float(part) for part in str(raw).split(","))
    except ValueError:
        raise ConfigError(f"MEDCRED_MAIL_RETRY must be 'initial,max' in seconds, got {raw!r}.") from None
    if not 0 < initial <= maximum:
        raise ConfigError("MEDCRED_MAIL_RETRY needs 0 < initial <= max.")
    return initial, maximum
