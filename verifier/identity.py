"""The recipient's hashed e-mail (Open Badges 3.0 `IdentityObject`) and matching it.

Credentials name their recipient by a salted hash of the e-mail address so that the address itself
never appears in the credential (nor, through the anchor, on chain). Both sides must normalise the
address the same way before hashing: MedCred strips surrounding white space and lower-cases the
whole address (`Alice.Smith@Example.ORG ` -> `alice.smith@example.org`). Lower-casing the local part
is not strictly RFC 5321, but every mail provider a hospital uses treats it case-insensitively, and a
verifier typing the address by hand must get a match.

    identityHash = "sha256$" + hex(SHA-256(UTF-8(normalized e-mail + salt)))
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

IDENTITY_HASH_PREFIX = "sha256$"


def normalize_email(email: str) -> str:
    """The e-mail address as hashed: surrounding white space removed, lower case."""
    return email.strip().lower()


def identity_hash(email: str, salt: str) -> str:
    """`sha256$<hex>` of the normalised e-mail followed by the salt (OBv3 IdentityHash)."""
    digest = hashlib.sha256((normalize_email(email) + salt).encode("utf-8")).hexdigest()
    return IDENTITY_HASH_PREFIX + digest


def identity_object(email: str, salt: str) -> dict[str, Any]:
    """The OBv3 IdentityObject naming a recipient by hashed e-mail."""
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(email, salt),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def recipient_matches(credential: Mapping[str, Any], email: str) -> bool:
    """Whether one of the credential subject's hashed e-mail identifiers is `email`."""
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    for item in subjects:
        identifiers = item.get("identifier") if isinstance(item, Mapping) else None
        if isinstance(identifiers, Mapping):
            identifiers = [identifiers]
        if not isinstance(identifiers, list):
            continue
        for entry in identifiers:
            if not isinstance(entry, Mapping) or entry.get("identityType") != "emailAddress":
                continue
            stated, salt = entry.get("identityHash"), entry.get("salt", "")
            if not isinstance(stated, str) or not isinstance(salt, str):
                continue
            if entry.get("hashed") is True:
                expected = identity_hash(email, salt)
                if hmac.compare_digest(stated.lower(), expected):
                    return True
            elif normalize_email(stated) == normalize_email(email):
                return True
    return False
