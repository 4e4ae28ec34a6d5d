"""Reading and editing the anchor data inside an anchor proof's `proofValue`, for tests that forge.

Today's anchor proof carries chain, registry, merkleRoot, leafIndex, merklePath, transactionHash and
blockNumber inside its multibase `proofValue` (see `verifier.merkle`); the first form
(`MedCredAnchorProof2026`) carried them as top-level fields. These helpers read and change them in
either form, writing back the canonical encoding so the forgery reaches the checks it aims at.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from verifier.data_integrity import ANCHOR_PROOF_TYPE, is_anchor_proof
from verifier.merkle import decode_anchor_value, encode_anchor_value


def anchor_proof_of(credential: dict[str, Any]) -> dict[str, Any]:
    """The anchor proof object of an anchored credential (raises StopIteration if none)."""
    return next(p for p in credential["proof"] if is_anchor_proof(p))


def anchor_data(credential_or_proof: dict[str, Any]) -> dict[str, Any]:
    """The anchor facts (chain, registry, merkleRoot, ...) of a credential or an anchor proof."""
    proof = (
        credential_or_proof if "proof" not in credential_or_proof else anchor_proof_of(credential_or_proof)
    )
    if proof.get("type") == ANCHOR_PROOF_TYPE:
        return {k: v for k, v in proof.items() if k not in ("type", "previousProof", "created")}
    return decode_anchor_value(proof["proofValue"])


def encode_any(data: dict[str, Any]) -> str:
    """Like `encode_anchor_value`, but also for values JCS refuses (sorted compact JSON instead)."""
    try:
        return encode_anchor_value(data)
    except Exception:
        text = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return "u" + base64.urlsafe_b64encode(text).rstrip(b"=").decode()


def set_anchor_field(credential_or_proof: dict[str, Any], field: str, value: Any) -> None:
    """Change one anchor fact in place (in `proofValue`, or at top level in the first form)."""
    proof = (
        credential_or_proof if "proof" not in credential_or_proof else anchor_proof_of(credential_or_proof)
    )
    if proof.get("type") == ANCHOR_PROOF_TYPE:
        proof[field] = value
        return
    data = decode_anchor_value(proof["proofValue"])
    data[field] = value
    proof["proofValue"] = encode_any(data)


def del_anchor_field(proof: dict[str, Any], field: str) -> None:
    """Remove one anchor fact in place."""
    if proof.get("type") == ANCHOR_PROOF_TYPE:
        del proof[field]
        return
    data = decode_anchor_value(proof["proofValue"])
    del data[field]
    proof["proofValue"] = encode_any(data)
