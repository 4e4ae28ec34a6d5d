"""`IssuerService`: the one facade the CLI and the web layer call.

Every method is a complete use case with its own transactions, takes and returns plain values
(dataclasses, dicts of JSON), and raises `MedCredError` subclasses whose class says what went
wrong: `InputError`/`RosterError` (400/422), `UnauthorizedError` (401), `ForbiddenError` (403),
`NotFoundError` (404), `ConflictError` (409), `ChainError` (502/503). The service is thread-safe:
the web layer can share one instance between request threads.

    service = IssuerService(ServiceConfig.from_settings(settings))
    created = service.create_institution("St Elsewhere Simulation Centre")
    token, _ = service.create_token(created.institution.slug, ["issue"])
    credential = service.issue(created.institution.slug, "acls", "jane@example.org", name="Jane Doe")
    service.anchor_now()                       # or service.start_worker() in a long-running process
    service.get_credential(credential.id)      # now with its anchor proof
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from issuer import achievement_catalog as catalog
from issuer import credential_search
from issuer.achievement_catalog import AchievementInfo
from issuer.achievement_images import check_image
from issuer.anchoring import batches as batch_store
from issuer.anchoring.anchorer import AnchoredBatch, FaultHook
from issuer.anchoring.chain import ChainAccess
from issuer.anchoring.worker import AnchoringWorker, WorkerHandle
from issuer.config import ServiceConfig
from issuer.credential_builder import AwardedAchievement
from issuer.data_folder import secure_tree
from issuer.delivery.desk import DeliveryDesk
from issuer.institutions import (
    InstitutionInfo,
    RegistrationOutcome,
    did_document,
    ensure_registered,
    get_institution,
    issuer_profile,
    list_institutions,
    record_event,
    signing_key,
)
from issuer.institutions import create_institution as _create_institution
from issuer.issuance import (
    AchievementResolver,
    DuplicateError,
    IssuedCredential,
    IssueRequest,
    RosterError,
    RosterResult,
    RowError,
    check_email,
    duplicate_key,
    issue_requests,
    make_request,
    parse_roster,
)
from issuer.key_placement import open_secret_box
from issuer.keys import Ed25519KeyPair
from issuer.revocation import RevocationOutcome, credential_revocation_state, mark_revoked, push_revocations
from issuer.signing import sign, sign_jwt
from issuer.status_list import StatusList, status_list_credential
from issuer.storage import idempotency, tokens
from issuer.storage.credentials import document_of, get_credential_row
from issuer.storage.database import Database
from issuer.storage.errors import ConflictError, ForbiddenError, NotFoundError, UnauthorizedError
from issuer.storage.models import (
    ANCHORED,
    PENDING,
    REGISTERED,
    AnchorRequest,
    Batch,
    Credential,
    Institution,
    utcnow,
)
from issuer.storage.status_lists import get_list
from issuer.storage.tokens import TokenInfo
from issuer.templates import list_templates
from issuer.vc_issue import prepare_credential
from verifier.data_integrity import EDDSA_JCS_2022, EDDSA_RDFC_2022
from verifier.errors import ChainError, InputError, MedCredError

__all__ = [
    "AchievementInfo",
    "AnchoredBatch",
    "Authorization",
    "BatchInfo",
    "ConflictError",
    "CreatedInstitution",
    "CredentialRecord",
    "DuplicateError",
    "ForbiddenError",
    "InputError",
    "IssuedCredential",
    "IssuerService",
    "MedCredError",
    "NotFoundError",
    "RevocationOutcome",
    "RosterError",
    "RosterResult",
    "RowError",
    "TokenInfo",
    "UnauthorizedError",
]


@dataclass(frozen=True)
class CreatedInstitution:
    institution: InstitutionInfo
    registration: RegistrationOutcome


@dataclass(frozen=True)
class CredentialRecord:
    """A credential as stored: its document as it is now and where it stands."""

    id: str
    url: str
    institution: str
    template: str
    """The built-in template's slug, or `catalog` (then `achievement_id` names the version)."""
    state: str
    """pending | submitted | anchored"""
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    recipient_name: str | None
    revoked: bool
    revocation: str
    """active | revoked | after-anchoring | pending (see issuer.revocation)"""
    revocation_reason: str | None
    revoked_at: datetime | None
    status_list_id: str
    status_index: int
    batch_root: str | None
    document: dict[str, Any] = field(repr=False)
    achievement_id: str | None = None


@dataclass(frozen=True)
class Authorization:
    """A verified token and its institution's row as read with it, for the rest of one request."""

    token: TokenInfo
    institution: Institution = field(repr=False)


@dataclass(frozen=True)
class BatchInfo:
    id: int
    institution: str
    root: str
    size: int
    state: str
    tx_hash: str | None
    block_number: int | None
    created_at: datetime
    anchored_at: datetime | None
    attempts: int
    last_error: str | None
    self_check: str | None


class IssuerService:
    """The issuer's use cases over one database and one registry (see the module docstring)."""

    def __init__(self, config: ServiceConfig, *, db: Database | None = None) -> None:
        self.config = config
        secure_tree(config.data_dir)  # folders 0700, files 0600 (issuer.data_folder)
        self.db = db or Database(config.database_url)
        self.box = open_secret_box(config)
        self.chain = ChainAccess(config.settings, config.confirmations)
        self._status_cache: dict[tuple[str, str], tuple[int, Any]] = {}
        self._keys: dict[int, tuple[str, Ed25519KeyPair]] = {}
        """Unsealed signing keys by institution id, with the sealed value they came from."""
        self._cache_lock = threading.Lock()
        self._worker: WorkerHandle | None = None
        self.delivery = DeliveryDesk(self.db, self.box, config)
        """Claim links and claim e-mails (issuer.delivery.desk)."""

    def close(self) -> None:
        self.stop_worker()
        self.db.dispose()

    def __enter__(self) -> IssuerService:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ institutions

    def create_institution(
        self,
        name: str,
        *,
        slug: str | None = None,
        did_web: str | None = None,
        url: str | None = None,
        email: str | None = None,
        include_names: bool = True,
        register: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> CreatedInstitution:
        """Keys, DID, account (committed first), then registration as far as this chain allows.

        A chain outage does not lose the institution: its registration state stays
        'awaiting-governance' and the anchoring worker completes it later.
        """
        with self.db.session() as session:
            row = _create_institution(
                session,
                self.box,
                name,
                slug=slug,
                did_web=did_web,
                url=url,
                email=email,
                include_names=include_names,
            )
            slug = row.slug
        outcome = RegistrationOutcome(state=row.registration_state)
        if register:
            outcome = self.register_institution(slug, progress=progress)
        return CreatedInstitution(self.get_institution(slug), outcome)

    def register_institution(
        self, slug: str, progress: Callable[[str], None] | None = None
    ) -> RegistrationOutcome:
        """(Re)run registration: governance on dev chains, funding, the signing key. Idempotent."""
        try:
            with self.db.session() as session:
                row = get_institution(session, slug, lock=True)
                return ensure_registered(session, row, self.box, self.chain, progress=progress)
        except ChainError as exc:
            self.chain.invalidate()
            return RegistrationOutcome(
                state="awaiting-governance",
                actions=[
                    f"Registration is waiting for the chain: {exc} It is retried by the anchoring worker."
                ],
            )

    def get_institution(self, slug: str) -> InstitutionInfo:
        with self.db.reader() as session:
            return InstitutionInfo.of(get_institution(session, slug))

    def list_institutions(self) -> list[InstitutionInfo]:
        with self.db.reader() as session:
            return [InstitutionInfo.of(row) for row in list_institutions(session)]

    def did_document(self, slug: str) -> dict[str, Any]:
        """The institution's DID document (did:web ones are what the web layer serves)."""
        with self.db.reader() as session:
            return did_document(get_institution(session, slug))

    def did_web_document(self, host: str, path: str = "") -> dict[str, Any]:
        """The DID document to serve for a request to `host` at `/.well-known/did.json` (path '')
        or at `/<path>/did.json`; NotFoundError if no institution has that did:web."""
        encoded_host = host.strip().lower().replace(":", "%3A")
        clean_path = path.strip("/") or None
        with self.db.reader() as session:
            path_matches = (
                Institution.did_web_path.is_(None)
                if clean_path is None
                else Institution.did_web_path == clean_path
            )
            row = session.scalars(
                select(Institution).where(Institution.did_web_host == encoded_host, path_matches)
            ).first()
            if row is None:
                raise NotFoundError(f"No institution has a did:web at {host}/{path}.")
            return did_document(row)

    def templates(self) -> dict[str, dict[str, Any]]:
        """Achievement templates by slug: {slug: {"name": ..., "validity": ...}}."""
        return {
            slug: {"name": t.name, "validity": t.validity}
            for slug, t in sorted(list_templates(self.config.template_folder).items())
        }

    # ------------------------------------------------------------------ tokens

    def create_token(
        self,
        slug: str,
        scopes: Iterable[str],
        *,
        label: str | None = None,
        expires_in: timedelta | None = None,
    ) -> tuple[str, TokenInfo]:
        """A new API token (returned once, stored hashed) for the institution and scopes."""
        with self.db.session() as session:
            return tokens.create_token(
                session, get_institution(session, slug), scopes, label=label, expires_in=expires_in
            )

    def verify_token(self, token: str | None, scope: str, institution: str | None = None) -> TokenInfo:
        """UnauthorizedError (401) or ForbiddenError (403) unless the token may do `scope`."""
        return self.authorize(token, scope, institution).token

    def authorize(self, token: str | None, scope: str, institution: str | None = None) -> Authorization:
        """`verify_token`, keeping the institution row its query read: `issue(...,
        authorization=...)` then signs with it instead of reading it again.

        The check is a read-only transaction: every API request makes it, and on SQLite a write
        transaction would queue every request behind the database's single write lock. Revocation
        still takes effect on the next request. `last_used_at` (minute granularity) is written in a
        separate short transaction, only when it is due.
        """
        with self.db.reader() as session:
            info, due, owner = tokens.check_token(session, token, institution, scope)
        if due:
            with self.db.session() as session:
                tokens.touch_token(session, info.id)
        return Authorization(info, owner)

    def list_tokens(self, slug: str) -> list[TokenInfo]:
        with self.db.reader() as session:
            return tokens.list_tokens(session, get_institution(session, slug))

    def revoke_token(self, slug: str, token_id: int) -> TokenInfo:
        with self.db.session() as session:
            return tokens.revoke_token(session, get_institution(session, slug), token_id)

    # ------------------------------------------------------------------ issuing

    def _issuer(self, slug: str) -> Institution:
        with self.db.reader() as session:
            return get_institution(session, slug)

    def _ready_to_sign(self, row: Institution) -> Institution:
        """`row`, with its signing key registered on the registry: a signature made before the key's
        registration never verifies, so an institution signs nothing until then. Registration is
        attempted here (development chains do it at once); ConflictError says what is missing."""
        if row.registration_state == REGISTERED:
            return row
        outcome = self.register_institution(row.slug)
        if outcome.state == REGISTERED:
            return self._issuer(row.slug)
        if outcome.state == "suspended":
            reason = "it is suspended on the registry, so nothing it signs could be anchored."
        else:
            reason = (
                "its signing key is not registered on the registry yet (a credential signed before "
                "that would never verify)."
            )
        raise ConflictError(
            f"Institution {row.slug!r} cannot sign credentials now: {reason} " + " ".join(outcome.actions)
        )

    def _signing_key(self, row: Institution) -> Ed25519KeyPair:
        """The institution's signing key, unsealed once per process rather than on every request.

        Keyed by the sealed value just read from the database, so a replaced key is unsealed anew
        at once. The unsealed key stays in this process's memory, next to the master key that
        unseals it anyway: nothing is exposed that was not already.
        """
        sealed = row.signing_key_sealed
        with self._cache_lock:
            cached = self._keys.get(row.id)
        if cached is not None and cached[0] == sealed:
            return cached[1]
        key = signing_key(row, self.box)
        with self._cache_lock:
            self._keys[row.id] = (sealed, key)
        return key

    def _resolver(self, institution: Institution) -> AchievementResolver:
        """Finds achievements for `institution`: its catalog (a read per distinct name), then templates."""
        institution_id = institution.id

        def lookup(text: str) -> AwardedAchievement | None:
            with self.db.reader() as session:
                row = catalog.find_current(session, institution_id, text)
                return catalog.for_issuing(session, institution_id, row.id) if row is not None else None

        def by_id(achievement_id: str) -> AwardedAchievement:
            with self.db.reader() as session:
                return catalog.for_issuing(session, institution_id, achievement_id)

        return AchievementResolver(
            self.config.template_folder,
            issuer_did=institution.did,
            base_url=self.config.public_base_url,
            lookup=lookup,
            by_id=by_id,
        )

    def _duplicates(
        self, institution: Institution, requests: Sequence[IssueRequest]
    ) -> tuple[list[str], dict[int, str]]:
        """Each request's duplicate key, and {request index: an unrevoked credential already issued
        with that key}."""
        keys = [duplicate_key(self.box.fingerprint, institution.id, r) for r in requests]
        found: dict[str, str] = {}
        unique = sorted(set(keys))
        with self.db.reader() as session:
            for start in range(0, len(unique), 500):
                query = select(Credential.duplicate_key, Credential.id).where(
                    Credential.institution_id == institution.id,
                    Credential.duplicate_key.in_(unique[start : start + 500]),
                    Credential.revoked.is_(False),
                )
                for key, credential_id in session.execute(query):
                    found.setdefault(key, credential_id)
        return keys, {i: found[k] for i, k in enumerate(keys) if k in found}

    def issue(
        self,
        slug: str,
        template: str | None,
        email: str,
        *,
        name: str | None = None,
        valid_from: str | date | datetime | None = None,
        authorization: Authorization | None = None,
        achievement: str | None = None,
        allow_duplicate: bool = False,
        deliver: bool | None = None,
        **details: Any,
    ) -> IssuedCredential:
        """Issue one credential: built, signed (eddsa-rdfc-2022), stored as pending.

        The achievement is a catalog achievement (`achievement`: its id or URL, the current version
        of an active achievement) or a built-in `template`. `details` are the per-credential data
        (see `issuer.issuance.make_request`: given_name, family_name, valid_until, credits,
        results, evidence_urls, evidence_narrative, activity_start, activity_end, identifier,
        identifier_type). DuplicateError (409) if this recipient already holds this achievement
        with the same validFrom day, unless `allow_duplicate`. `authorization` (from `authorize`
        for this request) saves reading the institution again. `deliver`: e-mail the recipient a
        claim link once anchored (None: the institution's default, on unless switched off).
        """
        if authorization is not None and authorization.institution.slug == slug:
            row = authorization.institution
        else:
            row = self._issuer(slug)
        row = self._ready_to_sign(row)
        if achievement:
            details["achievement_id"] = achievement
        request = make_request(self._resolver(row), template, email, name, valid_from, **details)
        keys, found = self._duplicates(row, [request])
        if found and not allow_duplicate:
            raise DuplicateError(
                f"This recipient was already awarded this achievement with the same validFrom day "
                f"(credential {found[0]}). Confirm to issue it again (allowDuplicate).",
                [found[0]],
            )
        return issue_requests(
            self.db,
            row,
            self._signing_key(row),
            [request],
            base_url=self.config.public_base_url,
            duplicate_keys=keys,
            refuse_duplicates=not allow_duplicate,
            extra_rows=self.delivery.rows_for(row, [request.email], deliver),
        )[0]

    def issue_credential(
        self,
        slug: str,
        credential: Any,
        options: Mapping[str, Any] | None = None,
        *,
        authorization: Authorization | None = None,
    ) -> IssuedCredential:
        """Issue a full Open Badges 3.0 credential (W3C VC API `POST /credentials/issue`).

        See `issuer.vc_issue` for what the caller may send and what MedCred sets. `options`:
        `achievement` (catalog id) or `template` when the subject has no achievement,
        `cryptosuite` (eddsa-rdfc-2022, the default, or eddsa-jcs-2022), `allowDuplicate`,
        `deliverByEmail` (a claim e-mail to the recipient's address, if it has one; default: the
        institution's setting).
        InputError (400) for a credential that is not valid, DuplicateError (409) for the same
        recipient, achievement and validFrom day again unless allowed.
        """
        options = dict(options or {})
        suite = options.get("cryptosuite") or EDDSA_RDFC_2022
        if suite not in (EDDSA_RDFC_2022, EDDSA_JCS_2022):
            raise InputError(f"options.cryptosuite must be {EDDSA_RDFC_2022} or {EDDSA_JCS_2022}.")
        if authorization is not None and authorization.institution.slug == slug:
            row = authorization.institution
        else:
            row = self._issuer(slug)
        row = self._ready_to_sign(row)
        resolver = self._resolver(row)
        prepared = prepare_credential(
            credential, options, issuer_profile(row), catalog=resolver.catalog, template=resolver.template
        )
        if not row.include_names:
            prepared.document["credentialSubject"].pop("name", None)
        keys, found = self._duplicates(row, [prepared.request])
        if found and options.get("allowDuplicate") is not True:
            raise DuplicateError(
                f"This recipient was already awarded this achievement with the same validFrom day "
                f"(credential {found[0]}). Confirm to issue it again (options.allowDuplicate).",
                [found[0]],
            )
        return issue_requests(
            self.db,
            row,
            self._signing_key(row),
            [prepared.request],
            base_url=self.config.public_base_url,
            duplicate_keys=keys,
            refuse_duplicates=options.get("allowDuplicate") is not True,
            prebuilt=[prepared.document],
            cryptosuite=suite,
            extra_rows=self.delivery.rows_for(
                row,
                [prepared.request.email if _is_email(prepared.request.email) else None],
                options["deliverByEmail"] if isinstance(options.get("deliverByEmail"), bool) else None,
            ),
        )[0]

    def issued_record(self, slug: str, issued: IssuedCredential) -> CredentialRecord:
        """The record of a credential `issue` just stored, built from what was stored, without
        reading it back (the API answers every issue request with it).

        It is what `get_credential` would return at that moment: pending, not revoked, in no
        batch. The worker may have batched it since; a caller that needs that reads it again.
        """
        document = issued.document
        subject = document["credentialSubject"]
        assert issued.issued_at is not None, "only for credentials returned by issue()"
        return CredentialRecord(
            id=issued.id,
            url=document.get("id", ""),
            institution=slug,
            template=issued.template,
            state=PENDING,
            issued_at=issued.issued_at,
            valid_from=datetime.fromisoformat(document["validFrom"]),
            valid_until=datetime.fromisoformat(document["validUntil"]) if "validUntil" in document else None,
            recipient_name=subject.get("name"),
            revoked=False,
            revocation="active",
            revocation_reason=None,
            revoked_at=None,
            status_list_id=issued.status_list_id,
            status_index=issued.status_index,
            batch_root=None,
            document=document,
            achievement_id=issued.achievement_id,
        )

    def _roster(
        self,
        row: Institution,
        source: str | bytes,
        default_template: str | None,
        allow_duplicates: bool,
    ) -> tuple[list[tuple[int, IssueRequest]], list[RowError], int, list[str]]:
        """Parse a roster and flag the rows already issued (unless `allow_duplicates`): (valid rows,
        errors, data row count, the valid rows' duplicate keys)."""
        valid, errors, total = parse_roster(source, self._resolver(row), default_template=default_template)
        keys, found = self._duplicates(row, [request for _, request in valid])
        if found and not allow_duplicates:
            flagged = []
            for index, credential_id in found.items():
                number, request = valid[index]
                day = (request.valid_from or utcnow()).date().isoformat()
                flagged.append(
                    RowError(
                        number,
                        "duplicate",
                        f"already issued to this recipient for this achievement on {day} (credential "
                        f"{credential_id}); confirm with allow_duplicates to issue it again",
                    )
                )
            errors = sorted([*errors, *flagged], key=lambda e: e.row)
            valid = [v for i, v in enumerate(valid) if i not in found]
            keys = [k for i, k in enumerate(keys) if i not in found]
        return valid, errors, total, keys

    def validate_roster(
        self,
        source: str | bytes,
        *,
        default_template: str | None = None,
        slug: str | None = None,
        allow_duplicates: bool = False,
    ) -> tuple[list[RowError], int]:
        """Every problem of a roster (empty when it can be issued) and its number of data rows.

        With the institution's `slug`, its catalog achievements are recognised and rows already
        issued are flagged; without, only built-in templates are known.
        """
        if slug is None:
            _valid, errors, total = parse_roster(
                source, AchievementResolver(self.config.template_folder), default_template=default_template
            )
            return errors, total
        _valid, errors, total, _keys = self._roster(
            self._issuer(slug), source, default_template, allow_duplicates
        )
        return errors, total

    def issue_roster(
        self,
        slug: str,
        source: str | bytes,
        *,
        allow_partial: bool = False,
        default_template: str | None = None,
        progress: Callable[[int], None] | None = None,
        workers: int | None = None,
        pool: bool | None = None,
        allow_duplicates: bool = False,
        deliver: bool | None = None,
    ) -> RosterResult:
        """Issue a CSV roster (see `issuer.issuance.parse_roster` for its columns).

        RosterError listing every problem, and nothing issued, if any row is wrong, unless
        `allow_partial`: then the valid rows are issued and `errors` lists the rest. A row already
        issued (same recipient, achievement and validFrom day) is a problem unless
        `allow_duplicates`. `progress(n)` is called as credentials are signed (for a progress bar).
        Signing uses up to `workers` processes (default: one per core) when that is measured to be
        faster; `pool` True/False forces the choice (see `issuer.issuance.sign_all`). `deliver`:
        claim e-mails once anchored (None: the institution's default).
        """
        row = self._ready_to_sign(self._issuer(slug))
        valid, errors, total, keys = self._roster(row, source, default_template, allow_duplicates)
        if errors and (not allow_partial or not valid):
            raise RosterError(errors, total)
        issued = issue_requests(
            self.db,
            row,
            self._signing_key(row),
            [request for _, request in valid],
            base_url=self.config.public_base_url,
            rows=[number for number, _ in valid],
            workers=workers if workers is not None else (os.cpu_count() or 1),
            pool=pool,
            progress=progress,
            duplicate_keys=keys,
            refuse_duplicates=not allow_duplicates,
            extra_rows=self.delivery.rows_for(row, [request.email for _, request in valid], deliver),
        )
        return RosterResult(issued=issued, errors=errors, total_rows=total)

    # ------------------------------------------------------------------ idempotency keys

    def idempotency_begin(self, slug: str, key: str, fingerprint: str) -> int | idempotency.StoredAnswer:
        """Claim an Idempotency-Key of the institution for a request, or get the answer to replay
        (see `issuer.storage.idempotency`: KeyReusedError 422, RequestInProgressError 409)."""
        return idempotency.begin(self.db, self._issuer(slug).id, idempotency.check_key(key), fingerprint)

    def idempotency_finish(self, claim: int, status: int, body: str, location: str | None) -> None:
        idempotency.finish(self.db, claim, status, body, location)

    def idempotency_release(self, claim: int) -> None:
        idempotency.release(self.db, claim)

    # ------------------------------------------------------------------ achievement catalog

    def create_achievement(
        self,
        slug: str,
        definition: Any,
        *,
        image: bytes | None = None,
        image_type: str | None = None,
    ) -> AchievementInfo:
        """A new achievement in the institution's catalog (see `issuer.achievement_catalog` for
        the definition's shape); `image` is a PNG or SVG (checked, SVG sanitized). InputError for
        a bad definition or image."""
        parsed = catalog.parse_definition(definition, self.config.template_folder)
        checked = check_image(image, image_type) if image is not None else None
        with self.db.session() as session:
            institution = get_institution(session, slug)
            row = catalog.create(session, institution, parsed, checked, self.config.public_base_url)
            record_event(session, institution.id, "achievement.created", row.id, {"starter": parsed.starter})
            return catalog.info(session, row, institution.slug)

    def list_achievements(self, slug: str) -> list[AchievementInfo]:
        """The institution's achievements (latest version of each), newest first."""
        with self.db.reader() as session:
            institution = get_institution(session, slug)
            return [
                catalog.info(session, r, institution.slug) for r in catalog.list_current(session, institution)
            ]

    def get_achievement(self, achievement_id: str, *, institution: str | None = None) -> AchievementInfo:
        """One achievement version by UUID or URL (public). With `institution`, ForbiddenError
        unless it is that institution's."""
        with self.db.reader() as session:
            if institution is not None:
                row = catalog.owned_row(session, get_institution(session, institution), achievement_id)
            else:
                row = catalog.get_row(session, achievement_id)
            return catalog.info(session, row)

    def achievement_image(self, achievement_id: str) -> tuple[str, bytes]:
        """(media type, bytes) of the achievement version's image; NotFoundError if it has none."""
        with self.db.reader() as session:
            row = catalog.get_row(session, achievement_id)
            if row.image_type is None or row.image_data is None:
                raise NotFoundError("This achievement has no image.")
            return row.image_type, bytes(row.image_data)

    def new_achievement_version(
        self,
        achievement_id: str,
        definition: Any,
        *,
        image: bytes | None = None,
        image_type: str | None = None,
        institution: str | None = None,
    ) -> AchievementInfo:
        """The next version of an achievement; credentials issued before keep the version they
        carry. `institution` (the caller's) must own it. The image carries over unless replaced."""
        parsed = catalog.parse_definition(definition, self.config.template_folder)
        checked = check_image(image, image_type) if image is not None else None
        with self.db.session() as session:
            owner = self._achievement_owner(session, achievement_id, institution)
            row = catalog.new_version(
                session, owner, achievement_id, parsed, checked, self.config.public_base_url
            )
            record_event(session, owner.id, "achievement.new-version", row.id, {"version": row.version})
            return catalog.info(session, row, owner.slug)

    def retire_achievement(self, achievement_id: str, *, institution: str | None = None) -> AchievementInfo:
        """Retire an achievement: it can no longer be issued; credentials already issued stay valid."""
        with self.db.session() as session:
            owner = self._achievement_owner(session, achievement_id, institution)
            row = catalog.retire(session, owner, achievement_id)
            record_event(session, owner.id, "achievement.retired", row.id, None)
            return catalog.info(session, row, owner.slug)

    def _achievement_owner(self, session: Any, achievement_id: str, institution: str | None) -> Institution:
        if institution is not None:
            return get_institution(session, institution)
        owner = session.get(Institution, catalog.get_row(session, achievement_id).institution_id)
        assert owner is not None
        return owner

    def starters(self) -> dict[str, dict[str, Any]]:
        """The built-in templates as starters: {slug: {"name", "validity", "notes", "achievement"}}."""
        return {
            slug: {
                "name": t.name,
                "validity": t.validity,
                "notes": t.data.get("notes"),
                "achievement": t.achievement,
            }
            for slug, t in sorted(list_templates(self.config.template_folder).items())
        }

    # ------------------------------------------------------------------ reading credentials

    def get_credential(self, credential_id: str) -> CredentialRecord:
        """The credential (UUID, urn:uuid or URL) as it is now, with its anchor proof once anchored."""
        with self.db.reader() as session:
            row = get_credential_row(session, credential_id)
            return self._record(session, row)

    def credential_document(self, credential_id: str) -> dict[str, Any]:
        return self.get_credential(credential_id).document

    def list_credentials(
        self,
        slug: str,
        *,
        state: str | None = None,
        revoked: bool | None = None,
        search: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CredentialRecord]:
        """The institution's credentials, newest first; `search`: a name, an e-mail or an id
        (issuer.credential_search)."""
        limit = max(1, min(int(limit), 1000))
        with self.db.reader() as session:
            institution = get_institution(session, slug)
            query = select(Credential).where(Credential.institution_id == institution.id)
            if state is not None:
                query = query.where(Credential.state == state)
            if revoked is not None:
                query = query.where(Credential.revoked.is_(revoked))
            if search and search.strip() and credential_search.is_email(search):
                candidates = session.execute(credential_search.email_candidates(query)).all()
                ids = credential_search.matching_email([(c[0], c[1]) for c in candidates], search)
                query = query.where(Credential.id.in_(ids))
            elif search and search.strip():
                query = credential_search.narrow(query, search)
            rows = session.scalars(
                query.order_by(Credential.issued_at.desc(), Credential.id).limit(limit).offset(max(0, offset))
            )
            return [self._record(session, r, institution.slug) for r in rows]

    def count_credentials(self, slug: str | None = None) -> dict[str, int]:
        """{state: count} (and 'revoked'), for dashboards and the CLI."""
        with self.db.reader() as session:
            query = select(Credential.state, func.count()).group_by(Credential.state)
            revoked = select(func.count()).select_from(Credential).where(Credential.revoked.is_(True))
            if slug is not None:
                institution = get_institution(session, slug)
                query = query.where(Credential.institution_id == institution.id)
                revoked = revoked.where(Credential.institution_id == institution.id)
            counts = {state: int(n) for state, n in session.execute(query)}
            counts["revoked"] = int(session.scalar(revoked) or 0)
            return counts

    def _record(self, session: Any, row: Credential, slug: str | None = None) -> CredentialRecord:
        if slug is None:
            slug = session.get(Institution, row.institution_id).slug
        root = session.get(Batch, row.batch_id).root if row.batch_id is not None else None
        document = document_of(row)
        return CredentialRecord(
            id=row.id,
            url=document.get("id", ""),
            institution=slug,
            template=row.template,
            state=row.state,
            issued_at=row.issued_at,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            recipient_name=row.recipient_name,
            revoked=row.revoked,
            revocation=credential_revocation_state(row),
            revocation_reason=row.revocation_reason,
            revoked_at=row.revoked_at,
            status_list_id=row.status_list_id,
            status_index=row.status_index,
            batch_root=root,
            document=document,
            achievement_id=row.achievement_id,
        )

    def list_batches(self, slug: str | None = None, limit: int = 100) -> list[BatchInfo]:
        with self.db.reader() as session:
            query = select(Batch, Institution.slug).join(Institution, Institution.id == Batch.institution_id)
            if slug is not None:
                query = query.where(Institution.slug == slug)
            rows = session.execute(query.order_by(Batch.id.desc()).limit(max(1, min(limit, 1000))))
            return [
                BatchInfo(
                    id=b.id,
                    institution=s,
                    root=b.root,
                    size=b.size,
                    state=b.state,
                    tx_hash=b.tx_hash,
                    block_number=b.block_number,
                    created_at=b.created_at,
                    anchored_at=b.anchored_at,
                    attempts=b.attempts,
                    last_error=b.last_error,
                    self_check=b.self_check,
                )
                for b, s in rows
            ]

    # ------------------------------------------------------------------ revocation and status lists

    def revoke(
        self, credential_id: str, reason: str = "unspecified", *, institution: str | None = None
    ) -> RevocationOutcome:
        """Revoke now in the database and status list; on chain now if anchored and reachable.

        `institution` (the caller's, from its token) must be the issuer: ForbiddenError otherwise.
        """
        with self.db.session() as session:
            owner = get_institution(session, institution) if institution else None
            row = mark_revoked(session, credential_id, reason, owner)
            credential_key, anchored, institution_id = row.id, row.state == ANCHORED, row.institution_id
            revoked_at, reason_text, code = row.revoked_at, row.revocation_reason, row.revocation_code or 0
        on_chain, tx_hash = "after-anchoring", None
        if anchored:
            try:
                done = push_revocations(self.db, self.box, self.chain, institution_id)
                tx_hash = done.get(credential_key)
                on_chain = "revoked" if tx_hash else "pending"
            except ChainError:
                self.chain.invalidate()
                on_chain = "pending"
        assert revoked_at is not None
        return RevocationOutcome(credential_key, revoked_at, reason_text or "", code, on_chain, tx_hash)

    def status_list_credential(self, list_id: str) -> dict[str, Any]:
        """The signed BitstringStatusListCredential for `list_id` (cached until the bits change)."""
        return self._published_status_list(list_id, "data-integrity")

    def status_list_jwt(self, list_id: str) -> str:
        """The same status list secured as a VC-JWT (`vc+jwt`), for verifiers that read only JWTs."""
        return self._published_status_list(list_id, "jwt")

    def _published_status_list(self, list_id: str, form: str) -> Any:
        with self.db.reader() as session:
            row = get_list(session, list_id)
            version = row.version
            with self._cache_lock:
                cached = self._status_cache.get((list_id, form))
            if cached is not None and cached[0] == version:
                return cached[1]
            institution = session.get(Institution, row.institution_id)
            assert institution is not None
            bits, purpose = row.bits, row.purpose
            with self._cache_lock:
                cached = self._status_cache.get((list_id, "unsigned"))
        # Both forms sign the same credential (same validFrom), so they say the same thing.
        if cached is not None and cached[0] == version:
            unsigned = cached[1]
        else:
            unsigned = status_list_credential(
                f"{self.config.public_base_url}/status-lists/{list_id}",
                issuer_profile(institution),
                purpose,
                StatusList.from_bytes(bits),
            )
            with self._cache_lock:
                self._status_cache[(list_id, "unsigned")] = (version, unsigned)
        key, method = self._signing_key(institution), institution.verification_method
        signed = sign_jwt(unsigned, key, method) if form == "jwt" else sign(unsigned, key, method)
        with self._cache_lock:
            self._status_cache[(list_id, form)] = (version, signed)
        return signed

    # ------------------------------------------------------------------ anchoring

    def worker(self, *, fault: FaultHook | None = None) -> AnchoringWorker:
        """A new anchoring worker over this service's database and chain (tests inject `fault`)."""
        return AnchoringWorker(self.db, self.box, self.chain, self.config, fault=fault)

    def start_worker(self) -> WorkerHandle:
        """Run the anchoring worker and the delivery worker on background threads (idempotent)."""
        if self._worker is None or not self._worker.running:
            self._worker = self.worker().start()
        self.delivery.start()  # claim e-mails: their own thread, never in anchoring's way
        return self._worker

    def stop_worker(self) -> None:
        self.delivery.stop()
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def anchor_now(self, institution: str | None = None, *, timeout: float = 300.0) -> list[AnchoredBatch]:
        """Anchor everything pending now (of one institution or all) and wait for it.

        If another process holds the anchoring lease (`medcred run`), ask it to flush and wait
        for the credentials to be anchored. ChainError if the chain is unreachable.
        """
        institution_id = self._issuer(institution).id if institution else None
        worker = self.worker()
        if worker.lease.try_acquire():
            try:
                force = {institution_id} if institution_id is not None else None
                report = worker.run_once(force=force, force_all=institution_id is None)
            finally:
                worker.lease.release()
            if report.errors:
                with self.db.reader() as session:
                    left = batch_store.outstanding(session, institution_id)
                raise ChainError(
                    f"{report.errors[0]} ({left} credential(s) are still waiting to be anchored.)"
                )
            return report.anchored
        return self._ask_running_worker(institution_id, timeout)

    def _ask_running_worker(self, institution_id: int | None, timeout: float) -> list[AnchoredBatch]:
        asked = utcnow()
        with self.db.session() as session:
            session.add(AnchorRequest(institution_id=institution_id, requested_at=asked))
        deadline = time.monotonic() + timeout
        while True:
            with self.db.reader() as session:
                left = batch_store.outstanding(session, institution_id, before=asked)
                if left == 0:
                    query = (
                        select(Batch, Institution.slug).join(Institution).where(Batch.anchored_at >= asked)
                    )
                    return [
                        AnchoredBatch(
                            b.id, s, b.root, b.size, b.tx_hash or "", b.block_number or 0, b.self_check or ""
                        )
                        for b, s in session.execute(query)
                    ]
            if time.monotonic() > deadline:
                raise ChainError(
                    f"The running anchoring worker has not anchored {left} credential(s) "
                    f"within {timeout:.0f} s; it keeps retrying (see `medcred run`'s output)."
                )
            time.sleep(0.5)


def _is_email(text: str) -> bool:
    """Whether a VC-API recipient key is an e-mail address (rather than a DID or a URL)."""
    try:
        check_email(text)
    except InputError:
        return False
    return True


def roster_report(errors: Sequence[RowError]) -> str:
    """The per-row error report as text lines."""
    return "\n".join(str(e) for e in errors)


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
