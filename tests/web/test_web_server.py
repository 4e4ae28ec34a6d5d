"""Both server back ends (waitress when installed, werkzeug's threaded server otherwise) serve the
app on a free port and stop cleanly from another thread (what `medcred run` does on Ctrl-C)."""

from __future__ import annotations

import pytest
import requests
from web_fixtures import WebWorld

from issuer.web.server import WebServer


@pytest.mark.parametrize("kind", ["waitress", "werkzeug"])
def test_server_starts_serves_and_stops(world: WebWorld, kind: str) -> None:
    if kind == "waitress":
        pytest.importorskip("waitress")
    server = WebServer(world.app, "127.0.0.1", 0, kind=kind).start()
    try:
        assert server.kind == kind and server.port > 0
        response = requests.get(f"{server.url}/healthz", timeout=10)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert any(u.startswith(f"{server.url}/admin/") for u in server.urls)
    finally:
        server.stop()
    assert server._thread is not None and not server._thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/healthz", timeout=2)
