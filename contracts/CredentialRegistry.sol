// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ICredentialRegistry} from "./ICredentialRegistry.sol";

/// @title CredentialRegistry
/// @notice MedCred's on-chain registry of accredited issuers, their signing keys, the Merkle roots of
///         their credential batches and the revocations of single credentials.
/// @dev Storage layout is chosen for gas:
///      - an issuer's status and id share one slot with its timestamps, so `anchor` reads one cold slot
///        for the caller;
///      - an anchor is one storage slot (issuer id, time, block, count, revoked count: 224 bits), so
///        anchoring a whole batch costs one new slot;
///      - revocations are a per-root bitmap indexed by the credential's leaf index: 256 credentials per
///        word, so a bulk revocation writes each word once per run of indexes and a verifier reads the
///        whole status of a batch with one call (`revocationBitmap`).
contract CredentialRegistry is ICredentialRegistry, AccessControl {
    /// @notice Role allowed to add, suspend and reinstate issuers.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Maximum length of an issuer DID, in bytes.
    uint256 public constant MAX_DID_LENGTH = 512;

    /// @notice Maximum length of an issuer display name, in bytes.
    uint256 public constant MAX_NAME_LENGTH = 256;

    /// @notice The display name given to `addIssuer` is longer than `MAX_NAME_LENGTH` bytes.
    error NameTooLong(uint256 length);

    /// @dev Slot 0: status (8) + id (32) + registeredAt (64) + updatedAt (64) = 168 bits.
    struct IssuerRecord {
        IssuerStatus status;
        uint32 id;
        uint64 registeredAt;
        uint64 updatedAt;
        string did;
        string name;
    }

    /// @dev One slot: validFrom (64) + validUntil (64) + exists (8).
    struct KeyRecord {
        uint64 validFrom;
        uint64 validUntil;
        bool exists;
    }

    /// @dev One slot: 32 + 64 + 64 + 32 + 32 = 224 bits. `issuerId == 0` means "not anchored".
    struct AnchorRecord {
        uint32 issuerId;
        uint64 anchoredAt;
        uint64 blockNumber;
        uint32 count;
        uint32 revokedCount;
    }

    mapping(address account => IssuerRecord) private _issuers;
    /// @dev Issuer accounts in registration order; the issuer with id `i` is at `_issuerAccounts[i - 1]`.
    address[] private _issuerAccounts;
    mapping(bytes32 didHash => address account) private _accountByDid;
    mapping(address issuer => mapping(bytes32 keyId => KeyRecord)) private _keys;
    mapping(bytes32 root => AnchorRecord) private _anchors;
    mapping(bytes32 root => mapping(uint256 word => uint256 bits)) private _revoked;

    /// @notice Deploy the registry; `admin` gets both the admin and the registrar role.
    /// @param admin The account that governs the registry (may grant the registrar role to others).
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Accredit an institution: its Ethereum account, its DID and its display name.
    /// @dev Registrar only. The DID must start with "did:" and be at most 512 bytes; the name must be
    ///      non-empty and at most 256 bytes. An account and a DID can each be registered once.
    ///      Issuers get sequential ids starting at 1.
    /// @param account The issuer's Ethereum account (the one that anchors and revokes).
    /// @param did The issuer's DID, e.g. `did:web:hospital.example`.
    /// @param name The issuer's display name.
    function addIssuer(address account, string calldata did, string calldata name)
        external
        override
        onlyRole(REGISTRAR_ROLE)
    {
        if (account == address(0)) revert ZeroAddress();
        if (!_isValidDid(did)) revert InvalidDid(did);
        uint256 nameLength = bytes(name).length;
        if (nameLength == 0) revert EmptyName();
        if (nameLength > MAX_NAME_LENGTH) revert NameTooLong(nameLength);

        IssuerRecord storage rec = _issuers[account];
        if (rec.status != IssuerStatus.None) revert IssuerAlreadyRegistered(account);
        bytes32 didHash = keccak256(bytes(did));
        if (_accountByDid[didHash] != address(0)) revert DidAlreadyRegistered(did);

        _issuerAccounts.push(account);
        uint32 id = uint32(_issuerAccounts.length);
        uint64 nowTs = uint64(block.timestamp);
        rec.status = IssuerStatus.Active;
        rec.id = id;
        rec.registeredAt = nowTs;
        rec.updatedAt = nowTs;
        rec.did = did;
        rec.name = name;
        _accountByDid[didHash] = account;

        emit IssuerAdded(account, id, did, name);
    }

    /// @notice Stop an issuer from anchoring new roots and registering keys; roots anchored before stay
    ///         valid and the issuer can still revoke its credentials and retire its keys.
    /// @dev Registrar only. Reverts `UnknownIssuer` or `IssuerNotActive` (already suspended).
    /// @param account The issuer's account.
    function suspendIssuer(address account) external override onlyRole(REGISTRAR_ROLE) {
        IssuerRecord storage rec = _issuers[account];
        IssuerStatus status = rec.status;
        if (status == IssuerStatus.None) revert UnknownIssuer(account);
        if (status != IssuerStatus.Active) revert IssuerNotActive(account);
        rec.status = IssuerStatus.Suspended;
        rec.updatedAt = uint64(block.timestamp);
        emit IssuerSuspended(account, msg.sender);
    }

    /// @notice Let a suspended issuer anchor again.
    /// @dev Registrar only. Reverts `UnknownIssuer` or `IssuerNotSuspended` (issuer is active).
    /// @param account The issuer's account.
    function reinstateIssuer(address account) external override onlyRole(REGISTRAR_ROLE) {
        IssuerRecord storage rec = _issuers[account];
        IssuerStatus status = rec.status;
        if (status == IssuerStatus.None) revert UnknownIssuer(account);
        if (status != IssuerStatus.Suspended) revert IssuerNotSuspended(account);
        rec.status = IssuerStatus.Active;
        rec.updatedAt = uint64(block.timestamp);
        emit IssuerReinstated(account, msg.sender);
    }

    // ------------------------------------------------------------------ issuer keys

    /// @notice Register a signing key fingerprint (keccak256 of the multibase public key) valid from
    ///         `validFrom` until `validUntil` (unix seconds, 0 = open-ended).
    /// @dev Caller must be an active issuer. `validUntil` must be 0 or greater than `validFrom`; the same
    ///      key id can be registered once per issuer.
    /// @param keyId The key fingerprint.
    /// @param validFrom First second (inclusive) at which the key is valid.
    /// @param validUntil First second at which the key is no longer valid, or 0 for open-ended.
    function registerKey(bytes32 keyId, uint64 validFrom, uint64 validUntil) external override {
        _requireActiveIssuer(msg.sender);
        if (validUntil != 0 && validUntil <= validFrom) revert InvalidValidityWindow(validFrom, validUntil);
        KeyRecord storage key = _keys[msg.sender][keyId];
        if (key.exists) revert KeyAlreadyRegistered(keyId);
        key.validFrom = validFrom;
        key.validUntil = validUntil;
        key.exists = true;
        emit KeyRegistered(msg.sender, keyId, validFrom, validUntil);
    }

    /// @notice End a key's validity at `validUntil` (may be in the past, e.g. the time of a compromise).
    ///         The window can only shrink, never grow, and never below `validFrom`.
    /// @dev Caller must be a registered issuer (active or suspended: a compromised key must stay
    ///      retirable). `validUntil` must be non-zero, `>= validFrom` and, if the key already has an end,
    ///      strictly before it. `validUntil == validFrom` leaves the key valid at no time at all.
    /// @param keyId The key fingerprint.
    /// @param validUntil The new end of validity (exclusive).
    function retireKey(bytes32 keyId, uint64 validUntil) external override {
        if (_issuers[msg.sender].status == IssuerStatus.None) revert UnknownIssuer(msg.sender);
        KeyRecord storage key = _keys[msg.sender][keyId];
        if (!key.exists) revert UnknownKey(keyId);
        uint64 validFrom = key.validFrom;
        uint64 current = key.validUntil;
        if (validUntil == 0 || validUntil < validFrom || (current != 0 && validUntil >= current)) {
            revert InvalidValidityWindow(validFrom, validUntil);
        }
        key.validUntil = validUntil;
        emit KeyRetired(msg.sender, keyId, validUntil);
    }

    // ------------------------------------------------------------------ anchoring and revocation

    /// @notice Anchor the Merkle root of a batch of `count` signed credentials. Caller must be an active
    ///         issuer; the same root can be anchored only once.
    /// @dev Stores issuer id, block timestamp, block number and count in one slot.
    /// @param root The batch's Merkle root (OpenZeppelin StandardMerkleTree layout).
    /// @param count The number of credentials (leaves) in the batch.
    function anchor(bytes32 root, uint32 count) external override {
        uint32 issuerId = _requireActiveIssuer(msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        if (count == 0) revert EmptyBatch();
        AnchorRecord storage a = _anchors[root];
        if (a.issuerId != 0) revert RootAlreadyAnchored(root);
        _anchors[root] = AnchorRecord({
            issuerId: issuerId,
            anchoredAt: uint64(block.timestamp),
            blockNumber: uint64(block.number),
            count: count,
            revokedCount: 0
        });
        emit RootAnchored(root, msg.sender, count);
    }

    /// @notice Revoke the credential at leaf `index` of `root`. Only the issuer that anchored the root.
    /// @dev Allowed for a suspended issuer too. A revoked credential stays revoked: revoking it again
    ///      reverts `AlreadyRevoked`.
    /// @param root The batch root the credential was anchored under.
    /// @param index The credential's leaf index in the batch (`< count`).
    /// @param reason An application-defined reason code (emitted, not stored).
    function revoke(bytes32 root, uint256 index, uint8 reason) external override {
        AnchorRecord storage a = _anchors[root];
        uint32 count = _requireRootIssuer(a, root);
        if (index >= count) revert IndexOutOfRange(root, index, count);
        mapping(uint256 => uint256) storage bitmap = _revoked[root];
        uint256 wordIndex = index >> 8;
        uint256 mask = uint256(1) << (index & 0xff);
        uint256 word = bitmap[wordIndex];
        if (word & mask != 0) revert AlreadyRevoked(root, index);
        bitmap[wordIndex] = word | mask;
        unchecked {
            // At most `count` distinct indexes can ever be set, so this cannot overflow.
            a.revokedCount += 1;
        }
        emit CredentialRevoked(root, index, reason);
    }

    /// @notice Revoke many credentials of one root in one transaction (all or nothing).
    /// @dev Only the issuer that anchored the root (suspended or not). Reverts `EmptyBatch` for an empty
    ///      list, `IndexOutOfRange` for an index `>= count` and `AlreadyRevoked` for an index revoked
    ///      before or listed twice. Each bitmap word is written once per run of indexes falling in it,
    ///      so sorted indexes are cheapest. Emits one `CredentialsRevoked`.
    /// @param root The batch root the credentials were anchored under.
    /// @param indexes The leaf indexes to revoke.
    /// @param reason An application-defined reason code (emitted, not stored).
    function revokeBatch(bytes32 root, uint256[] calldata indexes, uint8 reason) external override {
        uint256 n = indexes.length;
        if (n == 0) revert EmptyBatch();
        AnchorRecord storage a = _anchors[root];
        uint32 count = _requireRootIssuer(a, root);
        mapping(uint256 => uint256) storage bitmap = _revoked[root];

        uint256 currentWordIndex = type(uint256).max; // no word loaded yet
        uint256 word;
        for (uint256 i = 0; i < n;) {
            uint256 index = indexes[i];
            if (index >= count) revert IndexOutOfRange(root, index, count);
            uint256 wordIndex = index >> 8;
            if (wordIndex != currentWordIndex) {
                if (currentWordIndex != type(uint256).max) bitmap[currentWordIndex] = word;
                currentWordIndex = wordIndex;
                word = bitmap[wordIndex];
            }
            uint256 mask = uint256(1) << (index & 0xff);
            if (word & mask != 0) revert AlreadyRevoked(root, index);
            word |= mask;
            unchecked {
                ++i;
            }
        }
        bitmap[currentWordIndex] = word;
        unchecked {
            // n distinct indexes below count were newly set, so revokedCount + n <= count.
            a.revokedCount += uint32(n);
        }
        emit CredentialsRevoked(root, indexes, reason);
    }

    // ------------------------------------------------------------------ views

    /// @notice Everything about an issuer; `status == None` (and zero values) if `account` is unknown.
    /// @param account The issuer's account.
    function getIssuer(address account) external view override returns (IssuerView memory) {
        return _issuerView(account);
    }

    /// @notice Look an issuer up by its DID; `status == None` (and zero values) if the DID is unknown.
    /// @param did The issuer's DID, byte for byte as registered.
    function issuerByDid(string calldata did) external view override returns (IssuerView memory) {
        return _issuerView(_accountByDid[keccak256(bytes(did))]);
    }

    /// @notice Number of issuers ever registered (suspended ones included).
    function issuerCount() external view override returns (uint256) {
        return _issuerAccounts.length;
    }

    /// @notice Issuers in registration order, `offset` .. `offset + limit`, clamped to the end.
    /// @param offset Index of the first issuer to return (0-based; the issuer with id `offset + 1`).
    /// @param limit Maximum number of issuers to return.
    function issuers(uint256 offset, uint256 limit) external view override returns (IssuerView[] memory page) {
        uint256 total = _issuerAccounts.length;
        if (offset >= total) return new IssuerView[](0);
        uint256 n = total - offset;
        if (limit < n) n = limit;
        page = new IssuerView[](n);
        for (uint256 i = 0; i < n; ++i) {
            page[i] = _issuerView(_issuerAccounts[offset + i]);
        }
    }

    /// @notice A key's validity window; `exists == false` if `issuer` never registered `keyId`.
    /// @param issuer The issuer's account.
    /// @param keyId The key fingerprint.
    function getKey(address issuer, bytes32 keyId) external view override returns (KeyView memory) {
        KeyRecord storage key = _keys[issuer][keyId];
        return KeyView({exists: key.exists, validFrom: key.validFrom, validUntil: key.validUntil});
    }

    /// @notice Was `keyId` a valid signing key of `issuer` at unix time `at`?
    /// @dev True iff the key exists, `validFrom <= at` and (`validUntil == 0` or `at < validUntil`).
    ///      Independent of the issuer's current status (the verifier checks that separately).
    /// @param issuer The issuer's account.
    /// @param keyId The key fingerprint.
    /// @param at Unix time in seconds.
    function isKeyValid(address issuer, bytes32 keyId, uint64 at) external view override returns (bool) {
        KeyRecord storage key = _keys[issuer][keyId];
        return key.exists && key.validFrom <= at && (key.validUntil == 0 || at < key.validUntil);
    }

    /// @notice Everything a verifier needs about a root, with the issuer's current status, DID and
    ///         name; `exists == false` and zero values for a root never anchored.
    /// @param root The batch root.
    function getAnchor(bytes32 root) external view override returns (AnchorView memory v) {
        AnchorRecord memory a = _anchors[root];
        if (a.issuerId == 0) return v;
        address account = _issuerAccounts[a.issuerId - 1];
        IssuerRecord storage rec = _issuers[account];
        v.exists = true;
        v.issuer = account;
        v.issuerStatus = rec.status;
        v.did = rec.did;
        v.name = rec.name;
        v.anchoredAt = a.anchoredAt;
        v.blockNumber = a.blockNumber;
        v.count = a.count;
        v.revokedCount = a.revokedCount;
    }

    /// @notice Is the credential at leaf `index` of `root` revoked? False for unknown roots and indexes.
    /// @param root The batch root.
    /// @param index The credential's leaf index.
    function isRevoked(bytes32 root, uint256 index) external view override returns (bool) {
        return (_revoked[root][index >> 8] >> (index & 0xff)) & 1 == 1;
    }

    /// @notice The whole revocation bitmap of a root (bit i of word i/256 = leaf i), so a batch verifier
    ///         reads it once per root: `ceil(count / 256)` words, empty for an unknown root.
    /// @param root The batch root.
    function revocationBitmap(bytes32 root) external view override returns (uint256[] memory words) {
        uint256 count = _anchors[root].count;
        uint256 n = (count + 255) >> 8;
        words = new uint256[](n);
        mapping(uint256 => uint256) storage bitmap = _revoked[root];
        for (uint256 i = 0; i < n; ++i) {
            words[i] = bitmap[i];
        }
    }

    /// @notice A page of a root's revocation bitmap: words `offset` .. `offset + limit`, clamped to
    ///         `ceil(count / 256)`. For very large batches, where `revocationBitmap` would exceed an
    ///         `eth_call` gas cap (it reads one storage slot per 256 credentials).
    /// @param root The batch root.
    /// @param offset Index of the first word (word `w` holds leaves `256 * w` .. `256 * w + 255`).
    /// @param limit Maximum number of words to return.
    function revocationWords(bytes32 root, uint256 offset, uint256 limit)
        external
        view
        returns (uint256[] memory words)
    {
        uint256 total = (uint256(_anchors[root].count) + 255) >> 8;
        if (offset >= total) return new uint256[](0);
        uint256 n = total - offset;
        if (limit < n) n = limit;
        words = new uint256[](n);
        mapping(uint256 => uint256) storage bitmap = _revoked[root];
        for (uint256 i = 0; i < n; ++i) {
            words[i] = bitmap[offset + i];
        }
    }

    /// @notice Check a Merkle inclusion proof against `root` (OpenZeppelin MerkleProof: sorted pairs).
    /// @dev For an OpenZeppelin StandardMerkleTree, `leaf` is the double-hashed leaf
    ///      `keccak256(bytes.concat(keccak256(abi.encode(values))))`; MedCred's values are
    ///      `(uint256 leafIndex, bytes32 credentialDigest)`, so the index used for revocation is bound to
    ///      the credential (sorted-pair paths alone do not reveal a leaf's position). Pure helper: it
    ///      does not look at whether `root` is anchored (see `getAnchor`).
    /// @param root The Merkle root.
    /// @param proof The sibling hashes from the leaf up to the root.
    /// @param leaf The leaf hash.
    function verifyLeaf(bytes32 root, bytes32[] calldata proof, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice ERC-165: AccessControl's interfaces plus `ICredentialRegistry`.
    /// @param interfaceId The ERC-165 interface id.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ICredentialRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Reverts `UnknownIssuer` / `IssuerNotActive`; returns the issuer's id. One storage read.
    function _requireActiveIssuer(address account) private view returns (uint32) {
        IssuerRecord storage rec = _issuers[account];
        IssuerStatus status = rec.status;
        if (status != IssuerStatus.Active) {
            if (status == IssuerStatus.None) revert UnknownIssuer(account);
            revert IssuerNotActive(account);
        }
        return rec.id;
    }

    /// @dev Reverts `UnknownRoot` / `NotRootIssuer`; returns the root's credential count.
    function _requireRootIssuer(AnchorRecord storage a, bytes32 root) private view returns (uint32) {
        uint32 issuerId = a.issuerId;
        if (issuerId == 0) revert UnknownRoot(root);
        if (_issuers[msg.sender].id != issuerId) revert NotRootIssuer(root, msg.sender);
        return a.count;
    }

    function _issuerView(address account) private view returns (IssuerView memory v) {
        IssuerRecord storage rec = _issuers[account];
        if (rec.status == IssuerStatus.None) return v;
        v.account = account;
        v.status = rec.status;
        v.id = rec.id;
        v.registeredAt = rec.registeredAt;
        v.updatedAt = rec.updatedAt;
        v.did = rec.did;
        v.name = rec.name;
    }

    /// @dev Non-empty, at most `MAX_DID_LENGTH` bytes, starts with "did:".
    function _isValidDid(string calldata did) private pure returns (bool) {
        bytes calldata b = bytes(did);
        if (b.length < 4 || b.length > MAX_DID_LENGTH) return false;
        return b[0] == "d" && b[1] == "i" && b[2] == "d" && b[3] == ":";
    }
}
