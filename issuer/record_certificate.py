"""The certificate of a stored credential as it is now: its verifier link in the QR code, its short
address printed, and "REVOKED" / "EXPIRED" stamped when it is (one helper for the public page, the
ZIP export and `medcred export`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from issuer.certificate import certificate_pdf, certificate_stamp
from issuer.short_links import short_url
from issuer.web.links import links_for


def stored_certificate_pdf(
    document: Mapping[str, Any],
    credential_id: str,
    base_url: str,
    *,
    revoked: bool,
    now: datetime | None = None,
) -> bytes:
    """The PDF certificate of a stored credential (see issuer.certificate.certificate_pdf).

    `document` is the credential as it is now, `credential_id` its UUID; `now` decides expiry.
    """
    links = links_for(base_url, credential_id, str(document.get("id") or "") or None)
    return certificate_pdf(
        document,
        verify_url=links.verify,
        short_url=short_url(base_url, credential_id),
        stamp=certificate_stamp(document, revoked=revoked, now=now),
    )
