"""Where the PostgreSQL server binaries are, for the suites that start a throw-away cluster."""

from __future__ import annotations

import os
from pathlib import Path


def pg_bin() -> Path:
    """`$MEDCRED_PG_BIN`, else the newest `/usr/lib/postgresql/N/bin` (Debian's `postgresql` package,
    which `make test` installs: 15 on bookworm, 17 on trixie)."""
    if os.environ.get("MEDCRED_PG_BIN"):
        return Path(os.environ["MEDCRED_PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


MISSING = "install the Debian package postgresql (`make test` does), or set MEDCRED_PG_BIN"
