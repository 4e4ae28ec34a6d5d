// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICredentialRegistry} from "../../contracts/ICredentialRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";

contract AnchorsTest is RegistryFixture {
    function test_anchor_storesAndEmits() public {
        vm.warp(T0 + 77);
        vm.roll(4242);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ICredentialRegistry.RootAnchored(ROOT, issuerA, 1, 100);
        _anchor(issuerA, ROOT, 100);

        ICredentialRegistry.AnchorView memory a = reg.getAnchor(issuerA, ROOT);
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
        _anchor(issuerB, ROOT2, reg.MAX_BATCH_SIZE());
        assertEq(reg.getAnchor(issuerA, ROOT).issuer, issuerA, "root 1");
        ICredentialRegistry.AnchorView memory b = reg.getAnchor(issuerB, ROOT2);
        assertEq(b.issuer, issuerB, "root 2 issuer");
        assertEq(b.did, DID_B, "root 2 did");
        assertEq(b.count, reg.MAX_BATCH_SIZE(), "max count");
        assertFalse(reg.getAnchor(issuerA, ROOT2).exists, "issuerB's root is not issuerA's");
        assertFalse(reg.getAnchor(issuerB, ROOT).exists, "issuerA's root is not issuerB's");
    }

    function test_anchor_refusesBatchesOverTheBound() public {
        uint32 max = reg.MAX_BATCH_SIZE();
        assertEq(max, 65_536, "bound: 256 bitmap words");
        vm.expectRevert(abi.encodeWithSelector(ICredentialRegistry.BatchTooLarge.selector, uint256(max) + 1, max));
        _anchor(issuerA, ROOT, max + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICredentialRegistry.BatchTooLarge.selector, uint256(type(uint32).max), max)
        );
        _anchor(issuerA, ROOT, type(uint32).max);
        assertFalse(reg.getAnchor(issuerA, ROOT).exists, "nothing anchored");
    }

    /// @dev The front-running attack: issuerB copies issuerA's pending `anchor(root, count)` and gets it
    ///      mined first. The copy becomes issuerB's own record; issuerA's transaction still succeeds, and
    ///      looking the root up under issuerA gives issuerA's record only.
    function test_anchor_copiedTransactionNeitherBlocksNorSteals() public {
        vm.warp(T0 + 5);
        _anchor(issuerB, ROOT, 10); // the copy, ordered first
        vm.warp(T0 + 6);
        vm.roll(101);
        _anchor(issuerA, ROOT, 10); // the victim's original: not refused
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(issuerA, ROOT);
        assertTrue(a.exists, "victim's anchor exists");
        assertEq(a.issuer, issuerA, "victim's anchor is the victim's");
        assertEq(a.did, DID_A, "victim's DID");
        assertEq(a.anchoredAt, T0 + 6, "victim's own time");
        ICredentialRegistry.AnchorView memory b = reg.getAnchor(issuerB, ROOT);
        assertEq(b.issuer, issuerB, "the copy is the copier's own record");
        assertEq(b.did, DID_B, "copier's DID");
        // And the copy gives the copier no power over the victim's record.
        vm.prank(issuerB);
        reg.revoke(ROOT, 3, 1);
        assertFalse(reg.isRevoked(issuerA, ROOT, 3), "victim's credential not revoked");
    }

    function testFuzz_anchor_issuersNeverCollide(bytes32 root, uint32 countA, uint32 countB) public {
        vm.assume(root != bytes32(0));
        countA = uint32(bound(countA, 1, reg.MAX_BATCH_SIZE()));
        countB = uint32(bound(countB, 1, reg.MAX_BATCH_SIZE()));
        _anchor(issuerB, root, countB);
        _anchor(issuerA, root, countA);
        assertEq(reg.getAnchor(issuerA, root).count, countA, "A's count");
        assertEq(reg.getAnchor(issuerB, root).count, countB, "B's count");
        vm.expectRevert(_err(ICredentialRegistry.RootAlreadyAnchored.selector, root));
        _anchor(issuerA, root, countA);
    }

    function test_anchor_refusesUnregisteredCallers() public {
        address[3] memory callers = [outsider, admin, registrar];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, callers[i]));
            _anchor(callers[i], ROOT, 10);
        }
        assertFalse(reg.getAnchor(issuerA, ROOT).exists, "nothing anchored");
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
        assertTrue(reg.getAnchor(issuerA, ROOT).exists, "anchored");
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
        // Another issuer anchoring the same value makes its own record and leaves this one alone.
        _anchor(issuerB, ROOT, 5);
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(issuerA, ROOT);
        assertEq(a.issuer, issuerA, "first anchor kept");
        assertEq(a.count, 10, "count kept");
    }

    function test_anchor_survivesSuspension() public {
        _anchor(issuerA, ROOT, 10);
        vm.warp(T0 + 999);
        _suspend(issuerA);
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(issuerA, ROOT);
        assertTrue(a.exists, "still anchored");
        assertTrue(a.issuerStatus == ICredentialRegistry.IssuerStatus.Suspended, "current status shown");
        assertEq(a.anchoredAt, T0, "original time");
    }

    function test_getAnchor_unknownRootIsEmpty() public view {
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(issuerA, ROOT);
        assertFalse(a.exists, "exists");
        assertEq(a.issuer, address(0), "issuer");
        assertTrue(a.issuerStatus == ICredentialRegistry.IssuerStatus.None, "status");
        assertEq(bytes(a.did).length, 0, "did");
        assertEq(bytes(a.name).length, 0, "name");
        assertEq(a.anchoredAt, 0, "anchoredAt");
        assertEq(a.blockNumber, 0, "blockNumber");
        assertEq(a.count, 0, "count");
        assertEq(a.revokedCount, 0, "revokedCount");
        assertEq(reg.revocationBitmap(issuerA, ROOT).length, 0, "bitmap");
        assertFalse(reg.isRevoked(issuerA, ROOT, 0), "isRevoked");
    }

    function testFuzz_anchor(bytes32 root, uint32 count, uint64 when) public {
        when = uint64(bound(when, 1, type(uint64).max));
        vm.warp(when);
        uint32 max = reg.MAX_BATCH_SIZE();
        if (root == bytes32(0)) {
            vm.expectRevert(ICredentialRegistry.ZeroRoot.selector);
        } else if (count == 0) {
            vm.expectRevert(ICredentialRegistry.EmptyBatch.selector);
        } else if (count > max) {
            vm.expectRevert(abi.encodeWithSelector(ICredentialRegistry.BatchTooLarge.selector, uint256(count), max));
        }
        _anchor(issuerB, root, count);
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(issuerB, root);
        bool ok = root != bytes32(0) && count != 0 && count <= max;
        assertEq(a.exists, ok, "exists");
        if (ok) {
            assertEq(a.issuer, issuerB, "issuer");
            assertEq(a.count, count, "count");
            assertEq(a.anchoredAt, when, "anchoredAt");
            // The whole-bitmap view reads ceil(count / 256) <= 256 slots.
            assertEq(reg.revocationBitmap(issuerB, root).length, (uint256(count) + 255) / 256, "bitmap words");
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
