"""Adding a Data Integrity proof (`eddsa-rdfc-2022` or `eddsa-jcs-2022`) to a credential, or
securing it as a VC-JWT (`sign_jwt`, for status lists that JWT-only verifiers read).

The hashing is the verifier's (`verifier.data_integrity.create_verify_data`), so what the issuer
signs is by construction what the verifier checks. Each proof gets an `id` (`urn:uuid:...`) so that
a later proof (MedCred's anchor proof, or a co-signature) can point at it with `previousProof`.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.jwk import OKPKey

from issuer.keys import Ed25519KeyPair
from verifier.data_integrity import (
    ASSERTION_METHOD,
    DATA_INTEGRITY_PROOF,
    EDDSA_JCS_2022,
    EDDSA_RDFC_2022,
    create_verify_data,
    proofs_of,
    unsecured_document_for,
)
from verifier.jsonld_loader import BundledDocumentLoader
from verifier.multikey import encode_multibase
from verifier.vc_jwt import REGISTRY, VC_JWT_TYP


def xsd_datetime(moment: datetime) -> str:
    """UTC XSD dateTime with `Z` and whole seconds, the form MedCred writes everywhere."""
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def signing_time(key_valid_from: int | None, now: datetime | None = None) -> datetime:
    """When to date a signature made now with a key valid from `key_valid_from` (unix seconds).

    The registry never lets a key be valid before the block that registered it, and that block's
    time can run a little ahead of this machine's clock (a development chain mines one block per
    second at least): a signature dated now could then predate its own key and verify INVALID.
    So the date is `max(now, key_valid_from)`, always a moment at which the key was registered.
    """
    moment = now or datetime.now(UTC)
    if key_valid_from:
        moment = max(moment, datetime.fromtimestamp(key_valid_from, UTC))
    return moment


def create_proof(
    document: Mapping[str, Any],
    key: Ed25519KeyPair,
    verification_method: str,
    *,
    cryptosuite: str = EDDSA_RDFC_2022,
    created: datetime | str | None = None,
    proof_id: str | None = None,
    previous_proof: str | Sequence[str] | None = None,
    proof_purpose: str = ASSERTION_METHOD,
    loader: BundledDocumentLoader | None = None,
) -> dict[str, Any]:
    """The proof object signing `document` (which may already carry proofs, for a proof set/chain).

    `proof_id=""` omits the `id` (known-answer tests); None makes a fresh `urn:uuid`.
    Raises CanonicalizationError if the document is not safe JSON-LD (rdfc).
    """
    if created is None:
        created = datetime.now(UTC)
    proof: dict[str, Any] = {"type": DATA_INTEGRITY_PROOF}
    if proof_id is None:
        proof_id = uuid.uuid4().urn
    if proof_id:
        proof["id"] = proof_id
    proof["cryptosuite"] = cryptosuite
    proof["created"] = created if isinstance(created, str) else xsd_datetime(created)
    proof["verificationMethod"] = verification_method
    proof["proofPurpose"] = proof_purpose
    if previous_proof is not None:
        proof["previousProof"] = previous_proof if isinstance(previous_proof, str) else list(previous_proof)
    if cryptosuite == EDDSA_JCS_2022 and "@context" in document:
        # vc-di-eddsa's JCS suite carries the document's context in the proof (as its test vectors do).
        proof["@context"] = document["@context"]
    unsecured = unsecured_document_for(document, proof, proofs_of(document))
    signature = key.sign(create_verify_data(unsecured, proof, loader=loader))
    proof["proofValue"] = encode_multibase(signature)
    return proof


def sign(
    document: Mapping[str, Any],
    key: Ed25519KeyPair,
    verification_method: str,
    **options: Any,
) -> dict[str, Any]:
    """A copy of `document` with a new proof (options as for `create_proof`).

    `proof` is always a proof set, a JSON array with the new proof last, also for the first proof:
    VC 2.0 allows a single object, but 1EdTech's Open Badges 3.0 JSON Schema requires an array,
    and a credential must validate against it before it is anchored too. (A document whose proof
    is one object, as MedCred wrote them before, is read as a set of one everywhere.)
    """
    proof = create_proof(document, key, verification_method, **options)
    signed = dict(document)
    signed["proof"] = [*proofs_of(document), proof]
    return signed


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_jwt(
    credential: Mapping[str, Any], key: Ed25519KeyPair, verification_method: str, *, typ: str = VC_JWT_TYP
) -> str:
    """`credential` (unsigned) secured as a VC-JWT (W3C VC-JOSE-COSE): a compact JWS whose payload is
    the credential, header `alg: EdDSA`, `typ: vc+jwt`, `kid` = the verification method. Checked by
    `verifier.vc_jwt`, and by any JOSE library with the issuer's DID document."""
    private = OKPKey.import_key(
        {"kty": "OKP", "crv": "Ed25519", "x": _b64url(key.public_key), "d": _b64url(key.seed)}
    )
    payload = json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = {"alg": "EdDSA", "typ": typ, "kid": verification_method}
    return jws.serialize_compact(header, payload, private, registry=REGISTRY)
