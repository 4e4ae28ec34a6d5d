"""`DeliveryDesk`: claim links and claim e-mails, the use cases the web layer and the CLI call.

    desk = service.delivery
    desk.state(credential_id)                 # DeliveryState or None (no e-mail for it)
    desk.resend(credential_id, "sim")         # queue it again (after anchoring if not yet)
    desk.open(token)                          # Claim(credential_id, expires_at), or a clear error
    desk.request_new_links("ada@example.org") # queue new links; says nothing about the address
    desk.run_once()                           # one pass of the delivery worker (tests)
    handle = desk.start()                     # the worker on its own thread; handle.stop()

Sending never touches the anchoring worker's tables or lease: anchoring goes on whatever the mail
server does. The pass is rate-limited per process (`limits`, moving window, MEDCRED_MAIL_RATE).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from limits import storage, strategies

from issuer.anchoring.worker import WorkerHandle
from issuer.config import ServiceConfig
from issuer.delivery import records
from issuer.delivery.claims import Claim, forget_claim_token, new_claim_token, open_claim
from issuer.delivery.mail_settings import MailSettings
from issuer.delivery.message import ClaimMail, compose
from issuer.delivery.records import REVOKED_NOTE, DeliveryState
from issuer.delivery.transport import MailboxTransport, SendError, Transport, transport_for
from issuer.institutions import get_institution
from issuer.secrets import SecretBox
from issuer.storage.credentials import achievement_name, credential_key, document_of
from issuer.storage.database import UNREACHABLE, Database
from issuer.storage.errors import ConflictError, ForbiddenError, NotFoundError
from issuer.storage.models import ANCHORED, Credential, Delivery, Institution

log = logging.getLogger(__name__)
NEW_LINK_PAUSE = timedelta(minutes=10)
"""A learner's request for new links re-sends nothing sent or queued this recently."""
PASS_LIMIT = 200


@dataclass
class PassReport:
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    throttled: bool = False
    errors: list[str] = field(default_factory=list)


class DeliveryDesk:
    """Claim links and e-mails over one database (thread-safe; see the module docstring)."""

    def __init__(
        self, db: Database, box: SecretBox, config: ServiceConfig, *, transport: Transport | None = None
    ) -> None:
        self.db = db
        self.box = box
        self.config = config
        self.settings = config.mail or MailSettings()
        self.transport: Transport = transport or transport_for(self.settings, config.data_dir)
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._rate = self.settings.rate_limit
        self._handle: WorkerHandle | None = None

    @property
    def base_url(self) -> str:
        return self.config.public_base_url

    @property
    def mailbox(self) -> MailboxTransport | None:
        """The development mailbox, when e-mails are kept there instead of sent."""
        return self.transport if isinstance(self.transport, MailboxTransport) else None

    def claim_url(self, token: str) -> str:
        return f"{self.base_url}/claim/{token}"

    # ------------------------------------------------------------------ at issue time

    def rows_for(
        self, institution: Institution, emails: Sequence[str | None], deliver: bool | None
    ) -> Callable[[Sequence[str]], list[tuple[type[Any], list[dict[str, Any]]]]]:
        """What `issue_requests(extra_rows=...)` inserts: a delivery row per recipient e-mail,
        waiting for anchoring when delivery is on (`deliver`, else the institution's default)."""
        on = institution.deliver_email if deliver is None else deliver
        institution_id = institution.id

        def rows(ids: Sequence[str]) -> list[tuple[type[Any], list[dict[str, Any]]]]:
            planned = records.planned_rows(
                self.box.seal, self.box.fingerprint, institution_id, ids, emails, bool(on)
            )
            return [(Delivery, planned)]

        return rows

    # ------------------------------------------------------------------ reading and acting

    def state(self, credential_id: str) -> DeliveryState | None:
        with self.db.reader() as session:
            row = session.get(Delivery, credential_key(credential_id))
            return DeliveryState.of(row) if row is not None else None

    def states(self, credential_ids: Sequence[str]) -> dict[str, DeliveryState]:
        with self.db.reader() as session:
            return records.states_of(session, credential_ids)

    def resend(self, credential_id: str, institution: str | None = None) -> DeliveryState:
        """Send the claim e-mail again (now if anchored, else once anchored), with a new link.

        `institution` (the caller's) must be the issuer: ForbiddenError. NotFoundError if the
        credential has no recipient e-mail; ConflictError if it is revoked."""
        key = credential_key(credential_id)
        with self.db.session() as session:
            credential = session.get(Credential, key)
            if credential is None:
                raise NotFoundError(f"There is no credential {credential_id!r}.")
            if (
                institution is not None
                and get_institution(session, institution).id != credential.institution_id
            ):
                raise ForbiddenError("This credential was issued by another institution.")
            row = session.get(Delivery, key)
            if row is None:
                raise NotFoundError(
                    "This credential was issued without a recipient e-mail: there is nothing to send."
                )
            if credential.revoked:
                raise ConflictError("This credential is revoked: no claim e-mail is sent for it.")
            records.requeue(session, row, credential.state == ANCHORED)
            return DeliveryState.of(row)

    def set_institution_default(self, slug: str, on: bool) -> None:
        """Claim e-mails on or off for the institution's new credentials (rosters and requests may
        still say otherwise; credentials already issued keep their state)."""
        with self.db.session() as session:
            get_institution(session, slug, lock=True).deliver_email = on

    def open(self, token: str) -> Claim:
        """The credential a claim link opens (UnknownClaimError 404, ClaimExpiredError 410)."""
        with self.db.session() as session:
            return open_claim(session, token)

    def new_claim_link(self, credential_id: str) -> str:
        """A fresh claim link for a credential (what the e-mail carries; tests and the CLI)."""
        with self.db.session() as session:
            token, _ = new_claim_token(session, credential_key(credential_id), self._lifetime)
        return self.claim_url(token)

    @property
    def _lifetime(self) -> timedelta:
        return timedelta(days=self.settings.claim_days)

    def request_new_links(self, email: str) -> int:
        """Queue new claim e-mails for every anchored, unrevoked credential sent to `email`, except
        those sent or queued in the last minutes. The caller says the same whatever the count."""
        key = records.email_key(self.box.fingerprint, email)
        count = 0
        with self.db.session() as session:
            for row, _credential in records.for_address(session, key):
                if row.state == "off" or records.recently_requeued(row, NEW_LINK_PAUSE):
                    continue
                records.requeue(session, row, anchored=True)
                count += 1
        return count

    # ------------------------------------------------------------------ the worker

    def run_once(self) -> PassReport:
        """Queue e-mails of newly anchored credentials, then send what is due (rate-limited)."""
        report = PassReport()
        with self.db.session() as session:
            report.queued = records.promote_anchored(session)
        with self.db.reader() as session:
            due = records.due_ids(session, PASS_LIMIT)
        for credential_id in due:
            if not self._limiter.test(self._rate, "claim-mail"):
                report.throttled = True
                break
            outcome = self._send_one(credential_id)
            if outcome == "sent":
                report.sent += 1
            elif outcome == "queued":
                report.retrying += 1
            elif outcome == "failed":
                report.failed += 1
        return report

    def _send_one(self, credential_id: str) -> str | None:
        with self.db.session() as session:
            row = records.take(session, credential_id)
            if row is None:
                return None
            credential = session.get(Credential, credential_id)
            institution = session.get(Institution, row.institution_id)
            assert credential is not None
            assert institution is not None
            if credential.revoked:  # revoked while queued: a claim link would only show REVOKED
                row.state, row.last_error, row.next_attempt_at = "off", REVOKED_NOTE, None
                return None
            address = self.box.open(row.email_sealed, records.seal_purpose(credential_id))
            token, expires = new_claim_token(session, credential_id, self._lifetime)
            achievement = achievement_name(document_of(credential)) or "a credential"
            mail = ClaimMail(
                to=address,
                sender=self.settings.sender,
                institution=institution.name,
                achievement=achievement,
                recipient_name=credential.recipient_name,
                claim_url=self.claim_url(token),
                new_link_url=f"{self.base_url}/claim",
                expires=expires,
            )
            slug = institution.slug
        self._limiter.hit(self._rate, "claim-mail")
        try:
            self.transport.send(compose(mail), slug)
        except SendError as exc:
            with self.db.session() as session:
                forget_claim_token(session, token)
                attempts = (session.get(Delivery, credential_id) or row).attempts + 1
                state = records.mark_failed(
                    session,
                    credential_id,
                    str(exc),
                    retry_in=None if exc.permanent else self.settings.retry_delay(attempts),
                    give_up_after=self.settings.attempts,
                )
            log.warning("Claim e-mail for credential %s not sent (%s): %s", credential_id, state, exc)
            return state
        with self.db.session() as session:
            records.mark_sent(session, credential_id)
        log.info("Claim e-mail for credential %s sent.", credential_id)
        return "sent"

    def run_forever(self, stop: threading.Event) -> None:
        """Passes until `stop` is set; an unexpected error is logged and the loop goes on."""
        while not stop.is_set():
            try:
                self.run_once()
            except UNREACHABLE as exc:
                log.warning("Delivery pass stopped, the database is unreachable: %s; retrying.", exc)
            except Exception:
                log.exception("Delivery pass failed unexpectedly; retrying.")
            stop.wait(self.config.mail_poll_interval)

    def start(self) -> WorkerHandle:
        """Run the delivery worker on its own daemon thread (idempotent)."""
        if self._handle is None or not self._handle.running:
            stop = threading.Event()
            thread = threading.Thread(
                target=self.run_forever, args=(stop,), name="medcred-delivery", daemon=True
            )
            thread.start()
            self._handle = WorkerHandle(thread, stop)
        return self._handle

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.stop()
            self._handle = None
