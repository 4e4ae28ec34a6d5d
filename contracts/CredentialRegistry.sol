// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ICredentialRegistry} from "./ICredentialRegistry.sol";

/// @title CredentialRegistry (version 2)
/// @notice MedCred's on-chain registry of accredited issuers, their signing keys, the Merkle roots of
///         their credential batches and the revocations of single credentials.
/// @dev No issuer can harm another: keys, anchors and revocations are stored under the issuer's id
///      (`_keys[id][keyId]`, `_anchors[id][root]`, `_revoked[id][root][word]`), so a transaction copied
///      from another issuer's mempool entry writes the copier's own records: it neither blocks the
///      victim's anchor (no "already anchored") nor claims it (a verifier looks the root up under the
///      credential issuer's id). The id also survives `moveIssuer`, so moving an issuer to a new
///      account takes its roots, keys and revocations along without copying storage.
///
///      Storage layout is chosen for gas:
///      - an issuer's status and id share one slot with its timestamps, so `anchor` reads one cold slot
///        for the caller;
///      - an anchor is one storage slot (time, block, count, revoked count: 192 bits), so anchoring a
///        whole batch costs one new slot;
///      - revocations are a per-root bitmap indexed by the credential's leaf index: 256 credentials per
///        word, so a bulk revocation writes each word once per run of indexes, and a verifier reads the
///        one word its credential sits in (`revocationWord`).
contract CredentialRegistry is ICredentialRegistry, AccessControlDefaultAdminRules {
    /// @notice Role allowed to add, suspend, reinstate and move issuers and to restore key windows.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice The delay between proposing a new admin and the new admin accepting (two-step transfer).
    uint48 public constant ADMIN_TRANSFER_DELAY = 3 days;

    /// @notice Maximum length of an issuer DID, in bytes.
    uint256 public constant MAX_DID_LENGTH = 512;

    /// @notice Maximum length of an issuer display name, in bytes.
    uint256 public constant MAX_NAME_LENGTH = 256;

    /// @notice Largest batch one root may cover. 65,536 leaves = 256 bitmap words: a verifier reads one
    ///         word for one credential, a batch verifier the whole bitmap in one `revocationBitmap`
    ///         call (256 storage reads, well under any node's eth_call gas cap), and Merkle paths have
    ///         at most 16 siblings. The issuer's own batch size is capped at the same value.
    uint32 public constant MAX_BATCH_SIZE = 65_536;

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

    /// @dev One slot: validFrom (64) + validUntil (64) + registeredAt (64) + exists (8).
    struct KeyRecord {
        uint64 validFrom;
        uint64 validUntil;
        uint64 registeredAt;
        bool exists;
    }

    /// @dev One slot: 64 + 64 + 32 + 32 = 192 bits. `anchoredAt == 0` means "not anchored" (block
    ///      timestamps are never 0 on a chain that has run).
    struct AnchorRecord {
        uint64 anchoredAt;
        uint64 blockNumber;
        uint32 count;
        uint32 revokedCount;
    }

    mapping(address account => IssuerRecord) private _issuers;
    /// @dev Current issuer accounts by id; the issuer with id `i` is at `_issuerAccounts[i - 1]`.
    address[] private _issuerAccounts;
    mapping(bytes32 didHash => address account) private _accountByDid;
    /// @dev Accounts an issuer was moved away from: never registered again.
    mapping(address account => bool) private _retiredAccounts;
    mapping(uint32 issuerId => mapping(bytes32 keyId => KeyRecord)) private _keys;
    mapping(uint32 issuerId => mapping(bytes32 root => AnchorRecord)) private _anchors;
    mapping(uint32 issuerId => mapping(bytes32 root => mapping(uint256 word => uint256 bits))) private _revoked;

    /// @notice Deploy the registry; `admin` gets the admin role (transferable in two steps, with
    ///         `ADMIN_TRANSFER_DELAY` between them) and the registrar role.
    /// @param admin The account that governs the registry (may grant the registrar role to others).
    constructor(address admin) AccessControlDefaultAdminRules(ADMIN_TRANSFER_DELAY, admin) {
        _grantRole(REGISTRAR_ROLE, admin);
    }

    /// @inheritdoc ICredentialRegistry
    function version() external pure override returns (uint256) {
        return 2;
    }

    // ------------------------------------------------------------------ governance

    /// @notice Accredit an institution: its Ethereum account, its DID and its display name.
    /// @dev Registrar only. The DID must start with "did:" and be at most 512 bytes; the name must be
    ///      non-empty and at most 256 bytes. An account and a DID can each be registered once; an
    ///      account an issuer was moved away from never again. Issuers get sequential ids from 1.
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
        if (_retiredAccounts[account]) revert AccountRetired(account);
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

    /// @notice Freeze an issuer: while suspended it can anchor, revoke, register or retire nothing.
    ///         Roots anchored before stay valid.
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

    /// @notice Let a suspended issuer act again.
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

    /// @notice Move an issuer to a new account: id, DID, name, status, roots, keys and revocations.
    /// @dev Registrar only. `from` must be a registered issuer (typically suspended after a compromise;
    ///      the status moves along, so governance reinstates the new account when ready); `to` must be
    ///      a fresh account. `from` is left unregistered and can never be registered again.
    /// @param from The issuer's current (compromised or lost) account.
    /// @param to The issuer's new account.
    function moveIssuer(address from, address to) external override onlyRole(REGISTRAR_ROLE) {
        if (to == address(0)) revert ZeroAddress();
        IssuerRecord storage old = _issuers[from];
        if (old.status == IssuerStatus.None) revert UnknownIssuer(from);
        if (_issuers[to].status != IssuerStatus.None) revert IssuerAlreadyRegistered(to);
        if (_retiredAccounts[to]) revert AccountRetired(to);

        uint32 id = old.id;
        IssuerRecord storage rec = _issuers[to];
        rec.status = old.status;
        rec.id = id;
        rec.registeredAt = old.registeredAt;
        rec.updatedAt = uint64(block.timestamp);
        rec.did = old.did;
        rec.name = old.name;
        _accountByDid[keccak256(bytes(old.did))] = to;
        _issuerAccounts[id - 1] = to;
        delete _issuers[from];
        _retiredAccounts[from] = true;

        emit IssuerMoved(id, from, to, msg.sender);
    }

    /// @notice Set a key's window back to what it should be, e.g. after a compromised account retired a
    ///         key that signed genuine credentials.
    /// @dev Registrar only. The key must exist; `validFrom` cannot precede the key's registration and
    ///      `validUntil` must be 0 or after `validFrom`. Works whatever the issuer's status.
    /// @param issuer The issuer's (current) account.
    /// @param keyId The key fingerprint.
    /// @param validFrom First second (inclusive) of validity; at least the key's `registeredAt`.
    /// @param validUntil First second no longer valid, or 0 for open-ended.
    function restoreKeyWindow(address issuer, bytes32 keyId, uint64 validFrom, uint64 validUntil)
        external
        override
        onlyRole(REGISTRAR_ROLE)
    {
        IssuerRecord storage rec = _issuers[issuer];
        if (rec.status == IssuerStatus.None) revert UnknownIssuer(issuer);
        KeyRecord storage key = _keys[rec.id][keyId];
        if (!key.exists) revert UnknownKey(keyId);
        if (validFrom < key.registeredAt || (validUntil != 0 && validUntil <= validFrom)) {
            revert InvalidValidityWindow(validFrom, validUntil);
        }
        key.validFrom = validFrom;
        key.validUntil = validUntil;
        emit KeyWindowRestored(issuer, keyId, validFrom, validUntil, msg.sender);
    }

    // ------------------------------------------------------------------ issuer keys

    /// @notice Register a signing key fingerprint (keccak256 of the multibase public key) valid from
    ///         `max(validFrom, block.timestamp)` until `validUntil` (unix seconds, 0 = open-ended).
    /// @dev Caller must be an active issuer. A key is never valid before it was registered: an earlier
    ///      `validFrom` is raised to the block time (so a key registered today cannot vouch for a
    ///      signature dated years ago). `validUntil` must be 0 or after the effective `validFrom`;
    ///      the same key id can be registered once per issuer.
    /// @param keyId The key fingerprint.
    /// @param validFrom Requested first second (inclusive) at which the key is valid.
    /// @param validUntil First second at which the key is no longer valid, or 0 for open-ended.
    function registerKey(bytes32 keyId, uint64 validFrom, uint64 validUntil) external override {
        uint32 id = _requireActiveIssuer(msg.sender);
        uint64 nowTs = uint64(block.timestamp);
        if (validFrom < nowTs) validFrom = nowTs;
        if (validUntil != 0 && validUntil <= validFrom) revert InvalidValidityWindow(validFrom, validUntil);
        KeyRecord storage key = _keys[id][keyId];
        if (key.exists) revert KeyAlreadyRegistered(keyId);
        key.validFrom = validFrom;
        key.validUntil = validUntil;
        key.registeredAt = nowTs;
        key.exists = true;
        emit KeyRegistered(msg.sender, keyId, validFrom, validUntil, nowTs);
    }

    /// @notice End a key's validity at `validUntil` (may be in the past, e.g. the time of a compromise).
    ///         The window can only shrink, never grow, and never below `validFrom`.
    /// @dev Caller must be an active issuer (a suspended account can change nothing; governance uses
    ///      `restoreKeyWindow` instead). `validUntil` must be non-zero, `>= validFrom` and, if the key
    ///      already has an end, strictly before it. `validUntil == validFrom` leaves the key valid at
    ///      no time at all.
    /// @param keyId The key fingerprint.
    /// @param validUntil The new end of validity (exclusive).
    function retireKey(bytes32 keyId, uint64 validUntil) external override {
        uint32 id = _requireActiveIssuer(msg.sender);
        KeyRecord storage key = _keys[id][keyId];
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

    /// @notice Anchor the Merkle root of a batch of `count` signed credentials under the caller's
    ///         issuer id. Caller must be an active issuer; it can anchor the same root only once.
    /// @dev Stores time, block number and count in one slot. Another issuer anchoring the same value
    ///      (e.g. a copied transaction) creates its own record and changes nothing of this one.
    /// @param root The batch's Merkle root (OpenZeppelin StandardMerkleTree layout).
    /// @param count The number of credentials (leaves) in the batch, 1 .. MAX_BATCH_SIZE.
    function anchor(bytes32 root, uint32 count) external override {
        uint32 issuerId = _requireActiveIssuer(msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH_SIZE) revert BatchTooLarge(count, MAX_BATCH_SIZE);
        AnchorRecord storage a = _anchors[issuerId][root];
        if (a.anchoredAt != 0) revert RootAlreadyAnchored(root);
        _anchors[issuerId][root] = AnchorRecord({
            anchoredAt: uint64(block.timestamp),
            blockNumber: uint64(block.number),
            count: count,
            revokedCount: 0
        });
        emit RootAnchored(root, msg.sender, issuerId, count);
    }

    /// @notice Revoke the credential at leaf `index` of the caller's `root`.
    /// @dev Active issuers only. A revoked credential stays revoked: revoking it again reverts
    ///      `AlreadyRevoked`. `UnknownRoot` if the caller never anchored `root`.
    /// @param root The batch root the credential was anchored under.
    /// @param index The credential's leaf index in the batch (`< count`).
    /// @param reason An application-defined reason code (emitted, not stored).
    function revoke(bytes32 root, uint256 index, uint8 reason) external override {
        uint32 issuerId = _requireActiveIssuer(msg.sender);
        AnchorRecord storage a = _anchors[issuerId][root];
        uint32 count = _requireRoot(a, root);
        if (index >= count) revert IndexOutOfRange(root, index, count);
        mapping(uint256 => uint256) storage bitmap = _revoked[issuerId][root];
        uint256 wordIndex = index >> 8;
        uint256 mask = uint256(1) << (index & 0xff);
        uint256 word = bitmap[wordIndex];
        if (word & mask != 0) revert AlreadyRevoked(root, index);
        bitmap[wordIndex] = word | mask;
        unchecked {
            // At most `count` distinct indexes can ever be set, so this cannot overflow.
            a.revokedCount += 1;
        }
        emit CredentialRevoked(root, issuerId, index, reason);
    }

    /// @notice Revoke many credentials of one of the caller's roots in one transaction (all or nothing).
    /// @dev Active issuers only. Reverts `EmptyBatch` for an empty list, `IndexOutOfRange` for an index
    ///      `>= count` and `AlreadyRevoked` for an index revoked before or listed twice. Each bitmap
    ///      word is written once per run of indexes falling in it, so sorted indexes are cheapest.
    ///      Emits one `CredentialsRevoked`.
    /// @param root The batch root the credentials were anchored under.
    /// @param indexes The leaf indexes to revoke.
    /// @param reason An application-defined reason code (emitted, not stored).
    function revokeBatch(bytes32 root, uint256[] calldata indexes, uint8 reason) external override {
        uint256 n = indexes.length;
        if (n == 0) revert EmptyBatch();
        uint32 issuerId = _requireActiveIssuer(msg.sender);
        AnchorRecord storage a = _anchors[issuerId][root];
        uint32 count = _requireRoot(a, root);
        mapping(uint256 => uint256) storage bitmap = _revoked[issuerId][root];

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
        emit CredentialsRevoked(root, issuerId, indexes, reason);
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
    /// @param issuer The issuer's (current) account.
    /// @param keyId The key fingerprint.
    function getKey(address issuer, bytes32 keyId) external view override returns (KeyView memory) {
        KeyRecord storage key = _keys[_issuers[issuer].id][keyId];
        return KeyView({
            exists: key.exists,
            validFrom: key.validFrom,
            validUntil: key.validUntil,
            registeredAt: key.registeredAt
        });
    }

    /// @notice Was `keyId` a valid signing key of `issuer` at unix time `at`?
    /// @dev True iff the key exists, `validFrom <= at` and (`validUntil == 0` or `at < validUntil`).
    ///      `validFrom` is never before the key's registration. Independent of the issuer's current
    ///      status (the verifier checks that separately).
    /// @param issuer The issuer's (current) account.
    /// @param keyId The key fingerprint.
    /// @param at Unix time in seconds.
    function isKeyValid(address issuer, bytes32 keyId, uint64 at) external view override returns (bool) {
        KeyRecord storage key = _keys[_issuers[issuer].id][keyId];
        return key.exists && key.validFrom <= at && (key.validUntil == 0 || at < key.validUntil);
    }

    /// @notice Everything a verifier needs about `issuer`'s root `root`, with the issuer's current
    ///         status, DID and name; `exists == false` and zero values if that issuer never anchored it.
    /// @param issuer The issuer's (current) account.
    /// @param root The batch root.
    function getAnchor(address issuer, bytes32 root) external view override returns (AnchorView memory v) {
        IssuerRecord storage rec = _issuers[issuer];
        if (rec.status == IssuerStatus.None) return v;
        AnchorRecord memory a = _anchors[rec.id][root];
        if (a.anchoredAt == 0) return v;
        v.exists = true;
        v.issuer = issuer;
        v.issuerStatus = rec.status;
        v.did = rec.did;
        v.name = rec.name;
        v.anchoredAt = a.anchoredAt;
        v.blockNumber = a.blockNumber;
        v.count = a.count;
        v.revokedCount = a.revokedCount;
    }

    /// @notice Is the credential at leaf `index` of `issuer`'s `root` revoked? False for unknown ones.
    /// @param issuer The issuer's (current) account.
    /// @param root The batch root.
    /// @param index The credential's leaf index.
    function isRevoked(address issuer, bytes32 root, uint256 index) external view override returns (bool) {
        return (_revoked[_issuers[issuer].id][root][index >> 8] >> (index & 0xff)) & 1 == 1;
    }

    /// @notice Word `wordIndex` of `issuer`'s `root` revocation bitmap (bit i = leaf 256 * wordIndex + i).
    /// @param issuer The issuer's (current) account.
    /// @param root The batch root.
    /// @param wordIndex The word (leaf index / 256).
    function revocationWord(address issuer, bytes32 root, uint256 wordIndex)
        external
        view
        override
        returns (uint256)
    {
        return _revoked[_issuers[issuer].id][root][wordIndex];
    }

    /// @notice The whole revocation bitmap of `issuer`'s `root`: `ceil(count / 256)` words (at most 256),
    ///         empty for an unknown root.
    /// @param issuer The issuer's (current) account.
    /// @param root The batch root.
    function revocationBitmap(address issuer, bytes32 root) external view override returns (uint256[] memory words) {
        uint32 id = _issuers[issuer].id;
        uint256 count = _anchors[id][root].count;
        uint256 n = (count + 255) >> 8;
        words = new uint256[](n);
        mapping(uint256 => uint256) storage bitmap = _revoked[id][root];
        for (uint256 i = 0; i < n; ++i) {
            words[i] = bitmap[i];
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

    /// @notice ERC-165: AccessControlDefaultAdminRules' interfaces plus `ICredentialRegistry`.
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

    /// @dev Reverts `UnknownRoot`; returns the root's credential count.
    function _requireRoot(AnchorRecord storage a, bytes32 root) private view returns (uint32) {
        if (a.anchoredAt == 0) revert UnknownRoot(root);
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
