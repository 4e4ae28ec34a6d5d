"""The web layer's secret key (session cookies, CSRF, the sealed admin token).

From `MEDCRED_SECRET_KEY` (base64url, 32 bytes) or the 0600 file `<data_dir>/web-secret.key`,
created on first use like the master key. It is separate from the master key that seals the
institutions' private keys: rotating it only logs admins out. Every process sharing a data folder
(gunicorn workers) reads the same file, so a session stays valid whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from issuer.secrets import load_or_create_key_file, parse_master_key

SECRET_KEY_ENV = "MEDCRED_SECRET_KEY"  # noqa: S105 - the variable's name, not a secret
SECRET_KEY_FILE = "web-secret.key"  # noqa: S105 - a file name


def load_secret_key(data_dir: Path, env: Mapping[str, str] | None = None) -> bytes:
    env = os.environ if env is None else env
    if env.get(SECRET_KEY_ENV):
        return parse_master_key(env[SECRET_KEY_ENV], SECRET_KEY_ENV)
    return load_or_create_key_file(Path(data_dir) / SECRET_KEY_FILE)
