"""Reading request bodies and parameters without ever turning bad input into a 500.

Every helper raises `InputError` (400) naming the field and what was expected, so the handlers
stay straight-line code and the error handler answers with problem+json.
"""

from __future__ import annotations

from typing import Any

from flask import request

from verifier.errors import InputError

MAX_JSON_BYTES = 1024 * 1024
"""JSON request bodies: a credential request is a few KB; 1 MiB leaves room for long id lists."""
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
"""Roster uploads (CSV, multipart) and the admin forms that carry long id lists."""


def json_object() -> dict[str, Any]:
    """The request body as a JSON object (any Content-Type, so curl without -H works)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise InputError("The request body is empty: send a JSON object.")
    try:
        body = request.get_json(force=True, silent=False)
    except Exception:
        raise InputError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InputError("The request body must be a JSON object.")
    return body


def optional_str(body: dict[str, Any], name: str, *, limit: int = 1000) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"'{name}' must be a string.")
    if len(value) > limit:
        raise InputError(f"'{name}' is longer than {limit} characters.")
    return value


def required_str(body: dict[str, Any], name: str, *, limit: int = 1000) -> str:
    value = optional_str(body, name, limit=limit)
    if value is None or not value.strip():
        raise InputError(f"'{name}' is required.")
    return value


def optional_bool(value: Any, name: str, default: bool = False) -> bool:
    """A JSON boolean, or a form/query string such as 'true', '1', 'on', 'false', '0'."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
    raise InputError(f"'{name}' must be true or false.")


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"'{name}' must be a JSON object.")
    return value


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"The query parameter '{name}' must be a whole number.") from None
    if not low <= value <= high:
        raise InputError(f"The query parameter '{name}' must be between {low} and {high}.")
    return value


def id_list(value: Any, name: str = "ids", *, limit: int = 100_000) -> list[str]:
    """Credential ids from a JSON array, or a form field of ids separated by commas/whitespace."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"'{name}' must be a list of credential ids.")
    ids = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if not ids:
        raise InputError(f"'{name}' is empty: name at least one credential.")
    if len(ids) > limit:
        raise InputError(f"'{name}' names more than {limit} credentials.")
    return ids
