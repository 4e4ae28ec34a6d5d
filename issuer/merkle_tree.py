"""The Merkle tree over a batch of signed credentials, laid out like OpenZeppelin's StandardMerkleTree.

`StandardMerkleTree.of(values, ["uint256", "bytes32"])` in @openzeppelin/merkle-tree: hash each
value to a leaf (double keccak of its ABI encoding), sort the leaves by hash, store the tree as an
array of 2n-1 nodes with the sorted leaves at the end in reverse order, and fill parents from the
back with the sorted-pair hash. Building it the same way gives the same root as that library (and a
known-answer test in tests/vectors pins it), so third-party tools can audit our batches.

Values are (leafIndex, credentialDigest) with leafIndex 0..n-1 in the order credentials were given;
the leaf hashing and path checks are the verifier's (`verifier.merkle`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verifier.errors import InputError
from verifier.merkle import credential_digest, hash_pair, leaf_hash, verify_path


@dataclass(frozen=True)
class MerkleTree:
    """A built tree: `nodes` in StandardMerkleTree array layout, `digests[i]` is leaf i's value."""

    nodes: tuple[bytes, ...]
    digests: tuple[bytes, ...]
    positions: tuple[int, ...]
    """positions[leaf_index] = index of that leaf in `nodes`."""

    @classmethod
    def from_digests(cls, digests: Sequence[bytes]) -> MerkleTree:
        """The tree of values (i, digests[i]) for i in 0..n-1."""
        if not digests:
            raise InputError("A Merkle tree needs at least one credential.")
        if any(not isinstance(d, bytes | bytearray) or len(d) != 32 for d in digests):
            raise InputError("Every credential digest must be 32 bytes.")
        leaves = [(leaf_hash(i, bytes(d)), i) for i, d in enumerate(digests)]
        leaves.sort()
        size = 2 * len(leaves) - 1
        nodes: list[bytes] = [b""] * size
        positions = [0] * len(leaves)
        for sorted_index, (leaf, leaf_index) in enumerate(leaves):
            position = size - 1 - sorted_index
            nodes[position] = leaf
            positions[leaf_index] = position
        for i in range(size - 1 - len(leaves), -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        return cls(nodes=tuple(nodes), digests=tuple(bytes(d) for d in digests), positions=tuple(positions))

    @property
    def root(self) -> bytes:
        """The 32-byte root anchored on chain."""
        return self.nodes[0]

    @property
    def root_hex(self) -> str:
        """The root as 0x-prefixed hex."""
        return "0x" + self.root.hex()

    def __len__(self) -> int:
        return len(self.digests)

    def leaf(self, leaf_index: int) -> bytes:
        """The leaf hash of leaf `leaf_index`."""
        return self.nodes[self._position(leaf_index)]

    def proof(self, leaf_index: int) -> list[bytes]:
        """The sibling path from leaf `leaf_index` up to the root (StandardMerkleTree.getProof)."""
        position = self._position(leaf_index)
        path = []
        while position > 0:
            sibling = position + 1 if position % 2 == 1 else position - 1
            path.append(self.nodes[sibling])
            position = (position - 1) // 2
        return path

    def verify(self, leaf_index: int) -> bool:
        """Self-check: leaf `leaf_index`'s path leads to the root."""
        return verify_path(leaf_hash(leaf_index, self.digests[leaf_index]), self.proof(leaf_index), self.root)

    def _position(self, leaf_index: int) -> int:
        if isinstance(leaf_index, bool) or not isinstance(leaf_index, int) or not 0 <= leaf_index < len(self):
            raise InputError(f"Leaf index {leaf_index!r} is not in this tree of {len(self)} leaves.")
        return self.positions[leaf_index]


def build_tree(credentials: Sequence[Mapping[str, Any]]) -> MerkleTree:
    """The tree over signed credentials, leaf i committing to credentials[i] (with its signature)."""
    return MerkleTree.from_digests([credential_digest(c) for c in credentials])
