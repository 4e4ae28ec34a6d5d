"""Trust beyond registries: issuers the verifier's configuration trusts by name or by a published list.

MedCred's own issuers are trusted because a trusted registry accredits them (`[[registry]]`).
Other issuers, say a school that signs Open Badges with its did:web but anchors nowhere, can be
trusted two other ways, and only because the configuration says so:

    [[trusted_issuer]]            # one issuer, by DID
    did = "did:web:school.example"
    name = "Example School of Medicine"

    [[trust_list]]                # a published list of issuer DIDs: a file or an http(s) URL
    name = "Example accreditation list"
    source = "lists/accredited.json"   # relative to the configuration file

A trust list is JSON in one of two published shapes:

- the Digital Credentials Consortium's issuer registry (the "known issuer" registries its
  verifier and wallet read): `{"meta": {...}, "registry": {"<did>": {"name", "url", "location"}}}`
  (older copies say `"entries"` instead of `"registry"`);
- a plain list of issuers: `[{"id": "<did>", "name": "..."}, ...]`, or the same under `"issuers"`
  (`"did"` is accepted for `"id"`).

URLs are fetched through the hardened fetcher (`verifier.fetch`) and cached for the configured
TTL; a list that cannot be read is reported, never guessed at.

What this module decides (`TrustStore.decide`, called by the pipeline before the anchor check):

- an issuer registered on a trusted registry takes the registry's path: its credential must be
  anchored there (or be PENDING by the registry's rules), whatever the lists say;
- an issuer on no registry but trusted by a `[[trusted_issuer]]` or a list is trusted on that
  basis: the `trust` check passes and says so ("trusted by list X; not anchored on a registry"),
  the issuer's name shown is the one the list gives, and no anchor is required;
- an issuer trusted by nothing is INVALID, "issuer not trusted": the name the credential gives
  itself is never shown as confirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verifier import jsonsafe
from verifier.errors import InputError, MedCredError
from verifier.merkle import AnchorProof, find_anchor_proof
from verifier.report import CheckStatus, Report
from verifier.ttl_cache import TtlCache

if TYPE_CHECKING:  # config imports this module's parsers
    from verifier.config import VerifierConfig

MAX_LIST_BYTES = 4 * 1024 * 1024
ACCEPT = "application/json"
_DID_PREFIX = "did:"


class TrustConfigError(InputError):
    """A `[[trusted_issuer]]` or `[[trust_list]]` entry of the configuration is malformed."""


class TrustListError(MedCredError):
    """A trust list cannot be read or is not in a known format. `code` is the machine reason."""

    def __init__(self, message: str, code: str = "trust_list_invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class TrustedIssuer:
    """`[[trusted_issuer]]`: one issuer DID the configuration trusts, with the name to show."""

    did: str
    name: str


@dataclass(frozen=True)
class TrustListSource:
    """`[[trust_list]]`: a named list of trusted issuer DIDs, at a file path or an http(s) URL."""

    name: str
    source: str

    @property
    def is_url(self) -> bool:
        return self.source.startswith(("http://", "https://"))


@dataclass(frozen=True)
class TrustBasis:
    """Why an issuer is trusted without a registry: which entry of the configuration vouches for it."""

    kind: str
    """"trusted_issuer" or "trust_list"."""
    source_name: str
    """The list's name, or "your configuration" for a [[trusted_issuer]]."""
    issuer_name: str | None

    @property
    def phrase(self) -> str:
        """Lower-case phrase for sentences and reports, e.g. "trusted by list Example list"."""
        if self.kind == "trust_list":
            return f"trusted by list {self.source_name}"
        return "trusted by name in your configuration ([[trusted_issuer]])"


# ---------------------------------------------------------------------------- configuration


def _table_list(value: Any, table: str, where: str) -> list[dict[str, Any]]:
    entries = [value] if isinstance(value, dict) else value
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise TrustConfigError(f"{where}: each [[{table}]] must be a table.")
    return entries


def _text(entry: Mapping[str, Any], key: str, table: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TrustConfigError(f"{where}: a [[{table}]] needs a non-empty {key}.")
    return value.strip()


def parse_trusted_issuers(value: Any, where: str) -> tuple[TrustedIssuer, ...]:
    """The `[[trusted_issuer]]` tables (did, name); TrustConfigError names the bad entry."""
    out = []
    for entry in _table_list(value, "trusted_issuer", where):
        did = _text(entry, "did", "trusted_issuer", where)
        if not did.startswith(_DID_PREFIX):
            raise TrustConfigError(
                f"{where}: trusted_issuer {did!r} is not a DID (did:web:..., did:key:...)."
            )
        out.append(TrustedIssuer(did=did, name=_text(entry, "name", "trusted_issuer", where)))
    return tuple(out)


def parse_trust_lists(value: Any, where: str) -> tuple[TrustListSource, ...]:
    """The `[[trust_list]]` tables (name, source = file path or http(s) URL)."""
    out = []
    for entry in _table_list(value, "trust_list", where):
        name = _text(entry, "name", "trust_list", where)
        source = _text(entry, "source", "trust_list", where)
        if "://" in source and not source.startswith(("http://", "https://")):
            raise TrustConfigError(f"{where}: trust_list {name!r}: the source must be a file or http(s) URL.")
        out.append(TrustListSource(name=name, source=source))
    return tuple(out)


# ---------------------------------------------------------------------------- list formats


def _entry_name(entry: Any) -> str | None:
    if isinstance(entry, Mapping):
        name = entry.get("name")
        return name.strip() if isinstance(name, str) and name.strip() else None
    return None


def parse_trust_list(data: bytes, list_name: str) -> dict[str, str | None]:
    """The issuers of a trust list, DID -> the name the list gives (None if it gives none).

    Reads the DCC issuer registry format (`registry` or `entries` keyed by DID) and a plain list of
    `{"id"|"did", "name"}` objects (top level or under `issuers`). Raises TrustListError.
    """
    try:
        document = jsonsafe.loads(jsonsafe.strip_bom(data))
    except (ValueError, RecursionError, InputError) as exc:
        raise TrustListError(f"the trust list {list_name} is not valid JSON") from exc
    issuers: dict[str, str | None] = {}
    keyed = None
    if isinstance(document, Mapping):
        keyed = document.get("registry", document.get("entries"))
    if isinstance(keyed, Mapping):  # DCC issuer registry
        for did, entry in keyed.items():
            if isinstance(did, str) and did.startswith(_DID_PREFIX):
                issuers[did] = _entry_name(entry)
        return issuers
    listed = document.get("issuers") if isinstance(document, Mapping) else document
    if not isinstance(listed, list):
        raise TrustListError(
            f"the trust list {list_name} is in no known format (a DCC issuer registry, or a list of "
            "issuers with id and name)",
            "trust_list_format",
        )
    for entry in listed:
        did = entry.get("id", entry.get("did")) if isinstance(entry, Mapping) else entry
        if isinstance(did, str) and did.startswith(_DID_PREFIX):
            issuers[did] = _entry_name(entry)
    return issuers


# ---------------------------------------------------------------------------- the store


class TrustStore:
    """The issuers a configuration trusts without a registry, with its lists loaded lazily and
    cached for `ttl_seconds` (None: for the life of the store, e.g. one batch).

    `fetch(url) -> bytes` reads URLs (the hardened fetcher's `get`); relative file sources are
    taken from `base_dir` (the configuration file's folder).
    """

    def __init__(
        self,
        trusted_issuers: Iterable[TrustedIssuer] = (),
        trust_lists: Iterable[TrustListSource] = (),
        *,
        base_dir: Path | None = None,
        fetch: Callable[[str], bytes] | None = None,
        ttl_seconds: float | None = None,
    ) -> None:
        self.trusted_issuers = {t.did: t for t in trusted_issuers}
        self.trust_lists = tuple(trust_lists)
        self._base = base_dir or Path.cwd()
        self._fetch = fetch
        self._lists = TtlCache(ttl_seconds)

    @property
    def empty(self) -> bool:
        """Whether nothing is trusted this way (then only registries are)."""
        return not self.trusted_issuers and not self.trust_lists

    def _load(self, source: TrustListSource) -> dict[str, str | None] | TrustListError:
        try:
            if source.is_url:
                if self._fetch is None:
                    raise TrustListError(
                        f"the trust list {source.name} cannot be fetched", "trust_list_unreachable"
                    )
                data = self._fetch(source.source)
            else:
                path = Path(source.source)
                path = path if path.is_absolute() else self._base / path
                if path.stat().st_size > MAX_LIST_BYTES:
                    raise TrustListError(f"the trust list {source.name} is over {MAX_LIST_BYTES:,} bytes")
                data = path.read_bytes()
            return parse_trust_list(data, source.name)
        except TrustListError as exc:
            return exc
        except OSError as exc:
            reason = exc.strerror or exc
            return TrustListError(
                f"the trust list {source.name} cannot be read ({reason})", "trust_list_unreachable"
            )
        except MedCredError as exc:  # the fetcher's FetchError: a sentence that echoes nothing
            message = f"the trust list {source.name} cannot be fetched: {exc}"
            return TrustListError(message, "trust_list_unreachable")

    def lookup(self, did: str) -> tuple[TrustBasis | None, list[TrustListError]]:
        """Who vouches for `did` (a [[trusted_issuer]] first, then the lists in order), and the
        lists that could not be read (they vouch for nobody)."""
        named = self.trusted_issuers.get(did)
        if named is not None:
            return TrustBasis("trusted_issuer", "your configuration", named.name), []
        errors = []
        for source in self.trust_lists:
            loaded = self._lists.get(source, lambda s=source: self._load(s))
            if isinstance(loaded, TrustListError):
                errors.append(loaded)
            elif did in loaded:
                return TrustBasis("trust_list", source.name, loaded[did]), errors
        return None, errors

    # ------------------------------------------------------------------ the pipeline step

    def decide(
        self,
        credential: Mapping[str, Any],
        report: Report,
        did: str | None,
        on_registry: Callable[[str], bool],
        registry_trusted: Callable[[int, str], bool] = lambda _chain, _address: False,
    ) -> bool:
        """Record the `trust` check; True when the credential must take the registry's path
        (anchor, or PENDING), False when trust is settled here (a list vouches, or nobody does).

        `on_registry(did)` says whether a trusted registry has the issuer registered;
        `registry_trusted(chain_id, address)` whether the configuration trusts a registry.
        """
        if did is None:
            return True  # the issuer check has failed already; the anchor check reports the rest
        if on_registry(did):
            return True
        basis, errors = self.lookup(did)
        for error in errors:
            report.add(
                "trust_list", CheckStatus.WARN, error.code, f"A trust list could not be used: {error}."
            )
        claimed = report.summary.issuer_name
        anchor = _anchor_of(credential)
        if basis is None:
            calls = f", calling itself {claimed}," if claimed else ""
            where = ""
            if anchor is not None and not registry_trusted(anchor.chain_id, anchor.registry):
                where = (
                    f" It is anchored on a registry you do not trust ({anchor.registry} on {anchor.chain})."
                )
            report.add(
                "trust", CheckStatus.FAIL, "issuer_not_trusted",
                f"Issuer not trusted: {did}{calls} is on no registry, list or trusted issuer of your "
                f"configuration.{where}",
            )  # fmt: skip
            report.summary.trust = "not trusted"
            return False
        report.summary.issuer_name = basis.issuer_name or claimed
        anchored = anchor is not None
        where = (
            "its anchor names a registry you do not trust, so it was not checked"
            if anchored
            else "not anchored on a registry"
        )
        shown = basis.issuer_name or did
        report.add(
            "trust", CheckStatus.PASS, "trusted_" + basis.kind,
            f"{shown} is {basis.phrase}; {where}.", basis=basis.kind, source=basis.source_name,
        )  # fmt: skip
        report.summary.trust = f"{basis.phrase}; {where}"
        return False


def _anchor_of(credential: Mapping[str, Any]) -> AnchorProof | None:
    try:
        return find_anchor_proof(credential)
    except MedCredError:
        return None


def registry_basis(report: Report) -> None:
    """After the registry's path: name what the trust rests on, if the anchor check passed."""
    anchor = report.check("anchor")
    if report.summary.trust is None and anchor is not None and anchor.status is CheckStatus.PASS:
        report.summary.trust = "anchored on a trusted registry: " + anchor.message.rstrip(".")


def store_for(config: VerifierConfig, fetch: Callable[[str], bytes] | None) -> TrustStore:
    """The TrustStore of a configuration (its trusted issuers, trust lists, folder and cache TTL)."""
    return TrustStore(
        config.trusted_issuers,
        config.trust_lists,
        base_dir=config.source.parent if config.source else None,
        fetch=fetch,
        ttl_seconds=config.cache_ttl_seconds,
    )
