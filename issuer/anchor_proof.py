"""Appending MedCred's anchor proof to signed credentials once their batch root is on chain.

After the batch transaction confirms, each credential of the batch gets an anchor proof (a
`DataIntegrityProof` with cryptosuite `medcred-anchor-2026`, see `verifier.merkle`) appended to its
proof set, pointing at the signature proof with `previousProof`, and carrying in its `proofValue`
everything a verifier needs to find and check the anchor: the chain, the registry address, the
root, the credential's leaf index and Merkle path, the transaction and its block. Every term is
defined by the VC 2.0 context, so JSON-LD processors in safe mode read the anchored credential
(holders can sign presentations around it) and standard verifiers skip the unknown cryptosuite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eth_utils import is_address, to_checksum_address

from issuer.merkle_tree import MerkleTree
from issuer.signing import xsd_datetime
from verifier.chain.registry_reader import as_bytes32
from verifier.data_integrity import DATA_INTEGRITY_PROOF, is_anchor_proof, proofs_of
from verifier.errors import InputError
from verifier.merkle import AnchorProof, credential_digest, parse_anchor_proof


@dataclass(frozen=True)
class AnchorInfo:
    """Where and when a batch root was anchored."""

    chain_id: int
    registry: str
    merkle_root: bytes
    transaction_hash: bytes | str
    block_number: int
    block_time: datetime


def attach_anchor_proof(
    credential: Mapping[str, Any], anchor: AnchorInfo, leaf_index: int, merkle_path: Sequence[bytes]
) -> dict[str, Any]:
    """A copy of `credential` with `proof` = [its signature proof(s)..., the anchor proof]."""
    proofs = proofs_of(credential)
    if any(is_anchor_proof(p) for p in proofs):
        raise InputError(f"Credential {credential.get('id')} is already anchored.")
    signing = [p for p in proofs if p.get("type") == DATA_INTEGRITY_PROOF and not is_anchor_proof(p)]
    if not signing:
        raise InputError(f"Credential {credential.get('id')} is not signed, so it cannot be anchored.")
    ids = [p.get("id") for p in signing]
    if not all(isinstance(i, str) and i for i in ids):
        raise InputError(
            f"Credential {credential.get('id')} has a signature proof without an id "
            "for the anchor proof to point at."
        )
    if not is_address(anchor.registry):
        raise InputError(f"{anchor.registry!r} is not an Ethereum address.")
    proof = AnchorProof(
        previous_proof=ids[0] if len(ids) == 1 else tuple(ids),
        chain_id=anchor.chain_id,
        registry=to_checksum_address(anchor.registry),
        merkle_root=bytes(anchor.merkle_root),
        leaf_index=leaf_index,
        merkle_path=tuple(bytes(n) for n in merkle_path),
        transaction_hash=bytes(as_bytes32(anchor.transaction_hash)),
        block_number=anchor.block_number,
        created=xsd_datetime(anchor.block_time),
    ).to_json()
    parse_anchor_proof(proof)  # same validation as the verifier's
    anchored = dict(credential)
    anchored["proof"] = [*proofs, proof]
    return anchored


def attach_anchor_proofs(
    credentials: Sequence[Mapping[str, Any]], tree: MerkleTree, anchor: AnchorInfo
) -> list[dict[str, Any]]:
    """Anchor a whole batch: credentials[i] must be leaf i of `tree` (checked), and `tree.root` the root."""
    if len(credentials) != len(tree):
        raise InputError(f"The batch has {len(credentials)} credentials but the tree {len(tree)} leaves.")
    if bytes(anchor.merkle_root) != tree.root:
        raise InputError("The anchored root is not the root of this batch's tree.")
    anchored = []
    for index, credential in enumerate(credentials):
        if credential_digest(credential) != tree.digests[index]:
            raise InputError(f"Credential {credential.get('id')} is not leaf {index} of this tree.")
        anchored.append(attach_anchor_proof(credential, anchor, index, tree.proof(index)))
    return anchored
