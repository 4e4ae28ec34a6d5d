"""Fixtures for the credential format tests: vectors, deterministic issuers, built credentials."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft201909Validator

from credentials.helpers import Issuer, load_json
from verifier.jsonld_loader import default_loader
from verifier.resources import schemas_dir


@pytest.fixture(scope="session")
def examples_loader():
    """The loader that also serves the W3C examples context (vectors only)."""
    return default_loader(include_examples=True)


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return Issuer(bytes(range(32)), "St Elsewhere Simulation Centre")


@pytest.fixture(scope="session")
def other_issuer() -> Issuer:
    return Issuer(bytes(range(1, 33)), "Mallory Training Ltd")


@pytest.fixture(scope="session")
def signed_rdfc(issuer: Issuer) -> dict[str, Any]:
    """A credential as MedCred signed them before proofs became arrays: `proof` is one object.

    VC 2.0 allows it (a proof set of one); such credentials are in learners' hands and must keep
    verifying, so the bad-input tests mutate this form.
    """
    signed = issuer.sign(issuer.build("acls"))
    return {**signed, "proof": signed["proof"][0]}


@pytest.fixture(scope="session")
def obv3_validator() -> Draft201909Validator:
    schema = load_json(schemas_dir() / "obv3" / "ob_v3p0_achievementcredential_schema.json")
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
