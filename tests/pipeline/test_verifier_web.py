"""The verifier page and VC-API endpoint through Flask's test client (server-rendered flows)."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from verifier.web.app import create_app

from .servers import CredentialHost, credential_host
from .world import Institution, World


@pytest.fixture(scope="module")
def host() -> Iterator[CredentialHost]:
    with credential_host() as served:
        yield served


@pytest.fixture(scope="module")
def anchored(world: World, institution: Institution) -> list[dict[str, Any]]:
    return world.issue_anchored(institution, 3)


@pytest.fixture
def client(world: World, host: CredentialHost) -> FlaskClient:
    return create_app(world.config(allow_hosts=host.allow)).test_client()


def test_deep_link_renders_valid_without_javascript(
    client: FlaskClient, host: CredentialHost, anchored: list[dict[str, Any]]
) -> None:
    url = host.put("c0.json", anchored[0])
    response = client.get("/verify", query_string={"credential": url})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-status="VALID"' in page
    assert "Dr Ada Okafor" in page
    assert "Advanced Cardiac Life Support" in page
    assert 'data-check="revocation" data-status="pass"' in page


def test_deep_link_to_a_verifier_link_is_unwrapped(
    client: FlaskClient, host: CredentialHost, anchored: list[dict[str, Any]]
) -> None:
    url = host.put("c1.json", anchored[1])
    response = client.get(
        "/verify", query_string={"credential": f"https://verify.example/verify?credential={url}"}
    )
    assert 'data-status="VALID"' in response.get_data(as_text=True)


def test_upload_paste_and_tampered(client: FlaskClient, anchored: list[dict[str, Any]]) -> None:
    response = client.post(
        "/verify",
        data={"credential_file": (io.BytesIO(json.dumps(anchored[2]).encode()), "cred.json")},
        content_type="multipart/form-data",
    )
    assert 'data-status="VALID"' in response.get_data(as_text=True)
    forged = copy.deepcopy(anchored[2])
    forged["credentialSubject"]["name"] = "Dr Impostor"
    page = client.post("/verify", data={"credential_json": json.dumps(forged)}).get_data(as_text=True)
    assert 'data-status="INVALID"' in page
    assert 'data-check="signature" data-status="fail"' in page


def test_unreachable_link_and_empty_form(client: FlaskClient) -> None:
    response = client.get("/verify", query_string={"credential": "http://127.0.0.1:9/x.json"})
    assert response.status_code == 502
    assert "could not be fetched" in response.get_data(as_text=True)
    response = client.post("/verify", data={})
    assert response.status_code == 400


def test_fields_are_escaped(client: FlaskClient, world: World, institution: Institution) -> None:
    (credential,) = world.issue(institution, holder='<script>alert("x")</script><b>bold</b>')
    page = client.post("/verify", data={"credential_json": json.dumps(credential)}).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert "<b>bold</b>" not in page


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    for response in (client.get("/verify"), client.get("/nope"), client.post("/credentials/verify", json={})):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_vc_api_verify(client: FlaskClient, anchored: list[dict[str, Any]]) -> None:
    response = client.post("/credentials/verify", json={"verifiableCredential": anchored[0]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["verified"] is True
    assert "signature" in body["checks"]
    assert body["errors"] == []
    forged = copy.deepcopy(anchored[0])
    forged["validFrom"] = "2001-01-01T00:00:00Z"
    response = client.post("/credentials/verify", json={"verifiableCredential": forged})
    assert response.status_code == 422  # checked and failed: a 4xx, as the VC API test suites expect
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 422 and body["title"] == "Not verified: INVALID" and body["detail"]
    assert body["verified"] is False and body["report"]["status"] == "INVALID"
    signature = next(e for e in body["errors"] if e["check"] == "signature")
    assert signature["type"] == "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR"
    assert signature["code"] == "signature_invalid" and signature["detail"]
    assert body["report"]["status"] == "INVALID"


def test_vc_api_bad_requests_are_problem_json(client: FlaskClient) -> None:
    response = client.post("/credentials/verify", data="nope", content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    response = client.post("/credentials/verify", data=b"{" * 10, content_type="application/json")
    assert response.status_code == 400
    deep = b'{"verifiableCredential": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    response = client.post("/credentials/verify", data=deep, content_type="application/json")
    assert response.status_code == 400
    big = {"verifiableCredential": {"x": "a" * (3 * 1024 * 1024)}}
    response = client.post("/credentials/verify", json=big)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


# ---------------------------------------------------------------------------- presentations


def _presentation(world: World, credentials: list[dict[str, Any]], challenge: str, domain: str) -> Any:
    from .reference_wallet import sign_presentation

    signed = sign_presentation(credentials, challenge=challenge, domain=domain)
    assert signed.presentation is not None, signed.error
    return signed


def test_vc_api_verify_presentation(
    client: FlaskClient, world: World, anchored: list[dict[str, Any]]
) -> None:
    signed = _presentation(world, anchored[:2], "ch-77", "hr.example.org")
    options = {"challenge": "ch-77", "domain": "hr.example.org"}
    response = client.post(
        "/presentations/verify", json={"verifiablePresentation": signed.presentation, "options": options}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["verified"] is True and body["verdict"] == "VALID"
    assert {"holder_proof", "challenge", "domain"} <= set(body["checks"])
    assert body["results"]["challenge"] == {"valid": True, "input": "ch-77"}
    assert body["results"]["holder"] == {"valid": True, "input": signed.holder}
    assert [r["verified"] for r in body["credentialResults"]] == [True, True]
    assert body["warnings"][0]["code"] == "holder_not_bound"

    response = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": signed.presentation, "options": {**options, "challenge": "old"}},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["verified"] is False and body["results"]["challenge"] == {"valid": False, "input": "old"}
    assert [p["code"] for p in body["problemDetails"]] == ["challenge_mismatch"]

    tampered = copy.deepcopy(signed.presentation)
    tampered["verifiableCredential"][1]["validFrom"] = "2001-01-01T00:00:00Z"
    body = client.post(
        "/presentations/verify", json={"verifiablePresentation": tampered, "options": options}
    ).get_json()
    assert body["verified"] is False
    assert body["presentationResult"]["verified"] is False  # the holder's signature covers it
    assert [r["verified"] for r in body["credentialResults"]] == [True, False]

    # The wrong endpoint for the thing sent, and no presentation at all: 400 problem+json.
    response = client.post("/presentations/verify", json={"verifiablePresentation": anchored[0]})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    response = client.post("/credentials/verify", json={"verifiableCredential": signed.presentation})
    assert response.status_code == 400 and "presentations/verify" in response.get_json()["detail"]
    response = client.post("/presentations/verify", json={"options": options})
    assert response.status_code == 400


def test_the_page_shows_the_holder_and_each_credentials_verdict(
    client: FlaskClient, world: World, anchored: list[dict[str, Any]]
) -> None:
    forged = copy.deepcopy(anchored[2])
    forged["credentialSubject"]["achievement"]["name"] = "Cardiothoracic Surgery Fellowship"
    signed = _presentation(world, [anchored[0], forged], "ch-page", "hr.example.org")
    response = client.post(
        "/verify",
        data={
            "credential_file": (io.BytesIO(json.dumps(signed.presentation).encode()), "presentation.json"),
            "challenge": "ch-page",
            "domain": "hr.example.org",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="verdict" data-status="INVALID"' in page
    assert f'id="presentation-holder" class="mono">{signed.holder}<' in page
    assert 'data-check="holder_proof" data-status="pass"' in page
    assert 'data-check="challenge" data-status="pass"' in page
    assert '<section class="card presented" data-index="1" data-status="VALID">' in page
    assert '<section class="card presented" data-index="2" data-status="INVALID">' in page
    assert "Cardiothoracic Surgery Fellowship" in page and "Credential 2 of 2" in page


def test_pending_is_amber_on_the_page_and_not_verified_in_vc_api(
    client: FlaskClient, world: World, institution: Institution, host: CredentialHost
) -> None:
    (pending,) = world.issue(institution, base_url=host.base_url)
    url = host.put(pending["id"].removeprefix(host.base_url + "/"), pending)
    page = client.get("/verify", query_string={"credential": url}).get_data(as_text=True)
    assert 'class="verdict pending"' in page and 'data-status="PENDING"' in page
    assert 'data-check="anchor" data-status="pending"' in page
    answer = client.post("/credentials/verify", json={"verifiableCredential": pending}).get_json()
    assert answer["verified"] is False
    assert answer["report"]["status"] == "PENDING"
    assert any(w["code"] == "anchor_pending" for w in answer["warnings"])
