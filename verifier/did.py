"""DID resolution for issuer keys: `did:key` and `did:jwk` offline, `did:web` over HTTPS or from a
local folder.

The verifier must know which keys an issuer DID controls, and for what: a signature counts only if
its verification method is listed under the DID document's `assertionMethod`. `did:key` documents
are computed from the identifier itself (no I/O). `did:web` documents are fetched from
`https://<host>/<path>/did.json` (or `/.well-known/did.json`) through the hardened fetcher, or
read from a folder of DID documents for offline and air-gapped verification. DID documents are
plain JSON here; they are not processed as JSON-LD.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from verifier import jsonsafe
from verifier.errors import InputError
from verifier.fetch import Fetcher, FetchError, FetchPolicy, default_fetcher
from verifier.multikey import MultikeyError
from verifier.public_keys import PublicKey, key_from_jwk, key_from_multibase, key_of_method
from verifier.ttl_cache import CachedFailure, TtlCache

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
MAX_DID_CHARS = 2048
"""Longer identifiers are refused unread (a DID is a host name and a path)."""
SUPPORTED_KEY_TYPES = ("Multikey", "Ed25519VerificationKey2020", "JsonWebKey2020", "JsonWebKey")
_DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%\-]+$")
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")


class DidResolutionError(InputError):
    """A DID or verification method cannot be resolved. `code` says why, for machines."""

    def __init__(self, message: str, code: str = "did_unresolvable") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class VerificationMethod:
    """One key of a DID document: `publicKeyMultibase` as published, or, for a key published as
    `publicKeyJwk`, the JWK (and, for an Ed25519 JWK, its Multikey form, which the registry
    fingerprints; "" for P-256)."""

    id: str
    type: str
    controller: str
    public_key_multibase: str
    public_key_jwk: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)

    @cached_property
    def key(self) -> PublicKey:
        """The public key (MultikeyError when malformed or of an unsupported kind)."""
        if self.public_key_jwk is not None:
            return key_of_method({"publicKeyJwk": self.public_key_jwk})
        return key_from_multibase(self.public_key_multibase)

    @cached_property
    def public_key(self) -> bytes:
        """The raw Ed25519 key (MultikeyError `wrong_key_type` for any other kind)."""
        return self.key.ed25519


@dataclass(frozen=True)
class DidDocument:
    """A resolved DID document, with its verification methods indexed by absolute id."""

    id: str
    document: Mapping[str, Any]
    methods: Mapping[str, VerificationMethod] = field(default_factory=dict)
    relationships: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def verification_method(self, method_id: str) -> VerificationMethod | None:
        """The verification method with this absolute id, if the document has it."""
        return self.methods.get(method_id)

    def authorizes(self, method_id: str, purpose: str = "assertionMethod") -> bool:
        """Whether the document lists the method under the verification relationship `purpose`."""
        return method_id in self.relationships.get(purpose, frozenset())

    @classmethod
    def from_json(cls, did: str, document: Any) -> DidDocument:
        """Check and index a DID document (plain JSON) that was obtained for `did`."""
        if not isinstance(document, dict):
            raise DidResolutionError(f"The DID document of {did} is not a JSON object.", "did_invalid")
        if document.get("id") != did:
            raise DidResolutionError(
                f"The DID document obtained for {did} describes {str(document.get('id'))[:100]!r} instead.",
                "did_invalid",
            )
        methods: dict[str, VerificationMethod] = {}
        relationships: dict[str, frozenset[str]] = {}

        def absolute(ref: str) -> str:
            return did + ref if ref.startswith("#") else ref

        def add(entry: Any) -> str | None:
            if isinstance(entry, str):
                return absolute(entry)
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                return None
            method_id = absolute(entry["id"])
            key = entry.get("publicKeyMultibase")
            jwk = entry.get("publicKeyJwk")
            if isinstance(jwk, dict) and key is None:
                try:  # an Ed25519 JWK is also known by its Multikey form (the registry's fingerprint)
                    key = key_of_method(entry).multibase or ""
                except MultikeyError:
                    key = ""  # `key` raises the precise error when the method is used
            else:
                jwk = None
            if isinstance(key, str) and isinstance(entry.get("type"), str):
                controller = entry.get("controller")
                methods[method_id] = VerificationMethod(
                    id=method_id,
                    type=entry["type"],
                    controller=controller if isinstance(controller, str) else "",
                    public_key_multibase=key,
                    public_key_jwk=jwk,
                )
            return method_id

        entries = document.get("verificationMethod", [])
        for entry in entries if isinstance(entries, list) else [entries]:
            add(entry)
        for purpose in (
            "assertionMethod",
            "authentication",
            "capabilityInvocation",
            "capabilityDelegation",
            "keyAgreement",
        ):
            refs = document.get(purpose, [])
            ids = [add(ref) for ref in (refs if isinstance(refs, list) else [refs])]
            relationships[purpose] = frozenset(i for i in ids if i)
        return cls(id=did, document=document, methods=methods, relationships=relationships)


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of an Ed25519 or P-256 `did:key` (Multikey form), computed from the DID alone."""
    if not isinstance(did, str) or not did.startswith("did:key:"):
        raise DidResolutionError(f"{did!r} is not a did:key identifier.", "did_invalid")
    fingerprint = did[len("did:key:") :]
    try:
        key_from_multibase(fingerprint)
    except MultikeyError as exc:
        raise DidResolutionError(
            f"The did:key {did} is not an Ed25519 or P-256 key: {exc}", getattr(exc, "code", "did_invalid")
        ) from exc
    method_id = f"{did}#{fingerprint}"
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": fingerprint}
        ],
        "authentication": [method_id],
        "assertionMethod": [method_id],
        "capabilityInvocation": [method_id],
        "capabilityDelegation": [method_id],
    }


def did_jwk_document(did: str) -> dict[str, Any]:
    """The DID document of a `did:jwk` (the did:jwk method: the identifier is the base64url of a
    public JWK, OKP Ed25519 or EC P-256), computed from the DID alone; the key is `#0`.
    DidResolutionError for anything else, or for a JWK holding a private part."""
    encoded = did[len("did:jwk:") :] if isinstance(did, str) and did.startswith("did:jwk:") else ""
    try:
        text = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
        jwk = jsonsafe.loads(text) if encoded else None
        key_from_jwk(jwk)
    except (ValueError, InputError, MultikeyError) as exc:
        raise DidResolutionError(
            f"{str(did)[:200]!r} is not a did:jwk of an Ed25519 or P-256 public key.", "did_invalid"
        ) from exc
    method_id = f"{did}#0"
    purposes = ["keyAgreement"] if jwk.get("use") == "enc" else [
        "authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"
    ]  # fmt: skip
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT, "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": dict(jwk)}
        ],
    }
    for purpose in purposes:
        document[purpose] = [method_id]
    return document


def did_web_url(did: str) -> str:
    """The HTTPS URL of a did:web document (did:web:host[:path...] -> https://host/path/did.json)."""
    if not isinstance(did, str) or not did.startswith("did:web:") or not _DID.match(did):
        raise DidResolutionError(f"{did!r} is not a did:web identifier.", "did_invalid")
    parts = did[len("did:web:") :].split(":")
    host = urllib.parse.unquote(parts[0])
    if not _HOST.match(host) or host.startswith((".", "-")):
        raise DidResolutionError(f"The did:web {did} does not name a valid host.", "did_invalid")
    path = [urllib.parse.unquote(p) for p in parts[1:]]
    if any(not p or "/" in p or p in (".", "..") for p in path):
        raise DidResolutionError(f"The did:web {did} has an invalid path.", "did_invalid")
    suffix = "/".join(urllib.parse.quote(p) for p in path) + "/did.json" if path else ".well-known/did.json"
    return f"https://{host}/{suffix}"


def split_did_url(did_url: str) -> tuple[str, str]:
    """(DID, fragment) of a DID URL such as `did:key:z6Mk...#z6Mk...` (fragment may be empty)."""
    did, _, fragment = did_url.partition("#")
    did = did.split("?", 1)[0]
    if not _DID.match(did):
        raise DidResolutionError(f"{did_url!r} is not a DID URL.", "did_invalid")
    return did, fragment


HttpGet = Callable[[str, float, int], bytes]
"""fetch(url, timeout_seconds, max_bytes) -> body; raises DidResolutionError."""


def fetcher_get(fetcher: Fetcher) -> HttpGet:
    """An `HttpGet` over the hardened fetcher: HTTPS only (redirects too), its deadline and size cap."""

    def get(url: str, timeout: float, max_bytes: int) -> bytes:
        try:
            body = fetcher.get(url, accept="application/did+json, application/json;q=0.9", https_only=True)
        except FetchError as exc:
            code = "did_too_large" if exc.code == "fetch_too_large" else "did_unresolvable"
            raise DidResolutionError(str(exc), code) from None
        if len(body) > max_bytes:
            raise DidResolutionError(
                f"The DID document at {url} is larger than {max_bytes} bytes.", "did_too_large"
            )
        return body

    return get


class DidResolver:
    """Resolves issuer DIDs. One resolver per configuration; it caches what it resolves.

    - `did_web_folder`: a folder of DID documents (any `*.json` below it, matched by their `id`),
      consulted before the network.
    - `allow_network`: fetch did:web documents over HTTPS when not found locally.
    - `timeout`, `max_bytes`: limits for each HTTPS fetch (and for local files' size).
    - `fetcher`: the hardened fetcher did:web documents are fetched with (`verifier.fetch`);
      a shared one with `timeout` and no allowed private origins by default.
    - `http_get`: replace the fetch entirely (the issuer's self-check hands over a known document).
    - `cache_size`, `cache_ttl`: resolved documents kept (at most that many, for that many seconds;
      None: no age limit); `failure_ttl`: how long a failure is remembered, so that a silent host
      named by a credential is asked once, not once per proof and per check.
    """

    def __init__(
        self,
        *,
        did_web_folder: str | Path | None = None,
        allow_network: bool = True,
        timeout: float = 5.0,
        max_bytes: int = 256 * 1024,
        http_get: HttpGet | None = None,
        cache_size: int = 1024,
        fetcher: Fetcher | None = None,
        cache_ttl: float | None = 300.0,
        failure_ttl: float = 30.0,
    ) -> None:
        self.did_web_folder = Path(did_web_folder) if did_web_folder is not None else None
        self.allow_network = allow_network
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._http_get = http_get or fetcher_get(
            fetcher or default_fetcher(FetchPolicy(timeout=timeout, max_bytes=max_bytes))
        )
        self._documents = TtlCache(cache_ttl, maxsize=cache_size)
        self._failures = TtlCache(failure_ttl, maxsize=cache_size)
        self._folder_index: dict[str, Path] | None = None

    def resolve(self, did: str) -> DidDocument:
        """The DID document of `did`, or DidResolutionError (a failure is remembered briefly)."""
        if not isinstance(did, str) or len(did) > MAX_DID_CHARS or not _DID.match(did):
            raise DidResolutionError(f"{str(did)[:100]!r} is not a DID.", "did_invalid")
        cached = self._documents.lookup(did)
        if cached is not None:
            return cached
        failure = self._failures.lookup(did)
        if failure is not None:
            raise DidResolutionError(failure.message, failure.code)
        try:
            document = self._resolve(did)
        except DidResolutionError as exc:
            self._failures.put(did, CachedFailure.of(exc, "did_unresolvable"))
            raise
        self._documents.put(did, document)
        return document

    def _resolve(self, did: str) -> DidDocument:
        if did.startswith("did:key:"):
            return DidDocument.from_json(did, did_key_document(did))
        if did.startswith("did:jwk:"):
            return DidDocument.from_json(did, did_jwk_document(did))
        if did.startswith("did:web:"):
            return DidDocument.from_json(did, self._web_document(did))
        method = did.split(":")[1]
        raise DidResolutionError(
            f"The DID method did:{method} is not supported (only did:key, did:jwk and did:web).",
            "did_method_unsupported",
        )

    def dereference(self, method_url: str) -> tuple[DidDocument, VerificationMethod]:
        """The DID document and the verification method a DID URL (`did...#fragment`) names."""
        if not isinstance(method_url, str):
            raise DidResolutionError("A verification method must be a DID URL string.", "did_invalid")
        did, fragment = split_did_url(method_url)
        if not fragment:
            raise DidResolutionError(
                f"The verification method {method_url!r} has no #fragment naming a key.", "did_invalid"
            )
        document = self.resolve(did)
        method = document.verification_method(method_url)
        if method is None:
            raise DidResolutionError(
                f"The DID document of {did} has no verification method {method_url}.",
                "verification_method_not_found",
            )
        if method.type not in SUPPORTED_KEY_TYPES:
            raise DidResolutionError(
                f"The verification method {method_url} is of type {method.type}, which MedCred does not "
                f"support ({', '.join(SUPPORTED_KEY_TYPES)}).",
                "wrong_key_type",
            )
        return document, method

    def _web_document(self, did: str) -> Any:
        url = did_web_url(did)
        local = self._local_path(did)
        if local is not None:
            return self._parse(local.read_bytes(), str(local), did)
        if not self.allow_network:
            raise DidResolutionError(
                f"The DID document of {did} is not in the local folder and network access is off.",
                "did_unresolvable",
            )
        return self._parse(self._http_get(url, self.timeout, self.max_bytes), url, did)

    def _parse(self, body: bytes, where: str, did: str) -> Any:
        if len(body) > self.max_bytes:
            raise DidResolutionError(
                f"The DID document at {where} is larger than {self.max_bytes} bytes.", "did_too_large"
            )
        try:
            return jsonsafe.loads(body)
        except (ValueError, RecursionError) as exc:
            raise DidResolutionError(
                f"The DID document of {did} at {where} is not JSON.", "did_invalid"
            ) from exc

    def _local_path(self, did: str) -> Path | None:
        if self.did_web_folder is None:
            return None
        if self._folder_index is None:
            index: dict[str, Path] = {}
            for path in sorted(self.did_web_folder.rglob("*.json")):
                try:
                    if path.stat().st_size > self.max_bytes:
                        continue
                    doc = jsonsafe.loads(path.read_bytes())
                except (OSError, ValueError, RecursionError):
                    continue
                if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                    index.setdefault(doc["id"], path)
            self._folder_index = index
        return self._folder_index.get(did)
