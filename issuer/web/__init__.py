"""The issuer's web layer: JSON API, VC-API endpoints, public credential pages and the admin UI.

`create_app(service, verifier_config)` (issuer.web.app) builds the Flask app over one
`IssuerService`; `serve(...)` and `start_web(...)` (issuer.web.server) run it with a threaded
production server. `start_web` is what `medcred run` looks up here to start the web layer.
"""

from __future__ import annotations

from typing import Any


def start_web(service: Any, *, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> Any:
    """Serve `service` on a background thread; returns the server (`stop()`, `urls`).

    Imported lazily so that `import issuer.web` stays cheap for the CLI's command discovery.
    """
    from issuer.web.server import start_web as _start_web  # noqa: PLC0415

    return _start_web(service, host=host, port=port, **options)
