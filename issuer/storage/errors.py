"""The issuer service's error classes, one per answer the web layer gives.

Every one is a `MedCredError` with one plain sentence, so the CLI prints it as "Error: ..." and the
web layer maps the class to a status code without parsing messages:

| class | HTTP |
|---|---|
| `verifier.errors.InputError` (and `RosterError`) | 400 / 422 |
| `UnauthorizedError` | 401 |
| `ForbiddenError` | 403 |
| `NotFoundError` | 404 |
| `ConflictError` | 409 |
| `verifier.errors.ChainError` | 502 / 503 |
"""

from __future__ import annotations

from verifier.errors import MedCredError


class NotFoundError(MedCredError):
    """The institution, credential, status list or token does not exist."""


class ConflictError(MedCredError):
    """The request clashes with the current state (a slug taken, a credential already revoked)."""


class UnauthorizedError(MedCredError):
    """No valid API token: missing, unknown, expired or revoked."""


class ForbiddenError(MedCredError):
    """A valid token that may not do this (another institution, or a scope it lacks)."""
