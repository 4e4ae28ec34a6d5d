import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { utf8ToBytes, bytesToHex } from 'ethereum-cryptography/utils.js';
const out = {};
for (const n of [1, 2, 3, 4, 5, 7, 8, 13, 100, 1000]) {
  const values = [];
  for (let i = 0; i < n; i++) values.push([String(i), '0x' + bytesToHex(keccak256(utf8ToBytes('medcred-merkle-kat-' + i)))]);
  const tree = StandardMerkleTree.of(values, ['uint256', 'bytes32']);
  const proofs = {};
  for (const i of [0, Math.floor(n / 2), n - 1]) proofs[i] = { leaf: tree.leafHash(values[i]), proof: tree.getProof(i) };
  out[n] = { root: tree.root, proofs };
}
console.log(JSON.stringify(out, null, 1));
