"""The verification pipeline: one credential in, a `Report` out.

parse -> schema -> issuer DID -> signature -> anchor (Merkle path, trusted registry, accredited
issuer, signing key valid at anchor time) -> revocation (registry, status list) -> validity period
-> optional recipient. A credential without an anchor proof is never VALID on its own word: the
issuer's current copy at its `id` decides between its anchor proof, PENDING and INVALID
(verifier/pending.py). Every step records a check and none raises: a verifier reports on hostile
files, it does not crash on them. The CLI, the batch command and the web page all call
`Verifier.verify`, so they can never disagree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from verifier import status_list, vc_jwt
from verifier.chain.provider import connect_rpc
from verifier.chain.registry_reader import IssuerInfo, IssuerStatus, RegistryReader
from verifier.config import TrustedRegistry, VerifierConfig
from verifier.data_integrity import SIGNATURE_PROOF_TYPES, issuer_id, proofs_of, verify_proofs
from verifier.dates import human_date, signed_at
from verifier.did import DidResolutionError, DidResolver
from verifier.errors import ChainError, MedCredError
from verifier.guards import check_limits, nobody_vouches, signature_held
from verifier.identity import recipient_matches
from verifier.jsonld_loader import default_loader
from verifier.jsonsafe import MAX_DEPTH, deeper_than
from verifier.merkle import AnchorProof, check_inclusion, find_anchor_proof
from verifier.multikey import key_fingerprint
from verifier.parsing import ParsedInput, ParseFailure, parse_input, unwrap_enveloped
from verifier.pending import CopyState, ask_issuer
from verifier.report import CheckStatus, Report
from verifier.schema import check_schema, parse_datetime, validity_period
from verifier.signatures import check_signature
from verifier.status_check import check_credential_status, entries_of
from verifier.trust import registry_basis, store_for
from verifier.ttl_cache import CachedFailure, TtlCache
from verifier.vc_jwt import DecodedJwt

PASS, FAIL, WARN, SKIPPED = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.SKIPPED
STATUS_LIST_CACHE_SIZE = 256
"""Status lists (or their failures) remembered per Verifier: lists are up to 4 MiB each."""
MAX_CREDENTIAL_BYTES = 2 * 1024 * 1024
CLOCK_SKEW = timedelta(minutes=5)
"""How far a signature's `created` may lie ahead of the verifier's clock, or of the block time of
its anchor, before the date counts as false: clocks of issuers, nodes and verifiers differ a little."""

REVOCATION_REASONS = {
    0: "no reason given",
    1: "issued in error",
    2: "superseded",
    3: "misconduct",
    4: "key compromise",
    5: "withdrawn",
}


def _date(moment: datetime) -> str:
    return moment.strftime("%d %B %Y").lstrip("0")


def _timestamp(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Anchored(NamedTuple):
    """A credential found on a trusted registry: the reader, the issuer account whose record holds
    its root (roots belong to issuers), and its anchor proof."""

    reader: RegistryReader
    account: str
    anchor: AnchorProof


class Verifier:
    """Verifies credentials against one trust configuration, caching chain reads and DIDs.

    One instance per batch (or per server process): the registry readers cache per root, per issuer
    and per key, the DID resolver per DID, and status lists per URL.
    """

    def __init__(
        self,
        config: VerifierConfig,
        *,
        now: Callable[[], datetime] | None = None,
        resolver: DidResolver | None = None,
        status_list_fetcher: Callable[[str], Mapping[str, Any] | DecodedJwt] | None = None,
    ) -> None:
        self.config = config
        self._now = now or (lambda: datetime.now(UTC))
        self.fetcher = config.fetcher()
        self.resolver = resolver or DidResolver(
            did_web_folder=config.did_web_folder,
            allow_network=config.did_web,
            timeout=config.timeout,
            fetcher=self.fetcher,
        )
        self.loader = default_loader()
        self._readers: dict[tuple[int, str], RegistryReader] = {}
        self._lock = threading.Lock()
        self._status_lists = TtlCache(config.cache_ttl_seconds, maxsize=STATUS_LIST_CACHE_SIZE)
        self._fetch_status_list = status_list_fetcher
        self.trust = store_for(config, self.fetcher.get)

    # ------------------------------------------------------------------ entry points

    def verify_bytes(
        self, data: bytes | str, *, recipient: str | None = None, source: str | None = None
    ) -> Report:
        """Parse JSON text, then verify it. Size, depth and shape problems are a failed parse check."""
        report = Report(source=source)
        parsed = self._parse(data, report)
        if parsed is None:
            return report
        return self._verify(parsed.document, report, recipient, jwt=parsed.jwt)

    def verify(self, credential: Any, *, recipient: str | None = None, source: str | None = None) -> Report:
        """Verify an already parsed credential."""
        report = Report(source=source)
        if not isinstance(credential, dict):
            kind = "a list" if isinstance(credential, list) else type(credential).__name__
            report.add(
                "parse", FAIL, "not_an_object", f"Expected one credential (a JSON object), found {kind}."
            )
            return report
        if deeper_than(credential, MAX_DEPTH):  # the depth verify_bytes refuses, measured alike
            report.add("parse", FAIL, "too_deep", f"The file is nested more than {MAX_DEPTH} levels deep.")
            return report
        try:
            parsed = unwrap_enveloped(credential)
        except ParseFailure as exc:
            report.add("parse", FAIL, exc.code, str(exc))
            return report
        report.add("parse", PASS, "ok", "The file is a well-formed credential document.")
        return self._verify(parsed.document, report, recipient, jwt=parsed.jwt)

    # ------------------------------------------------------------------ steps

    def _parse(self, data: bytes | str, report: Report) -> ParsedInput | None:
        try:
            parsed = parse_input(data, max_bytes=MAX_CREDENTIAL_BYTES)
        except ParseFailure as exc:
            report.add("parse", FAIL, exc.code, str(exc))
            return None
        form = "credential secured as a JWT" if parsed.jwt is not None else "well-formed credential document"
        report.add("parse", PASS, "ok", f"The file is a {form}.")
        return parsed

    def _verify(
        self, credential: dict[str, Any], report: Report, recipient: str | None, jwt: DecodedJwt | None = None
    ) -> Report:
        if not check_limits(credential, report):  # structural limits, before any cryptography
            return report
        self._summarize(credential, report)
        self._check_schema(credential, report)
        signature = Report()  # checked first, reported after the issuer (the report's order)
        signed_by = self._check_signature(credential, signature, jwt)
        did = self._check_issuer_did(credential, report, lookup=signed_by is not None)
        report.checks.extend(signature.checks)
        if signed_by is not None and not self._check_signature_date(credential, report, signed_by):
            signed_by = None  # a false date: nothing downstream may rely on this signature
        anchor = None
        unanswered: list[str] = []  # registries that could not be asked whether they know the issuer
        if self.trust.decide(
            credential, report, did,
            on_registry=lambda d: self._accredited(d, unanswered) is not None,
            registry_trusted=lambda chain, address: self.config.find_registry(chain, address) is not None,
        ):  # fmt: skip
            anchor = self._check_anchor(credential, report, did, signed_by)
            registry_basis(report)
        unknown = nobody_vouches(report, every_source_answered=not unanswered)
        self._check_revocation(credential, report, anchor, issuer_unknown=unknown)
        self._check_validity(credential, report)
        if recipient is not None:
            self._check_recipient(credential, report, recipient)
        return report

    def _summarize(self, credential: Mapping[str, Any], report: Report) -> None:
        summary = report.summary
        summary.credential_id = _str(credential.get("id"))
        issuer = credential.get("issuer")
        summary.issuer_did = issuer_id(credential)
        if isinstance(issuer, Mapping):
            summary.issuer_name = _str(issuer.get("name"))
        subject = credential.get("credentialSubject")
        if isinstance(subject, Mapping):
            summary.holder_name = _str(subject.get("name"))
            achievement = subject.get("achievement")
            if isinstance(achievement, Mapping):
                summary.achievement = _str(achievement.get("name"))
                summary.achievement_type = _str(achievement.get("achievementType"))
            identifiers = subject.get("identifier")
            if isinstance(identifiers, list) and identifiers and isinstance(identifiers[0], Mapping):
                summary.recipient_hash = _str(identifiers[0].get("identityHash"))
        start, end = validity_period(credential)
        summary.valid_from, summary.valid_until = _str(start), _str(end)
        summary.issued = signed_at(credential)

    def _check_schema(self, credential: Mapping[str, Any], report: Report) -> None:
        result = check_schema(credential)
        if result.valid:
            report.add("schema", PASS, "ok", "The credential has the Open Badges 3.0 structure.")
        else:
            report.add(
                "schema", FAIL, result.code,
                "The credential does not have the required Open Badges 3.0 structure: " + result.errors[0],
                errors=list(result.errors),
            )  # fmt: skip

    def _check_issuer_did(self, credential: Mapping[str, Any], report: Report, *, lookup: bool) -> str | None:
        did = issuer_id(credential)
        if did is None:
            report.add("issuer", FAIL, "issuer_missing", "The credential does not say who issued it.")
            return None
        if not lookup and not did.startswith("did:key:"):  # network (did:web) only once signed
            report.add("issuer", SKIPPED, "not_looked_up", "The issuer's identity was not looked up: "
                       "the credential's signature does not hold.")  # fmt: skip
            return did
        try:
            self.resolver.resolve(did)
        except DidResolutionError as exc:
            report.add("issuer", FAIL, exc.code, f"The issuer's identity could not be confirmed: {exc}")
            return did
        # No name here: the one the credential gives itself is confirmed only by a registry or list.
        report.add("issuer", PASS, "ok", f"The issuer's identity {did} resolves.", did=did)
        return did

    def _check_signature(
        self, credential: Mapping[str, Any], report: Report, jwt: DecodedJwt | None = None
    ) -> str | None:
        result = check_signature(credential, jwt, resolver=self.resolver, loader=self.loader)
        if not result.verified:
            message = result.message
            if result.code == "proof_missing":
                message = "The credential carries no digital signature."
            report.add("signature", FAIL, result.code, message)
            return None
        report.add("signature", PASS, "ok", "The issuer's digital signature is intact: nothing was altered.")
        methods = [p.verification_method for p in result.proofs if p.verification_method]
        return methods[0] if methods else None

    def _check_signature_date(self, credential: Mapping[str, Any], report: Report, method: str) -> bool:
        """A signature dated in the future (beyond CLOCK_SKEW) never ages into a valid one: INVALID."""
        signed_at = _signed_at(credential, method)
        if signed_at is not None and signed_at > self._now() + CLOCK_SKEW:
            report.add(
                "signature_date", FAIL, "created_in_future",
                f"The signature is dated {_timestamp(int(signed_at.timestamp()))}, in the future: "
                "the date is false.",
            )  # fmt: skip
            return False
        return True

    def _reader(self, registry: TrustedRegistry) -> RegistryReader:
        key = (registry.chain_id, registry.address)
        with self._lock:
            reader = self._readers.get(key)
            if reader is None:
                w3 = registry.w3 or connect_rpc(registry.rpc_url or "", timeout=self.config.timeout)
                reader = RegistryReader(
                    w3,
                    registry.address,
                    chain_id=registry.chain_id,
                    ttl_seconds=self.config.cache_ttl_seconds,
                )
                self._readers[key] = reader
        return reader

    def _check_anchor(
        self, credential: Mapping[str, Any], report: Report, did: str | None, method: str | None
    ) -> Anchored | None:
        """The credential's root is on a trusted registry, anchored by its issuer with a valid key."""
        try:
            anchor = find_anchor_proof(credential)
        except MedCredError as exc:
            report.add(
                "anchor",
                FAIL,
                getattr(exc, "code", "anchor_malformed"),
                f"The anchor record is malformed: {exc}",
            )
            return None
        if anchor is None:
            return self._check_pending(credential, report, did, method)
        summary = report.summary
        summary.chain, summary.registry = anchor.chain, anchor.registry
        summary.transaction_hash = "0x" + anchor.transaction_hash.hex()
        summary.block_number = anchor.block_number
        inclusion = check_inclusion(credential, anchor)
        if not inclusion.included:
            report.add(
                "anchor", FAIL, inclusion.code,
                "The credential does not match the batch its anchor record points to: "
                f"it was altered after anchoring. ({inclusion.message})",
            )  # fmt: skip
            return None
        trusted = self.config.find_registry(anchor.chain_id, anchor.registry)
        if trusted is None:
            report.add(
                "anchor", FAIL, "registry_untrusted",
                "The credential is anchored on a registry you do not trust "
                f"({anchor.registry} on {anchor.chain}).",
            )  # fmt: skip
            return None
        try:
            reader = self._reader(trusted)
            # A root belongs to the issuer that anchored it: look it up under the credential's own
            # issuer only. The same value anchored by anybody else is their record, not this one's.
            issuer = reader.issuer_by_did(did) if did is not None else None
            if issuer is None or not issuer.registered:
                report.add(
                    "anchor", FAIL, "issuer_not_registered",
                    f"The credential's issuer is not an accredited issuer on {trusted.name}.",
                )  # fmt: skip
                return None
            root = reader.anchor(issuer.account, anchor.merkle_root)
            if not root.exists:
                report.add(
                    "anchor", FAIL, "root_not_anchored",
                    f"The batch this credential belongs to is not recorded by {issuer.name} on "
                    f"{trusted.name}.",
                )  # fmt: skip
                return None
            if root.block_number != anchor.block_number:
                report.add(
                    "anchor", FAIL, "anchor_block_mismatch",
                    f"The anchor record names block {anchor.block_number}, but the registry "
                    f"recorded the batch in block {root.block_number}.",
                )  # fmt: skip
                return None
            # transactionHash and created are outside every signature and Merkle leaf: the page shows
            # them, so they must be what the chain recorded, not whatever the file says.
            recorded_tx = reader.anchor_transaction(issuer.account, anchor.merkle_root, root.block_number)
            if recorded_tx != anchor.transaction_hash:
                report.add(
                    "anchor", FAIL, "anchor_transaction_mismatch",
                    "The anchor record names a transaction that did not record this batch.",
                )  # fmt: skip
                return None
            if parse_datetime(anchor.created) != datetime.fromtimestamp(root.anchored_at, UTC):
                report.add(
                    "anchor", FAIL, "anchor_time_mismatch",
                    f"The anchor record says {anchor.created}, but the registry recorded the batch "
                    f"at {_timestamp(root.anchored_at)}.",
                )  # fmt: skip
                return None
            if anchor.leaf_index >= root.count:
                report.add(
                    "anchor", FAIL, "leaf_out_of_range", "The credential's position is outside its batch."
                )
                return None
            summary.anchored_at = _timestamp(root.anchored_at)
            summary.issuer_registry_status = root.issuer_status.label
            signed_at = _signed_at(credential, method) if method else None
            latest = root.anchored_at + CLOCK_SKEW.total_seconds()
            if signed_at is not None and signed_at.timestamp() > latest:
                report.add(
                    "anchor", FAIL, "signed_after_anchoring",
                    f"The signature says it was made on {_timestamp(int(signed_at.timestamp()))}, after "
                    f"the batch was recorded ({_timestamp(root.anchored_at)}): the dates are false.",
                )  # fmt: skip
                return None
            report.add(
                "anchor", PASS, "ok",
                f"Recorded on {trusted.name} on {_date(datetime.fromtimestamp(root.anchored_at, UTC))}.",
                block=root.block_number,
            )  # fmt: skip
            self._check_accreditation(
                report, reader, root.issuer, root.name, root.issuer_status, method, root.anchored_at,
                signed_at,
            )  # fmt: skip
        except ChainError as exc:
            report.add("anchor", FAIL, "registry_unreachable", f"The registry could not be consulted: {exc}")
            return None
        return Anchored(reader, issuer.account, anchor)

    def _check_accreditation(
        self,
        report: Report,
        reader: RegistryReader,
        account: str,
        name: str,
        status: IssuerStatus,
        method: str | None,
        at: int,
        signed_at: datetime | None = None,
    ) -> None:
        report.summary.issuer_name = name or report.summary.issuer_name
        if status is IssuerStatus.SUSPENDED:
            report.add(
                "accreditation", WARN, "issuer_suspended",
                f"{name} was accredited when it issued this credential but is suspended now.",
            )  # fmt: skip
        else:
            report.add("accreditation", PASS, "ok", f"{name} is an accredited issuer on the registry.")
        self._check_key(report, reader, account, method, at, "when the credential was anchored", signed_at)

    def _check_key(
        self,
        report: Report,
        reader: RegistryReader,
        account: str,
        method: str | None,
        at: int,
        when: str,
        signed_at: datetime | None = None,
    ) -> bool:
        """The signing key was the issuer's at `at` and, when given, at the signature's own date."""
        if method is None:
            report.add(
                "signing_key", SKIPPED, "no_valid_signature", "No valid signature to match a key against."
            )
            return False
        try:
            _, vm = self.resolver.dereference(method)
            fingerprint = key_fingerprint(vm.public_key_multibase)
        except MedCredError as exc:
            report.add(
                "signing_key", FAIL, "key_unresolvable", f"The signing key could not be identified: {exc}"
            )
            return False
        key = reader.key(account, fingerprint)
        if signed_at is not None and key.exists and int(signed_at.timestamp()) < key.registered_at:
            report.add(
                "signing_key", FAIL, "signed_before_key_registered",
                f"The signature is dated {_date(signed_at)}, before its key was registered "
                f"({_date(datetime.fromtimestamp(key.registered_at, UTC))}): the date is false.",
            )  # fmt: skip
            return False
        if signed_at is not None and not key.valid_at(int(signed_at.timestamp())):
            report.add(
                "signing_key", FAIL, "key_not_valid",
                "The key that signed this credential was not registered as valid for the issuer "
                f"when it signed ({_date(signed_at)}).",
            )  # fmt: skip
            return False
        if not key.valid_at(at):
            report.add(
                "signing_key", FAIL, "key_not_valid",
                f"The key that signed this credential was not registered as valid for the issuer {when}.",
            )  # fmt: skip
            return False
        report.add("signing_key", PASS, "ok", f"The signing key was registered to the issuer {when}.")
        return True

    def _accredited(
        self, did: str, unanswered: list[str] | None = None
    ) -> tuple[TrustedRegistry, RegistryReader, IssuerInfo] | None:
        """The first trusted registry on which `did` is a registered issuer (active or suspended);
        the registries that could not be asked are appended to `unanswered` when given."""
        for trusted in self.config.registries:
            try:
                reader = self._reader(trusted)
                issuer = reader.issuer_by_did(did)
            except ChainError:
                if unanswered is not None:
                    unanswered.append(trusted.name)
                continue
            if issuer.registered:
                return trusted, reader, issuer
        return None

    def _check_pending(
        self, credential: Mapping[str, Any], report: Report, did: str | None, method: str | None
    ) -> Anchored | None:
        """No anchor proof in the file: never VALID on its own word (see verifier/pending.py).

        The issuer must be on a trusted registry first (no fetch for anybody else); then the issuer's
        current copy decides: its anchor proof is checked as if the file carried it, or the verdict
        is PENDING (same credential, not anchored yet) or INVALID (unknown, differs, unreachable).
        """
        if did is None or method is None:
            report.add("anchor", FAIL, "anchor_missing", "The credential is not anchored on any registry.")
            return None
        signed_at = _signed_at(credential, method)
        if signed_at is None:
            report.add(
                "anchor", FAIL, "anchor_missing",
                "The credential is not anchored on any registry and does not say when it was signed.",
            )  # fmt: skip
            return None
        found = self._accredited(did)
        if found is None:
            report.add(
                "anchor", FAIL, "anchor_missing",
                "The credential is not anchored on a registry you trust, and its issuer is not "
                "accredited there.",
            )  # fmt: skip
            return None
        trusted, reader, issuer = found
        copy = ask_issuer(
            credential,
            self.fetcher,
            max_bytes=MAX_CREDENTIAL_BYTES,
            allow_network=self.config.fetch_credentials,
        )
        if copy.state is CopyState.ANCHORED and copy.document is not None:
            report.add("issuer_copy", PASS, copy.code, copy.message)
            return self._check_anchor(copy.document, report, did, method)
        if copy.state is not CopyState.PENDING:
            report.add("anchor", FAIL, copy.code, copy.message)
            return None
        report.summary.issuer_name = issuer.name or report.summary.issuer_name
        report.summary.issuer_registry_status = issuer.status.label
        if issuer.status is not IssuerStatus.ACTIVE:
            report.add(
                "anchor", FAIL, "issuer_suspended",
                f"The credential is not anchored, and {issuer.name} is suspended on {trusted.name}: "
                "it cannot record credentials now.",
            )  # fmt: skip
            return None
        report.add(
            "anchor", CheckStatus.PENDING, "anchor_pending",
            f"Signed by {issuer.name}, which confirms it, but not yet recorded on the registry. "
            "Check again in a few minutes for the full verification.",
        )  # fmt: skip
        report.add("accreditation", PASS, "ok", f"{issuer.name} is an accredited issuer on {trusted.name}.")
        # Once anchored, the key must still be valid at the anchor's time: it must not have been
        # retired since signing. (Not before the signature: a chain's clock may run a little ahead.)
        now = max(int(self._now().timestamp()), int(signed_at.timestamp()))
        self._check_key(report, reader, issuer.account, method, now, "now", signed_at)
        return None

    def _check_revocation(
        self,
        credential: Mapping[str, Any],
        report: Report,
        anchored: Anchored | None,
        *,
        issuer_unknown: bool,
    ) -> None:
        if anchored is not None:
            reader, account, anchor = anchored
            try:
                revoked = reader.is_revoked(account, anchor.merkle_root, anchor.leaf_index)
                details = (
                    reader.revocation(account, anchor.merkle_root, anchor.leaf_index) if revoked else None
                )
            except ChainError as exc:
                report.add(
                    "revocation", FAIL, "registry_unreachable", f"Revocation could not be checked: {exc}"
                )
                return
            if revoked:
                reason = (
                    REVOCATION_REASONS.get(details.reason, "no reason given")
                    if details
                    else "no reason given"
                )
                when = ""
                extra: dict[str, Any] = {}
                if details is not None:
                    try:
                        moment = datetime.fromtimestamp(reader.block_time(details.block_number), UTC)
                    except ChainError:
                        moment = None
                    if moment is not None:
                        extra["revoked_at"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
                        when = f" on {human_date(moment)}"
                report.add(
                    "revocation",
                    FAIL,
                    "revoked",
                    f"The issuer revoked this credential{when} ({reason}).",
                    **extra,
                )
                return
            report.add("revocation", PASS, "ok", "The issuer has not revoked this credential.")
        self._check_status_list(credential, report, issuer_unknown=issuer_unknown)

    def _check_status_list(
        self, credential: Mapping[str, Any], report: Report, *, issuer_unknown: bool
    ) -> None:
        """Every credentialStatus entry (`verifier.status_check`), each list fetched once per TTL."""
        if not entries_of(credential):
            return
        if not self.config.status_list:
            report.add(
                "status_list", SKIPPED, "disabled", "The issuer's status list was not consulted (offline)."
            )
            return
        if not signature_held(report):  # nothing is fetched for a credential whose signature failed
            why = "The issuer's status list was not fetched: the credential's signature does not hold."
            report.add("status_list", SKIPPED, "not_fetched", why)
            return
        if issuer_unknown:  # nor for one whose issuer nobody vouches for
            why = "The issuer's status list was not fetched: nothing you trust knows the issuer."
            report.add("status_list", SKIPPED, "not_fetched", why)
            return
        issuer = issuer_id(credential)
        for outcome in check_credential_status(credential, lambda url: self._status_list(url, issuer)):
            report.add("status_list", outcome.status, outcome.code, outcome.message, **outcome.details)

    def _status_list(self, url: str, issuer: str | None) -> status_list.DecodedStatusList | MedCredError:
        """The verified, decoded status list at `url` if `issuer` published it, or the error getting
        it. Fetched and verified (Data Integrity or VC-JWT) once per configured TTL: once per batch,
        and refreshed in a long-running server."""

        def fetch_and_verify() -> Any:
            fetch = self._fetch_status_list or (
                lambda u: status_list.fetch_status_list(u, fetcher=self.fetcher)
            )
            try:
                listing = fetch(url)
                if isinstance(listing, DecodedJwt):
                    proof = vc_jwt.verify(listing, resolver=self.resolver)
                    verified, message, listing = proof.verified, proof.message, listing.credential
                else:
                    proofs = verify_proofs(listing, resolver=self.resolver, loader=self.loader)
                    verified, message = proofs.verified, proofs.message
                if not verified:
                    raise status_list.StatusListError(f"its signature is invalid ({message})")
                return status_list.parse_status_list_credential(listing)
            except MedCredError as exc:  # remembered as a short sentence: no traceback, no body
                return CachedFailure.of(exc, "status_list_invalid")

        decoded = self._status_lists.get(url, fetch_and_verify)
        if isinstance(decoded, CachedFailure):
            return status_list.StatusListError(decoded.message, decoded.code)
        if decoded.issuer != issuer:
            return MedCredError("the status list was published by someone other than the issuer.")
        return decoded

    def _check_validity(self, credential: Mapping[str, Any], report: Report) -> None:
        now = self._now()
        start, end = (parse_datetime(v) for v in validity_period(credential))
        if start is not None and now < start:
            report.add(
                "validity", FAIL, "not_yet_valid", f"The credential is not valid before {_date(start)}."
            )
        elif end is not None and now >= end:
            report.add("validity", FAIL, "expired", f"The credential expired on {_date(end)}.")
        elif end is not None:
            report.add("validity", PASS, "ok", f"The credential is in force until {_date(end)}.")
        else:
            report.add("validity", PASS, "ok", "The credential is in force and does not expire.")

    def _check_recipient(self, credential: Mapping[str, Any], report: Report, email: str) -> None:
        if recipient_matches(credential, email):
            report.add("recipient", PASS, "ok", f"The credential was issued to {email}.")
        else:
            report.add("recipient", FAIL, "recipient_mismatch", f"The credential was not issued to {email}.")


def _signed_at(credential: Mapping[str, Any], method: str) -> datetime | None:
    """The signed `created` time of the (already verified) signature proof made with `method`."""
    times = [
        parse_datetime(p.get("created"))
        for p in proofs_of(credential)
        if p.get("type") in SIGNATURE_PROOF_TYPES and p.get("verificationMethod") == method
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def verify(credential: Any, config: VerifierConfig, *, recipient: str | None = None) -> Report:
    """Verify one credential (parsed JSON) with a fresh `Verifier`."""
    return Verifier(config).verify(credential, recipient=recipient)
