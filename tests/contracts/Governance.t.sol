// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {CredentialRegistry} from "../../contracts/CredentialRegistry.sol";
import {ICredentialRegistry} from "../../contracts/ICredentialRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";

contract GovernanceTest is RegistryFixture {
    address internal newIssuer = address(0x2001);

    // ------------------------------------------------------------------ deployment and roles

    function test_constructor_grantsAdminAndRegistrarRoles() public view {
        assertTrue(reg.hasRole(reg.DEFAULT_ADMIN_ROLE(), admin), "admin role");
        assertTrue(reg.hasRole(reg.REGISTRAR_ROLE(), admin), "registrar role");
        assertFalse(reg.hasRole(reg.DEFAULT_ADMIN_ROLE(), registrar), "registrar is not admin");
        assertEq(reg.REGISTRAR_ROLE(), keccak256("REGISTRAR_ROLE"), "role constant");
        assertEq(reg.getRoleAdmin(reg.REGISTRAR_ROLE()), reg.DEFAULT_ADMIN_ROLE(), "role admin");
    }

    function test_constructor_revertsOnZeroAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0))
        );
        new CredentialRegistry(address(0));
    }

    function test_version() public view {
        assertEq(reg.version(), 2, "version 2");
    }

    // ------------------------------------------------------------------ admin role: two steps with a delay

    function test_admin_changesHandsInTwoStepsAfterTheDelay() public {
        address newAdmin = address(0xAD2);
        assertEq(reg.defaultAdmin(), admin, "admin");
        assertEq(reg.defaultAdminDelay(), 3 days, "delay");
        // One step is not possible: granting the admin role directly is refused.
        bytes32 adminRole = reg.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        vm.prank(admin);
        reg.grantRole(adminRole, newAdmin);

        vm.prank(admin);
        reg.beginDefaultAdminTransfer(newAdmin);
        (address pending, uint48 schedule) = reg.pendingDefaultAdmin();
        assertEq(pending, newAdmin, "pending admin");
        assertEq(schedule, T0 + 3 days, "schedule");
        // Before the delay: refused.
        vm.warp(T0 + 3 days - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, schedule)
        );
        vm.prank(newAdmin);
        reg.acceptDefaultAdminTransfer();
        // Nobody else can accept.
        vm.warp(T0 + 3 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, outsider)
        );
        vm.prank(outsider);
        reg.acceptDefaultAdminTransfer();
        vm.prank(newAdmin);
        reg.acceptDefaultAdminTransfer();
        assertEq(reg.defaultAdmin(), newAdmin, "new admin");
        assertFalse(reg.hasRole(reg.DEFAULT_ADMIN_ROLE(), admin), "old admin gone");
        // The new admin governs roles.
        bytes32 role = reg.REGISTRAR_ROLE();
        vm.prank(newAdmin);
        reg.grantRole(role, outsider);
        assertTrue(reg.hasRole(role, outsider), "granted by the new admin");
    }

    function test_admin_transferCanBeCancelled() public {
        vm.prank(admin);
        reg.beginDefaultAdminTransfer(outsider);
        vm.prank(admin);
        reg.cancelDefaultAdminTransfer();
        vm.warp(T0 + 4 days);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, outsider)
        );
        vm.prank(outsider);
        reg.acceptDefaultAdminTransfer();
        assertEq(reg.defaultAdmin(), admin, "unchanged");
    }

    // ------------------------------------------------------------------ moveIssuer

    function test_moveIssuer_movesEverything() public {
        bytes32 key = keccak256("z6MkKey");
        vm.prank(issuerA);
        reg.registerKey(key, 0, 0);
        _anchor(issuerA, ROOT, 10);
        _revoke(issuerA, ROOT, 4);
        _suspend(issuerA); // the account was compromised

        vm.warp(T0 + 100);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ICredentialRegistry.IssuerMoved(1, issuerA, newIssuer, registrar);
        vm.prank(registrar);
        reg.moveIssuer(issuerA, newIssuer);

        ICredentialRegistry.IssuerView memory v = reg.getIssuer(newIssuer);
        assertEq(v.id, 1, "same id");
        assertEq(v.did, DID_A, "same DID");
        assertEq(v.name, NAME_A, "same name");
        assertTrue(v.status == ICredentialRegistry.IssuerStatus.Suspended, "status moves along");
        assertEq(v.registeredAt, T0, "registeredAt kept");
        assertEq(reg.issuerByDid(DID_A).account, newIssuer, "DID points at the new account");
        assertEq(reg.issuers(0, 1)[0].account, newIssuer, "listing");
        assertTrue(_statusOf(issuerA) == ICredentialRegistry.IssuerStatus.None, "old account unregistered");
        // Roots, keys, revocations follow.
        ICredentialRegistry.AnchorView memory a = reg.getAnchor(newIssuer, ROOT);
        assertTrue(a.exists, "root moved");
        assertEq(a.issuer, newIssuer, "root's issuer is the new account");
        assertTrue(reg.isRevoked(newIssuer, ROOT, 4), "revocation moved");
        assertTrue(reg.isKeyValid(newIssuer, key, uint64(T0 + 1)), "key moved");
        assertFalse(reg.getAnchor(issuerA, ROOT).exists, "nothing left under the old account");

        // The old account can do nothing, and can never be registered again.
        vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, issuerA));
        _anchor(issuerA, ROOT2, 1);
        vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, issuerA));
        vm.prank(issuerA);
        reg.retireKey(key, uint64(T0));
        vm.expectRevert(_err(ICredentialRegistry.AccountRetired.selector, issuerA));
        vm.prank(registrar);
        reg.addIssuer(issuerA, "did:web:again.example", "Again");

        // Reinstated, the new account carries on.
        vm.prank(registrar);
        reg.reinstateIssuer(newIssuer);
        _anchor(newIssuer, ROOT2, 3);
        _revoke(newIssuer, ROOT, 5);
        assertTrue(reg.isRevoked(newIssuer, ROOT, 5), "new account revokes old roots");
    }

    function test_moveIssuer_rules() public {
        vm.expectRevert(_unauthorized(issuerA, reg.REGISTRAR_ROLE()));
        vm.prank(issuerA);
        reg.moveIssuer(issuerA, newIssuer);
        vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, outsider));
        vm.prank(registrar);
        reg.moveIssuer(outsider, newIssuer);
        vm.expectRevert(_err(ICredentialRegistry.IssuerAlreadyRegistered.selector, issuerB));
        vm.prank(registrar);
        reg.moveIssuer(issuerA, issuerB);
        vm.expectRevert(ICredentialRegistry.ZeroAddress.selector);
        vm.prank(registrar);
        reg.moveIssuer(issuerA, address(0));
        vm.prank(registrar);
        reg.moveIssuer(issuerA, newIssuer);
        vm.expectRevert(_err(ICredentialRegistry.AccountRetired.selector, issuerA));
        vm.prank(registrar);
        reg.moveIssuer(newIssuer, issuerA); // not back to the compromised account
        assertEq(reg.issuerCount(), 2, "no new issuer");
    }

    function testFuzz_moveIssuer_keepsRecords(address to, bytes32 root, uint32 count, uint256 index) public {
        vm.assume(to != address(0) && to != issuerA && to != issuerB);
        vm.assume(root != bytes32(0));
        count = uint32(bound(count, 1, reg.MAX_BATCH_SIZE()));
        index = bound(index, 0, count - 1);
        _anchor(issuerA, root, count);
        _revoke(issuerA, root, index);
        vm.prank(registrar);
        reg.moveIssuer(issuerA, to);
        assertEq(reg.getAnchor(to, root).count, count, "count");
        assertTrue(reg.isRevoked(to, root, index), "revoked bit");
        assertEq(reg.revocationWord(to, root, index >> 8), uint256(1) << (index & 255), "word");
        assertEq(reg.getIssuer(to).id, 1, "id");
    }

    function test_constructor_emitsRoleGranted() public {
        vm.expectEmit(true, true, true, true); // the new contract's address is not known yet
        emit IAccessControl.RoleGranted(bytes32(0), admin, address(this));
        CredentialRegistry fresh = new CredentialRegistry(admin);
        assertEq(fresh.issuerCount(), 0, "empty registry");
    }

    function test_supportsInterface() public view {
        assertTrue(reg.supportsInterface(type(ICredentialRegistry).interfaceId), "ICredentialRegistry");
        assertTrue(reg.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertTrue(
            reg.supportsInterface(type(IAccessControlDefaultAdminRules).interfaceId), "IAccessControlDefaultAdminRules"
        );
        assertTrue(reg.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(reg.supportsInterface(0xffffffff), "0xffffffff");
    }

    function test_onlyAdminGrantsRegistrar() public {
        bytes32 role = reg.REGISTRAR_ROLE();
        vm.expectRevert(_unauthorized(registrar, reg.DEFAULT_ADMIN_ROLE()));
        vm.prank(registrar);
        reg.grantRole(role, outsider);
    }

    function test_revokedRegistrarIsRefused() public {
        bytes32 role = reg.REGISTRAR_ROLE();
        vm.prank(admin);
        reg.revokeRole(role, registrar);
        vm.expectRevert(_unauthorized(registrar, role));
        vm.prank(registrar);
        reg.addIssuer(newIssuer, "did:web:new.example", "New");
    }

    // ------------------------------------------------------------------ addIssuer

    function test_addIssuer_storesAndEmits() public {
        vm.warp(T0 + 50);
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.IssuerAdded(newIssuer, 3, "did:web:new.example", "New Clinic");
        vm.prank(registrar);
        reg.addIssuer(newIssuer, "did:web:new.example", "New Clinic");

        ICredentialRegistry.IssuerView memory v = reg.getIssuer(newIssuer);
        assertEq(v.account, newIssuer, "account");
        assertTrue(v.status == ICredentialRegistry.IssuerStatus.Active, "status");
        assertEq(v.id, 3, "id");
        assertEq(v.registeredAt, T0 + 50, "registeredAt");
        assertEq(v.updatedAt, T0 + 50, "updatedAt");
        assertEq(v.did, "did:web:new.example", "did");
        assertEq(v.name, "New Clinic", "name");

        ICredentialRegistry.IssuerView memory byDid = reg.issuerByDid("did:web:new.example");
        assertEq(byDid.account, newIssuer, "issuerByDid");
        assertEq(byDid.id, 3, "issuerByDid id");
        assertEq(reg.issuerCount(), 3, "count");
    }

    function test_addIssuer_sequentialIdsFromOne() public view {
        assertEq(reg.getIssuer(issuerA).id, 1, "first id");
        assertEq(reg.getIssuer(issuerB).id, 2, "second id");
    }

    function test_addIssuer_refusesNonRegistrars() public {
        bytes32 role = reg.REGISTRAR_ROLE();
        address[3] memory callers = [outsider, issuerA, address(this)];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_unauthorized(callers[i], role));
            vm.prank(callers[i]);
            reg.addIssuer(newIssuer, "did:web:new.example", "New");
        }
    }

    function test_addIssuer_grantedRegistrarCanAdd() public {
        vm.prank(registrar);
        reg.addIssuer(newIssuer, "did:web:new.example", "New");
        assertTrue(_statusOf(newIssuer) == ICredentialRegistry.IssuerStatus.Active, "added");
    }

    function test_addIssuer_refusesZeroAccount() public {
        vm.expectRevert(ICredentialRegistry.ZeroAddress.selector);
        vm.prank(registrar);
        reg.addIssuer(address(0), "did:web:new.example", "New");
    }

    function test_addIssuer_refusesMalformedDids() public {
        string[7] memory bad = ["", "did", "did-web:x", "DID:web:x", " did:web:x", "web:did:x", "di:d:x"];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ICredentialRegistry.InvalidDid.selector, bad[i]));
            vm.prank(registrar);
            reg.addIssuer(newIssuer, bad[i], "New");
        }
    }

    function test_addIssuer_didLengthLimit() public {
        string memory longest = string.concat("did:web:", _repeat("a", 512 - 8));
        string memory tooLong = string.concat(longest, "a");
        vm.expectRevert(abi.encodeWithSelector(ICredentialRegistry.InvalidDid.selector, tooLong));
        vm.prank(registrar);
        reg.addIssuer(newIssuer, tooLong, "New");

        vm.prank(registrar);
        reg.addIssuer(newIssuer, longest, "New");
        assertEq(reg.getIssuer(newIssuer).did, longest, "512-byte DID stored");
    }

    function test_addIssuer_refusesEmptyName() public {
        vm.expectRevert(ICredentialRegistry.EmptyName.selector);
        vm.prank(registrar);
        reg.addIssuer(newIssuer, "did:web:new.example", "");
    }

    function test_addIssuer_nameLengthLimit() public {
        string memory longest = _repeat("n", 256);
        vm.expectRevert(abi.encodeWithSelector(CredentialRegistry.NameTooLong.selector, 257));
        vm.prank(registrar);
        reg.addIssuer(newIssuer, "did:web:new.example", string.concat(longest, "n"));

        vm.prank(registrar);
        reg.addIssuer(newIssuer, "did:web:new.example", longest);
        assertEq(reg.getIssuer(newIssuer).name, longest, "256-byte name stored");
    }

    function test_addIssuer_refusesDuplicateAccount() public {
        vm.expectRevert(_err(ICredentialRegistry.IssuerAlreadyRegistered.selector, issuerA));
        vm.prank(registrar);
        reg.addIssuer(issuerA, "did:web:other.example", "Other");
    }

    function test_addIssuer_refusesDuplicateAccountEvenWhenSuspended() public {
        _suspend(issuerA);
        vm.expectRevert(_err(ICredentialRegistry.IssuerAlreadyRegistered.selector, issuerA));
        vm.prank(registrar);
        reg.addIssuer(issuerA, "did:web:other.example", "Other");
    }

    function test_addIssuer_refusesDuplicateDid() public {
        vm.expectRevert(abi.encodeWithSelector(ICredentialRegistry.DidAlreadyRegistered.selector, DID_A));
        vm.prank(registrar);
        reg.addIssuer(newIssuer, DID_A, "Impostor");
        assertEq(reg.issuerCount(), 2, "nothing added");
    }

    function testFuzz_addIssuer_didRule(string calldata did) public {
        bytes memory b = bytes(did);
        bool valid = b.length >= 4 && b.length <= 512 && b[0] == "d" && b[1] == "i" && b[2] == "d" && b[3] == ":";
        vm.assume(keccak256(b) != keccak256(bytes(DID_A)) && keccak256(b) != keccak256(bytes(DID_B)));
        if (!valid) vm.expectRevert(abi.encodeWithSelector(ICredentialRegistry.InvalidDid.selector, did));
        vm.prank(registrar);
        reg.addIssuer(newIssuer, did, "Fuzz");
        if (valid) {
            assertEq(reg.issuerByDid(did).account, newIssuer, "lookup by fuzzed DID");
        } else {
            assertTrue(_statusOf(newIssuer) == ICredentialRegistry.IssuerStatus.None, "not added");
        }
    }

    function testFuzz_addIssuer_validDidAndAccount(address account, string calldata suffix) public {
        vm.assume(account != address(0) && account != issuerA && account != issuerB);
        vm.assume(bytes(suffix).length <= 500);
        string memory did = string.concat("did:fz:", suffix);
        vm.assume(keccak256(bytes(did)) != keccak256(bytes(DID_A)) && keccak256(bytes(did)) != keccak256(bytes(DID_B)));
        vm.prank(registrar);
        reg.addIssuer(account, did, "Fuzz");
        ICredentialRegistry.IssuerView memory v = reg.getIssuer(account);
        assertEq(v.id, 3, "id");
        assertEq(v.did, did, "did");
        // The same DID under another account is refused.
        vm.expectRevert(abi.encodeWithSelector(ICredentialRegistry.DidAlreadyRegistered.selector, did));
        vm.prank(registrar);
        reg.addIssuer(address(0x7777), did, "Again");
    }

    // ------------------------------------------------------------------ suspend / reinstate

    function test_suspend_emitsAndUpdates() public {
        vm.warp(T0 + 10);
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.IssuerSuspended(issuerA, registrar);
        _suspend(issuerA);
        ICredentialRegistry.IssuerView memory v = reg.getIssuer(issuerA);
        assertTrue(v.status == ICredentialRegistry.IssuerStatus.Suspended, "suspended");
        assertEq(v.updatedAt, T0 + 10, "updatedAt");
        assertEq(v.registeredAt, T0, "registeredAt unchanged");
        assertTrue(_statusOf(issuerB) == ICredentialRegistry.IssuerStatus.Active, "other untouched");
    }

    function test_reinstate_emitsAndUpdates() public {
        _suspend(issuerA);
        vm.warp(T0 + 20);
        vm.expectEmit(true, true, false, true, address(reg));
        emit ICredentialRegistry.IssuerReinstated(issuerA, admin);
        vm.prank(admin);
        reg.reinstateIssuer(issuerA);
        ICredentialRegistry.IssuerView memory v = reg.getIssuer(issuerA);
        assertTrue(v.status == ICredentialRegistry.IssuerStatus.Active, "active");
        assertEq(v.updatedAt, T0 + 20, "updatedAt");
    }

    function test_suspend_refusesNonRegistrars() public {
        bytes32 role = reg.REGISTRAR_ROLE();
        vm.expectRevert(_unauthorized(outsider, role));
        vm.prank(outsider);
        reg.suspendIssuer(issuerA);
        vm.expectRevert(_unauthorized(issuerB, role));
        vm.prank(issuerB);
        reg.suspendIssuer(issuerA);
        // An issuer cannot suspend itself either.
        vm.expectRevert(_unauthorized(issuerA, role));
        vm.prank(issuerA);
        reg.suspendIssuer(issuerA);
    }

    function test_reinstate_refusesNonRegistrars() public {
        _suspend(issuerA);
        bytes32 role = reg.REGISTRAR_ROLE();
        vm.expectRevert(_unauthorized(issuerA, role));
        vm.prank(issuerA);
        reg.reinstateIssuer(issuerA);
        vm.expectRevert(_unauthorized(outsider, role));
        vm.prank(outsider);
        reg.reinstateIssuer(issuerA);
    }

    function test_suspend_refusesUnknownIssuer() public {
        vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, outsider));
        vm.prank(registrar);
        reg.suspendIssuer(outsider);
    }

    function test_suspend_refusesSuspendedIssuer() public {
        _suspend(issuerA);
        vm.expectRevert(_err(ICredentialRegistry.IssuerNotActive.selector, issuerA));
        vm.prank(registrar);
        reg.suspendIssuer(issuerA);
    }

    function test_reinstate_refusesUnknownIssuer() public {
        vm.expectRevert(_err(ICredentialRegistry.UnknownIssuer.selector, outsider));
        vm.prank(registrar);
        reg.reinstateIssuer(outsider);
    }

    function test_reinstate_refusesActiveIssuer() public {
        vm.expectRevert(_err(ICredentialRegistry.IssuerNotSuspended.selector, issuerA));
        vm.prank(registrar);
        reg.reinstateIssuer(issuerA);
    }

    // ------------------------------------------------------------------ views

    function test_getIssuer_unknownIsNone() public view {
        ICredentialRegistry.IssuerView memory v = reg.getIssuer(outsider);
        assertTrue(v.status == ICredentialRegistry.IssuerStatus.None, "status None");
        assertEq(v.account, address(0), "account");
        assertEq(v.id, 0, "id");
        assertEq(v.registeredAt, 0, "registeredAt");
        assertEq(bytes(v.did).length, 0, "did");
        assertEq(bytes(v.name).length, 0, "name");
    }

    function test_issuerByDid_unknownIsNone() public view {
        ICredentialRegistry.IssuerView memory v = reg.issuerByDid("did:web:nobody.example");
        assertTrue(v.status == ICredentialRegistry.IssuerStatus.None, "status None");
        assertEq(v.account, address(0), "account");
        // Lookup is exact: case matters.
        assertTrue(reg.issuerByDid("DID:web:stmarys.example").status == ICredentialRegistry.IssuerStatus.None, "case");
        assertEq(reg.issuerByDid(DID_B).account, issuerB, "known DID");
    }

    function test_issuers_pagination() public {
        vm.startPrank(registrar);
        reg.addIssuer(address(0x3001), "did:web:c.example", "C");
        reg.addIssuer(address(0x3002), "did:web:d.example", "D");
        vm.stopPrank();
        _suspend(issuerB);

        ICredentialRegistry.IssuerView[] memory all = reg.issuers(0, 100);
        assertEq(all.length, 4, "all");
        assertEq(all[0].account, issuerA, "order 0");
        assertEq(all[1].account, issuerB, "order 1");
        assertTrue(all[1].status == ICredentialRegistry.IssuerStatus.Suspended, "suspended listed");
        assertEq(all[3].account, address(0x3002), "order 3");
        assertEq(all[3].id, 4, "id 4");
        assertEq(all[2].did, "did:web:c.example", "did in page");

        ICredentialRegistry.IssuerView[] memory page = reg.issuers(1, 2);
        assertEq(page.length, 2, "page length");
        assertEq(page[0].account, issuerB, "page[0]");
        assertEq(page[1].account, address(0x3001), "page[1]");

        assertEq(reg.issuers(3, 10).length, 1, "clamped");
        assertEq(reg.issuers(4, 10).length, 0, "offset at end");
        assertEq(reg.issuers(1000, 10).length, 0, "offset past end");
        assertEq(reg.issuers(0, 0).length, 0, "limit 0");
        assertEq(reg.issuers(2, type(uint256).max).length, 2, "huge limit does not overflow");
        assertEq(reg.issuers(type(uint256).max, type(uint256).max).length, 0, "huge offset");
    }

    function testFuzz_issuers_clamped(uint256 offset, uint256 limit) public view {
        uint256 total = reg.issuerCount();
        ICredentialRegistry.IssuerView[] memory page = reg.issuers(offset, limit);
        uint256 expected = offset >= total ? 0 : (limit < total - offset ? limit : total - offset);
        assertEq(page.length, expected, "page length");
        for (uint256 i = 0; i < page.length; ++i) {
            assertEq(page[i].id, offset + i + 1, "ids in order");
        }
    }
}
