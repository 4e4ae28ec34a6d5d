"""Asking the issuer about a credential that carries no anchor proof.

A credential without an anchor proof is never VALID on its own word: its signature alone would let
whoever holds the institution's signing key mint "valid" credentials that were never recorded. The
verifier asks the issuer instead, at the credential's `id` (the URL the issuer signed into it), for
the credential's current form, through the hardened fetcher:

- the issuer's copy is used only if it is the very same signed credential: its signed part (the
  credential with its signature proofs, without anchor proofs) canonicalizes to the same bytes, so
  the same `proofValue` over the same content. Then, if the copy carries an anchor proof, the
  verifier checks that anchor proof against the registry exactly as if the file had carried it
  (a file saved before anchoring verifies VALID for as long as the issuer answers);
- the same credential without an anchor proof means "signed, not anchored yet": PENDING;
- a 404 (or any answer other than 200), an answer that is not this credential, or a copy whose
  signature or content differs, means the issuer does not vouch for this file: INVALID;
- an issuer that cannot be reached cannot vouch for it either: INVALID, with a sentence saying
  so, since a file the issuer cannot confirm must not look better than one it denies.

The issuer side of this protocol is `GET /credentials/<uuid>` with `Accept: application/ld+json`
(issuer/web/public.py): the anchored credential once anchored, the signed one before, 404 if unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verifier import jsonsafe
from verifier.errors import MedCredError
from verifier.fetch import Fetcher, FetchError
from verifier.merkle import credential_digest, find_anchor_proof
from verifier.urls import MalformedURLError, check_http_url

ACCEPT = "application/ld+json, application/json;q=0.9"


class CopyState(StrEnum):
    """What the issuer's answer says about a credential that came without an anchor proof."""

    ANCHORED = "anchored"
    """The issuer's copy is the same credential and carries an anchor proof."""
    PENDING = "pending"
    """The issuer's copy is the same credential, not anchored yet."""
    UNKNOWN = "unknown"
    """The issuer answered that it does not know the credential (404 or any non-200 answer)."""
    DIFFERS = "differs"
    """The issuer's copy is not this credential (other content or other signature)."""
    UNREACHABLE = "unreachable"
    """The issuer could not be asked (network failure, no usable `id` URL)."""


@dataclass(frozen=True)
class IssuerCopy:
    """The outcome of asking the issuer: a state, a machine code, one sentence, and the copy when
    it is the same credential (`document`, with its anchor proof when ANCHORED)."""

    state: CopyState
    code: str
    message: str
    document: dict[str, Any] | None = None


def ask_issuer(
    credential: Mapping[str, Any], fetcher: Fetcher, *, max_bytes: int, allow_network: bool = True
) -> IssuerCopy:
    """Fetch the credential's current form at its `id` and compare it with `credential`.

    `credential` is a credential whose signature already verified and which has no anchor proof.
    `allow_network=False` (an offline verifier) cannot ask: UNREACHABLE. Never raises: every
    failure is an `IssuerCopy` whose state says how to judge it.
    """
    if not allow_network:
        return IssuerCopy(
            CopyState.UNREACHABLE, "pending_issuer_unreachable",
            "The credential is not anchored, and this verifier works offline: its issuer could not "
            "be asked to confirm it.",
        )  # fmt: skip
    url = credential.get("id")
    if not isinstance(url, str):
        return IssuerCopy(
            CopyState.UNREACHABLE, "pending_no_url",
            "The credential is not anchored and has no web address at which its issuer could confirm it.",
        )  # fmt: skip
    try:
        check_http_url(url)
    except MalformedURLError:
        return IssuerCopy(
            CopyState.UNREACHABLE, "pending_no_url",
            "The credential is not anchored and its id is not a web address at which its issuer "
            "could confirm it.",
        )  # fmt: skip
    try:
        body = fetcher.get(url, accept=ACCEPT)
    except FetchError as exc:
        if exc.code == "fetch_http_status":
            return IssuerCopy(
                CopyState.UNKNOWN, "pending_unknown_to_issuer",
                "The credential is not anchored, and its issuer does not know it: it was not issued "
                f"as presented ({exc}).",
            )  # fmt: skip
        return IssuerCopy(
            CopyState.UNREACHABLE, "pending_issuer_unreachable",
            f"The credential is not anchored, and its issuer could not be asked to confirm it ({exc}). "
            "Try again later.",
        )  # fmt: skip
    if len(body) > max_bytes:
        return _differs("The issuer's copy of this credential is too large to be it.")
    try:
        copy = jsonsafe.loads(body)
    except ValueError:
        return _differs("The issuer's answer at the credential's address is not a credential.")
    if not isinstance(copy, dict):
        return _differs("The issuer's answer at the credential's address is not a credential.")
    try:
        same = credential_digest(copy) == credential_digest(credential)
        anchor = find_anchor_proof(copy) if same else None
    except MedCredError:
        return _differs("The issuer's copy of this credential is malformed.")
    if not same:
        return _differs(
            "The issuer's copy of this credential differs from this file (other content or another "
            "signature): the file is not what the issuer issued."
        )
    if anchor is None:
        return IssuerCopy(
            CopyState.PENDING, "anchor_pending",
            "Its issuer confirms this credential but has not recorded it on the registry yet. "
            "Check again in a few minutes for the full verification.",
            copy,
        )  # fmt: skip
    return IssuerCopy(
        CopyState.ANCHORED, "anchor_from_issuer",
        "The file carries no anchor record, but its issuer's current copy of the very same signed "
        "credential does; that record was checked against the registry.",
        copy,
    )  # fmt: skip


def _differs(message: str) -> IssuerCopy:
    return IssuerCopy(CopyState.DIFFERS, "pending_copy_differs", message)
