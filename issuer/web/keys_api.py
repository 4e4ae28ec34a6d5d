"""The institution's signing keys over the JSON API (admin scope): list, rotate, retire.

Same use cases as `medcred institution keys|rotate-key|retire-key` (issuer/key_lifecycle.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import Field

from issuer.key_lifecycle import list_keys, parse_time, retire_key, rotate_key
from issuer.service import IssuerService
from issuer.web.api_models import Answer, Request
from issuer.web.auth import authorized_first, require
from verifier.web.openapi import BEARER, Responses, api_spec, problems

KEY_ERRORS = problems(400, 401, 403, 404, 409, 502, 503)


class KeyAnswer(Answer):
    keyId: str
    verificationMethod: str
    validFrom: str
    validUntil: str | None = None
    current: bool


class KeyList(Answer):
    keys: list[KeyAnswer]


class AffectedAnswer(Answer):
    id: str
    recipientName: str | None = None
    template: str
    signedAt: str
    anchoredAt: str | None = None


class KeyChangeAnswer(Answer):
    retiredKey: str | None = None
    retiredUntil: str | None = None
    newKey: str | None = None
    affected: list[AffectedAnswer] = Field(
        default_factory=list, description="Credentials this turns INVALID: issue them again."
    )
    notes: list[str] = Field(default_factory=list)


class RetireKeyRequest(Request):
    key: str = Field(description="The key: its 0x key id, its verification method, or key-N.")
    asOf: str | None = Field(
        None, description="From when it is invalid (ISO 8601 or unix seconds); default now."
    )


def add_key_routes(bp: Blueprint, service: IssuerService) -> None:
    """Add /institutions/<slug>/keys, .../keys/rotate and .../keys/retire to the API blueprint."""

    def admin(slug: str, **_: Any) -> Any:
        return require(service, "admin", slug)

    @bp.get("/institutions/<slug>/keys")
    @authorized_first(admin)
    @api_spec.validate(resp=Responses(HTTP_200=KeyList, **KEY_ERRORS), tags=["api"], security=BEARER)
    def keys(slug: str) -> Response:
        """The institution's signing keys: the current one first, then the earlier ones (admin)."""
        return jsonify({"keys": [k.to_json() for k in list_keys(service, slug)]})

    @bp.post("/institutions/<slug>/keys/rotate")
    @authorized_first(admin)
    @api_spec.validate(resp=Responses(HTTP_200=KeyChangeAnswer, **KEY_ERRORS), tags=["api"], security=BEARER)
    def rotate(slug: str) -> Response:
        """New signing key (did:web institutions); the old key's window closes once what it signed
        is anchored, so earlier credentials stay VALID (admin)."""
        return jsonify(rotate_key(service, slug).to_json())

    @bp.post("/institutions/<slug>/keys/retire")
    @authorized_first(admin)
    @api_spec.validate(
        json=RetireKeyRequest,
        resp=Responses(HTTP_200=KeyChangeAnswer, **KEY_ERRORS),
        tags=["api"],
        security=BEARER,
    )
    def retire(slug: str, json: RetireKeyRequest) -> Response:
        """After a compromise: the key is invalid from `asOf` on; the credentials this turns INVALID
        are listed so they can be issued again (admin)."""
        as_of = parse_time(json.asOf) if json.asOf else None
        return jsonify(retire_key(service, slug, json.key, as_of).to_json())
