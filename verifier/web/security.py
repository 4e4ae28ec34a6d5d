"""Security headers for every MedCred page, shared by the verifier and the issuer apps.

Scripts only from our own origin (no inline script, so injected markup cannot run), no framing,
no MIME sniffing, no referrer leaking credential URLs to other sites.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

from verifier import jsonsafe

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON with request bodies parsed by `verifier.jsonsafe`: a deeply nested body is a
    400 Bad Request instead of a crashed worker."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return jsonsafe.loads(s, **kwargs)


def add_security_headers(app: Flask) -> None:
    """Harden an app: security headers on every response, and depth-checked JSON bodies."""
    app.json = SafeJSONProvider(app)

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
