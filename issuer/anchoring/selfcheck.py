"""After anchoring, verify one credential of the batch the way a verifier would.

The issuer never re-implements verification: this calls the verifier's own Data Integrity check,
Merkle inclusion check and registry reader. A failure here means every credential of the batch
would fail for the people who rely on them, so the worker records it on the batch and logs it
loudly instead of finding out from a complaint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifier.chain.registry_reader import IssuerStatus, RegistryReader
from verifier.data_integrity import issuer_id, proofs_of, verify_proofs
from verifier.did import DidResolutionError, DidResolver
from verifier.errors import MedCredError
from verifier.merkle import check_inclusion
from verifier.multikey import key_fingerprint


@dataclass(frozen=True)
class SelfCheck:
    ok: bool
    code: str
    message: str


def resolver_for(did_document: Mapping[str, Any]) -> DidResolver:
    """An offline resolver that knows the institution's own did:web document (and every did:key)."""
    body = json.dumps(did_document).encode("utf-8")
    return DidResolver(allow_network=True, http_get=lambda _url, _timeout, _max: body)


def self_check(
    document: Mapping[str, Any], reader: RegistryReader, account: str, did_document: Mapping[str, Any]
) -> SelfCheck:
    """Signature, inclusion, root on the registry by `account`, key valid at anchor time. Never raises."""
    resolver = resolver_for(did_document)
    signature = verify_proofs(document, resolver=resolver)
    if not signature.verified:
        return SelfCheck(False, signature.code, signature.message)
    inclusion = check_inclusion(document)
    if not inclusion.included or inclusion.anchor is None:
        return SelfCheck(False, inclusion.code, inclusion.message)
    try:
        anchor = reader.anchor(account, inclusion.anchor.merkle_root)
        if not anchor.exists:
            return SelfCheck(False, "root_not_anchored", "The batch root is not on the registry.")
        if anchor.did != issuer_id(document):
            return SelfCheck(
                False, "anchor_issuer_mismatch", f"The root was anchored by {anchor.issuer} ({anchor.did})."
            )
        if anchor.issuer_status is not IssuerStatus.ACTIVE:
            return SelfCheck(False, "issuer_not_active", f"The issuer is {anchor.issuer_status.label}.")
        method = next(p["verificationMethod"] for p in proofs_of(document) if "verificationMethod" in p)
        _, key = resolver.dereference(method)
        fingerprint = key_fingerprint(key.public_key_multibase)
        if not reader.is_key_valid(anchor.issuer, fingerprint, anchor.anchored_at):
            return SelfCheck(
                False, "key_not_valid", "The signing key is not registered as valid at the anchoring time."
            )
        if reader.is_revoked(account, inclusion.anchor.merkle_root, inclusion.anchor.leaf_index):
            return SelfCheck(True, "ok", "The sampled credential verifies (it is revoked, as recorded).")
    except (MedCredError, DidResolutionError) as exc:
        return SelfCheck(False, "check_failed", str(exc))
    return SelfCheck(True, "ok", "The sampled credential verifies: signature, Merkle path, anchor and key.")
