"""An institution's signing keys over time: rotation, and retirement after a compromise.

The registry holds each key's validity window (`registerKey`, `retireKey`); a credential verifies
only if its key was valid when it was signed and when it was anchored. So:

- **rotate** (`medcred institution rotate-key SLUG`): a new key is registered and signs from now on;
  what the old key signed is anchored first, and only then is the old key's window closed at the
  current block time. Everything signed before stays VALID. A did:web institution lists every key
  it ever used in its DID document; a did:key institution's DID *is* its key, so it cannot rotate.
- **retire** (`medcred institution retire-key SLUG --key K --as-of TIME`): after a compromise, K's
  window is closed at TIME (in the past if need be). Credentials signed with K at or after TIME,
  or anchored at or after TIME, turn INVALID; they are listed so the institution can issue them
  again. Retiring the current key of a did:web institution rotates first, so it can keep issuing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from issuer.institutions import eth_account, get_institution, record_event
from issuer.keys import Ed25519KeyPair
from issuer.storage.credentials import compose_document
from issuer.storage.errors import ConflictError, NotFoundError
from issuer.storage.models import REGISTERED, Credential, SigningKey, utcnow
from verifier.chain.provider import call_node
from verifier.data_integrity import proofs_of
from verifier.errors import InputError, MedCredError
from verifier.merkle import find_anchor_proof
from verifier.schema import parse_datetime

if TYPE_CHECKING:
    from issuer.service import IssuerService

log = logging.getLogger(__name__)


def parse_time(text: str | int) -> int:
    """Unix seconds from ISO 8601 (`2026-03-01`, `2026-03-01T12:00:00Z`) or a number of seconds."""
    if isinstance(text, int):
        return text
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{text!r} is not a time: use ISO 8601 (2026-03-01T12:00:00Z) or unix seconds."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@dataclass(frozen=True)
class KeyRecord:
    """One of an institution's signing keys as the CLI, the API and the admin UI show it."""

    key_id: str
    """The registry's key id: 0x + keccak256 of the multibase public key."""
    verification_method: str
    valid_from: int
    valid_until: int | None
    current: bool

    def to_json(self) -> dict[str, object]:
        return {
            "keyId": self.key_id,
            "verificationMethod": self.verification_method,
            "validFrom": _iso(self.valid_from),
            "validUntil": _iso(self.valid_until) if self.valid_until else None,
            "current": self.current,
        }


@dataclass(frozen=True)
class AffectedCredential:
    """A credential that a retirement turns INVALID, for the institution to issue again."""

    id: str
    recipient_name: str | None
    template: str
    signed_at: str
    anchored_at: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "recipientName": self.recipient_name,
            "template": self.template,
            "signedAt": self.signed_at,
            "anchoredAt": self.anchored_at,
        }


@dataclass
class KeyChange:
    """What a rotation or retirement did."""

    retired_key: str | None = None
    retired_until: int | None = None
    new_key: str | None = None
    affected: list[AffectedCredential] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "retiredKey": self.retired_key,
            "retiredUntil": _iso(self.retired_until) if self.retired_until else None,
            "newKey": self.new_key,
            "affected": [a.to_json() for a in self.affected],
            "notes": self.notes,
        }


def list_keys(service: IssuerService, slug: str) -> list[KeyRecord]:
    """The current key first, then the earlier ones, newest first."""
    with service.db.reader() as session:
        row = get_institution(session, slug)
        keys = [
            KeyRecord(
                row.key_fingerprint,
                row.verification_method,
                row.key_valid_from,
                row.key_valid_until,
                True,
            )
        ]
        for old in reversed(row.earlier_keys):
            keys.append(
                KeyRecord(old.fingerprint, old.verification_method, old.valid_from, old.valid_until, False)
            )
        return keys


def rotate_key(service: IssuerService, slug: str) -> KeyChange:
    """Register a new signing key, sign with it from now on, anchor what the old key signed, then
    close the old key's window at the current block time. ChainError if the chain refuses."""
    change = _switch_to_new_key(service, slug)
    try:
        service.anchor_now(slug)
    except MedCredError as exc:
        change.notes.append(
            f"The old key's window stays open: what it signed could not be anchored yet ({exc}). "
            f"Run `medcred institution retire-key {slug} --key {change.retired_key}` once it is."
        )
        return change
    until = _chain_now(service) + 1
    _retire_on_chain(service, slug, str(change.retired_key), until)
    change.retired_until = until
    return change


def retire_key(service: IssuerService, slug: str, key: str, as_of: int | None = None) -> KeyChange:
    """Close `key`'s window at `as_of` (default: now), rotating first if it is the current key of a
    did:web institution; list the credentials this turns INVALID."""
    keys = {k.key_id.lower(): k for k in list_keys(service, slug)}
    wanted = _resolve_key(keys, key)
    until = as_of if as_of is not None else _chain_now(service) + 1
    if until < wanted.valid_from:
        raise InputError(
            f"--as-of {_iso(until)} is before the key became valid ({_iso(wanted.valid_from)}): use "
            f"{_iso(wanted.valid_from)} to make it valid at no time."
        )
    change = KeyChange()
    if wanted.current:
        with service.db.reader() as session:
            did_web = get_institution(session, slug).did.startswith("did:web:")
        if did_web:
            change = _switch_to_new_key(service, slug)
        else:
            change.notes.append(
                "This was the institution's only key (a did:key DID is its key): it cannot sign "
                "credentials that verify any more. Create a did:web institution to issue again."
            )
    _retire_on_chain(service, slug, wanted.key_id, until)
    change.retired_key, change.retired_until = wanted.key_id, until
    change.affected = affected_credentials(service, slug, wanted.verification_method, until)
    return change


def affected_credentials(
    service: IssuerService, slug: str, verification_method: str, since: int
) -> list[AffectedCredential]:
    """Credentials signed with `verification_method` that a window ending at `since` invalidates:
    signed at or after it, or anchored at or after it (or not anchored yet)."""
    out: list[AffectedCredential] = []
    with service.db.reader() as session:
        institution = get_institution(session, slug)
        rows = session.scalars(
            select(Credential)
            .where(Credential.institution_id == institution.id)
            .order_by(Credential.issued_at)
        )
        for row in rows:
            document = compose_document(row.signed_json, row.anchor_proof_json)
            signed = [p for p in proofs_of(document) if p.get("verificationMethod") == verification_method]
            if not signed:
                continue
            signed_at = parse_datetime(signed[0].get("created"))
            anchor = find_anchor_proof(document) if row.anchor_proof_json else None
            anchored_at = parse_datetime(anchor.created) if anchor is not None else None
            hit = (
                signed_at is None
                or signed_at.timestamp() >= since
                or anchored_at is None
                or anchored_at.timestamp() >= since
            )
            if hit:
                out.append(
                    AffectedCredential(
                        id=row.id,
                        recipient_name=row.recipient_name,
                        template=row.template,
                        signed_at=str(signed[0].get("created")),
                        anchored_at=anchor.created if anchor is not None else None,
                    )
                )
    return out


# ---------------------------------------------------------------------------- internals


def _switch_to_new_key(service: IssuerService, slug: str) -> KeyChange:
    """Register a fresh key on the registry, then make it the institution's signing key (the old
    one moves to `signing_keys`, without its secret)."""
    with service.db.reader() as session:
        row = get_institution(session, slug)
        if not row.did.startswith("did:web:"):
            raise ConflictError(
                f"Institution {slug!r} uses a did:key DID, which is its signing key itself: it cannot "
                "rotate keys. Create a did:web institution (--did-web DOMAIN) for rotatable keys."
            )
        if row.registration_state != REGISTERED:
            raise ConflictError(f"Institution {slug!r} is not registered on the registry yet.")
        account = eth_account(row, service.box)
        index = len(row.earlier_keys) + 2
    key = Ed25519KeyPair.generate()
    fingerprint = "0x" + key.fingerprint.hex()
    writer = service.chain.writer(account)
    writer.register_key(fingerprint, _chain_now(service), 0)
    registered = service.chain.fresh_reader().key(account.address, fingerprint)
    with service.db.session() as session:
        row = get_institution(session, slug, lock=True)
        old = row.key_fingerprint
        session.add(
            SigningKey(
                institution_id=row.id,
                fingerprint=row.key_fingerprint,
                public_key=row.signing_public_key,
                verification_method=row.verification_method,
                valid_from=row.key_valid_from,
                valid_until=row.key_valid_until,
                replaced_at=utcnow(),
            )
        )
        row.signing_public_key = key.public_key_multibase
        row.signing_key_sealed = service.box.seal(key.secret_key_multibase, f"institution:{slug}:ed25519")
        row.verification_method = f"{row.did}#key-{index}"
        row.key_fingerprint = fingerprint
        row.key_valid_from = registered.valid_from
        row.key_valid_until = None
        record_event(session, row.id, "key.rotated", slug, {"old": old, "new": fingerprint})
    log.info("Institution %s signs with key %s from now on (was %s).", slug, fingerprint, old)
    return KeyChange(retired_key=old, new_key=fingerprint)


def _retire_on_chain(service: IssuerService, slug: str, key_id: str, until: int) -> None:
    with service.db.session() as session:
        row = get_institution(session, slug, lock=True)
        account = eth_account(row, service.box)
        for old in row.earlier_keys:
            if old.fingerprint.lower() == key_id.lower():
                session.get(SigningKey, old.id).valid_until = until  # type: ignore[union-attr]
        if row.key_fingerprint.lower() == key_id.lower():
            row.key_valid_until = until
        record_event(session, row.id, "key.retired", slug, {"key": key_id, "validUntil": until})
    service.chain.writer(account).retire_key(key_id, until)


def _resolve_key(keys: dict[str, KeyRecord], key: str) -> KeyRecord:
    wanted = key.strip().lower()
    for record in keys.values():
        method = record.verification_method.lower()
        if wanted in (record.key_id.lower(), method, method.partition("#")[2]):
            return record
    known = ", ".join(f"{k.key_id} ({k.verification_method})" for k in keys.values())
    raise NotFoundError(f"The institution has no signing key {key!r}; its keys: {known}.")


def _chain_now(service: IssuerService) -> int:
    """The latest block's time: windows are judged by block times, not by this machine's clock."""
    w3 = service.chain.context().chain.w3
    return int(call_node(w3, lambda: w3.eth.get_block("latest"))["timestamp"])


def _iso(ts: int | None) -> str:
    return datetime.fromtimestamp(ts or 0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_json(change: KeyChange) -> str:
    return json.dumps(change.to_json(), indent=2)
