"""Data Integrity proofs: the EdDSA cryptosuites `eddsa-rdfc-2022` and `eddsa-jcs-2022`, and the
older `Ed25519Signature2020` suite (W3C CCG; the Digital Credentials Consortium's tools issued it
for years).

Implements the verification side of W3C vc-di-eddsa (and the hashing shared with signing):

    hashData = SHA-256(canonical proof configuration) || SHA-256(canonical unsecured document)

where the canonical forms are RDFC-1.0 N-Quads or RFC 8785 JSON, and the proof configuration is the
proof without `proofValue`, carrying the document's `@context`. `Ed25519Signature2020` hashes exactly
as `eddsa-rdfc-2022` does (its proof has a `type` of its own and no `cryptosuite`). Proof sets and
chains follow VC Data Integrity: a proof with `previousProof` signs the document together with the
proofs it names.

Verification never raises for bad input: `verify_proof` and `verify_proofs` return results with a
machine `code` and a plain sentence, because a verifier reports on hostile files, it does not crash
on them. Besides the signature, a proof counts only if its purpose is `assertionMethod`, its key is
an Ed25519 key (Multikey, Ed25519VerificationKey2020 or an OKP JWK) listed under the DID document's
`assertionMethod`, and (unless `check_issuer=False`, for test vectors whose issuer is not a DID) the
key's DID is the credential's issuer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifier.canonicalize import CanonicalizationError, jcs, rdfc
from verifier.did import DidResolutionError, DidResolver, VerificationMethod, split_did_url
from verifier.errors import MedCredError
from verifier.jsonld_loader import BundledDocumentLoader
from verifier.multikey import MultikeyError, decode_multibase
from verifier.structure import StructureError, check_structure

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
EDDSA_JCS_2022 = "eddsa-jcs-2022"
CRYPTOSUITES = (EDDSA_RDFC_2022, EDDSA_JCS_2022)
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
SIGNATURE_PROOF_TYPES = (DATA_INTEGRITY_PROOF, ED25519_SIGNATURE_2020)
"""Proof types that carry an issuer's signature (as opposed to MedCred's anchor proof)."""
ASSERTION_METHOD = "assertionMethod"
ANCHOR_PROOF_TYPE = "MedCredAnchorProof2026"
"""MedCred's first anchor proof type (terms no context defines); still read, no longer written."""
ANCHOR_CRYPTOSUITE = "medcred-anchor-2026"
"""The cryptosuite of MedCred's anchor proof, a `DataIntegrityProof` checked by `verifier.merkle`
(not a signature: other verifiers skip a cryptosuite they do not know)."""

XSD_DATETIME = re.compile(
    r"^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:"
    r"([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)


class ProofError(MedCredError):
    """A proof is malformed or does not verify. `code` is the machine-readable reason."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ProofResult:
    """The outcome of checking one proof."""

    verified: bool
    code: str
    message: str
    proof_id: str | None = None
    proof_type: str | None = None
    cryptosuite: str | None = None
    verification_method: str | None = None


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of checking a document's whole proof set: verified only if every proof is."""

    verified: bool
    code: str
    message: str
    proofs: tuple[ProofResult, ...] = ()


def issuer_id(document: Mapping[str, Any]) -> str | None:
    """The issuer's identifier (`issuer` or `issuer.id`), or None when absent or malformed."""
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def is_anchor_proof(proof: Any) -> bool:
    """Whether `proof` is MedCred's anchor proof, in today's form or the first one."""
    if not isinstance(proof, Mapping):
        return False
    kind = proof.get("type")
    return kind == ANCHOR_PROOF_TYPE or (
        kind == DATA_INTEGRITY_PROOF and proof.get("cryptosuite") == ANCHOR_CRYPTOSUITE
    )


def proofs_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs as a list (a single proof object is a set of one)."""
    proof = document.get("proof")
    if proof is None:
        return []
    proofs = proof if isinstance(proof, list) else [proof]
    if not all(isinstance(p, dict) for p in proofs):
        raise ProofError("Every proof must be a JSON object.", "proof_malformed")
    return list(proofs)


def _check_proof_options(proof: Mapping[str, Any]) -> str:
    """Validate the proof's own fields; return its cryptosuite (`Ed25519Signature2020` for that type)."""
    proof_type = proof.get("type")
    if proof_type == ED25519_SIGNATURE_2020:
        suite = ED25519_SIGNATURE_2020
    elif proof_type != DATA_INTEGRITY_PROOF:
        raise ProofError(
            f"The proof type {proof_type!r} is not supported "
            f"(only {DATA_INTEGRITY_PROOF} and {ED25519_SIGNATURE_2020}).",
            "unsupported_proof_type",
        )
    else:
        suite = proof.get("cryptosuite")
    if suite not in (*CRYPTOSUITES, ED25519_SIGNATURE_2020):
        raise ProofError(
            f"The cryptosuite {suite!r} is not supported (only {' and '.join(CRYPTOSUITES)}).",
            "unsupported_cryptosuite",
        )
    for name in ("created", "expires"):
        value = proof.get(name)
        if value is not None and not (isinstance(value, str) and XSD_DATETIME.match(value)):
            raise ProofError(f"The proof's {name} value {value!r} is not an XSD dateTime.", "proof_malformed")
    if not isinstance(proof.get("verificationMethod"), str):
        raise ProofError("The proof has no verificationMethod.", "proof_malformed")
    if not isinstance(proof.get("proofPurpose"), str):
        raise ProofError("The proof has no proofPurpose.", "proof_malformed")
    return suite


def create_verify_data(
    unsecured_document: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    *,
    loader: BundledDocumentLoader | None = None,
) -> bytes:
    """hashData of vc-di-eddsa: SHA-256(canonical proof config) || SHA-256(canonical document).

    `unsecured_document` is the document as signed: without `proof`, or with `proof` set to the
    proofs a chained proof names in `previousProof`. `proof_options` is the proof without
    `proofValue`. Raises ProofError or CanonicalizationError.
    """
    suite = _check_proof_options(proof_options)
    document = dict(unsecured_document)
    config = {k: v for k, v in proof_options.items() if k != "proofValue"}
    if suite == EDDSA_JCS_2022:
        if "@context" in config:
            proof_context = config["@context"]
            doc_context = document.get("@context")
            proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
            doc_list = doc_context if isinstance(doc_context, list) else [doc_context]
            if doc_list[: len(proof_list)] != proof_list:
                raise ProofError(
                    "The proof's @context is not a prefix of the document's @context.", "context_mismatch"
                )
            document["@context"] = proof_context
        if "@context" in document:
            config["@context"] = document["@context"]
        canonical_config, canonical_document = jcs(config), jcs(document)
    else:  # eddsa-rdfc-2022 and Ed25519Signature2020
        config["@context"] = document.get("@context")
        canonical_config = rdfc(config, loader=loader).encode("utf-8")
        canonical_document = rdfc(document, loader=loader).encode("utf-8")
    return hashlib.sha256(canonical_config).digest() + hashlib.sha256(canonical_document).digest()


def unsecured_document_for(
    document: Mapping[str, Any], proof: Mapping[str, Any], all_proofs: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The document a proof signed: no `proof`, or the proofs its `previousProof` names (a list)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    ids = [previous] if isinstance(previous, str) else previous
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ProofError("The proof's previousProof must be a proof id or a list of them.", "proof_malformed")
    by_id = {p.get("id"): p for p in all_proofs if isinstance(p.get("id"), str)}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ProofError(
            f"The proof chain is broken: no proof with id {missing[0]} (named by previousProof).",
            "previous_proof_missing",
        )
    unsecured["proof"] = [by_id[i] for i in ids]
    return unsecured


def decode_proof_value(value: Any) -> bytes:
    """The 64-byte Ed25519 signature in a `proofValue` (multibase base58btc)."""
    try:
        signature = decode_multibase(value)
    except MultikeyError as exc:
        raise ProofError(
            f"The proofValue is not valid multibase base58btc: {exc}", "invalid_proof_value"
        ) from exc
    if len(signature) != 64:
        raise ProofError(
            f"The proofValue holds {len(signature)} bytes, not a 64-byte Ed25519 signature.",
            "invalid_proof_value",
        )
    return signature


def authorized_method(
    method_url: Any, purpose: str, resolver: DidResolver, *, controller: str | None = None
) -> VerificationMethod:
    """The verification method `method_url` names, once its DID document confirms it: the method's
    controller is that DID, it is listed under the verification relationship `purpose`, and (when
    `controller` is given, e.g. the issuer) that DID is `controller`. Shared by Data Integrity
    proofs and VC-JWTs. ProofError or DidResolutionError (each with a `code`) otherwise."""
    try:
        did, _ = split_did_url(method_url)
    except DidResolutionError as exc:
        raise ProofError(
            f"The verification method {method_url!r} is not a DID URL, so its key cannot be resolved.",
            "verification_method_unresolvable",
        ) from exc
    if controller is not None and did != controller:
        raise ProofError(
            f"The signature was made with a key of {did}, which is not the issuer {controller}.",
            "issuer_mismatch",
        )
    did_document, method = resolver.dereference(method_url)
    if method.controller != did:
        raise ProofError(
            f"The key {method_url} is controlled by {method.controller or 'nobody'}, not {did}.",
            "issuer_mismatch",
        )
    if not did_document.authorizes(method_url, purpose):
        raise ProofError(
            f"The DID document of {did} does not list {method_url} under {purpose}.",
            "verification_method_not_authorized",
        )
    return method


def _authorize(
    document: Mapping[str, Any], proof: Mapping[str, Any], resolver: DidResolver, check_issuer: bool
) -> bytes:
    """Resolve the proof's key, check who controls it and for what; return the raw public key."""
    controller = None
    if check_issuer:
        controller = issuer_id(document)
        if controller is None:
            raise ProofError("The credential has no issuer identifier.", "issuer_invalid")
    method = authorized_method(
        proof["verificationMethod"], proof["proofPurpose"], resolver, controller=controller
    )
    return method.public_key


_DEFAULT_RESOLVER = DidResolver(allow_network=False)


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    resolver: DidResolver | None = None,
    loader: BundledDocumentLoader | None = None,
    check_issuer: bool = True,
    expected_purpose: str = ASSERTION_METHOD,
) -> ProofResult:
    """Verify one proof of `document` (one element of its proof set). Never raises for bad input.

    `resolver` defaults to an offline resolver (did:key only). `check_issuer=False` skips the rule
    that the key's DID must be the issuer (W3C test vectors, "proof only" checks).
    """
    resolver = resolver or _DEFAULT_RESOLVER
    proof_id = proof.get("id") if isinstance(proof, Mapping) else None
    info: dict[str, Any] = {"proof_id": proof_id if isinstance(proof_id, str) else None}
    try:
        if not isinstance(document, Mapping) or not isinstance(proof, Mapping):
            raise ProofError("The document and its proof must be JSON objects.", "proof_malformed")
        info["proof_type"] = proof.get("type") if isinstance(proof.get("type"), str) else None
        suite = _check_proof_options(proof)
        info["cryptosuite"] = suite
        info["verification_method"] = proof["verificationMethod"]
        if proof["proofPurpose"] != expected_purpose:
            raise ProofError(
                f"The proof's purpose is {proof['proofPurpose']!r}, not {expected_purpose}.",
                "wrong_proof_purpose",
            )
        signature = decode_proof_value(proof.get("proofValue"))
        # Everything local first (canonicalization runs under its work budget), so a malformed or
        # too complex document never makes the verifier resolve a did:web over the network.
        unsecured = unsecured_document_for(document, proof, proofs_of(document))
        verify_data = create_verify_data(unsecured, proof, loader=loader)
        public_key = _authorize(document, proof, resolver, check_issuer)
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, verify_data)
        except (InvalidSignature, ValueError) as exc:
            raise ProofError(
                "The signature does not match the credential: it was altered or signed by another key.",
                "signature_invalid",
            ) from exc
    except (ProofError, CanonicalizationError, DidResolutionError, MultikeyError) as exc:
        return ProofResult(False, exc.code, str(exc), **info)
    except MedCredError as exc:  # pragma: no cover - any other user-caused error
        return ProofResult(False, "proof_invalid", str(exc), **info)
    except RecursionError:
        return ProofResult(False, "proof_malformed", "The document is nested too deeply.", **info)
    return ProofResult(True, "ok", f"The {suite} proof by {proof['verificationMethod']} is valid.", **info)


def verify_proofs(
    document: Mapping[str, Any],
    *,
    resolver: DidResolver | None = None,
    loader: BundledDocumentLoader | None = None,
    check_issuer: bool = True,
    ignore_types: Iterable[str] = (ANCHOR_PROOF_TYPE,),
) -> VerificationResult:
    """Verify every Data Integrity proof of `document` (a proof set or chain). Never raises.

    Proofs whose type is in `ignore_types` are skipped, and so are MedCred's anchor proofs while
    `ignore_types` names ANCHOR_PROOF_TYPE (the default: `verifier.merkle` checks them).
    The result is verified only if there is at least one proof and every checked proof verifies.
    """
    ignored = frozenset(ignore_types)
    try:
        if not isinstance(document, Mapping):
            raise ProofError("A credential must be a JSON object.", "proof_malformed")
        proofs = proofs_of(document)
        check_structure(document)  # proofs, proof chains, contexts, size: before any cryptography
    except (ProofError, StructureError) as exc:
        return VerificationResult(False, exc.code, str(exc))
    # A hostile `type` may be a list or object (unhashable): only a string can name an ignored type.
    skip_anchor = ANCHOR_PROOF_TYPE in ignored

    def skipped(proof: Mapping[str, Any]) -> bool:
        kind = proof.get("type")
        return (isinstance(kind, str) and kind in ignored) or (skip_anchor and is_anchor_proof(proof))

    checked = [p for p in proofs if not skipped(p)]
    if not checked:
        return VerificationResult(False, "proof_missing", "The credential carries no Data Integrity proof.")
    results = tuple(
        verify_proof(document, p, resolver=resolver, loader=loader, check_issuer=check_issuer)
        for p in checked
    )
    failed = next((r for r in results if not r.verified), None)
    if failed is not None:
        return VerificationResult(False, failed.code, failed.message, results)
    noun = "proof is" if len(results) == 1 else f"{len(results)} proofs are"
    return VerificationResult(True, "ok", f"The credential's {noun} valid.", results)
