"""Shared helpers for the credential format tests (imported as `credentials.helpers`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from issuer.credential_builder import IssuerProfile, Recipient, build_credential
from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
from issuer.signing import sign
from issuer.templates import list_templates

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
W3C = VECTORS / "w3c-vc-di-eddsa"
FIXED_TIME = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class Issuer:
    """A did:key institution with a fixed key."""

    def __init__(self, seed: bytes, name: str) -> None:
        self.key = Ed25519KeyPair.from_seed(seed)
        self.did = did_key_for(self.key.public_key_multibase)
        self.method = did_key_verification_method(self.key.public_key_multibase)
        self.profile = IssuerProfile(self.did, name, "https://sim.example.org", "registrar@sim.example.org")

    def build(self, slug: str = "acls", **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("valid_from", FIXED_TIME)
        recipient = kwargs.pop("recipient", Recipient("Jane.Doe@Example.org", "Jane Doe", salt="pepper"))
        return build_credential(list_templates()[slug], self.profile, recipient, **kwargs)

    def sign(self, document: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("created", FIXED_TIME)
        return sign(document, self.key, self.method, **kwargs)
