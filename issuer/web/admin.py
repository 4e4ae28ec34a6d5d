"""The admin web UI (server-rendered): login with an admin-scoped API token, dashboard, issue one,
roster upload with its per-row error report, revoke, anchor now, ZIP download.

Every POST carries the session's CSRF token (checked before anything else), and every request
checks the server-side session and its API token (issuer.storage.admin_sessions), so logging out
or revoking that token ends the session everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from issuer.chain.registry_writer import REVOCATION_REASONS
from issuer.credential_details import split_results
from issuer.issuance import RosterError
from issuer.loopback import is_loopback_host
from issuer.service import IssuerService
from issuer.storage.admin_sessions import AdminSessions
from issuer.storage.errors import ConflictError, ForbiddenError, NotFoundError, UnauthorizedError
from issuer.storage.models import CREDENTIAL_STATES
from issuer.web.admin_achievements import add_achievement_pages
from issuer.web.admin_forms import FORM_ERRORS, LOGIN, PAGE, TOO_LARGE, form_body
from issuer.web.admin_keys import add_key_pages
from issuer.web.api import ZIP, export_response
from issuer.web.api_models import AdminExportForm, PageQuery
from issuer.web.exports import anchor_first, check_ids
from issuer.web.links import links_for
from issuer.web.sessions import CSRF_FIELD, csrf_ok, end_session, session_secret, start_session
from verifier.errors import ChainError, InputError
from verifier.web.openapi import SESSION, Media, Responses, api_spec, error_page, request_body

ADMIN_ISSUE_FIELDS = (
    "name", "given_name", "family_name", "valid_from", "valid_until", "credits", "result", "evidence",
    "evidence_narrative", "activity_start", "activity_end", "identifier", "identifier_type",
)  # fmt: skip
"""The issue form's per-credential fields (the roster's column names)."""
PAGE_SIZE = 50
REVOKED_FILTER = "revoked"
FILTERS = (*CREDENTIAL_STATES, REVOKED_FILTER)
"""The credential list's filters: the anchoring states, and revoked (whatever the state)."""
RECENT = 10
CARRY_BACK_BYTES = 2 * 1024 * 1024
"""Rosters up to this size are carried back in the error report, so "issue the valid rows" is one
click; larger ones are uploaded again with the box ticked."""
View = TypeVar("View", bound=Callable[..., Any])


def issued_what(document: dict[str, Any]) -> str:
    """The achievement's name in an issued credential, for the admin's message."""
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else None
    return str(name) if name else "a credential"


def create_admin_blueprint(service: IssuerService) -> Blueprint:
    bp = Blueprint("admin", __name__, url_prefix="/admin")
    sessions = AdminSessions(service.db)
    base_url = service.config.public_base_url

    @bp.before_request
    def check_csrf() -> None:
        if request.method == "POST" and not csrf_ok(request.form.get(CSRF_FIELD)):
            abort(400, "The form has expired or did not come from this site. Reload the page and try again.")

    def current_admin() -> Any:
        secret = session_secret()
        if secret is None:
            return None
        token = sessions.current(secret)
        if token is None:  # logged out elsewhere, expired, idle, or its token revoked
            end_session()
        return token

    def login_required(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            g.admin = current_admin()
            if g.admin is None:
                return redirect(url_for("admin.login"))
            g.slug = g.admin.institution
            return view(*args, **kwargs)

        return cast(View, wrapped)

    def back(default: str = "admin.dashboard") -> Response:
        target = request.form.get("next", "")
        if not (target.startswith("/admin") and not target.startswith("//")):
            target = url_for(default)
        return redirect(target)  # type: ignore[return-value]

    def active_achievements() -> list[Any]:
        return [a for a in service.list_achievements(g.slug) if a.state == "active"]

    def dashboard_page(status: int = 200, **extra: Any) -> tuple[str, int]:
        slug = g.slug
        records = service.list_credentials(slug, limit=RECENT)
        return (
            render_template(
                "admin_dashboard.html",
                institution=service.get_institution(slug),
                counts=service.count_credentials(slug),
                records=records,
                batches=service.list_batches(slug, limit=RECENT),
                templates=service.templates(),
                achievements=active_achievements(),
                reasons=list(REVOCATION_REASONS),
                links=lambda r: links_for(base_url, r.id, r.url),
                deliveries=service.delivery.states([r.id for r in records]),
                mailbox=dev_mailbox() is not None,
                **extra,
            ),
            status,
        )

    def dev_mailbox() -> Any:
        """The development mailbox, shown only to requests from this machine (no SMTP configured)."""
        mailbox = service.delivery.mailbox
        return mailbox if mailbox is not None and is_loopback_host(request.remote_addr or "") else None

    def deliver_choice() -> bool | None:
        """The form's claim e-mail checkbox (None when the form had none: the institution's default)."""
        if not request.form.get("deliver_shown"):
            return None
        return request.form.get("deliver_by_email") == "on"

    add_achievement_pages(bp, service, login_required)
    add_key_pages(bp, service, login_required)

    @bp.get("/login")
    @api_spec.validate(
        resp=Responses(HTTP_200=PAGE, HTTP_302="Already logged in: to the dashboard."),
        tags=["admin"],
        skip_validation=True,
    )
    def login() -> Any:
        """Admin login form (an admin-scoped API token)."""
        if current_admin() is not None:
            return redirect(url_for("admin.dashboard"))
        return render_template("admin_login.html", institution=request.args.get("institution", "")[:64])

    @bp.post("/login")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="Logged in: to the dashboard (sets the session cookie).",
            HTTP_400=error_page("Missing CSRF token."),
            HTTP_401=Media("text/html", "Unknown, expired or revoked token."),
            HTTP_403=Media("text/html", "Not an admin token, or not the named institution's."),
            HTTP_413=TOO_LARGE,
            HTTP_429=error_page("Too many login attempts from this client or for this institution."),
        ),
        tags=["admin"],
        skip_validation=True,
    )
    @request_body(
        form_body(
            {
                "token": {"type": "string"},
                "institution": {"type": "string", "description": "The institution's slug (optional)."},
            },
            ["token"],
        )
    )
    def login_submit() -> Any:
        """Log in with an admin token (rate-limited per client and per institution: issuer.web.rate_limit)."""
        token = request.form.get("token", "").strip()
        named = request.form.get("institution", "").strip()[:64]
        try:
            info = service.verify_token(token or None, "admin")
        except UnauthorizedError as exc:
            return render_template("admin_login.html", error=str(exc), institution=named), 401
        except ForbiddenError:
            return render_template(
                "admin_login.html",
                error="This API token is not an admin token (it lacks the admin scope).",
                institution=named,
            ), 403
        if named and named.lower() != info.institution:
            error = f"This API token is not one of {named!r}'s tokens."
            return render_template("admin_login.html", error=error, institution=named), 403
        start_session(sessions.open(info), info.institution)
        return redirect(url_for("admin.dashboard"))

    @bp.post("/logout")
    @api_spec.validate(
        resp=Responses(HTTP_302="To the login page.", **FORM_ERRORS), tags=["admin"], skip_validation=True
    )
    @request_body(form_body({}))
    def logout() -> Any:
        """Log out: the server-side session ends, so a copy of the cookie opens nothing."""
        sessions.end(session_secret())
        end_session()
        flash("You have been logged out.", "ok")
        return redirect(url_for("admin.login"))

    @bp.get("/")
    @api_spec.validate(
        resp=Responses(HTTP_200=PAGE, **LOGIN), tags=["admin"], security=SESSION, skip_validation=True
    )
    @login_required
    def dashboard() -> Any:
        """The dashboard: counts, issue form, recent credentials."""
        return dashboard_page()

    @bp.post("/issue")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="Issued: back to the dashboard (or, not logged in, to the login page).", **FORM_ERRORS
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(
        form_body(
            {
                "achievement": {"type": "string", "description": "achievement:<id> or template:<slug>."},
                "template": {"type": "string"},
                "email": {"type": "string"},
                **{f: {"type": "string"} for f in (*ADMIN_ISSUE_FIELDS, "allow_duplicate")},
            },
            ["email"],
        )
    )
    @login_required
    def issue() -> Any:
        """Issue one credential (form)."""
        form = request.form
        chosen = form.get("achievement") or ""
        kind, _, value = chosen.partition(":")
        template = value if kind == "template" else (form.get("template") or None)
        achievement = value if kind == "achievement" else None
        text = {k: (form.get(k) or "").strip() or None for k in ADMIN_ISSUE_FIELDS}
        try:
            issued = service.issue(
                g.slug,
                template,
                form.get("email", ""),
                achievement=achievement,
                allow_duplicate=form.get("allow_duplicate") == "on",
                deliver=deliver_choice(),
                results=split_results(text.pop("result") or ""),
                evidence_urls=(text.pop("evidence") or "").split(),
                **text,
            )
        except (InputError, ConflictError, ForbiddenError) as exc:
            return dashboard_page(
                409 if isinstance(exc, ConflictError) else 400, issue_error=str(exc), form=form
            )
        subject = issued.document.get("credentialSubject")
        named = subject.get("name") if isinstance(subject, dict) else None
        given = " ".join(filter(None, (form.get("given_name"), form.get("family_name"))))
        recipient = (
            (named if isinstance(named, str) else None) or form.get("name") or given or form.get("email")
        )
        flash(f"Issued {issued_what(issued.document)} to {recipient}: credential {issued.id}.", "ok")
        return redirect(url_for("admin.dashboard") + "#recent")

    @bp.get("/credentials")
    @api_spec.validate(
        query=PageQuery,
        resp=Responses(HTTP_200=PAGE, HTTP_400=error_page("Bad page number."), **LOGIN),
        tags=["admin"],
        security=SESSION,
    )
    @login_required
    def credentials(query: PageQuery) -> Any:
        """A page of the institution's credentials: filtered by state (or revoked), searched by a
        name, an e-mail or an id."""
        state = query.state or None
        search = (query.q or "").strip() or None
        page = query.page
        page_args = {
            "states": FILTERS,
            "reasons": list(REVOCATION_REASONS),
            "links": lambda r: links_for(base_url, r.id, r.url),
            "q": search or "",
        }
        if state is not None and state not in FILTERS:
            error = f"There is no filter {state!r}: show all, or one of {', '.join(FILTERS)}."
            return render_template(
                "admin_credentials.html",
                records=[],
                deliveries={},
                more=False,
                page=1,
                state=None,
                error=error,
                **page_args,
            ), 400
        records = service.list_credentials(
            g.slug,
            state=state if state in CREDENTIAL_STATES else None,
            revoked=True if state == REVOKED_FILTER else None,
            search=search,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        return render_template(
            "admin_credentials.html",
            records=records[:PAGE_SIZE],
            deliveries=service.delivery.states([r.id for r in records[:PAGE_SIZE]]),
            more=len(records) > PAGE_SIZE,
            page=page,
            state=state,
            **page_args,
        )

    @bp.post("/credentials/<uuid:credential_id>/revoke")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="Back to the list with a message (or, not logged in, to the login page).",
            HTTP_404=error_page("No such credential."),
            **FORM_ERRORS,
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(form_body({"reason": {"type": "string"}, "next": {"type": "string"}}))
    @login_required
    def revoke(credential_id: Any) -> Any:
        """Revoke a credential (form)."""
        reason = request.form.get("reason", "unspecified") or "unspecified"
        try:
            outcome = service.revoke(str(credential_id), reason, institution=g.slug)
        except (InputError, ConflictError, ForbiddenError) as exc:
            flash(str(exc), "error")
            return back()
        where = {
            "revoked": "and on chain",
            "after-anchoring": "(on chain once it is anchored)",
            "pending": "(on chain as soon as the chain is reachable)",
        }.get(outcome.on_chain, "")
        flash(f"Revoked credential {outcome.credential_id} {where}.", "ok")
        return back()

    @bp.post("/credentials/<uuid:credential_id>/delivery")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="Back to the list with a message (or, not logged in, to the login page).",
            HTTP_404=error_page("No such credential."),
            **FORM_ERRORS,
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(form_body({"next": {"type": "string"}}))
    @login_required
    def resend(credential_id: Any) -> Any:
        """(Re)send a credential's claim e-mail with a new link (form)."""
        try:
            state = service.delivery.resend(str(credential_id), g.slug)
        except (ConflictError, ForbiddenError, NotFoundError) as exc:
            flash(str(exc), "error")
            return back()
        when = "now" if state.state == "queued" else "once it is anchored"
        flash(f"The claim e-mail for credential {credential_id} will be sent {when}.", "ok")
        return back()

    @bp.post("/settings/delivery")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="Back to the dashboard (or, not logged in, to the login page).", **FORM_ERRORS
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(form_body({"on": {"type": "string", "enum": ["0", "1"]}}, ["on"]))
    @login_required
    def delivery_default() -> Any:
        """Switch the institution's claim e-mails on or off (rosters and requests may still say otherwise)."""
        on = request.form.get("on") == "1"
        service.delivery.set_institution_default(g.slug, on)
        flash(f"Claim e-mails are {'on' if on else 'off'} by default for new credentials.", "ok")
        return redirect(url_for("admin.dashboard"))

    @bp.get("/mailbox")
    @api_spec.validate(
        resp=Responses(
            HTTP_200=PAGE, HTTP_404=error_page("Not in development mode, or not from this machine."), **LOGIN
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @login_required
    def mailbox() -> Any:
        """The development mailbox (no SMTP server configured; only from this machine): the claim
        e-mails kept for this institution, newest first."""
        box = dev_mailbox()
        if box is None:
            abort(
                404,
                "No development mailbox: an SMTP server is configured, or this is not from this machine.",
            )
        messages = [
            {
                "subject": m["Subject"],
                "to": m["To"],
                "date": m["Date"],
                "text": (m.get_body(("plain",)) or m).get_content(),
            }
            for m in box.messages(g.slug)
        ]
        return render_template("admin_mailbox.html", messages=messages)

    @bp.post("/anchor")
    @api_spec.validate(
        resp=Responses(HTTP_302="Back with a message (or, not logged in, to the login page).", **FORM_ERRORS),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(form_body({"next": {"type": "string"}}))
    @login_required
    def anchor() -> Any:
        """Anchor the pending credentials now (form)."""
        try:
            anchored = service.anchor_now(g.slug)
        except ChainError as exc:
            flash(f"Anchoring failed: {exc}", "error")
            return back()
        total = sum(b.size for b in anchored)
        flash(f"Anchored {total} credential(s) in {len(anchored)} batch(es).", "ok")
        return back()

    @bp.get("/roster")
    @api_spec.validate(
        resp=Responses(HTTP_200=PAGE, **LOGIN), tags=["admin"], security=SESSION, skip_validation=True
    )
    @login_required
    def roster() -> Any:
        """The roster upload form."""
        return render_template(
            "admin_roster.html",
            templates=service.templates(),
            achievements=active_achievements(),
            deliver_default=service.get_institution(g.slug).deliver_email,
        )

    @bp.post("/roster")
    @api_spec.validate(
        resp=Responses(
            HTTP_200=Media("text/html", "Issued: the result with a ZIP download."),
            HTTP_422=Media("text/html", "The per-row error report; nothing issued."),
            **LOGIN,
            **FORM_ERRORS,
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(
        form_body(
            {
                "file": {"type": "string", "contentMediaType": "text/csv"},
                "roster_text": {"type": "string"},
                "allow_partial": {"type": "string"},
                "template": {"type": "string"},
            },
            media="multipart/form-data",
        )
    )
    @login_required
    def roster_submit() -> Any:
        """Upload a roster (form): issued, or the per-row error report."""
        upload = request.files.get("file")
        filename = upload.filename if upload is not None and upload.filename else ""
        # A fresh upload, or the CSV carried back by the error report's "issue the valid rows" form.
        data = upload.read() if upload is not None else request.form.get("roster_text", "").encode("utf-8")
        allow_partial = request.form.get("allow_partial") == "on"
        allow_duplicates = request.form.get("allow_duplicates") == "on"
        template = request.form.get("template") or None
        if not data.strip():
            return render_template(
                "admin_roster.html",
                templates=service.templates(),
                achievements=active_achievements(),
                error="Choose a CSV file to upload.",
            ), 400
        try:
            result = service.issue_roster(
                g.slug,
                data,
                allow_partial=allow_partial,
                default_template=template,
                allow_duplicates=allow_duplicates,
                deliver=deliver_choice(),
            )
        except RosterError as exc:
            bad_rows = len({e.row for e in exc.errors if e.row > 1})
            valid_rows = max(0, exc.total_rows - bad_rows)
            carry = len(data) <= CARRY_BACK_BYTES and valid_rows > 0
            return render_template(
                "admin_roster.html",
                templates=service.templates(),
                achievements=active_achievements(),
                roster_error=exc,
                valid_rows=valid_rows,
                filename=filename,
                roster_text=data.decode("utf-8", errors="replace") if carry else None,
                chosen_template=template or "",
            ), 422
        return render_template(
            "admin_roster_result.html",
            result=result,
            ids=" ".join(c.id for c in result.issued),
            filename=filename,
        )

    @bp.post("/export")
    @api_spec.validate(
        form=AdminExportForm,
        resp=Responses(HTTP_200=ZIP, **LOGIN, **FORM_ERRORS),
        tags=["admin"],
        security=SESSION,
    )
    @login_required
    def export(form: AdminExportForm) -> Any:
        """Download credentials as a ZIP (form: `ids`, or `all=1`)."""
        if form.all == "1":
            ids = None
        elif form.ids:
            ids = check_ids(service, g.slug, form.ids)
        else:
            raise InputError("Name at least one credential in 'ids', or send all=1.")
        if form.temporary != "1":
            anchor_first(service, g.slug, ids)
        # The admin UI's downloads are for printing: QR codes and certificates included.
        return export_response(service, g.slug, ids, qr_codes=True, certificates=True)

    return bp
