// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICredentialRegistry} from "../../contracts/ICredentialRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";

contract AnchorsTest is RegistryFixture {
    function test_anchor_storesAndEmits() public {
        vm.warp(T0 + 77);
        vm.roll(4242);
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.RootAnchored(ROOT, issuerA, 100);
        _anchor(issuerA, ROOT, 100);

        ICredentialRegistry.AnchorView memory a = reg.getAnchor(ROOT);
        assertTrue(a.exists, "exists");
        assertEq(a.issuer, issuerA, "issuer");
        assertTrue(a.issuerStatus == ICredentialRegistry.IssuerStatus.Active, "issuerStatus");
        assertEq(a.did, DID_A, "did");
        assertEq(a.name, NAME_A, "name");
        assertEq(a.anchoredAt, T0 + 77, "anchoredAt");
        assertEq(a.blockNumber, 4242, "blockNumber");
        assertEq(a.count, 100, "count");
        assertEq(a.revokedCount, 0, "revokedCount");
    }

    function test_anchor_secondIssuerAndManyRoots() public {
        _anchor(issuerA, ROOT, 1);
        _anchor(issuerB, ROOT2, type(uint32).max);
        assertEq(reg.getAnchor(ROOT).issuer, issuerA, "root 1");
        ICredentialRegistry.AnchorView memory b = reg.getAnchor(ROOT2);
        assertEq(b.issuer, issuerB, "root 2 issuer");
        assertEq(b.did, DID_B, "root 2 did");
        assertEq(b.count, type(uint32).max, "max count");
    }

    function test_anchor_refusesUnregisteredCallers() public {
        address[3] memory callers = [outsider, admin, registrar];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, callers[i]));
            _anchor(callers[i], ROOT, 10);
        }
        assertFalse(reg.getAnchor(ROOT).exists, "nothing anchored");
    }

    function test_anchor_refusesSuspendedIssuer() public {
        _suspend(issuerA);
        vm.expectRevert(_err(ICredentialRegistry.IssuerNotActive.selector, issuerA));
        _anchor(issuerA, ROOT, 10);
    }

    function test_anchor_allowedAgainAfterReinstatement() public {
        _suspend(issuerA);
        vm.prank(registrar);
        reg.reinstateIssuer(issuerA);
        _anchor(issuerA, ROOT, 10);
        assertTrue(reg.getAnchor(ROOT).exists, "anchored");
    }

    function test_anchor_refusesZeroRoot() public {
        vm.expectRevert(ICredentialRegistry.ZeroRoot.selector);
        _anchor(issuerA, bytes32(0), 10);
    }

    function test_anchor_refusesEmptyBatch() public {
        vm.expectRevert(ICredentialRegistry.EmptyBatch.selector);
        _anchor(issuerA, ROOT, 0);
    }

    function test_anchor_refusesDuplicateRoot() public {
        _anchor(issuerA, ROOT, 10);
        vm.expectRevert(_err(ICredentialRegistry.RootAlreadyAnchored.selector, ROOT));
        _anchor(issuerA, ROOT, 10);
        // Nor can another issuer claim it.
        vm.expectRevert(_err(ICredentialRegistry.RootAlreadyAnchored.selector, ROOT));
        _anchor(issuerB, ROOT, 5);
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(ROOT);
        assertEq(a.issuer, issuerA, "first anchor kept");
        assertEq(a.count, 10, "count kept");
    }

    function test_anchor_survivesSuspension() public {
        _anchor(issuerA, ROOT, 10);
        vm.warp(T0 + 999);
        _suspend(issuerA);
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(ROOT);
        assertTrue(a.exists, "still anchored");
        assertTrue(a.issuerStatus == ICredentialRegistry.IssuerStatus.Suspended, "current status shown");
        assertEq(a.anchoredAt, T0, "original time");
    }

    function test_getAnchor_unknownRootIsEmpty() public view {
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(ROOT);
        assertFalse(a.exists, "exists");
        assertEq(a.issuer, address(0), "issuer");
        assertTrue(a.issuerStatus == ICredentialRegistry.IssuerStatus.None, "status");
        assertEq(bytes(a.did).length, 0, "did");
        assertEq(bytes(a.name).length, 0, "name");
        assertEq(a.anchoredAt, 0, "anchoredAt");
        assertEq(a.blockNumber, 0, "blockNumber");
        assertEq(a.count, 0, "count");
        assertEq(a.revokedCount, 0, "revokedCount");
        assertEq(reg.revocationBitmap(ROOT).length, 0, "bitmap");
        assertFalse(reg.isRevoked(ROOT, 0), "isRevoked");
    }

    function testFuzz_anchor(bytes32 root, uint32 count, uint64 when) public {
        vm.warp(when);
        if (root == bytes32(0)) {
            vm.expectRevert(ICredentialRegistry.ZeroRoot.selector);
        } else if (count == 0) {
            vm.expectRevert(ICredentialRegistry.EmptyBatch.selector);
        }
        _anchor(issuerB, root, count);
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(root);
        bool ok = root != bytes32(0) && count != 0;
        assertEq(a.exists, ok, "exists");
        if (ok) {
            assertEq(a.issuer, issuerB, "issuer");
            assertEq(a.count, count, "count");
            assertEq(a.anchoredAt, when, "anchoredAt");
            // The whole-bitmap view reads ceil(count / 256) slots: only affordable for sane batch sizes.
            if (count <= 1 << 16) {
                assertEq(reg.revocationBitmap(root).length, (uint256(count) + 255) / 256, "bitmap words");
            }
        }
    }

    // ------------------------------------------------------------------ Merkle helper

    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _leaf(uint256 index, bytes32 credentialDigest) internal pure returns (bytes32) {
        // MedCred's leaf: OpenZeppelin StandardMerkleTree leaf of ["uint256", "bytes32"], double keccak.
        return keccak256(bytes.concat(keccak256(abi.encode(index, credentialDigest))));
    }

    function test_verifyLeaf_standardMerkleTreeLayout() public view {
        bytes32 l0 = _leaf(0, keccak256("cred-0"));
        bytes32 l1 = _leaf(1, keccak256("cred-1"));
        bytes32 l2 = _leaf(2, keccak256("cred-2"));
        bytes32 l3 = _leaf(3, keccak256("cred-3"));
        bytes32 n01 = _hashPair(l0, l1);
        bytes32 n23 = _hashPair(l2, l3);
        bytes32 root = _hashPair(n01, n23);

        bytes32[] memory proof = new bytes32[](2);
        (proof[0], proof[1]) = (l1, n23);
        assertTrue(reg.verifyLeaf(root, proof, l0), "leaf 0");
        (proof[0], proof[1]) = (l2, n01);
        assertTrue(reg.verifyLeaf(root, proof, l3), "leaf 3");
        assertFalse(reg.verifyLeaf(root, proof, l0), "wrong leaf");
        assertFalse(reg.verifyLeaf(keccak256("other"), proof, l3), "wrong root");
        // The index is inside the leaf: the same credential claimed at another index does not verify.
        assertFalse(reg.verifyLeaf(root, proof, _leaf(2, keccak256("cred-3"))), "wrong index");

        bytes32[] memory none = new bytes32[](0);
        assertTrue(reg.verifyLeaf(l0, none, l0), "single-leaf tree");
    }

    function testFuzz_verifyLeaf_twoLeaves(bytes32 a, bytes32 b, bytes32 other) public view {
        vm.assume(other != a && other != b);
        bytes32 root = _hashPair(a, b);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = b;
        assertTrue(reg.verifyLeaf(root, proof, a), "a in tree");
        proof[0] = a;
        assertTrue(reg.verifyLeaf(root, proof, b), "b in tree");
        assertFalse(reg.verifyLeaf(root, proof, other), "other not in tree");
    }
}
