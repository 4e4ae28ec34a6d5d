"""Helpers for the web layer tests (a unique module name: tests/ has several helper modules).

`WebWorld` is a real issuer: SQLite, the in-process chain with a freshly deployed registry, two
registered institutions ('sim' and 'other'), tokens of every kind, and the Flask app built by
`create_app` with a verifier that trusts that registry.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from issuer.chain.backends import memory_chain
from issuer.chain.context import deployment_store
from issuer.chain.registry_writer import deploy_registry
from issuer.chain.transactions import TransactionSender
from issuer.config import ServiceConfig
from issuer.service import IssuerService
from issuer.storage.models import ApiToken, Batch, Credential
from issuer.web.app import create_app
from issuer.web.rate_limit import EXTENSION as LOGIN_LIMITER
from verifier.config import TrustedRegistry, VerifierConfig
from verifier.settings import Settings

PUBLIC_URL = "http://medcred.test"


@dataclass
class WebWorld:
    service: IssuerService
    app: Flask
    verifier_config: VerifierConfig
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def snapshot(self) -> tuple[Any, ...]:
        """What a refused request must not change: credentials, revocations, batches, token use."""
        with self.service.db.reader() as session:
            return (
                session.scalar(select(func.count()).select_from(Credential)),
                session.scalar(
                    select(func.count()).select_from(Credential).where(Credential.revoked.is_(True))
                ),
                session.scalar(select(func.count()).select_from(Batch)),
                session.scalar(select(func.count()).select_from(ApiToken)),
                tuple(session.scalars(select(Credential.state).order_by(Credential.id))),
            )

    def issue(
        self, email: str = "ada@example.org", name: str | None = "Ada Okafor", slug: str = "sim"
    ) -> str:
        return self.service.issue(slug, "acls", email, name=name).id


def make_world(tmp: Path, public_url: str = PUBLIC_URL, *, status_list: bool = False) -> WebWorld:
    settings = Settings(data_dir=tmp / "var", chain="memory")
    chain = memory_chain(fresh=True)
    deployment = deploy_registry(TransactionSender(chain.w3, chain.governor()))
    deployment_store(settings, chain).save(deployment)
    env = {
        "MEDCRED_BATCH_MAX_AGE": "3600",
        "MEDCRED_RETRY_BACKOFF": "0.05,0.2",
        "MEDCRED_PUBLIC_URL": public_url,
    }
    config = ServiceConfig.from_settings(settings, env=env).with_(poll_interval=0.05)
    service = IssuerService(config)
    service.create_institution("Simulation Centre", slug="sim")
    service.create_institution("Other Hospital", slug="other")
    tokens = {
        "issue": service.create_token("sim", ["issue"])[0],
        "revoke": service.create_token("sim", ["revoke"])[0],
        "admin": service.create_token("sim", ["admin"])[0],
        "other_admin": service.create_token("other", ["admin"])[0],
        "expired": service.create_token("sim", ["admin"], expires_in=timedelta(seconds=-1))[0],
    }
    revoked_token, info = service.create_token("sim", ["admin"], label="revoked")
    service.revoke_token("sim", info.id)
    tokens["revoked"] = revoked_token
    verifier_config = VerifierConfig(
        registries=(TrustedRegistry("test", chain.chain_id, deployment.address, w3=chain.w3),),
        status_list=status_list,
        did_web=False,
        cache_ttl_seconds=0,  # see a revocation at once (a server caches chain reads for a minute)
    )
    app = create_app(service, verifier_config, secret_key=os.urandom(32))
    app.config["TESTING"] = True
    # Tests log in far more often than a person; test_web_login_limits.py runs with the limits on.
    app.extensions[LOGIN_LIMITER].enabled = False
    return WebWorld(service=service, app=app, verifier_config=verifier_config, tokens=tokens)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def admin_login(client: FlaskClient, token: str) -> str:
    """Log `client` in through the form; returns the session's CSRF token."""
    page = client.get("/admin/login")
    response = client.post("/admin/login", data={"token": token, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302, response.text
    return csrf_from(client.get("/admin/").text)
