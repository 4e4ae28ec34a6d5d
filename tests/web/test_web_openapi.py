"""GET /openapi.json describes every route of the app, and only routes that exist."""

from __future__ import annotations

import re

import pytest
from web_fixtures import WebWorld

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def openapi_path(rule: str) -> str:
    """Werkzeug's `/credentials/<uuid:credential_id>` as OpenAPI's `/credentials/{credential_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def routes(world: WebWorld) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in world.app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in IGNORED_METHODS
    }


def documented(document: dict) -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
    return {
        (path, method) for path, item in document["paths"].items() for method in item if method in methods
    }


def test_every_route_is_documented_and_every_documented_route_exists(world: WebWorld, client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    actual, described = routes(world), documented(document)
    assert actual - described == set(), "routes missing from the OpenAPI document"
    assert described - actual == set(), "documented routes that do not exist"


def test_path_parameters_match(world: WebWorld, client) -> None:
    document = client.get("/openapi.json").get_json()
    for path, item in document["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)


def test_state_changing_api_operations_declare_security_and_problems(client) -> None:
    document = client.get("/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if (path.startswith("/api/") and method == "post") or path in (
                "/credentials/issue",
                "/credentials/status",
            ):
                assert operation["security"] == [{"bearerAuth": []}], (path, method)
                assert {"401", "403"} <= set(operation["responses"]), (path, method)


def test_document_is_valid_openapi_3_1(client) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get("/openapi.json").get_json())


def test_bodies_are_validated_by_their_models(world: WebWorld, client) -> None:
    """The models that describe a body also validate it: unknown and mistyped fields are a 400
    problem naming them, never dropped or turned into a 500."""
    issue = "/api/v1/institutions/sim/credentials"
    auth = world.auth("issue")
    unknown = client.post(
        issue, json={"template": "acls", "email": "a@example.org", "nickname": "J"}, headers=auth
    )
    assert unknown.status_code == 400 and unknown.mimetype == "application/problem+json"
    assert "nickname" in unknown.get_json()["detail"]
    mistyped = client.post(
        issue, json={"template": "acls", "email": "a@example.org", "name": 5}, headers=auth
    )
    assert mistyped.status_code == 400 and "'name'" in mistyped.get_json()["detail"]
    listing = client.get("/api/v1/institutions/sim/credentials?limit=0", headers=auth)
    assert listing.status_code == 400 and "limit" in listing.get_json()["detail"]
    status = client.post(
        "/credentials/status",
        json={"credentialId": "x", "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "x"}]},
        headers=world.auth("revoke"),
    )
    assert status.status_code == 400 and "credentialStatus.0.status" in status.get_json()["detail"]


def test_a_body_refused_by_the_json_parser_says_why(world: WebWorld, client) -> None:
    """A member name twice (RFC 7493) or nesting past the limit is valid JSON refused on purpose:
    every JSON endpoint says which, not "not valid JSON"."""
    twice = b'{"email": "a@example.org", "template": "acls", "email": "b@example.org"}'
    deep = b'{"verifiableCredential": ' + b"[" * 200 + b"]" * 200 + b"}"
    headers = {**world.auth("admin"), "Content-Type": "application/json"}
    for path in (
        "/api/v1/institutions/sim/credentials",
        "/credentials/verify",
        "/presentations/verify",
        "/credentials/issue",
        "/api/v1/institutions/sim/achievements",
    ):
        dup = client.post(path, data=twice, headers=headers)
        assert dup.status_code == 400, (path, dup.text)
        assert "member name 'email' twice" in dup.get_json()["detail"], (path, dup.text)
        nested = client.post(path, data=deep, headers=headers)
        assert nested.status_code == 400, (path, nested.text)
        assert "nested more than" in nested.get_json()["detail"], (path, nested.text)
    broken = client.post("/credentials/verify", data=b"{oops", headers=headers)
    assert broken.get_json()["detail"] == "The request body is not valid JSON."


def test_the_token_is_checked_before_the_body(client) -> None:
    """A caller without a valid token learns that first (401), whatever its body."""
    response = client.post("/api/v1/institutions/sim/credentials", data="{not json")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert client.post("/credentials/issue", json={"nothing": 1}).status_code == 401


def test_every_operation_that_reads_input_documents_its_400(client) -> None:
    document = client.get("/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            takes_input = "requestBody" in operation or any(
                p["in"] == "query" for p in operation.get("parameters", [])
            )
            if takes_input and (path.startswith("/api/") or path.startswith("/credentials/")):
                assert "400" in operation["responses"], (path, method)
            for code, answer in operation["responses"].items():
                if code.startswith(("4", "5")) and path.startswith("/api/"):
                    assert "application/problem+json" in answer.get("content", {}), (path, method, code)
