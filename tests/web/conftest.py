"""Fixtures of the web layer tests: one real issuer (WebWorld) per test module, which keeps the
run short; tests that must not see each other's credentials issue their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from web_fixtures import WebWorld, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    built = make_world(tmp_path_factory.mktemp("web"))
    yield built
    built.service.close()


@pytest.fixture
def client(world: WebWorld) -> FlaskClient:
    return world.client()
