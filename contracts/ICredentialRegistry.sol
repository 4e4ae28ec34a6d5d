// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ICredentialRegistry (version 2)
/// @notice The public surface of MedCred's registry: accredited issuers, their signing keys, batch
///         anchors (Merkle roots of signed credentials) and revocations. The Python chain layer and the
///         verifier are written against this interface; `CredentialRegistry` implements it.
/// @dev Version 2 scopes everything an issuer owns by its issuer id: an anchor, a key and a revocation
///      belong to the issuer that made them, so one issuer copying another's transaction only writes
///      its own records. `version()` tells a v2 registry from the first one (which has no such view).
interface ICredentialRegistry {
    /// @notice Lifecycle of an issuing institution. `None` means never registered (or moved away).
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

    /// @notice What a verifier needs about a root of one issuer, in one call.
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

    /// @notice A signing key's validity window; `validUntil == 0` means open-ended. `validFrom` is never
    ///         before `registeredAt` (the block time of `registerKey`).
    struct KeyView {
        bool exists;
        uint64 validFrom;
        uint64 validUntil;
        uint64 registeredAt;
    }

    // ---------------------------------------------------------------- errors

    error ZeroAddress();
    error InvalidDid(string did);
    error EmptyName();
    error IssuerAlreadyRegistered(address account);
    error AccountRetired(address account);
    error DidAlreadyRegistered(string did);
    error UnknownIssuer(address account);
    error IssuerNotActive(address account);
    error IssuerNotSuspended(address account);
    error KeyAlreadyRegistered(bytes32 keyId);
    error UnknownKey(bytes32 keyId);
    error InvalidValidityWindow(uint64 validFrom, uint64 validUntil);
    error ZeroRoot();
    error EmptyBatch();
    error BatchTooLarge(uint256 count, uint256 max);
    error RootAlreadyAnchored(bytes32 root);
    error UnknownRoot(bytes32 root);
    error IndexOutOfRange(bytes32 root, uint256 index, uint32 count);
    error AlreadyRevoked(bytes32 root, uint256 index);

    // ---------------------------------------------------------------- events

    event IssuerAdded(address indexed account, uint32 indexed id, string did, string name);
    event IssuerSuspended(address indexed account, address indexed by);
    event IssuerReinstated(address indexed account, address indexed by);
    event IssuerMoved(uint32 indexed id, address indexed from, address indexed to, address by);
    event KeyRegistered(
        address indexed issuer, bytes32 indexed keyId, uint64 validFrom, uint64 validUntil, uint64 registeredAt
    );
    event KeyRetired(address indexed issuer, bytes32 indexed keyId, uint64 validUntil);
    event KeyWindowRestored(
        address indexed issuer, bytes32 indexed keyId, uint64 validFrom, uint64 validUntil, address by
    );
    event RootAnchored(bytes32 indexed root, address indexed issuer, uint32 indexed issuerId, uint32 count);
    event CredentialRevoked(bytes32 indexed root, uint32 indexed issuerId, uint256 index, uint8 reason);
    event CredentialsRevoked(bytes32 indexed root, uint32 indexed issuerId, uint256[] indexes, uint8 reason);

    // ---------------------------------------------------------------- governance (REGISTRAR_ROLE)

    /// @notice Accredit an institution: its Ethereum account, its DID and its display name.
    function addIssuer(address account, string calldata did, string calldata name) external;

    /// @notice Freeze an issuer: it can change nothing until reinstated; roots anchored before stay valid.
    function suspendIssuer(address account) external;

    /// @notice Let a suspended issuer act again.
    function reinstateIssuer(address account) external;

    /// @notice Move an issuer (id, DID, name, status, roots, keys, revocations) to a new account, e.g.
    ///         after the old account was compromised. The old account can never be registered again.
    function moveIssuer(address from, address to) external;

    /// @notice Set a key's window back to what it should be (e.g. undo what a compromised account did).
    ///         `validFrom` cannot precede the key's registration.
    function restoreKeyWindow(address issuer, bytes32 keyId, uint64 validFrom, uint64 validUntil) external;

    // ---------------------------------------------------------------- issuer keys (the active issuer itself)

    /// @notice Register a signing key fingerprint (keccak256 of the multibase public key) valid from
    ///         `max(validFrom, block.timestamp)` until `validUntil` (unix seconds, 0 = open-ended).
    function registerKey(bytes32 keyId, uint64 validFrom, uint64 validUntil) external;

    /// @notice End a key's validity at `validUntil` (may be in the past, e.g. the time of a compromise).
    ///         The window can only shrink, never grow, and never below `validFrom`.
    function retireKey(bytes32 keyId, uint64 validUntil) external;

    // ---------------------------------------------------------------- anchoring and revocation

    /// @notice Anchor the Merkle root of a batch of `count` (1..MAX_BATCH_SIZE) signed credentials under
    ///         the caller's issuer id. Caller must be an active issuer; it can anchor a root once.
    function anchor(bytes32 root, uint32 count) external;

    /// @notice Revoke the credential at leaf `index` of the caller's `root`.
    function revoke(bytes32 root, uint256 index, uint8 reason) external;

    /// @notice Revoke many credentials of one of the caller's roots in one transaction (all or nothing).
    function revokeBatch(bytes32 root, uint256[] calldata indexes, uint8 reason) external;

    // ---------------------------------------------------------------- views

    /// @notice The registry's interface version: 2 for this one.
    function version() external pure returns (uint256);

    function getIssuer(address account) external view returns (IssuerView memory);

    function issuerByDid(string calldata did) external view returns (IssuerView memory);

    function issuerCount() external view returns (uint256);

    /// @notice Issuers in registration order, `offset` .. `offset + limit`.
    function issuers(uint256 offset, uint256 limit) external view returns (IssuerView[] memory);

    function getKey(address issuer, bytes32 keyId) external view returns (KeyView memory);

    /// @notice Was `keyId` a valid signing key of `issuer` at unix time `at`?
    function isKeyValid(address issuer, bytes32 keyId, uint64 at) external view returns (bool);

    /// @notice The root `root` as anchored by `issuer` (another issuer's root of the same value is
    ///         another record).
    function getAnchor(address issuer, bytes32 root) external view returns (AnchorView memory);

    function isRevoked(address issuer, bytes32 root, uint256 index) external view returns (bool);

    /// @notice One word of a root's revocation bitmap (bit i of word w = leaf 256 * w + i): what a
    ///         verifier reads for one credential.
    function revocationWord(address issuer, bytes32 root, uint256 wordIndex) external view returns (uint256);

    /// @notice The whole revocation bitmap of a root: at most MAX_BATCH_SIZE / 256 = 256 words, so a
    ///         batch verifier reads it with one call per root.
    function revocationBitmap(address issuer, bytes32 root) external view returns (uint256[] memory);
}
