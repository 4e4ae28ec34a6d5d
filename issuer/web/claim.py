"""The learner's claim page (`/claim/<token>`, the link in the claim e-mail), phone first.

It shows the credential and its verdict (the verifier pipeline, in-process, with the same
configuration as the /verify page: no HTTP request to ourselves for the credential), and offers
the JSON, the PDF certificate and the baked badge image, LinkedIn's add-certification link and
"Add to wallet". `GET /claim` and `POST /claim` let a learner ask for new links by e-mail (the
answer never says whether the address is known; rate-limited per client).

The wallet offer is a hook, so the OpenID4VCI layer plugs in without touching this module:

    from issuer.web.claim import set_wallet_offer
    set_wallet_offer(app, lambda view: Markup(render_template("claim_wallet.html", view=view)))

`view` is a `ClaimView` (token, claim, record, links, report); returning None shows the fallback
(download the JSON for a wallet that imports files).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request
from markupsafe import Markup

from issuer.delivery.claims import Claim, ClaimExpiredError, UnknownClaimError
from issuer.issuance import check_email
from issuer.service import CredentialRecord, IssuerService
from issuer.web.linkedin import linkedin_add_url
from issuer.web.links import CredentialLinks, links_for
from issuer.web.presenters import achievement_of, issuer_name
from issuer.web.sessions import CSRF_FIELD, csrf_ok
from verifier.config import VerifierConfig
from verifier.dates import credential_dates
from verifier.errors import InputError
from verifier.pipeline import Verifier
from verifier.report import Report
from verifier.web.openapi import Media, Responses, api_spec, error_page

WALLET_OFFER = "medcred.claim_wallet_offer"
VERIFIER_CONFIG = "medcred.verifier_config"
NEW_LINK_LIMIT = "5 per minute;20 per hour"
PAGE = Media("text/html", "The page.")
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


@dataclass(frozen=True)
class ClaimView:
    """What the claim page shows, for the page and for hooks such as the wallet offer."""

    token: str
    claim: Claim
    record: CredentialRecord
    links: CredentialLinks
    report: Report

    @property
    def achievement(self) -> dict[str, Any]:
        return achievement_of(self.record.document)

    @property
    def issuer_name(self) -> str:
        return issuer_name(self.record.document)

    @property
    def linkedin(self) -> str:
        return linkedin_add_url(
            name=str(self.achievement.get("name") or "Credential"),
            organization=self.issuer_name,
            issued=self.record.valid_from,
            expires=self.record.valid_until,
            cert_url=self.record.url,
            cert_id=self.record.id,
        )


WalletOffer = Callable[[ClaimView], Markup | str | None]


def set_wallet_offer(app: Flask, offer: WalletOffer) -> None:
    """Render "Add to wallet" on the claim page with `offer(view)` (HTML; None: the fallback)."""
    app.extensions[WALLET_OFFER] = offer


def create_claim_blueprint(
    service: IssuerService, verifier_config: Callable[[], VerifierConfig]
) -> Blueprint:
    bp = Blueprint("claim", __name__)
    base_url = service.config.public_base_url
    local = threading.local()

    def verifier() -> Verifier:
        current = getattr(local, "verifier", None)
        if current is None:
            current = Verifier(verifier_config())
            local.verifier = current
        return current

    def page(template: str, status: int = 200, **context: Any) -> Response:
        return Response(render_template(template, **context), status=status, headers=NO_STORE)

    @bp.get("/claim/<token>")
    @api_spec.validate(
        resp=Responses(
            HTTP_200=PAGE,
            HTTP_404=error_page("Unknown claim link (the page offers a new one)."),
            HTTP_410=error_page("Expired claim link (the page offers a new one)."),
        ),
        tags=["learner"],
        skip_validation=True,
    )
    def claim_page(token: str) -> Response:
        """The learner's claim page: the credential, its verdict, downloads, LinkedIn, wallet."""
        try:
            claim = service.delivery.open(token)
        except ClaimExpiredError:
            return page("claim_problem.html", 410, expired=True)
        except UnknownClaimError:
            return page("claim_problem.html", 404, expired=False)
        record = service.get_credential(claim.credential_id)
        view = ClaimView(
            token=token,
            claim=claim,
            record=record,
            links=links_for(base_url, record.id, record.url),
            report=verifier().verify(record.document, source="claim link"),
        )
        offer = current_app.extensions.get(WALLET_OFFER)
        wallet = offer(view) if offer is not None else None
        return page(
            "claim.html",
            view=view,
            record=record,
            achievement=view.achievement,
            dates=credential_dates(record.document),
            wallet=wallet,  # Markup is rendered as given, a plain str escaped
            badge="public.badge_png" in current_app.view_functions,
        )

    @bp.get("/claim")
    @api_spec.validate(resp=Responses(HTTP_200=PAGE), tags=["learner"], skip_validation=True)
    def new_link_form() -> Response:
        """Ask for new claim links by e-mail."""
        return page("claim_new_link.html")

    @bp.post("/claim")
    @api_spec.validate(
        resp=Responses(
            HTTP_200=PAGE,
            HTTP_400=error_page("Not an e-mail address, or the form expired."),
            HTTP_429=error_page("Too many requests from this address."),
        ),
        tags=["learner"],
        skip_validation=True,
    )
    def new_link_submit() -> Response:
        """Send new claim links to this address, for credentials issued to it (the answer is the
        same whether or not the address is known)."""
        if not csrf_ok(request.form.get(CSRF_FIELD)):
            return page("claim_new_link.html", 400, error="The form expired: please try again.")
        email = request.form.get("email", "").strip()[:320]
        try:
            check_email(email)
        except InputError:
            return page(
                "claim_new_link.html", 400, error="Enter the e-mail address the credential was sent to."
            )
        service.delivery.request_new_links(email)
        return page("claim_new_link.html", sent=True)

    return bp


def limit_new_link_requests(app: Flask, limiter: Any, limit: str = NEW_LINK_LIMIT) -> None:
    """Rate-limit `POST /claim` per client with the app's Flask-Limiter (issuer.web.rate_limit)."""
    endpoint = "claim.new_link_submit"
    app.view_functions[endpoint] = limiter.limit(
        limit,
        methods=["POST"],
        scope="claim-new-link",
        error_message="Too many requests for new links from this address: wait a few minutes, then retry.",
    )(app.view_functions[endpoint])
