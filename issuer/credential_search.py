"""Finding an institution's credentials by what an admin knows: a name, an e-mail or an id.

- an id: the credential's UUID, its URL, or the first 4+ characters of the UUID;
- an e-mail (the text has an `@`): credentials hold only a salted hash of the e-mail (Open Badges
  3.0 `IdentityObject`, a fresh salt each), so every candidate's hash is computed with its own salt
  (`verifier.identity.recipient_matches`): a scan of the institution's credentials, ~10 µs each;
- anything else: a part of the recipient's name, case-insensitive.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Select, or_

from issuer.storage.models import Credential
from verifier.identity import recipient_matches

MAX_QUERY = 200
_ID_PREFIX = re.compile(r"^[0-9a-f-]{4,36}$")
_UUID_IN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _like(text: str) -> str:
    """`text` as a LIKE pattern (escape character `!`) matching it anywhere, % and _ literally."""
    return "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def narrow(query: Select[Any], text: str) -> Select[Any]:
    """`query` (over Credential) narrowed to a name or id match for `text` (e-mails: `matching_email`)."""
    text = text.strip()[:MAX_QUERY]
    lowered = text.lower()
    whole_id = _UUID_IN.search(lowered)
    if whole_id and ("/" in lowered or lowered.startswith("urn:uuid:") or len(lowered) == 36):
        return query.where(Credential.id == whole_id.group(0))
    name = Credential.recipient_name.ilike(_like(text), escape="!")
    if _ID_PREFIX.match(lowered):
        return query.where(or_(name, Credential.id.startswith(lowered)))
    return query.where(name)


def is_email(text: str) -> bool:
    """Whether the search text is an e-mail address (then matched against the hashed recipients)."""
    return "@" in text


def matching_email(rows: list[tuple[str, str]], email: str) -> list[str]:
    """The ids, of `(id, signed_json)` rows, whose recipient is `email` (hashed with each one's salt)."""
    return [credential_id for credential_id, signed in rows if recipient_matches(json.loads(signed), email)]


def email_candidates(query: Select[Any]) -> Select[Any]:
    """The (id, signed JSON) columns of `query`'s credentials, to match an e-mail against."""
    return query.with_only_columns(Credential.id, Credential.signed_json)
