"""VC-API-shaped endpoints: `POST /credentials/issue`, `POST /credentials/status`, and the public
`GET /status-lists/<id>` (the signed BitstringStatusListCredential).

Issuing maps a partial Open Badges credential onto `IssuerService.issue`, because the issuer, the
achievement, the dates and the status entry are the institution's and the template's to decide,
not the caller's:

    {"credential": {"credentialSubject": {"name": "Jane Doe", "email": "jane@example.org"},
                    "validFrom": "2026-03-01"},            # optional
     "options": {"template": "acls"}}                      # required

- The recipient's e-mail: `credentialSubject.email`, or an OBv3 `identifier` entry with
  `identityType: "emailAddress"`, `hashed: false` and the address as `identityHash` (it is hashed
  with a salt before signing; the clear address is never stored in the credential).
- `credentialSubject.name`: the name printed on the credential (optional).
- `validFrom`: a date or ISO 8601 date-time (optional; default now). `validUntil` comes from the
  template's validity.
- `issuer`, if present, must be the institution's DID (string or `{"id": ...}`); `@context`,
  `type` and `id` are accepted and replaced; any other credential property is refused (400),
  so a caller never believes a property was signed when it was not.
- The institution is the API token's (`options.institution`, if given, must match).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, json, jsonify, request

from issuer.service import IssuerService
from issuer.storage.errors import NotFoundError
from issuer.web import bodies
from issuer.web.auth import require
from issuer.web.presenters import iso
from verifier.errors import InputError

ACCEPTED_CREDENTIAL_KEYS = frozenset({"@context", "type", "id", "issuer", "credentialSubject", "validFrom"})
"""What a caller may put into `credential`; anything else would silently not be signed, so it is refused."""
ACCEPTED_SUBJECT_KEYS = frozenset({"type", "name", "email", "identifier"})


def _subject(credential: dict[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    if subject is None:
        raise InputError("'credential.credentialSubject' is required (with the recipient's email).")
    if not isinstance(subject, dict):
        raise InputError("'credential.credentialSubject' must be one JSON object.")
    unknown = sorted(set(subject) - ACCEPTED_SUBJECT_KEYS)
    if unknown:
        raise InputError(
            f"The credentialSubject property {unknown[0]!r} cannot be set by the caller "
            "(send name, and email or an e-mail identifier; the template sets the achievement)."
        )
    return subject


def _email(subject: dict[str, Any]) -> str:
    email = subject.get("email")
    if email is not None:
        if not isinstance(email, str):
            raise InputError("'credentialSubject.email' must be a string.")
        return email
    identifiers = subject.get("identifier")
    entries = identifiers if isinstance(identifiers, list) else [identifiers]
    for entry in entries:
        if (
            isinstance(entry, dict)
            and entry.get("identityType") == "emailAddress"
            and entry.get("hashed") is False
            and isinstance(entry.get("identityHash"), str)
        ):
            return entry["identityHash"]
    raise InputError(
        "The recipient's e-mail is required: 'credentialSubject.email', or an identifier with "
        'identityType "emailAddress", hashed false and the address as identityHash.'
    )


def issue_arguments(body: dict[str, Any], issuer_did: str) -> dict[str, Any]:
    """service.issue's keyword arguments from a VC-API issue request (see the module docstring)."""
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise InputError("'credential' is required and must be a JSON object.")
    options = bodies.optional_object(body, "options")
    unknown = sorted(set(credential) - ACCEPTED_CREDENTIAL_KEYS)
    if unknown:
        raise InputError(
            f"The credential property {unknown[0]!r} cannot be set by the caller: the template and the "
            "institution decide it (send credentialSubject, validFrom and options.template)."
        )
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer is not None and issuer_id != issuer_did:
        raise InputError(f"'credential.issuer' must be this institution's DID ({issuer_did}) or absent.")
    subject = _subject(credential)
    name = subject.get("name")
    if name is not None and not isinstance(name, str):
        raise InputError("'credentialSubject.name' must be a string.")
    valid_from = credential.get("validFrom")
    if valid_from is not None and not isinstance(valid_from, str):
        raise InputError("'credential.validFrom' must be a date or date-time string.")
    return {
        "template": bodies.required_str(options, "template", limit=100),
        "email": _email(subject),
        "name": name,
        "valid_from": valid_from,
    }


def create_vcapi_blueprint(service: IssuerService) -> Blueprint:
    bp = Blueprint("vcapi", __name__)

    @bp.post("/credentials/issue")
    def issue() -> tuple[Response, int, dict[str, str]]:
        token = require(service, "issue")
        body = bodies.json_object()
        options = bodies.optional_object(body, "options")
        wanted = bodies.optional_str(options, "institution", limit=100)
        if wanted is not None:
            token = require(service, "issue", wanted)
        arguments = issue_arguments(body, service.get_institution(token.institution).did)
        issued = service.issue(token.institution, **arguments)
        return jsonify({"verifiableCredential": issued.document}), 201, {"Location": issued.document["id"]}

    @bp.post("/credentials/status")
    def update_status() -> Response:
        token = require(service, "revoke")
        body = bodies.json_object()
        credential_id = bodies.required_str(body, "credentialId", limit=2000)
        changes = body.get("credentialStatus")
        if not isinstance(changes, list) or not changes or not all(isinstance(c, dict) for c in changes):
            raise InputError("'credentialStatus' must be a non-empty list of {type, status} objects.")
        for change in changes:
            if change.get("type") != "BitstringStatusListEntry":
                raise InputError(
                    "Only credentialStatus entries of type BitstringStatusListEntry are supported."
                )
            if change.get("status") != "revoked":
                raise InputError(
                    "Only the status 'revoked' can be set: revocation is permanent, and suspension "
                    "is not offered."
                )
        reason = bodies.optional_str(body, "reason", limit=500) or "unspecified"
        outcome = service.revoke(credential_id, reason, institution=token.institution)
        return jsonify(
            {
                "credentialId": credential_id,
                "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
                "revokedAt": iso(outcome.revoked_at),
                "reason": outcome.reason,
                "onChain": outcome.on_chain,
                "transactionHash": outcome.tx_hash,
            }
        )

    @bp.get("/status-lists/<list_id>")
    def status_list(list_id: str) -> Response:
        if len(list_id) > 200:
            raise NotFoundError("There is no such status list.")
        document = service.status_list_credential(list_id)
        payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
        etag = hashlib.sha256(payload).hexdigest()[:32]
        response = Response(payload, mimetype="application/json")
        response.set_etag(etag)
        response.headers["Cache-Control"] = "public, max-age=60"
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response.make_conditional(request)

    return bp
