"""Institutions: signing key and DID, Ethereum account, and registration on the registry.

Creating an institution makes an Ed25519 key (its DID is `did:key` of that key, or a `did:web`
under a domain the web layer serves), an Ethereum account to anchor and revoke with, and stores
both sealed under the master key. It is committed *before* anything happens on chain, so a chain
outage or a crash leaves an institution that `ensure_registered` completes later (the anchoring
worker calls it before anchoring).

Registration: on a development chain (memory, anvil) the governor registers the account and the
faucet funds it, automatically; on a real chain governance must do that, and `ensure_registered`
returns the sentences saying what to do. Either way the institution then registers its signing key
itself (`registerKey`, open-ended), which it can only do as an active issuer; the registry makes the
key valid from its registration block on, and credentials are signed only once that has happened
(a signature dated before its key was registered verifies INVALID).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import DetachedInstanceError
from web3 import Web3

from issuer.anchoring.chain import ChainAccess
from issuer.chain.registry_writer import validate_name
from issuer.credential_builder import IssuerProfile
from issuer.keys import (
    Ed25519KeyPair,
    did_key_for,
    did_key_verification_method,
    did_web_document,
    did_web_for,
)
from issuer.secrets import SecretBox
from issuer.storage.errors import ConflictError, NotFoundError
from issuer.storage.models import AWAITING_GOVERNANCE, REGISTERED, Event, Institution, utcnow
from verifier.chain.registry_reader import IssuerStatus
from verifier.did import did_key_document
from verifier.errors import InputError

KEY_VALIDITY_SKEW_S = 300
"""The signing key is registered as valid from this long before creation: clocks differ."""
DEV_FUNDING_WEI = Web3.to_wei(10, "ether")
MIN_DEV_BALANCE_WEI = Web3.to_wei(1, "ether")
WEB_KEY_FRAGMENT = "key-1"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
SUSPENDED = "suspended"


@dataclass(frozen=True)
class InstitutionInfo:
    """An institution as the CLI and web layer show it (no secrets)."""

    slug: str
    name: str
    did: str
    eth_address: str
    verification_method: str
    key_fingerprint: str
    registration_state: str
    include_names: bool
    created_at: datetime
    did_web_url: str | None = None
    deliver_email: bool = True
    """Whether recipients get claim e-mails unless a roster or request says otherwise."""

    @classmethod
    def of(cls, row: Institution) -> InstitutionInfo:
        return cls(
            slug=row.slug,
            name=row.name,
            did=row.did,
            eth_address=row.eth_address,
            verification_method=row.verification_method,
            key_fingerprint=row.key_fingerprint,
            registration_state=row.registration_state,
            include_names=row.include_names,
            created_at=row.created_at,
            did_web_url=did_web_document_url(row),
            deliver_email=row.deliver_email,
        )


@dataclass
class RegistrationOutcome:
    """What `ensure_registered` did and, on a real chain, what people must still do."""

    state: str
    transactions: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    """Plain sentences for governance / operators; empty when nothing is left to do."""


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64].strip("-")
    if not slug:
        raise InputError(f"Cannot derive a slug from {name!r}: give one with --slug.")
    return slug


def check_slug(slug: str) -> str:
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise InputError(
            f"{slug!r} is not a valid slug: 1-64 lower-case letters, digits and dashes, "
            "not starting or ending with a dash."
        )
    return slug


def parse_did_web(domain: str) -> tuple[str, list[str]]:
    """`example.org`, `example.org:8443` or `example.org/issuers/demo` -> (did, path segments)."""
    text = (domain or "").strip().removeprefix("https://").strip("/")
    host, _, path = text.partition("/")
    segments = [s for s in path.split("/") if s]
    if not host or any(not re.match(r"^[A-Za-z0-9._~-]+$", s) for s in segments):
        raise InputError(f"{domain!r} is not a did:web domain such as example.org or example.org/issuers/x.")
    if not re.match(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$", host):
        raise InputError(f"{host!r} is not a host name (with an optional :port).")
    try:
        return did_web_for(host, segments), segments
    except (ValueError, InputError) as exc:
        raise InputError(f"{domain!r} does not make a valid did:web: {exc}") from None


def did_web_document_url(row: Institution) -> str | None:
    """Where the web layer must serve the DID document (https://host/.well-known/did.json or a path)."""
    if row.did_web_host is None:
        return None
    host = row.did_web_host.replace("%3A", ":")
    return (
        f"https://{host}/{row.did_web_path}/did.json"
        if row.did_web_path
        else f"https://{host}/.well-known/did.json"
    )


def did_document(row: Institution) -> dict[str, Any]:
    """The institution's DID document (did:web: to serve; did:key: derived from the key).

    A did:web document lists the current signing key and every earlier one (after a rotation), so
    credentials signed with an earlier key keep verifying; the registry's key windows, not the DID
    document, say when each key was valid.
    """
    if row.did.startswith("did:web:"):
        keys = [(_fragment(row.verification_method), row.signing_public_key)]
        try:
            earlier = list(row.earlier_keys)
        except DetachedInstanceError:  # read outside its session: the current key only
            earlier = []
        keys += [(_fragment(k.verification_method), k.public_key) for k in earlier]
        return did_web_document(row.did, keys)
    return did_key_document(row.did)


def _fragment(verification_method: str) -> str:
    return verification_method.partition("#")[2] or WEB_KEY_FRAGMENT


def issuer_profile(row: Institution) -> IssuerProfile:
    return IssuerProfile(did=row.did, name=row.name, url=row.url, email=row.email)


def signing_key(row: Institution, box: SecretBox) -> Ed25519KeyPair:
    return Ed25519KeyPair.from_secret_multibase(
        box.open(row.signing_key_sealed, _purpose(row.slug, "ed25519"))
    )


def eth_account(row: Institution, box: SecretBox) -> LocalAccount:
    return Account.from_key(box.open(row.eth_key_sealed, _purpose(row.slug, "ethereum")))


def _purpose(slug: str, what: str) -> str:
    return f"institution:{slug}:{what}"


def get_institution(session: Session, slug: str, *, lock: bool = False) -> Institution:
    query = select(Institution).where(Institution.slug == slug)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(f"There is no institution {slug!r} (see `medcred institution list`).")
    return row


def list_institutions(session: Session) -> list[Institution]:
    return list(session.scalars(select(Institution).order_by(Institution.slug)))


def create_institution(
    session: Session,
    box: SecretBox,
    name: str,
    *,
    slug: str | None = None,
    did_web: str | None = None,
    url: str | None = None,
    email: str | None = None,
    include_names: bool = True,
) -> Institution:
    """Create keys, DID and account and store them (sealed); registration is `ensure_registered`'s job."""
    name = validate_name(name)
    slug = check_slug(slug) if slug else slugify(name)
    if session.scalars(select(Institution.id).where(Institution.slug == slug)).first() is not None:
        raise ConflictError(f"An institution with slug {slug!r} already exists.")
    key = Ed25519KeyPair.generate()
    web_host: str | None = None
    web_path: str | None = None
    if did_web:
        did, segments = parse_did_web(did_web)
        web_host = did.split(":")[2]
        web_path = "/".join(segments) or None
        method = f"{did}#{WEB_KEY_FRAGMENT}"
    else:
        did = did_key_for(key.public_key_multibase)
        method = did_key_verification_method(key.public_key_multibase)
    if session.scalars(select(Institution.id).where(Institution.did == did)).first() is not None:
        raise ConflictError(f"Another institution already uses the DID {did}.")
    account = Account.create()
    row = Institution(
        slug=slug,
        name=name,
        did=did,
        did_web_host=web_host,
        did_web_path=web_path,
        url=url,
        email=email,
        include_names=include_names,
        signing_public_key=key.public_key_multibase,
        signing_key_sealed=box.seal(key.secret_key_multibase, _purpose(slug, "ed25519")),
        verification_method=method,
        key_fingerprint="0x" + key.fingerprint.hex(),
        key_valid_from=int(time.time()) - KEY_VALIDITY_SKEW_S,
        key_valid_until=None,
        eth_address=account.address,
        eth_key_sealed=box.seal(account.key.hex(), _purpose(slug, "ethereum")),
        registration_state=AWAITING_GOVERNANCE,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    record_event(session, row.id, "institution.created", slug, {"did": did, "account": account.address})
    return row


def ensure_registered(
    session: Session,
    row: Institution,
    box: SecretBox,
    chain: ChainAccess,
    *,
    progress: Callable[[str], None] | None = None,
) -> RegistrationOutcome:
    """Make the institution an active issuer with its key registered, as far as this service can.

    Idempotent and cheap when done (two view calls). Updates `row.registration_state`; the caller
    commits. Raises ChainError when the chain is unreachable or refuses.
    """
    say = progress or (lambda _message: None)
    ctx = chain.context()
    reader = chain.fresh_reader()
    outcome = RegistrationOutcome(state=row.registration_state)
    info = reader.issuer(row.eth_address)
    w3 = ctx.chain.w3
    if not info.registered:
        holder = reader.issuer_by_did(row.did)
        if holder.registered:
            # The DID belongs to another account: this institution got a new account (the old one was
            # compromised or lost); only governance can move the issuer to it.
            outcome.state = row.registration_state = AWAITING_GOVERNANCE
            outcome.actions = [
                f"Governance must move issuer {row.did} from {holder.account} to this institution's "
                f"account: medcred registry move-issuer {holder.account} {row.eth_address}"
            ]
            return outcome
        if not ctx.chain.is_dev:
            outcome.state = row.registration_state = AWAITING_GOVERNANCE
            outcome.actions = governance_actions(row)
            return outcome
        say(f"Registering {row.eth_address} as issuer {row.did} on the registry.")
        outcome.transactions.append(
            chain.governor_writer().add_issuer(row.eth_address, row.did, row.name).tx_hash
        )
        info = chain.fresh_reader().issuer(row.eth_address)
    if info.status is IssuerStatus.SUSPENDED:
        outcome.state = row.registration_state = SUSPENDED
        outcome.actions = [
            f"The registry has suspended issuer {row.eth_address}; governance must reinstate it."
        ]
        return outcome
    balance = int(w3.eth.get_balance(row.eth_address))
    if ctx.chain.is_dev and balance < MIN_DEV_BALANCE_WEI:
        say(f"Funding {row.eth_address} with 10 ETH from the development faucet.")
        governor = chain.governor_writer()
        outcome.transactions.append(
            governor.sender.send_value(row.eth_address, DEV_FUNDING_WEI, "Funding").tx_hash
        )
        balance = int(w3.eth.get_balance(row.eth_address))
    key_info = reader.key(row.eth_address, row.key_fingerprint)
    if not key_info.exists:
        if balance == 0:
            outcome.state = row.registration_state = AWAITING_GOVERNANCE
            outcome.actions = [
                f"Fund {row.eth_address} with ETH for gas, then run any anchoring command again."
            ]
            return outcome
        say(f"Registering signing key {row.key_fingerprint} (valid from {row.key_valid_from}).")
        writer = chain.writer(eth_account(row, box))
        outcome.transactions.append(
            writer.register_key(row.key_fingerprint, row.key_valid_from, row.key_valid_until or 0).tx_hash
        )
        key_info = chain.fresh_reader().key(row.eth_address, row.key_fingerprint)
    if key_info.exists:
        # The registry starts a key's window no earlier than its registration block: signatures are
        # dated from then on (issuer.signing.signing_time), or they would predate their own key.
        row.key_valid_from = key_info.valid_from
    outcome.state = row.registration_state = REGISTERED
    row.chain_id = ctx.deployment.chain_id
    row.registry_address = ctx.deployment.address
    if outcome.transactions:
        record_event(
            session, row.id, "institution.registered", row.slug, {"registry": ctx.deployment.address}
        )
    return outcome


def governance_actions(row: Institution) -> list[str]:
    return [
        "Governance must register this institution on the registry: "
        f"medcred registry add-issuer {row.eth_address} --did {row.did} --name {json.dumps(row.name)}",
        f"Fund {row.eth_address} with ETH for gas (each anchored batch is one transaction).",
        "Then `medcred anchor` (or the running worker) registers the signing key and anchors.",
    ]


def record_event(
    session: Session,
    institution_id: int | None,
    kind: str,
    subject: str | None,
    detail: dict[str, Any] | None,
) -> None:
    session.add(
        Event(
            institution_id=institution_id,
            kind=kind,
            subject=subject,
            detail=json.dumps(detail, separators=(",", ":")) if detail else None,
            at=utcnow(),
        )
    )
