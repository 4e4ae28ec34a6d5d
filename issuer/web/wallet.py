"""OpenID4VCI 1.0 endpoints (pre-authorized code flow) and the claim page's "Add to wallet" offer.

    GET  /.well-known/openid-credential-issuer   Credential Issuer Metadata (issuer.wallet.metadata)
    GET  /.well-known/oauth-authorization-server OAuth 2.0 Authorization Server Metadata
    POST /token        grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code -> access token
    POST /nonce        a c_nonce for the key proof
    POST /credential   {"credential_configuration_id", "proofs": {"jwt": [proof]}} with the access
                       token -> {"credentials": [{"credential": {...}}]}

Errors are the specification's JSON (`{"error", "error_description"}`, issuer.wallet.errors),
never problem+json: wallets read them. The endpoints are open to any origin (CORS), since a web
wallet calls them from its own; they use no cookies. The access token and the pre-authorized code
are the authentication; the code comes from the claim page, which only the claim link opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from issuer.qr import qr_svg
from issuer.service import IssuerService
from issuer.storage.errors import ConflictError, ForbiddenError, NotFoundError
from issuer.wallet import metadata
from issuer.wallet.errors import Oid4vciError
from issuer.wallet.holder_credential import issue_holder_credential
from issuer.wallet.nonces import new_nonce, nonce_key, spend_nonce
from issuer.wallet.offers import (
    CODE_LIFETIME,
    check_access_token,
    claim_access_token,
    create_offer,
    finish_access_token,
    redeem_code,
)
from issuer.wallet.proofs import verify_key_proof
from issuer.web.claim import ClaimView, set_wallet_offer
from verifier.did import DidResolver
from verifier.errors import InputError, MedCredError
from verifier.web.openapi import Media, Responses, api_spec, request_body

JSON_OBJECT = {"type": "object"}
OAUTH_ERROR = Media("application/json", "An OAuth 2.0 / OpenID4VCI error: {error, error_description}.")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, DPoP",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
}


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(NO_STORE)
    response.headers.update(headers or {})
    return response


def _error(exc: Oid4vciError) -> Response:
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
    return _json(exc.body(), exc.status, headers)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def create_wallet_blueprint(service: IssuerService) -> Blueprint:
    """The OpenID4VCI endpoints over `service` (see the module docstring)."""
    bp = Blueprint("wallet", __name__)
    base_url = service.config.public_base_url
    audience = metadata.issuer_identifier(base_url)
    resolver = DidResolver(allow_network=False)  # did:key and did:jwk resolve offline

    @bp.after_request
    def cors(response: Response) -> Response:
        response.headers.update(CORS)
        return response

    @bp.errorhandler(Oid4vciError)
    def oid4vci_error(exc: Oid4vciError) -> Response:
        return _error(exc)

    @bp.get(metadata.ISSUER_METADATA_PATH)
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("application/json", "Credential Issuer Metadata", JSON_OBJECT)),
        tags=["wallet"],
        skip_validation=True,
    )
    def issuer_metadata() -> Response:
        """OpenID4VCI 1.0 Credential Issuer Metadata (the Open Badges credential in ldp_vc format)."""
        return jsonify(metadata.credential_issuer_metadata(base_url))

    @bp.get(metadata.AS_METADATA_PATH)
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("application/json", "Authorization Server Metadata", JSON_OBJECT)),
        tags=["wallet"],
        skip_validation=True,
    )
    def authorization_server_metadata() -> Response:
        """OAuth 2.0 Authorization Server Metadata (RFC 8414): the token endpoint, pre-authorized grant."""
        return jsonify(metadata.authorization_server_metadata(base_url))

    @bp.post(metadata.TOKEN_PATH)
    @api_spec.validate(
        resp=Responses(
            HTTP_200=Media("application/json", "The access token (Bearer).", JSON_OBJECT),
            HTTP_400=OAUTH_ERROR,
        ),
        tags=["wallet"],
        skip_validation=True,
    )
    @request_body(
        {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type", "pre-authorized_code"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": [metadata.PRE_AUTHORIZED_GRANT]},
                        "pre-authorized_code": {"type": "string"},
                    },
                }
            }
        }
    )
    def token() -> Response:
        """Token endpoint: exchange a pre-authorized code (single-use, expiring) for an access token."""
        grant_type = request.form.get("grant_type")
        if not grant_type:
            raise Oid4vciError("invalid_request", "grant_type is required (a form-encoded body).")
        if grant_type != metadata.PRE_AUTHORIZED_GRANT:
            raise Oid4vciError(
                "unsupported_grant_type",
                f"Only the pre-authorized code grant ({metadata.PRE_AUTHORIZED_GRANT}).",
            )
        code = request.form.get("pre-authorized_code")
        if not code or len(code) > 200:
            raise Oid4vciError("invalid_request", "pre-authorized_code is required.")
        if "tx_code" in request.form:
            raise Oid4vciError("invalid_request", "This offer has no transaction code: send no tx_code.")
        with service.db.session() as session:
            access_token, lifetime = redeem_code(session, code)
        return _json({"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime})

    @bp.post(metadata.NONCE_PATH)
    @api_spec.validate(
        resp=Responses(HTTP_200=Media("application/json", "{c_nonce}", JSON_OBJECT)),
        tags=["wallet"],
        skip_validation=True,
    )
    def nonce() -> Response:
        """Nonce endpoint: a fresh c_nonce (single-use, expiring) for the wallet's key proof."""
        return _json({"c_nonce": new_nonce(nonce_key(current_app.secret_key))})

    @bp.post(metadata.CREDENTIAL_PATH)
    @api_spec.validate(
        resp=Responses(
            HTTP_200=Media("application/json", '{"credentials": [{"credential": {...}}]}', JSON_OBJECT),
            HTTP_400=OAUTH_ERROR,
            HTTP_401=OAUTH_ERROR,
        ),
        tags=["wallet"],
        skip_validation=True,
    )
    @request_body({"application/json": {"schema": JSON_OBJECT}})
    def credential() -> Response:
        """Credential endpoint: a newly signed credential bound to the holder's DID (JWT key proof)."""
        with service.db.reader() as session:
            grant = check_access_token(session, _bearer())
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise Oid4vciError("invalid_credential_request", "The request must be a JSON object.")
        if "credential_identifier" in body:
            raise Oid4vciError(
                "invalid_credential_request",
                "This access token came with no authorization_details: use credential_configuration_id.",
            )
        configuration = body.get("credential_configuration_id")
        if not isinstance(configuration, str):
            raise Oid4vciError("invalid_credential_request", "credential_configuration_id is required.")
        if configuration != metadata.CONFIGURATION_ID:
            raise Oid4vciError(
                "unknown_credential_configuration",
                f"Unknown credential configuration; this issuer offers {metadata.CONFIGURATION_ID}.",
            )
        if "proof" in body:
            raise Oid4vciError("invalid_credential_request", "Send the key proof in proofs (1.0), not proof.")
        proofs = body.get("proofs")
        if not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
            raise Oid4vciError("invalid_credential_request", 'proofs must be {"jwt": [one key proof JWT]}.')
        jwts = proofs["jwt"]
        if not isinstance(jwts, list) or len(jwts) != 1:
            raise Oid4vciError(
                "invalid_credential_request", "proofs.jwt must hold one proof (no batch issuance here)."
            )
        holder = verify_key_proof(
            jwts[0],
            audience=audience,
            spend_nonce=_spender(service, nonce_key(current_app.secret_key)),
            resolver=resolver,
        )
        record = service.get_credential(grant.credential_id)
        if record.revoked:
            raise Oid4vciError("credential_request_denied", "This credential was revoked by its issuer.")
        with service.db.session() as session:
            claim_access_token(session, grant)
        issued = None
        try:
            issued = issue_holder_credential(service, record, holder.did)
        except (InputError, ConflictError, ForbiddenError, NotFoundError) as exc:
            raise Oid4vciError("credential_request_denied", str(exc)) from exc
        except MedCredError as exc:
            raise Oid4vciError("credential_request_denied", f"The issuer cannot sign now: {exc}") from exc
        finally:
            with service.db.session() as session:
                finish_access_token(session, grant, issued.id if issued is not None else None)
        return _json({"credentials": [{"credential": issued.document}]})

    return bp


def _spender(service: IssuerService, key: bytes) -> Callable[[str], bool]:
    def spend(value: str) -> bool:
        try:
            with service.db.session() as session:
                return spend_nonce(session, key, value)
        except IntegrityError:  # spent by a concurrent request a moment ago
            return False

    return spend


def install_wallet(app: Flask, service: IssuerService) -> None:
    """Register the OpenID4VCI endpoints and put a credential offer on every claim page."""
    app.register_blueprint(create_wallet_blueprint(service))

    def offer(view: ClaimView) -> Markup | None:
        if view.record.revoked:
            return None
        with service.db.session() as session:
            made = create_offer(session, view.record.id, service.config.public_base_url)
        link = made.deep_link
        svg = qr_svg(link, box_size=4, title="Credential offer for your wallet", scalable=True)
        # render_template autoescapes; the QR code is segno's SVG of our own link (title escaped by segno)
        return Markup(  # noqa: S704
            render_template(
                "claim_wallet.html",
                link=link,
                qr=Markup(svg),  # noqa: S704
                minutes=int(CODE_LIFETIME.total_seconds() // 60),
            )
        )

    set_wallet_offer(app, offer)
