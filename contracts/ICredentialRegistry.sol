// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ICredentialRegistry
/// @notice The public surface of MedCred's registry: accredited issuers, their signing keys, batch
///         anchors (Merkle roots of signed credentials) and revocations. The Python chain layer and the
///         verifier are written against this interface; `CredentialRegistry` implements it.
interface ICredentialRegistry {
    /// @notice Lifecycle of an issuing institution. `None` means never registered.
    enum IssuerStatus {
        None,
        Active,
        Suspended
    }

    /// @notice What a verifier needs about an issuer, in one call.
    struct IssuerView {
        address account;
        IssuerStatus status;
        uint32 id;
        uint64 registeredAt;
        uint64 updatedAt;
        string did;
        string name;
    }

    /// @notice What a verifier needs about a root, in one call.
    /// @dev `issuerStatus`, `did` and `name` are the issuer's *current* values; the root itself can only
    ///      exist if the issuer was active when it anchored it.
    struct AnchorView {
        bool exists;
        address issuer;
        IssuerStatus issuerStatus;
        string did;
        string name;
        uint64 anchoredAt;
        uint64 blockNumber;
        uint32 count;
        uint32 revokedCount;
    }

    /// @notice A signing key's validity window; `validUntil == 0` means open-ended.
    struct KeyView {
        bool exists;
        uint64 validFrom;
        uint64 validUntil;
    }

    // ---------------------------------------------------------------- errors

    error ZeroAddress();
    error InvalidDid(string did);
    error EmptyName();
    error IssuerAlreadyRegistered(address account);
    error DidAlreadyRegistered(string did);
    error UnknownIssuer(address account);
    error IssuerNotActive(address account);
    error IssuerNotSuspended(address account);
    error KeyAlreadyRegistered(bytes32 keyId);
    error UnknownKey(bytes32 keyId);
    error InvalidValidityWindow(uint64 validFrom, uint64 validUntil);
    error ZeroRoot();
    error EmptyBatch();
    error RootAlreadyAnchored(bytes32 root);
    error UnknownRoot(bytes32 root);
    error NotRootIssuer(bytes32 root, address caller);
    error IndexOutOfRange(bytes32 root, uint256 index, uint32 count);
    error AlreadyRevoked(bytes32 root, uint256 index);

    // ---------------------------------------------------------------- events

    event IssuerAdded(address indexed account, uint32 indexed id, string did, string name);
    event IssuerSuspended(address indexed account, address indexed by);
    event IssuerReinstated(address indexed account, address indexed by);
    event KeyRegistered(address indexed issuer, bytes32 indexed keyId, uint64 validFrom, uint64 validUntil);
    event KeyRetired(address indexed issuer, bytes32 indexed keyId, uint64 validUntil);
    event RootAnchored(bytes32 indexed root, address indexed issuer, uint32 count);
    event CredentialRevoked(bytes32 indexed root, uint256 index, uint8 reason);
    event CredentialsRevoked(bytes32 indexed root, uint256[] indexes, uint8 reason);

    // ---------------------------------------------------------------- governance (REGISTRAR_ROLE)

    /// @notice Accredit an institution: its Ethereum account, its DID and its display name.
    function addIssuer(address account, string calldata did, string calldata name) external;

    /// @notice Stop an issuer from anchoring new roots; roots anchored before stay valid.
    function suspendIssuer(address account) external;

    /// @notice Let a suspended issuer anchor again.
    function reinstateIssuer(address account) external;

    // ---------------------------------------------------------------- issuer keys (the issuer itself)

    /// @notice Register a signing key fingerprint (keccak256 of the multibase public key) valid from
    ///         `validFrom` until `validUntil` (unix seconds, 0 = open-ended).
    function registerKey(bytes32 keyId, uint64 validFrom, uint64 validUntil) external;

    /// @notice End a key's validity at `validUntil` (may be in the past, e.g. the time of a compromise).
    ///         The window can only shrink, never grow, and never below `validFrom`.
    function retireKey(bytes32 keyId, uint64 validUntil) external;

    // ---------------------------------------------------------------- anchoring and revocation

    /// @notice Anchor the Merkle root of a batch of `count` signed credentials. Caller must be an active
    ///         issuer; the same root can be anchored only once.
    function anchor(bytes32 root, uint32 count) external;

    /// @notice Revoke the credential at leaf `index` of `root`. Only the issuer that anchored the root.
    function revoke(bytes32 root, uint256 index, uint8 reason) external;

    /// @notice Revoke many credentials of one root in one transaction (all or nothing).
    function revokeBatch(bytes32 root, uint256[] calldata indexes, uint8 reason) external;

    // ---------------------------------------------------------------- views

    function getIssuer(address account) external view returns (IssuerView memory);

    function issuerByDid(string calldata did) external view returns (IssuerView memory);

    function issuerCount() external view returns (uint256);

    /// @notice Issuer accounts in registration order, `offset` .. `offset + limit`.
    function issuers(uint256 offset, uint256 limit) external view returns (IssuerView[] memory);

    function getKey(address issuer, bytes32 keyId) external view returns (KeyView memory);

    /// @notice Was `keyId` a valid signing key of `issuer` at unix time `at`?
    function isKeyValid(address issuer, bytes32 keyId, uint64 at) external view returns (bool);

    function getAnchor(bytes32 root) external view returns (AnchorView memory);

    function isRevoked(bytes32 root, uint256 index) external view returns (bool);

    /// @notice The whole revocation bitmap of a root (bit i of word i/256 = leaf i), so a batch verifier
    ///         reads it once per root.
    function revocationBitmap(bytes32 root) external view returns (uint256[] memory);
}
