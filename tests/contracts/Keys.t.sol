// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICredentialRegistry} from "../../contracts/ICredentialRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";

contract KeysTest is RegistryFixture {
    bytes32 internal constant KEY = keccak256("z6MkKey1");
    bytes32 internal constant KEY2 = keccak256("z6MkKey2");
    uint64 internal constant FROM = 1_700_000_000;
    uint64 internal constant UNTIL = 1_800_000_000;

    function _register(address issuer, bytes32 keyId, uint64 from, uint64 until) internal {
        vm.prank(issuer);
        reg.registerKey(keyId, from, until);
    }

    function _invalidWindow(uint64 from, uint64 until) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ICredentialRegistry.InvalidValidityWindow.selector, from, until);
    }

    // ------------------------------------------------------------------ registerKey

    function test_registerKey_storesAndEmits() public {
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.KeyRegistered(issuerA, KEY, FROM, UNTIL);
        _register(issuerA, KEY, FROM, UNTIL);
        ICredentialRegistry.KeyView memory k = reg.getKey(issuerA, KEY);
        assertTrue(k.exists, "exists");
        assertEq(k.validFrom, FROM, "validFrom");
        assertEq(k.validUntil, UNTIL, "validUntil");
        // Keys are per issuer.
        assertFalse(reg.getKey(issuerB, KEY).exists, "not issuerB's key");
        assertFalse(reg.isKeyValid(issuerB, KEY, FROM), "not valid for issuerB");
    }

    function test_registerKey_openEnded() public {
        _register(issuerA, KEY, FROM, 0);
        assertTrue(reg.isKeyValid(issuerA, KEY, type(uint64).max), "open-ended");
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM - 1), "before validFrom");
        // validFrom 0 with an open end is fine too.
        _register(issuerA, KEY2, 0, 0);
        assertTrue(reg.isKeyValid(issuerA, KEY2, 0), "from 0");
    }

    function test_registerKey_refusesUnregisteredCaller() public {
        address[3] memory callers = [outsider, admin, registrar];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, callers[i]));
            _register(callers[i], KEY, FROM, UNTIL);
        }
    }

    function test_registerKey_refusesSuspendedIssuer() public {
        _suspend(issuerA);
        vm.expectRevert(_err(ICredentialRegistry.IssuerNotActive.selector, issuerA));
        _register(issuerA, KEY, FROM, UNTIL);
    }

    function test_registerKey_refusesBadWindows() public {
        vm.expectRevert(_invalidWindow(FROM, FROM));
        _register(issuerA, KEY, FROM, FROM);
        vm.expectRevert(_invalidWindow(FROM, FROM - 1));
        _register(issuerA, KEY, FROM, FROM - 1);
        vm.expectRevert(_invalidWindow(type(uint64).max, 1));
        _register(issuerA, KEY, type(uint64).max, 1);
        assertFalse(reg.getKey(issuerA, KEY).exists, "nothing stored");
    }

    function test_registerKey_refusesDuplicate() public {
        _register(issuerA, KEY, FROM, UNTIL);
        vm.expectRevert(_err(ICredentialRegistry.KeyAlreadyRegistered.selector, KEY));
        _register(issuerA, KEY, FROM + 1, 0);
        // Retiring does not free the id either.
        vm.prank(issuerA);
        reg.retireKey(KEY, FROM);
        vm.expectRevert(_err(ICredentialRegistry.KeyAlreadyRegistered.selector, KEY));
        _register(issuerA, KEY, FROM, 0);
        // Another issuer may register the same fingerprint (its own record).
        _register(issuerB, KEY, FROM, 0);
        assertTrue(reg.isKeyValid(issuerB, KEY, FROM), "issuerB's copy");
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM), "issuerA's retired copy");
    }

    function test_registerKey_afterReinstatement() public {
        _suspend(issuerA);
        vm.prank(registrar);
        reg.reinstateIssuer(issuerA);
        _register(issuerA, KEY, FROM, 0);
        assertTrue(reg.getKey(issuerA, KEY).exists, "registered");
    }

    // ------------------------------------------------------------------ isKeyValid

    function test_isKeyValid_boundaries() public {
        _register(issuerA, KEY, FROM, UNTIL);
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM - 1), "before");
        assertTrue(reg.isKeyValid(issuerA, KEY, FROM), "at validFrom (inclusive)");
        assertTrue(reg.isKeyValid(issuerA, KEY, UNTIL - 1), "last second");
        assertFalse(reg.isKeyValid(issuerA, KEY, UNTIL), "at validUntil (exclusive)");
        assertFalse(reg.isKeyValid(issuerA, KEY2, FROM), "unknown key");
        assertFalse(reg.isKeyValid(outsider, KEY, FROM), "unknown issuer");
    }

    function test_isKeyValid_ignoresIssuerSuspension() public {
        _register(issuerA, KEY, FROM, 0);
        _suspend(issuerA);
        assertTrue(reg.isKeyValid(issuerA, KEY, FROM + 5), "key history is independent of status");
    }

    function test_getKey_unknown() public view {
        ICredentialRegistry.KeyView memory k = reg.getKey(issuerA, KEY);
        assertFalse(k.exists, "exists");
        assertEq(k.validFrom, 0, "validFrom");
        assertEq(k.validUntil, 0, "validUntil");
    }

    // ------------------------------------------------------------------ retireKey

    function test_retireKey_shrinksAndEmits() public {
        _register(issuerA, KEY, FROM, UNTIL);
        uint64 at = FROM + 1000;
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.KeyRetired(issuerA, KEY, at);
        vm.prank(issuerA);
        reg.retireKey(KEY, at);
        assertEq(reg.getKey(issuerA, KEY).validUntil, at, "validUntil");
        assertTrue(reg.isKeyValid(issuerA, KEY, at - 1), "before retirement");
        assertFalse(reg.isKeyValid(issuerA, KEY, at), "after retirement");
        // It can shrink again.
        vm.prank(issuerA);
        reg.retireKey(KEY, FROM + 1);
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM + 1), "shrunk again");
    }

    function test_retireKey_openKeyAnyValueFromValidFrom() public {
        _register(issuerA, KEY, FROM, 0);
        vm.prank(issuerA);
        reg.retireKey(KEY, type(uint64).max);
        assertEq(reg.getKey(issuerA, KEY).validUntil, type(uint64).max, "far future");
    }

    function test_retireKey_toValidFromInvalidatesEverything() public {
        _register(issuerA, KEY, FROM, 0);
        vm.prank(issuerA);
        reg.retireKey(KEY, FROM);
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM), "never valid");
        assertTrue(reg.getKey(issuerA, KEY).exists, "still known");
    }

    function test_retireKey_inThePast() public {
        _register(issuerA, KEY, FROM, 0);
        vm.warp(FROM + 10_000);
        vm.prank(issuerA);
        reg.retireKey(KEY, FROM + 10); // compromise discovered late
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM + 5_000), "retroactive");
        assertTrue(reg.isKeyValid(issuerA, KEY, FROM + 9), "before compromise");
    }

    function test_retireKey_refusesGrowth() public {
        _register(issuerA, KEY, FROM, UNTIL);
        vm.expectRevert(_invalidWindow(FROM, UNTIL));
        vm.prank(issuerA);
        reg.retireKey(KEY, UNTIL); // same end: not a shrink
        vm.expectRevert(_invalidWindow(FROM, UNTIL + 1));
        vm.prank(issuerA);
        reg.retireKey(KEY, UNTIL + 1);
        vm.expectRevert(_invalidWindow(FROM, 0));
        vm.prank(issuerA);
        reg.retireKey(KEY, 0); // re-opening
        assertEq(reg.getKey(issuerA, KEY).validUntil, UNTIL, "unchanged");
    }

    function test_retireKey_refusesBelowValidFrom() public {
        _register(issuerA, KEY, FROM, 0);
        vm.expectRevert(_invalidWindow(FROM, FROM - 1));
        vm.prank(issuerA);
        reg.retireKey(KEY, FROM - 1);
        vm.expectRevert(_invalidWindow(FROM, 0));
        vm.prank(issuerA);
        reg.retireKey(KEY, 0);
    }

    function test_retireKey_zeroRefusedEvenFromZero() public {
        _register(issuerA, KEY, 0, 0);
        vm.expectRevert(_invalidWindow(0, 0));
        vm.prank(issuerA);
        reg.retireKey(KEY, 0);
    }

    function test_retireKey_refusesUnknownKey() public {
        vm.expectRevert(_err(ICredentialRegistry.UnknownKey.selector, KEY));
        vm.prank(issuerA);
        reg.retireKey(KEY, FROM);
        // issuerB cannot retire issuerA's key: for issuerB it does not exist.
        _register(issuerA, KEY, FROM, 0);
        vm.expectRevert(_err(ICredentialRegistry.UnknownKey.selector, KEY));
        vm.prank(issuerB);
        reg.retireKey(KEY, FROM);
        assertEq(reg.getKey(issuerA, KEY).validUntil, 0, "issuerA's key untouched");
    }

    function test_retireKey_refusesUnregisteredCaller() public {
        _register(issuerA, KEY, FROM, 0);
        address[3] memory callers = [outsider, admin, registrar];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, callers[i]));
            vm.prank(callers[i]);
            reg.retireKey(KEY, FROM + 1);
        }
    }

    function test_retireKey_allowedWhenSuspended() public {
        _register(issuerA, KEY, FROM, 0);
        _suspend(issuerA);
        vm.prank(issuerA);
        reg.retireKey(KEY, FROM + 1);
        assertEq(reg.getKey(issuerA, KEY).validUntil, FROM + 1, "retired while suspended");
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_registerKey_windowRule(uint64 from, uint64 until) public {
        bool valid = until == 0 || until > from;
        if (!valid) vm.expectRevert(_invalidWindow(from, until));
        _register(issuerA, KEY, from, until);
        assertEq(reg.getKey(issuerA, KEY).exists, valid, "stored iff valid");
    }

    function testFuzz_isKeyValid_matchesDefinition(uint64 from, uint64 until, uint64 at) public {
        vm.assume(until == 0 || until > from);
        _register(issuerA, KEY, from, until);
        bool expected = from <= at && (until == 0 || at < until);
        assertEq(reg.isKeyValid(issuerA, KEY, at), expected, "isKeyValid");
    }

    function testFuzz_retireKey_onlyShrinks(uint64 from, uint64 until, uint64 newUntil) public {
        vm.assume(until == 0 || until > from);
        _register(issuerA, KEY, from, until);
        bool valid = newUntil != 0 && newUntil >= from && (until == 0 || newUntil < until);
        if (!valid) vm.expectRevert(_invalidWindow(from, newUntil));
        vm.prank(issuerA);
        reg.retireKey(KEY, newUntil);
        ICredentialRegistry.KeyView memory k = reg.getKey(issuerA, KEY);
        assertEq(k.validUntil, valid ? newUntil : until, "validUntil");
        assertEq(k.validFrom, from, "validFrom never changes");
        // Whatever happened, the window never grew.
        if (until != 0) assertTrue(k.validUntil != 0 && k.validUntil <= until, "no growth");
    }
}
