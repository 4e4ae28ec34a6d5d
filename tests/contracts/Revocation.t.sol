// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICredentialRegistry} from "../../contracts/ICredentialRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";
import {Vm} from "./utils/Test.sol";

contract RevocationTest is RegistryFixture {
    uint32 internal constant COUNT = 1000;

    function setUp() public override {
        super.setUp();
        _anchor(issuerA, ROOT, COUNT);
        _anchor(issuerB, ROOT2, 10);
    }

    function _outOfRange(bytes32 root, uint256 index, uint32 count) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ICredentialRegistry.IndexOutOfRange.selector, root, index, count);
    }

    function _already(bytes32 root, uint256 index) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ICredentialRegistry.AlreadyRevoked.selector, root, index);
    }

    // ------------------------------------------------------------------ revoke (single)

    function test_revoke_setsBitAndEmits() public {
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.CredentialRevoked(ROOT, 1, 257, 3);
        vm.prank(issuerA);
        reg.revoke(ROOT, 257, 3);

        assertTrue(reg.isRevoked(issuerA, ROOT, 257), "revoked");
        assertFalse(reg.isRevoked(issuerA, ROOT, 256), "neighbour below");
        assertFalse(reg.isRevoked(issuerA, ROOT, 258), "neighbour above");
        assertFalse(reg.isRevoked(issuerB, ROOT2, 257), "other root");
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 1, "revokedCount");

        uint256[] memory words = reg.revocationBitmap(issuerA, ROOT);
        assertEq(words.length, 4, "ceil(1000/256) words");
        assertEq(words[0], 0, "word 0");
        assertEq(words[1], 2, "bit 1 of word 1");
        assertEq(words[2], 0, "word 2");
    }

    function test_revoke_edges() public {
        _revoke(issuerA, ROOT, 0);
        _revoke(issuerA, ROOT, COUNT - 1);
        assertTrue(reg.isRevoked(issuerA, ROOT, 0), "first");
        assertTrue(reg.isRevoked(issuerA, ROOT, COUNT - 1), "last");
        uint256[] memory words = reg.revocationBitmap(issuerA, ROOT);
        assertEq(words[0], 1, "bit 0");
        assertEq(words[3], uint256(1) << ((COUNT - 1) % 256), "last bit");
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 2, "revokedCount");
    }

    function test_revoke_refusesOutOfRange() public {
        vm.expectRevert(_outOfRange(ROOT, COUNT, COUNT));
        _revoke(issuerA, ROOT, COUNT);
        vm.expectRevert(_outOfRange(ROOT, type(uint256).max, COUNT));
        _revoke(issuerA, ROOT, type(uint256).max);
    }

    function test_revoke_refusesTwice() public {
        _revoke(issuerA, ROOT, 5);
        vm.expectRevert(_already(ROOT, 5));
        _revoke(issuerA, ROOT, 5);
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 1, "counted once");
    }

    function test_revoke_refusesUnknownRoot() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(_err(ICredentialRegistry.UnknownRoot.selector, unknown));
        _revoke(issuerA, unknown, 0);
    }

    function test_revoke_refusesOtherCallers() public {
        // Another issuer has no such root of its own; non-issuers are not issuers at all.
        vm.expectRevert(_err(ICredentialRegistry.UnknownRoot.selector, ROOT));
        _revoke(issuerB, ROOT, 1);
        address[3] memory callers = [registrar, admin, outsider];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, callers[i]));
            _revoke(callers[i], ROOT, 1);
        }
        vm.expectRevert(_err(ICredentialRegistry.UnknownRoot.selector, ROOT2));
        _revoke(issuerA, ROOT2, 1);
        assertFalse(reg.isRevoked(issuerA, ROOT, 1), "untouched");
    }

    function test_revoke_refusedWhenSuspended() public {
        _suspend(issuerA);
        vm.expectRevert(_err(ICredentialRegistry.IssuerNotActive.selector, issuerA));
        _revoke(issuerA, ROOT, 7);
        vm.expectRevert(_err(ICredentialRegistry.IssuerNotActive.selector, issuerA));
        _revokeBatch(issuerA, ROOT, _list(8, 9));
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 0, "a suspended issuer changes nothing");
        // Reinstated, it can revoke again.
        vm.prank(registrar);
        reg.reinstateIssuer(issuerA);
        _revoke(issuerA, ROOT, 7);
        assertTrue(reg.isRevoked(issuerA, ROOT, 7), "revoked after reinstatement");
    }

    function test_revoke_sameRootValueOfAnotherIssuerIsAnotherRecord() public {
        // issuerB anchors the very value of issuerA's root (a copied transaction): its own record.
        _anchor(issuerB, ROOT, 5);
        _revoke(issuerB, ROOT, 1);
        assertTrue(reg.isRevoked(issuerB, ROOT, 1), "issuerB's copy revoked");
        assertFalse(reg.isRevoked(issuerA, ROOT, 1), "issuerA's record untouched");
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 0, "issuerA's count untouched");
        assertEq(reg.getAnchor(issuerA, ROOT).count, COUNT, "issuerA's count");
    }

    // ------------------------------------------------------------------ revokeBatch

    function test_revokeBatch_setsBitsAndEmitsOnce() public {
        uint256[] memory indexes = _list(3, 300, 4);
        vm.recordLogs();
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.CredentialsRevoked(ROOT, 1, indexes, 9);
        vm.prank(issuerA);
        reg.revokeBatch(ROOT, indexes, 9);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 fromRegistry;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == address(reg)) ++fromRegistry;
        }
        assertEq(fromRegistry, 1, "exactly one event from the registry");

        assertTrue(reg.isRevoked(issuerA, ROOT, 3) && reg.isRevoked(issuerA, ROOT, 4) && reg.isRevoked(issuerA, ROOT, 300), "bits");
        assertFalse(reg.isRevoked(issuerA, ROOT, 5), "5 not revoked");
        uint256[] memory words = reg.revocationBitmap(issuerA, ROOT);
        assertEq(words[0], (1 << 3) | (1 << 4), "word 0");
        assertEq(words[1], 1 << (300 - 256), "word 1");
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 3, "revokedCount");
    }

    function test_revokeBatch_consecutiveAcrossWords() public {
        _revokeBatch(issuerA, ROOT, _range(200, 600)); // 200..799 spans words 0..3
        uint256[] memory words = reg.revocationBitmap(issuerA, ROOT);
        assertEq(words[0], type(uint256).max << 200, "word 0 high bits");
        assertEq(words[1], type(uint256).max, "word 1 full");
        assertEq(words[2], type(uint256).max, "word 2 full");
        assertEq(words[3], (uint256(1) << (800 - 768)) - 1, "word 3 low bits");
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 600, "revokedCount");
        assertFalse(reg.isRevoked(issuerA, ROOT, 199), "199");
        assertTrue(reg.isRevoked(issuerA, ROOT, 799), "799");
        assertFalse(reg.isRevoked(issuerA, ROOT, 800), "800");
    }

    function test_revokeBatch_wholeBatch() public {
        _revokeBatch(issuerB, ROOT2, _range(0, 10));
        assertEq(reg.getAnchor(issuerB, ROOT2).revokedCount, 10, "all revoked");
        uint256[] memory words = reg.revocationBitmap(issuerB, ROOT2);
        assertEq(words.length, 1, "one word");
        assertEq(words[0], 1023, "ten bits");
    }

    function test_revokeBatch_refusesEmpty() public {
        vm.expectRevert(ICredentialRegistry.EmptyBatch.selector);
        _revokeBatch(issuerA, ROOT, new uint256[](0));
    }

    function test_revokeBatch_refusesDuplicateInCall() public {
        vm.expectRevert(_already(ROOT, 3));
        _revokeBatch(issuerA, ROOT, _list(3, 4, 3));
        // Duplicates in different words, with a word change in between.
        vm.expectRevert(_already(ROOT, 3));
        _revokeBatch(issuerA, ROOT, _list(3, 600, 3));
        assertFalse(reg.isRevoked(issuerA, ROOT, 3), "all or nothing");
        assertFalse(reg.isRevoked(issuerA, ROOT, 4), "all or nothing (4)");
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 0, "revokedCount");
    }

    function test_revokeBatch_refusesAlreadyRevoked() public {
        _revoke(issuerA, ROOT, 500);
        vm.expectRevert(_already(ROOT, 500));
        _revokeBatch(issuerA, ROOT, _list(499, 500, 501));
        assertFalse(reg.isRevoked(issuerA, ROOT, 499), "all or nothing");
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 1, "revokedCount");
    }

    function test_revokeBatch_refusesOutOfRange() public {
        vm.expectRevert(_outOfRange(ROOT, COUNT, COUNT));
        _revokeBatch(issuerA, ROOT, _list(1, COUNT, 2));
        assertFalse(reg.isRevoked(issuerA, ROOT, 1), "all or nothing");
    }

    function test_revokeBatch_refusesUnknownRoot() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(_err(ICredentialRegistry.UnknownRoot.selector, unknown));
        _revokeBatch(issuerA, unknown, _list(0));
    }

    function test_revokeBatch_refusesOtherCallers() public {
        vm.expectRevert(_err(ICredentialRegistry.UnknownRoot.selector, ROOT));
        _revokeBatch(issuerB, ROOT, _list(1, 2));
        address[3] memory callers = [registrar, admin, outsider];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, callers[i]));
            _revokeBatch(callers[i], ROOT, _list(1, 2));
        }
    }

    function test_revocationBitmap_lengths() public {
        uint32[6] memory counts = [uint32(1), 255, 256, 257, 512, 513];
        uint256[6] memory words = [uint256(1), 1, 1, 2, 2, 3];
        for (uint256 i = 0; i < counts.length; ++i) {
            bytes32 root = keccak256(abi.encode("len", i));
            _anchor(issuerA, root, counts[i]);
            assertEq(reg.revocationBitmap(issuerA, root).length, words[i], "ceil(count/256)");
        }
    }

    function test_revocationWord_readsOneWord() public {
        _revokeBatch(issuerA, ROOT, _list(0, 256, 999));
        uint256[] memory all = reg.revocationBitmap(issuerA, ROOT);
        for (uint256 w = 0; w < all.length; ++w) {
            assertEq(reg.revocationWord(issuerA, ROOT, w), all[w], "word matches the bitmap");
        }
        assertEq(reg.revocationWord(issuerA, ROOT, 3), uint256(1) << (999 - 768), "last word");
        assertEq(reg.revocationWord(issuerA, ROOT, 4), 0, "past the end");
        assertEq(reg.revocationWord(issuerB, ROOT, 0), 0, "another issuer's record");
        assertEq(reg.revocationWord(issuerA, keccak256("unknown"), 0), 0, "unknown root");
    }

    function testFuzz_revocationWord_largestBatch(uint32 count, uint256 index) public {
        count = uint32(bound(count, 1, reg.MAX_BATCH_SIZE()));
        bytes32 root = keccak256(abi.encode("huge", count));
        _anchor(issuerA, root, count);
        assertEq(reg.revocationBitmap(issuerA, root).length, (uint256(count) + 255) / 256, "bitmap words");
        assertTrue(reg.revocationBitmap(issuerA, root).length <= 256, "at most 256 words");
        index = bound(index, 0, count - 1);
        _revoke(issuerA, root, index);
        assertEq(reg.revocationWord(issuerA, root, index >> 8), uint256(1) << (index & 255), "its bit");
        assertTrue(reg.isRevoked(issuerA, root, index), "isRevoked");
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_revoke(uint32 count, uint256 index, uint8 reason) public {
        count = uint32(bound(count, 1, reg.MAX_BATCH_SIZE()));
        bytes32 root = keccak256(abi.encode("fuzz", count));
        _anchor(issuerA, root, count);
        if (index >= count) {
            vm.expectRevert(_outOfRange(root, index, count));
            vm.prank(issuerA);
            reg.revoke(root, index, reason);
            return;
        }
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.CredentialRevoked(root, 1, index, reason);
        vm.prank(issuerA);
        reg.revoke(root, index, reason);
        assertTrue(reg.isRevoked(issuerA, root, index), "revoked");
        if (index > 0) assertFalse(reg.isRevoked(issuerA, root, index - 1), "below");
        if (index + 1 < count) assertFalse(reg.isRevoked(issuerA, root, index + 1), "above");
        assertEq(reg.getAnchor(issuerA, root).revokedCount, 1, "revokedCount");
        vm.expectRevert(_already(root, index));
        _revoke(issuerA, root, index);
    }

    /// @dev Random distinct indexes in random order (some sharing words), checked against a model.
    function testFuzz_revokeBatch_matchesModel(uint256 seed, uint16 countSeed, uint8 nSeed) public {
        uint32 count = uint32(bound(countSeed, 1, 1200));
        uint256 n = bound(nSeed, 1, count < 64 ? count : 64);
        bytes32 root = keccak256(abi.encode("model", seed));
        _anchor(issuerA, root, count);

        uint256 nWords = (uint256(count) + 255) / 256;
        uint256[] memory model = new uint256[](nWords);
        uint256[] memory indexes = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 idx = uint256(keccak256(abi.encode(seed, i))) % count;
            while ((model[idx >> 8] >> (idx & 255)) & 1 == 1) idx = (idx + 1) % count; // keep distinct
            model[idx >> 8] |= uint256(1) << (idx & 255);
            indexes[i] = idx;
        }
        _revokeBatch(issuerA, root, indexes);

        uint256[] memory words = reg.revocationBitmap(issuerA, root);
        assertEq(words.length, nWords, "words");
        for (uint256 w = 0; w < nWords; ++w) assertEq(words[w], model[w], "bitmap word");
        assertEq(reg.getAnchor(issuerA, root).revokedCount, n, "revokedCount");
        for (uint256 i = 0; i < n; ++i) assertTrue(reg.isRevoked(issuerA, root, indexes[i]), "isRevoked");

        // Any of them again, alone or in a batch, is refused.
        uint256 again = indexes[seed % n];
        vm.expectRevert(_already(root, again));
        _revokeBatch(issuerA, root, _list(again));
    }

    function testFuzz_revokeBatch_duplicateAnywhereRefused(uint256 seed, uint8 nSeed, uint8 dupAt) public {
        uint256 n = bound(nSeed, 2, 50);
        uint256[] memory indexes = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) indexes[i] = (seed % 500) + i * 7; // distinct, < COUNT
        uint256 target = bound(dupAt, 1, n - 1);
        uint256 source = seed % target;
        indexes[target] = indexes[source];
        vm.expectRevert(_already(ROOT, indexes[source]));
        _revokeBatch(issuerA, ROOT, indexes);
        assertEq(reg.getAnchor(issuerA, ROOT).revokedCount, 0, "nothing revoked");
        assertFalse(reg.isRevoked(issuerA, ROOT, indexes[0]), "first untouched");
    }

    function testFuzz_revokeBatch_othersRefused(address caller, uint256 index) public {
        vm.assume(caller != issuerA);
        index = bound(index, 0, COUNT - 1);
        bytes memory expected = caller == issuerB
            ? _err(ICredentialRegistry.UnknownRoot.selector, ROOT)
            : _err(ICredentialRegistry.UnknownIssuer.selector, caller);
        vm.expectRevert(expected);
        _revokeBatch(caller, ROOT, _list(index));
        vm.expectRevert(expected);
        _revoke(caller, ROOT, index);
        assertFalse(reg.isRevoked(issuerA, ROOT, index), "untouched");
    }

    // ------------------------------------------------------------------ gas (execution only)

    /// @dev Execution gas of the state-changing calls, excluding the 21,000 base fee and calldata, which
    ///      the JS test (tests/contracts/js/gas.test.js) includes. Targets with generous margins.
    function test_gas_executionBudget() public {
        vm.prank(issuerA);
        uint256 g = gasleft();
        reg.anchor(keccak256("gas"), 100);
        uint256 anchorGas = g - gasleft();
        assertLe(anchorGas, 35_000, "anchor execution gas");

        uint256[] memory indexes = _range(0, 100);
        vm.prank(issuerA);
        g = gasleft();
        reg.revokeBatch(keccak256("gas"), indexes, 1);
        uint256 batchGas = g - gasleft();
        assertLe(batchGas, 100 * 1_500, "revokeBatch(100) execution gas");
    }
}
