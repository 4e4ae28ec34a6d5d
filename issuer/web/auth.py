"""Bearer-token authorization for the JSON and VC-API endpoints.

Every state-changing API request names the action it needs (`issue`, `revoke`, `admin`) and,
where the URL names one, the institution. The check runs before the body is read, so a request
without a valid token gets its 401 even when its body is also wrong, and nothing is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from issuer.service import Authorization, IssuerService
from issuer.storage.errors import ForbiddenError, UnauthorizedError
from issuer.storage.tokens import TokenInfo

View = TypeVar("View", bound=Callable[..., Any])
READ_SCOPES = ("issue", "revoke")
"""Reading an institution's records (lists, exports) needs any of its tokens' scopes ('admin'
implies both)."""


def bearer_token() -> str | None:
    """The token of `Authorization: Bearer <token>`; None when absent.

    A malformed header (another scheme, no token) is an UnauthorizedError rather than a silent
    None, so the client learns why it was refused.
    """
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Send the API token as 'Authorization: Bearer <token>'.")
    return token.strip()


def require(service: IssuerService, scope: str, institution: str | None = None) -> TokenInfo:
    """The caller's token if it may do `scope` (for `institution` when given); raises 401/403."""
    return service.verify_token(bearer_token(), scope, institution)


def require_authorization(service: IssuerService, scope: str, institution: str) -> Authorization:
    """`require`, keeping the institution row read with the token for the request's use case."""
    return service.authorize(bearer_token(), scope, institution)


def require_any(service: IssuerService, scopes: Sequence[str], institution: str | None = None) -> TokenInfo:
    """The caller's token if it may do any of `scopes`: read access for tokens of any scope."""
    token = bearer_token()
    refused: ForbiddenError | None = None
    for scope in scopes:
        try:
            return service.verify_token(token, scope, institution)
        except ForbiddenError as exc:
            refused = exc
    if refused is None:  # pragma: no cover - `scopes` is never empty
        raise UnauthorizedError("An API token is required.")
    raise refused


def authorized_first(check: Callable[..., Any]) -> Callable[[View], View]:
    """Run `check(**view_kwargs)` (e.g. `require(service, "issue", slug)`) before the request body is
    validated, so a caller without a valid token gets its 401/403 whatever its body; the result is
    `flask.g.authorization` for the view. Put it above `api_spec.validate`."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            g.authorization = check(**kwargs)
            return view(*args, **kwargs)

        return cast(View, guarded)

    return decorate
