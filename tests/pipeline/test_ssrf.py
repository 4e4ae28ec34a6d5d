"""Issue 9, SSRF: the verifier page, the VC-API verify endpoint, did:web and status lists never reach
loopback, private or link-local addresses (directly, by a DNS name, or by a redirect), unless the
configuration allows that origin. Every refusal reads the same, internal JSON never reaches the page,
and nothing is fetched for a credential whose signature failed.

Real HTTP servers on 127.0.0.1 play the internal services; the verifier runs with `allow_hosts`
empty (refusals) or with one origin allowed (the positive path and the redirect tests).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from hostile_servers import SECRET, ConnectionCounter, HostileServer, closed_port, hostile_server

from issuer.signing import sign
from issuer.status_list import StatusList, status_entry, status_list_credential
from verifier.report import INVALID, VALID, CheckStatus
from verifier.web.app import create_app

from .world import Institution, World

GENERIC = "could not be fetched: the host is unreachable, did not answer in time, or is not a public address."
SECRETS = ("s3cr3t-internal-token", "metadata-service")


@pytest.fixture(scope="module")
def internal() -> Iterator[HostileServer]:
    """An internal service: answers secrets, and a genuine status list, to whoever reaches it."""
    with hostile_server() as served:
        yield served


@pytest.fixture(scope="module")
def public() -> Iterator[HostileServer]:
    """A host the configuration allows (standing in for a public one): it redirects inward."""
    with hostile_server() as served:
        yield served


def _client(world: World, *allowed: str) -> FlaskClient:
    config = world.config(status_list=True, did_web=True, allow_hosts=frozenset(allowed))
    return create_app(config).test_client()


def _page_reason(page: str) -> str:
    """The page's error sentence after its last "could not be fetched" (the URL differs, not this)."""
    assert "could not be fetched" in page, page
    return "could not be fetched" + page.rsplit("could not be fetched", 1)[1].split("<", 1)[0].strip()


def _internal_urls(internal: HostileServer) -> list[str]:
    port = internal.base_url.rsplit(":", 1)[1]
    return [
        f"{internal.base_url}/secret",  # loopback, open port
        f"http://127.0.0.1:{closed_port()}/secret",  # loopback, closed port
        f"http://localhost:{port}/secret",  # a DNS name resolving to loopback
        f"http://[::ffff:127.0.0.1]:{port}/secret",
        "http://10.1.2.3/secret",  # private
        "http://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
    ]


def test_the_verify_page_refuses_internal_addresses_all_alike(
    world: World, internal: HostileServer, public: HostileServer
) -> None:
    client = _client(world, public.origin)
    before = internal.count()
    urls = [*_internal_urls(internal), public.redirect("/inward", f"{internal.base_url}/secret")]
    sentences = set()
    for url in urls:
        for response in (
            client.get("/verify", query_string={"credential": url}),
            client.post("/verify", data={"credential_url": url}),
        ):
            page = response.get_data(as_text=True)
            assert response.status_code == 502, (url, page)
            assert not any(secret in page for secret in SECRETS)
            sentences.add(_page_reason(page))
    assert sentences == {GENERIC}
    assert internal.count() == before  # never reached


def test_a_malformed_link_is_a_400_not_a_500(world: World) -> None:
    response = _client(world).get("/verify", query_string={"credential": "http://[::1"})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def _publish(server: HostileServer, name: str, inst: Institution, revoked: set[int]) -> str:
    url = f"{server.base_url}/{name}"
    bits = StatusList()
    for index in revoked:
        bits.set(index)
    server.json(
        f"/{name}", sign(status_list_credential(url, inst.did, "revocation", bits), inst.key, inst.method)
    )
    return url


def _vc_api(client: FlaskClient, credential: dict[str, Any]) -> tuple[dict[str, Any], str]:
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code in (200, 422)  # verified; checked and not verified
    text = response.get_data(as_text=True)
    assert not any(secret in text for secret in SECRETS)
    return response.get_json(), text


def _status_check(body: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in body["report"]["checks"] if c["name"] == "status_list")


def test_a_status_list_on_an_internal_address_is_refused_unless_allowed(
    world: World, institution: Institution, internal: HostileServer, public: HostileServer
) -> None:
    url = _publish(internal, "list-a", institution, {7})
    (revoked,) = world.issue_anchored(institution, credential_status=status_entry(url, 7))
    before = internal.count("/list-a")

    body, _ = _vc_api(_client(world), revoked)  # nothing allowed: refused, reads like any outage
    check = _status_check(body)
    assert check["status"] == "warn"
    assert GENERIC in check["message"]
    assert internal.count("/list-a") == before

    redirect = public.redirect("/to-list-a", url)  # allowed host redirecting inward: refused too
    (via,) = world.issue_anchored(institution, credential_status=status_entry(redirect, 7))
    body, _ = _vc_api(_client(world, public.origin), via)
    assert _status_check(body)["status"] == "warn"
    assert internal.count("/list-a") == before

    body, _ = _vc_api(_client(world, internal.origin), revoked)  # the origin allowed: fetched, used
    assert body["verified"] is False
    assert _status_check(body)["code"] == "revoked"
    assert internal.count("/list-a") == before + 1


def test_a_did_web_on_an_internal_address_is_refused(world: World, institution: Institution) -> None:
    with ConnectionCounter() as host:
        (credential,) = world.issue_anchored(institution)
        forged = copy.deepcopy(credential)
        did = f"did:web:127.0.0.1%3A{host.port}"
        forged["issuer"]["id"] = did
        forged["proof"][0]["verificationMethod"] = f"{did}#key-1"
        body, _ = _vc_api(_client(world), forged)
        assert body["verified"] is False
        signature = next(c for c in body["report"]["checks"] if c["name"] == "signature")
        assert signature["code"] == "did_unresolvable"
        assert GENERIC in signature["message"]
        assert host.accepted == 0


def test_nothing_is_fetched_for_a_credential_whose_signature_failed(
    world: World, institution: Institution, internal: HostileServer
) -> None:
    """Even from an allowed origin: neither the status list nor a did:web."""
    url = _publish(internal, "list-b", institution, set())
    (credential,) = world.issue_anchored(institution, credential_status=status_entry(url, 3))
    client = _client(world, internal.origin)
    body, _ = _vc_api(client, credential)
    assert body["verified"] is True, body
    fetched = internal.count("/list-b")
    assert fetched == 1

    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["name"] = "Dr Impostor"
    body, _ = _vc_api(_client(world, internal.origin), forged)  # a fresh verifier: nothing cached
    assert body["verified"] is False
    assert _status_check(body)["code"] == "not_fetched"
    assert internal.count("/list-b") == fetched

    with ConnectionCounter() as host:
        forged_web = copy.deepcopy(forged)
        forged_web["proof"][0]["proofValue"] = "z" + "1" * 10  # not a signature at all
        did = f"did:web:127.0.0.1%3A{host.port}"
        forged_web["issuer"]["id"] = did
        forged_web["proof"][0]["verificationMethod"] = f"{did}#key-1"
        body, _ = _vc_api(_client(world, internal.origin, host.origin), forged_web)
        assert body["verified"] is False
        issuer = next(c for c in body["report"]["checks"] if c["name"] == "issuer")
        assert issuer["status"] == "skipped"
        assert host.accepted == 0
    assert internal.count("/list-b") == fetched


def test_internal_json_is_never_shown_as_a_credential(world: World, internal: HostileServer) -> None:
    """Allowed or not, what an internal URL answers is either refused or judged, never echoed."""
    page = _client(world, internal.origin).get(
        "/verify", query_string={"credential": internal.base_url + "/secret"}
    )
    text = page.get_data(as_text=True)
    assert 'data-status="INVALID"' in text
    assert not any(secret in text for secret in SECRETS)
    assert json.dumps(SECRET) not in text


def test_the_genuine_flow_is_untouched(
    world: World, institution: Institution, internal: HostileServer
) -> None:
    url = _publish(internal, "list-c", institution, set())
    (credential,) = world.issue_anchored(institution, credential_status=status_entry(url, 1))
    link = internal.json("/credential-c.json", credential)
    client = _client(world, internal.origin)
    page = client.get("/verify", query_string={"credential": link}).get_data(as_text=True)
    assert 'data-status="VALID"' in page
    report, _ = _vc_api(client, credential)
    assert report["verified"] is True
    assert report["report"]["status"] == VALID
    assert _status_check(report)["status"] == CheckStatus.PASS.value
    assert INVALID not in page.split('data-status="', 1)[1][:8]
