"""OpenID4VCI 1.0 (pre-authorized code flow) against a served issuer on the in-process chain, with
the OpenWallet Foundation's client library as the wallet (tests/web/oid4vci_wallet.mjs): the claim
page's offer is taken, a holder-bound credential received, anchored, VALID in MedCred's verifier,
and presented by the holder (reference JS library) with holder binding; then every refusal the
specification defines, replayed by hand."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.jwk import OKPKey
from pipeline.reference_wallet import sign_presentation
from sqlalchemy import select, update
from wallet_client import offer_link, offer_of, take_offer
from web_fixtures import WebWorld, free_port, make_world

from issuer.keys import Ed25519KeyPair, did_key_for
from issuer.storage.models import WalletNonce, WalletOffer, utcnow
from issuer.wallet.offers import secret_hash
from issuer.web.server import WebServer, start_web
from verifier.pipeline import Verifier
from verifier.presentation import PresentationReport, verify_submission
from verifier.report import PENDING, VALID
from verifier.vc_jwt import REGISTRY

HOLDER_SEED = bytes(range(32, 64))
HOLDER = did_key_for(Ed25519KeyPair.from_seed(HOLDER_SEED).public_key_multibase)
PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebWorld, WebServer]]:
    port = free_port()
    world = make_world(tmp_path_factory.mktemp("wallet"), f"http://127.0.0.1:{port}")
    server = start_web(world.service, host="127.0.0.1", port=port, verifier_config=world.verifier_config)
    try:
        yield world, server
    finally:
        server.stop()
        world.service.close()


def claim_page(world: WebWorld, server: WebServer, email: str = "ada@example.org") -> tuple[str, str]:
    """(credential id, the claim page's HTML) for a freshly issued, anchored credential."""
    credential_id = world.issue(email=email, name="Ada Okafor")
    world.service.anchor_now()
    link = world.service.delivery.new_claim_link(credential_id)
    page = requests.get(link, timeout=30)
    assert page.status_code == 200
    return credential_id, page.text


def verifier_for(world: WebWorld, server: WebServer) -> Verifier:
    return Verifier(world.verifier_config.allowing_origin(server.url))


def test_metadata_is_openid4vci_1_0_final(live: tuple[WebWorld, WebServer]) -> None:
    _world, server = live
    issuer = requests.get(f"{server.url}/.well-known/openid-credential-issuer", timeout=30).json()
    assert issuer["credential_issuer"] == server.url
    assert issuer["credential_endpoint"] == f"{server.url}/credential"
    assert issuer["nonce_endpoint"] == f"{server.url}/nonce"
    (configuration,) = issuer["credential_configurations_supported"].values()
    assert configuration["format"] == "ldp_vc"
    assert configuration["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert "display" in configuration["credential_metadata"] and "display" not in configuration
    assert configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "EdDSA",
        "ES256",
    ]
    assert configuration["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk"]
    oauth = requests.get(f"{server.url}/.well-known/oauth-authorization-server", timeout=30).json()
    assert oauth["token_endpoint"] == f"{server.url}/token"
    assert oauth["pre-authorized_grant_anonymous_access_supported"] is True


def test_a_wallet_library_takes_the_offer_and_the_credential_is_bound_valid_and_presentable(
    live: tuple[WebWorld, WebServer],
) -> None:
    world, server = live
    credential_id, html = claim_page(world, server)
    link = offer_link(html)
    offer = offer_of(link)
    assert offer["credential_issuer"] == server.url
    code = offer["grants"][PRE_AUTH]["pre-authorized_code"]
    assert len(code) >= 43
    with world.service.db.reader() as session:  # stored only as its hash
        stored = session.scalar(select(WalletOffer).where(WalletOffer.credential_id == credential_id))
        assert stored is not None and stored.code_hash == secret_hash(code) and code not in stored.code_hash

    got = take_offer(link, HOLDER_SEED)
    assert "error" not in got, got
    assert got["version"] == "V1"  # the library read our metadata as 1.0 final, not a draft
    assert got["holder"] == HOLDER and got["tokenType"] == "Bearer"
    (credential,) = got["credentials"]
    original = world.service.get_credential(credential_id)
    assert credential["credentialSubject"]["id"] == HOLDER
    assert credential["id"] != original.document["id"]  # a newly signed credential
    assert (
        credential["credentialSubject"]["achievement"]
        == original.document["credentialSubject"]["achievement"]
    )
    assert (
        credential["credentialSubject"]["identifier"] == original.document["credentialSubject"]["identifier"]
    )
    new_id = credential["id"].rsplit("/", 1)[1]
    bound = world.service.get_credential(new_id)
    assert bound.template == original.template and bound.state == "pending"

    verifier = verifier_for(world, server)
    assert verifier.verify(credential).status == PENDING
    world.service.anchor_now()
    report = verifier.verify(credential)  # the wallet's copy: the anchored one is found at its id
    assert report.status == VALID, report.failed

    anchored = world.service.get_credential(new_id).document
    signed = sign_presentation([anchored], challenge="job-42", domain="hr.example.org", seed=HOLDER_SEED)
    assert signed.error is None, signed.error
    assert signed.holder == HOLDER
    presented = verify_submission(
        verifier, json.dumps(signed.presentation), challenge="job-42", domain="hr.example.org"
    )
    assert isinstance(presented, PresentationReport)
    assert presented.status == VALID, [c for c in presented.checks if c.status != "pass"]
    assert presented.check("holder_binding").code == "ok"

    again = take_offer(link, HOLDER_SEED)  # the same offer again: its code was used
    assert again.get("error") and "invalid_grant" in json.dumps(again)


# ------------------------------------------------------------------ refusals, replayed by hand


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def key_proof(
    audience: str,
    nonce: str | None,
    *,
    seed: bytes = HOLDER_SEED,
    typ: str = "openid4vci-proof+jwt",
    iat: float | None = None,
    header: dict[str, Any] | None = None,
) -> str:
    key = Ed25519KeyPair.from_seed(seed)
    did = did_key_for(key.public_key_multibase)
    private = Ed25519PrivateKey.from_private_bytes(seed)
    jwk = OKPKey.import_key(private)
    claims: dict[str, Any] = {"aud": audience, "iat": int(iat if iat is not None else time.time())}
    if nonce is not None:
        claims["nonce"] = nonce
    protected = {"alg": "EdDSA", "typ": typ, "kid": f"{did}#{key.public_key_multibase}", **(header or {})}
    return jws.serialize_compact(protected, json.dumps(claims).encode(), jwk, registry=REGISTRY)


def token_for(server: WebServer, code: str) -> requests.Response:
    return requests.post(
        f"{server.url}/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": code}, timeout=30
    )


def nonce_from(server: WebServer) -> str:
    answer = requests.post(f"{server.url}/nonce", timeout=30)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    return str(answer.json()["c_nonce"])


def credential_request(server: WebServer, token: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{server.url}/credential", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def fresh_token(world: WebWorld, server: WebServer, email: str = "refusals@example.org") -> str:
    _credential_id, html = claim_page(world, server, email)
    code = offer_of(offer_link(html))["grants"][PRE_AUTH]["pre-authorized_code"]
    answer = token_for(server, code)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def assert_error(answer: requests.Response, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"] == error, answer.json()


def test_an_expired_or_reused_pre_authorized_code_is_invalid_grant(live: tuple[WebWorld, WebServer]) -> None:
    world, server = live
    credential_id, html = claim_page(world, server, "codes@example.org")
    code = offer_of(offer_link(html))["grants"][PRE_AUTH]["pre-authorized_code"]
    assert token_for(server, code).status_code == 200
    assert_error(token_for(server, code), 400, "invalid_grant")  # reused
    assert_error(token_for(server, "x" * 43), 400, "invalid_grant")  # never issued

    code = offer_of(
        offer_link(requests.get(world.service.delivery.new_claim_link(credential_id), timeout=30).text)
    )["grants"][PRE_AUTH]["pre-authorized_code"]
    with world.service.db.session() as session:
        session.execute(
            update(WalletOffer)
            .where(WalletOffer.code_hash == secret_hash(code))
            .values(code_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_error(token_for(server, code), 400, "invalid_grant")  # expired
    bad = requests.post(
        f"{server.url}/token", data={"grant_type": "authorization_code", "code": "x"}, timeout=30
    )
    assert_error(bad, 400, "unsupported_grant_type")
    assert_error(requests.post(f"{server.url}/token", data={}, timeout=30), 400, "invalid_request")


def test_key_proofs_with_a_wrong_nonce_aud_typ_or_signature_are_refused(
    live: tuple[WebWorld, WebServer],
) -> None:
    world, server = live
    token = fresh_token(world, server)
    body = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc"}
    before = world.snapshot()

    def send(proof: str) -> requests.Response:
        return credential_request(server, token, {**body, "proofs": {"jwt": [proof]}})

    assert_error(send(key_proof(server.url, "not-a-nonce-we-gave")), 400, "invalid_nonce")
    assert_error(send(key_proof(server.url, None)), 400, "invalid_nonce")
    assert_error(send(key_proof("https://other.example", nonce_from(server))), 400, "invalid_proof")
    assert_error(send(key_proof(server.url, nonce_from(server), typ="JWT")), 400, "invalid_proof")
    assert_error(
        send(key_proof(server.url, nonce_from(server), iat=time.time() - 3600)), 400, "invalid_proof"
    )
    forged = key_proof(server.url, nonce_from(server))
    head, payload, _sig = forged.split(".")
    other = key_proof(
        server.url, json.loads(base64.urlsafe_b64decode(payload + "==")).get("nonce"), seed=b"\x07" * 32
    )
    assert_error(
        send(f"{head}.{payload}.{other.split('.')[2]}"), 400, "invalid_proof"
    )  # signature by another key
    both = key_proof(
        server.url, nonce_from(server), header={"jwk": {"kty": "OKP", "crv": "Ed25519", "x": _b64(b"1" * 32)}}
    )
    assert_error(send(both), 400, "invalid_proof")
    # a spent nonce: the first proof succeeds, its replay finds the nonce gone
    nonce = nonce_from(server)
    assert_error(
        credential_request(
            server,
            token,
            {"credential_configuration_id": "nope", "proofs": {"jwt": [key_proof(server.url, nonce)]}},
        ),
        400,
        "unknown_credential_configuration",
    )
    assert_error(
        credential_request(server, token, {**body, "proof": {"jwt": "x"}}), 400, "invalid_credential_request"
    )
    assert_error(credential_request(server, token, body), 400, "invalid_credential_request")
    assert world.snapshot() == before  # nothing was issued

    proof = key_proof(server.url, nonce)
    ok = send(proof)
    assert ok.status_code == 200, ok.text
    assert ok.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == HOLDER
    assert_error(send(proof), 401, "invalid_token")  # the token gave its credential


def test_a_missing_or_unknown_access_token_is_401_with_a_bearer_challenge(
    live: tuple[WebWorld, WebServer],
) -> None:
    _world, server = live
    body = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": ["a.b.c"]}}
    bare = requests.post(f"{server.url}/credential", json=body, timeout=30)
    assert_error(bare, 401, "invalid_token")
    assert bare.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(credential_request(server, "y" * 43, body), 401, "invalid_token")
    assert urlsplit(server.url).hostname == "127.0.0.1"


def test_a_credential_revoked_after_its_offer_is_not_issued_again(live: tuple[WebWorld, WebServer]) -> None:
    world, server = live
    credential_id, html = claim_page(world, server, "revoked@example.org")
    code = offer_of(offer_link(html))["grants"][PRE_AUTH]["pre-authorized_code"]
    token = token_for(server, code).json()["access_token"]
    world.service.revoke(credential_id, "issued in error")
    before = world.snapshot()
    denied = credential_request(
        server,
        token,
        {
            "credential_configuration_id": "OpenBadgeCredential_ldp_vc",
            "proofs": {"jwt": [key_proof(server.url, nonce_from(server))]},
        },
    )
    assert_error(denied, 400, "credential_request_denied")
    assert world.snapshot() == before
    page = requests.get(world.service.delivery.new_claim_link(credential_id), timeout=30).text
    assert "openid-credential-offer://" not in page  # no offer for a revoked credential


def test_the_nonce_endpoint_stores_nothing_and_a_forged_nonce_is_refused(
    live: tuple[WebWorld, WebServer],
) -> None:
    world, server = live

    def spent() -> int:
        with world.service.db.reader() as session:
            return len(list(session.scalars(select(WalletNonce.nonce_hash))))

    before = spent()
    nonces = {nonce_from(server) for _ in range(20)}
    assert len(nonces) == 20 and spent() == before  # anyone may ask: nothing is written
    token = fresh_token(world, server, "nonces@example.org")
    expiry, random_part, mac = next(iter(nonces)).split(".")
    forged = f"{int(expiry) + 86400}.{random_part}.{mac}"  # a longer life, same MAC
    body = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc"}
    answer = credential_request(server, token, {**body, "proofs": {"jwt": [key_proof(server.url, forged)]}})
    assert_error(answer, 400, "invalid_nonce")


def test_a_catalog_credential_keeps_its_achievement_version_credits_and_cryptosuite(
    live: tuple[WebWorld, WebServer],
) -> None:
    world, server = live
    definition = {"starter": "acls", "achievement": {"name": "Wallet Sedation Course", "creditsAvailable": 6}}
    achievement = world.service.create_achievement("sim", definition)
    original = world.service.issue_credential(
        "sim",
        {
            "credentialSubject": {
                "email": "catalog.wallet@example.org",
                "name": "Cat Wallet",
                "creditsEarned": 4,
            }
        },
        {"achievement": achievement.id, "cryptosuite": "eddsa-jcs-2022"},
    )
    world.service.anchor_now()
    page = requests.get(world.service.delivery.new_claim_link(original.id), timeout=30)
    assert page.status_code == 200
    link = offer_link(page.text)
    got = take_offer(link, HOLDER_SEED)
    assert "error" not in got, got
    (credential,) = got["credentials"]
    bound = world.service.get_credential(credential["id"].rsplit("/", 1)[1])
    assert bound.template == "catalog" and bound.achievement_id == achievement.id
    assert credential["credentialSubject"]["creditsEarned"] == 4
    assert str(credential["credentialSubject"]["achievement"]["id"]).endswith(achievement.id)
    assert credential["proof"][0]["cryptosuite"] == "eddsa-jcs-2022"
    world.service.anchor_now()
    assert verifier_for(world, server).verify(credential).status == VALID
