"""Credential lookups and the credential document as it is now (signature, plus anchor once anchored)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.storage.errors import NotFoundError
from issuer.storage.models import Credential

_UUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.IGNORECASE)


def credential_key(credential_id: str) -> str:
    """The database key of a credential named by its UUID, `urn:uuid:...` or public URL."""
    match = _UUID.search((credential_id or "").strip().rstrip("/"))
    if match is None:
        raise NotFoundError(f"{credential_id!r} is not a credential id (a UUID or a credential URL).")
    return match.group(1).lower()


def get_credential_row(session: Session, credential_id: str, *, lock: bool = False) -> Credential:
    query = select(Credential).where(Credential.id == credential_key(credential_id))
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(f"There is no credential {credential_id!r}.")
    return row


def compose_document(signed_json: str, anchor_proof_json: str | None) -> dict[str, Any]:
    """The credential as handed out: its signature proof, and the anchor proof once there is one."""
    document = json.loads(signed_json)
    if anchor_proof_json:
        proof = document.get("proof")
        proofs = proof if isinstance(proof, list) else [proof]
        document["proof"] = [*proofs, json.loads(anchor_proof_json)]
    return document


def document_of(row: Credential) -> dict[str, Any]:
    return compose_document(row.signed_json, row.anchor_proof_json)


def achievement_name(document: dict[str, Any]) -> str | None:
    """The name of the achievement a credential awards (`credentialSubject.achievement.name`)."""
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else None
    return name if isinstance(name, str) and name else None
