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
        emit ICredentialRegistry.KeyRegistered(issuerA, KEY, FROM, UNTIL, uint64(T0));
        _register(issuerA, KEY, FROM, UNTIL);
        ICredentialRegistry.KeyView memory k = reg.getKey(issuerA, KEY);
        assertTrue(k.exists, "exists");
        assertEq(k.validFrom, FROM, "validFrom");
        assertEq(k.validUntil, UNTIL, "validUntil");
        assertEq(k.registeredAt, T0, "registeredAt");
        // Keys are per issuer.
        assertFalse(reg.getKey(issuerB, KEY).exists, "not issuerB's key");
        assertFalse(reg.isKeyValid(issuerB, KEY, FROM), "not valid for issuerB");
    }

    function test_registerKey_openEnded() public {
        _register(issuerA, KEY, FROM, 0);
        assertTrue(reg.isKeyValid(issuerA, KEY, type(uint64).max), "open-ended");
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM - 1), "before validFrom");
        // validFrom 0 is accepted, but the key is valid only from its registration on.
        _register(issuerA, KEY2, 0, 0);
        assertFalse(reg.isKeyValid(issuerA, KEY2, 0), "not before registration");
        assertTrue(reg.isKeyValid(issuerA, KEY2, uint64(T0)), "from registration");
    }

    /// @dev The backdating attack: a key registered today with a validFrom years in the past must not
    ///      vouch for a signature claiming to be from back then.
    function test_registerKey_cannotBeValidBeforeRegistration() public {
        uint64 yearsAgo = uint64(T0) - 3 * 365 days;
        vm.warp(T0 + 1000);
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.KeyRegistered(issuerA, KEY, uint64(T0 + 1000), 0, uint64(T0 + 1000));
        _register(issuerA, KEY, yearsAgo, 0);
        ICredentialRegistry.KeyView memory k = reg.getKey(issuerA, KEY);
        assertEq(k.validFrom, T0 + 1000, "validFrom raised to the registration time");
        assertEq(k.registeredAt, T0 + 1000, "registeredAt");
        assertFalse(reg.isKeyValid(issuerA, KEY, yearsAgo), "not valid years ago");
        assertFalse(reg.isKeyValid(issuerA, KEY, uint64(T0 + 999)), "not valid a second before");
        assertTrue(reg.isKeyValid(issuerA, KEY, uint64(T0 + 1000)), "valid from registration");
        // A window ending before the registration is refused rather than silently empty.
        vm.expectRevert(_invalidWindow(uint64(T0 + 1000), uint64(T0 + 10)));
        _register(issuerA, KEY2, uint64(T0), uint64(T0 + 10));
    }

    function test_registerKey_futureValidFromKept() public {
        _register(issuerA, KEY, uint64(T0 + 500), 0);
        assertEq(reg.getKey(issuerA, KEY).validFrom, T0 + 500, "future start kept");
        assertFalse(reg.isKeyValid(issuerA, KEY, uint64(T0 + 499)), "not yet");
    }

    function test_registerKey_refusesUnregisteredCaller() public {
        address[3] memory callers = [outsider, admin, registrar];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, callers[i]));
            _register(callers[i], KEY, FROM, UNTIL);
        }
    }

    function test_registerKey_refusesSuspendedIssuerEvenWithEarlierTimes() public {
        _suspend(issuerA);
        vm.expectRevert(_err(ICredentialRegistry.IssuerNotActive.selector, issuerA));
        _register(issuerA, KEY, 0, 0);
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
        vm.expectRevert(_invalidWindow(FROM, FROM - 1)); // raised validFrom still checked
        _register(issuerA, KEY, 0, FROM - 1);
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
        vm.expectRevert(_invalidWindow(FROM, 0));
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

    /// @dev The compromised-account attack: after suspension the account retired its key, turning every
    ///      credential it ever issued INVALID. Now a suspended issuer can change nothing.
    function test_retireKey_refusedWhenSuspended() public {
        _register(issuerA, KEY, FROM, 0);
        _suspend(issuerA);
        vm.expectRevert(_err(ICredentialRegistry.IssuerNotActive.selector, issuerA));
        vm.prank(issuerA);
        reg.retireKey(KEY, FROM);
        assertEq(reg.getKey(issuerA, KEY).validUntil, 0, "untouched while suspended");
        assertTrue(reg.isKeyValid(issuerA, KEY, FROM + 5), "still valid");
    }

    // ------------------------------------------------------------------ restoreKeyWindow (governance)

    function test_restoreKeyWindow_undoesACompromisedAccountsRetirement() public {
        _register(issuerA, KEY, FROM, 0);
        vm.warp(FROM + 10_000);
        vm.prank(issuerA); // the compromised account retires the key from its start
        reg.retireKey(KEY, FROM);
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM + 5), "everything invalid");
        _suspend(issuerA);

        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.KeyWindowRestored(issuerA, KEY, FROM, FROM + 9_000, registrar);
        vm.prank(registrar);
        reg.restoreKeyWindow(issuerA, KEY, FROM, FROM + 9_000); // valid up to the compromise
        assertTrue(reg.isKeyValid(issuerA, KEY, FROM + 5), "restored");
        assertFalse(reg.isKeyValid(issuerA, KEY, FROM + 9_000), "closed at the compromise");
        // Governance can also reopen it.
        vm.prank(registrar);
        reg.restoreKeyWindow(issuerA, KEY, FROM, 0);
        assertTrue(reg.isKeyValid(issuerA, KEY, FROM + 20_000), "reopened");
    }

    function test_restoreKeyWindow_rules() public {
        _register(issuerA, KEY, FROM, 0);
        vm.expectRevert(_unauthorized(issuerA, reg.REGISTRAR_ROLE()));
        vm.prank(issuerA);
        reg.restoreKeyWindow(issuerA, KEY, FROM, 0);
        vm.expectRevert(_invalidWindow(FROM - 1, 0)); // never before registration
        vm.prank(registrar);
        reg.restoreKeyWindow(issuerA, KEY, FROM - 1, 0);
        vm.expectRevert(_invalidWindow(FROM + 5, FROM + 5));
        vm.prank(registrar);
        reg.restoreKeyWindow(issuerA, KEY, FROM + 5, FROM + 5);
        vm.expectRevert(_err(ICredentialRegistry.UnknownKey.selector, KEY2));
        vm.prank(registrar);
        reg.restoreKeyWindow(issuerA, KEY2, FROM, 0);
        vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, outsider));
        vm.prank(registrar);
        reg.restoreKeyWindow(outsider, KEY, FROM, 0);
    }

    function testFuzz_restoreKeyWindow_neverBeforeRegistration(uint64 registeredAt, uint64 from, uint64 until) public {
        registeredAt = uint64(bound(registeredAt, 1, type(uint64).max - 1));
        vm.warp(registeredAt);
        _register(issuerA, KEY, 0, 0);
        bool ok = from >= registeredAt && (until == 0 || until > from);
        if (!ok) vm.expectRevert(_invalidWindow(from, until));
        vm.prank(registrar);
        reg.restoreKeyWindow(issuerA, KEY, from, until);
        ICredentialRegistry.KeyView memory k = reg.getKey(issuerA, KEY);
        assertTrue(k.validFrom >= k.registeredAt, "never valid before registration");
        assertFalse(reg.isKeyValid(issuerA, KEY, registeredAt - 1), "not a second before registration");
    }

    // ------------------------------------------------------------------ fuzz

    function _effective(uint64 from) internal view returns (uint64) {
        return from < uint64(block.timestamp) ? uint64(block.timestamp) : from;
    }

    function testFuzz_registerKey_windowRule(uint64 from, uint64 until, uint64 nowTs) public {
        vm.warp(nowTs);
        uint64 eff = _effective(from);
        bool valid = until == 0 || until > eff;
        if (!valid) vm.expectRevert(_invalidWindow(eff, until));
        _register(issuerA, KEY, from, until);
        ICredentialRegistry.KeyView memory k = reg.getKey(issuerA, KEY);
        assertEq(k.exists, valid, "stored iff valid");
        if (valid) {
            assertEq(k.validFrom, eff, "validFrom = max(requested, registration)");
            assertEq(k.registeredAt, nowTs, "registeredAt");
        }
    }

    function testFuzz_isKeyValid_matchesDefinition(uint64 from, uint64 until, uint64 at, uint64 nowTs) public {
        vm.warp(nowTs);
        uint64 eff = _effective(from);
        vm.assume(until == 0 || until > eff);
        _register(issuerA, KEY, from, until);
        bool expected = eff <= at && (until == 0 || at < until);
        assertEq(reg.isKeyValid(issuerA, KEY, at), expected, "isKeyValid");
        if (at < nowTs) assertFalse(reg.isKeyValid(issuerA, KEY, at), "never before registration");
    }

    function testFuzz_retireKey_onlyShrinks(uint64 from, uint64 until, uint64 newUntil) public {
        vm.assume(until == 0 || until > _effective(from));
        _register(issuerA, KEY, from, until);
        from = _effective(from);
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
