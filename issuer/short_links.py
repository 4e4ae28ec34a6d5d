"""Verification addresses short enough to type from a printed certificate: `host/v/5f0c1e9e-8d4b`.

The code is the first 13 characters of the credential's UUID (48 random bits of a UUID 4): no new
state, nothing to allocate, and the chance that two of a million credentials share one is about
1 in 500. If two ever do, the address answers 404 with a sentence instead of guessing, and the QR
code (which carries the full link) still works. `GET /v/<code>` redirects to the verifier page for
that credential (issuer.web.public).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from issuer.storage.database import Database
from issuer.storage.errors import NotFoundError
from issuer.storage.models import Credential

SHORT_PATH = "/v"
CODE_LENGTH = 13
_CODE = re.compile(r"([0-9a-f]{8})-?([0-9a-f]{4})", re.IGNORECASE)


def short_code(credential_id: str) -> str:
    """`5f0c1e9e-8d4b-4c3a-...` -> `5f0c1e9e-8d4b`."""
    return credential_id.strip().lower()[:CODE_LENGTH]


def short_url(base_url: str, credential_id: str) -> str:
    """The address printed on a certificate: the scheme dropped when it is https (browsers add it)."""
    url = f"{base_url.rstrip('/')}{SHORT_PATH}/{short_code(credential_id)}"
    return url.removeprefix("https://")


def resolve_short_code(db: Database, code: str) -> str:
    """The credential id whose UUID starts with `code`; NotFoundError if none, or more than one, does."""
    match = _CODE.fullmatch(code.strip())
    if match is None:
        raise NotFoundError("A short verification address ends in 8 and 4 hexadecimal digits.")
    prefix = f"{match.group(1)}-{match.group(2)}".lower()
    with db.reader() as session:
        # A range on the primary key (not LIKE): an index seek on SQLite and PostgreSQL alike.
        ids = session.scalars(
            select(Credential.id).where(Credential.id >= prefix, Credential.id < prefix + "~").limit(2)
        ).all()
    if len(ids) != 1:
        raise NotFoundError(
            "No single credential has this short address: scan the QR code on the certificate instead."
            if ids
            else "There is no credential with this short address."
        )
    return ids[0]
