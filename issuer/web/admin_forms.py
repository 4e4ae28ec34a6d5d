"""What every admin UI route declares to OpenAPI: its page, the login redirect, a form's body and
the errors a form can get. One copy for the admin blueprint and the pages it adds (achievements,
keys), so the document describes every admin form alike."""

from __future__ import annotations

from typing import Any

from verifier.web.openapi import Media, error_page

PAGE = Media("text/html", "The page.")
LOGIN = {"HTTP_302": "Not logged in: to the login page."}
TOO_LARGE = error_page("The form is too large.")
FORM_ERRORS = {
    "HTTP_400": error_page("Missing or wrong CSRF token, or invalid input."),
    "HTTP_413": TOO_LARGE,
}
"""What any admin form can be answered besides its success: a bad CSRF token or input, too large."""


def form_body(
    properties: dict[str, Any],
    required: list[str] | tuple[str, ...] | None = None,
    media: str = "application/x-www-form-urlencoded",
) -> dict[str, Any]:
    """An admin form's request body for `request_body`: its fields (JSON Schema properties) and the
    session's CSRF token, which is always required."""
    schema = {
        "type": "object",
        "properties": {
            "csrf_token": {"type": "string", "description": "The session's CSRF token."},
            **properties,
        },
        "required": ["csrf_token", *(required or [])],
    }
    return {media: {"schema": schema}}
