"""Plain JSON views of the service's records, shared by the API answers and the HTML pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from issuer.delivery.records import DeliveryState
from issuer.service import AchievementInfo, BatchInfo, CredentialRecord
from issuer.storage.models import ANCHORED
from issuer.web.links import links_for
from verifier.errors import MedCredError
from verifier.merkle import find_anchor_proof


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with 'Z' (the database hands back naive UTC on SQLite)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def achievement_of(document: dict[str, Any]) -> dict[str, Any]:
    subject = document.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return achievement if isinstance(achievement, dict) else {}


def achievement_name(record: Any) -> str:
    """What a registrar reads for a stored credential's achievement: its name as the credential
    gives it, else the built-in template's slug (never the word `catalog`)."""
    name = achievement_of(getattr(record, "document", None) or {}).get("name")
    return str(name) if isinstance(name, str) and name.strip() else str(getattr(record, "template", ""))


def issuer_name(document: dict[str, Any]) -> str:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        return str(issuer.get("name") or issuer.get("id") or "")
    return str(issuer or "")


def anchor_proof(document: dict[str, Any]) -> dict[str, Any] | None:
    """The anchor facts of MedCred's anchor proof (chain, registry, merkleRoot, leafIndex,
    merklePath, transactionHash, blockNumber), once the credential is anchored; None before."""
    try:
        anchor = find_anchor_proof(document)
    except MedCredError:
        return None
    return anchor.anchor_data() if anchor is not None else None


TEMPORARY_NOTE = (
    "Not anchored yet: this document is temporary. It verifies as PENDING until anchored (usually "
    "within a minute), and then only while this issuer answers at its url. Fetch the credential "
    "again once `state` is 'anchored' for the permanent file with its anchor proof."
)


def credential_summary(record: CredentialRecord, base_url: str) -> dict[str, Any]:
    """What the API says about a credential besides its document."""
    return {
        "id": record.id,
        "url": record.url,
        "institution": record.institution,
        "template": record.template,
        "achievement": achievement_of(record.document).get("name"),
        "achievementId": achievement_of(record.document).get("id"),
        "recipientName": record.recipient_name,
        "state": record.state,
        "issuedAt": iso(record.issued_at),
        "validFrom": iso(record.valid_from),
        "validUntil": iso(record.valid_until),
        "revoked": record.revoked,
        "revocation": record.revocation,
        "revocationReason": record.revocation_reason,
        "revokedAt": iso(record.revoked_at),
        "statusListId": record.status_list_id,
        "statusIndex": record.status_index,
        "batchRoot": record.batch_root,
        "links": links_for(base_url, record.id, record.url).as_dict(),
        "temporary": record.state != ANCHORED,
        **({"note": TEMPORARY_NOTE} if record.state != ANCHORED else {}),
    }


def delivery_summary(state: DeliveryState) -> dict[str, Any]:
    """Where a credential's claim e-mail stands (API `delivery`)."""
    return {
        "state": state.state,
        "attempts": state.attempts,
        "lastError": state.last_error,
        "nextAttemptAt": iso(state.next_attempt_at),
        "queuedAt": iso(state.queued_at),
        "sentAt": iso(state.sent_at),
    }


def batch_summary(batch: BatchInfo) -> dict[str, Any]:
    return {
        "id": batch.id,
        "institution": batch.institution,
        "root": batch.root,
        "size": batch.size,
        "state": batch.state,
        "transactionHash": batch.tx_hash,
        "blockNumber": batch.block_number,
        "createdAt": iso(batch.created_at),
        "anchoredAt": iso(batch.anchored_at),
        "attempts": batch.attempts,
        "lastError": batch.last_error,
        "selfCheck": batch.self_check,
    }


def achievement_summary(info: AchievementInfo) -> dict[str, Any]:
    """What the API and `medcred achievement list --json` say about one catalog version."""
    return {
        "id": info.id,
        "url": info.url,
        "institution": info.institution,
        "name": info.name,
        "version": info.version,
        "state": info.state,
        "seriesId": info.series_id,
        "currentId": info.current_id,
        "starter": info.starter,
        "validity": info.validity,
        "usedBy": info.used,
        "createdAt": iso(info.created_at),
        "retiredAt": iso(info.retired_at),
        "achievement": info.document,
    }
