"""A real issuer served over loopback for the hostile-input tests.

Reuses tests/web/web_fixtures.py (a real IssuerService on SQLite and the in-process chain) rather
than copying it: the folder is put on sys.path under the same module name pytest gives it when it
collects tests/web, so both see one module.

The verifier page fetches whatever URL `?credential=` names. Generated inputs must never make this
machine reach outside loopback, so `loopback_only_fetches` wraps that fetch for the duration.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

WEB_TESTS = Path(__file__).resolve().parents[1] / "web"
if str(WEB_TESTS) not in sys.path:
    sys.path.append(str(WEB_TESTS))

import web_fixtures  # noqa: E402
from web_fixtures import WebWorld, free_port, make_world  # noqa: E402

from issuer.web.server import WebServer, start_web  # noqa: E402
from verifier.sources import SourceError  # noqa: E402
from verifier.web import blueprint  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class LiveIssuer:
    world: WebWorld
    server: WebServer

    @property
    def url(self) -> str:
        return self.server.url

    def auth(self, name: str = "admin") -> dict[str, str]:
        return self.world.auth(name)


@contextlib.contextmanager
def loopback_only_fetches() -> Iterator[None]:
    """Let the verifier page fetch credentials from loopback only while the block runs."""
    real = blueprint.fetch_url

    def guarded(url: str, **kwargs: Any) -> bytes:
        if urlparse(url).hostname not in LOOPBACK:
            raise SourceError(f"{url} is not on loopback (the hostile tests never leave this machine).")
        return real(url, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blueprint, "fetch_url", guarded)
        yield


@contextlib.contextmanager
def live_issuer(
    folder: Path, *, status_list: bool = False, templates: Path | None = None
) -> Iterator[LiveIssuer]:
    """An issuer on a free loopback port (waitress, 8 threads), its public URL matching the port;
    `templates` is an extra achievement template folder (MEDCRED_TEMPLATES)."""
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        if templates is not None:
            original = web_fixtures.ServiceConfig.from_settings

            def with_templates(settings: Any, env: dict[str, str]) -> Any:
                return original(settings, env={**env, "MEDCRED_TEMPLATES": str(templates)})

            patch.setattr(web_fixtures.ServiceConfig, "from_settings", with_templates)
        world = make_world(folder, f"http://127.0.0.1:{port}", status_list=status_list)
    server = start_web(world.service, host="127.0.0.1", port=port, verifier_config=world.verifier_config)
    try:
        with loopback_only_fetches():
            yield LiveIssuer(world, server)
    finally:
        server.stop()
        world.service.close()
