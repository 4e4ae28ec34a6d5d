// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {CredentialRegistry} from "../../../contracts/CredentialRegistry.sol";
import {ICredentialRegistry} from "../../../contracts/ICredentialRegistry.sol";
import {Test} from "./Test.sol";

/// @notice Shared set-up: a registry governed by `admin`, two active issuers and an outsider.
abstract contract RegistryFixture is Test {
    CredentialRegistry internal reg;

    address internal admin = address(0xA11CE);
    address internal registrar = address(0xBEEF);
    address internal issuerA = address(0x1001);
    address internal issuerB = address(0x1002);
    address internal outsider = address(0xBAD);

    string internal constant DID_A = "did:web:stmarys.example";
    string internal constant DID_B = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    string internal constant NAME_A = "St Mary's Hospital";
    string internal constant NAME_B = "Resuscitation Council Training";

    bytes32 internal constant ROOT = keccak256("root-1");
    bytes32 internal constant ROOT2 = keccak256("root-2");

    uint256 internal constant T0 = 1_700_000_000;

    function setUp() public virtual {
        vm.warp(T0);
        vm.roll(100);
        reg = new CredentialRegistry(admin);
        vm.startPrank(admin);
        reg.grantRole(reg.REGISTRAR_ROLE(), registrar);
        reg.addIssuer(issuerA, DID_A, NAME_A);
        reg.addIssuer(issuerB, DID_B, NAME_B);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ helpers

    function _unauthorized(address caller, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role);
    }

    function _err(bytes4 selector, address a) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a);
    }

    function _err(bytes4 selector, bytes32 b) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, b);
    }

    function _suspend(address issuer) internal {
        vm.prank(registrar);
        reg.suspendIssuer(issuer);
    }

    function _anchor(address issuer, bytes32 root, uint32 count) internal {
        vm.prank(issuer);
        reg.anchor(root, count);
    }

    function _revoke(address issuer, bytes32 root, uint256 index) internal {
        vm.prank(issuer);
        reg.revoke(root, index, 1);
    }

    function _revokeBatch(address issuer, bytes32 root, uint256[] memory indexes) internal {
        vm.prank(issuer);
        reg.revokeBatch(root, indexes, 1);
    }

    function _range(uint256 from, uint256 n) internal pure returns (uint256[] memory out) {
        out = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) out[i] = from + i;
    }

    function _list(uint256 a) internal pure returns (uint256[] memory out) {
        out = new uint256[](1);
        out[0] = a;
    }

    function _list(uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        (out[0], out[1]) = (a, b);
    }

    function _list(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory out) {
        out = new uint256[](3);
        (out[0], out[1], out[2]) = (a, b, c);
    }

    function _repeat(bytes1 ch, uint256 n) internal pure returns (string memory) {
        bytes memory b = new bytes(n);
        for (uint256 i = 0; i < n; ++i) b[i] = ch;
        return string(b);
    }

    function _statusOf(address issuer) internal view returns (ICredentialRegistry.IssuerStatus) {
        return reg.getIssuer(issuer).status;
    }
}
