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
                assert {"400", "401", "403"} <= set(operation["responses"]), (path, method)


def test_document_is_valid_openapi_3_1(client) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get("/openapi.json").get_json())
