"""The certificate of a stored credential as it is now: its verifier link in the QR code, its short
address printed, "REVOKED" / "EXPIRED" stamped when it is, the institution's logo and the
achievement's image from this issuer's catalog (one helper for the public page, the ZIP export
and `medcred export`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from issuer.certificate import certificate_pdf, certificate_stamp
from issuer.institution_logo import logo_of_issuer
from issuer.short_links import short_url
from issuer.storage.database import Database
from issuer.storage.models import Achievement
from issuer.web.links import links_for

_IMAGE_PATH = re.compile(
    r"/achievements/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/image\.(?:png|svg)"
)


def catalog_image(db: Database, base_url: str, document: Mapping[str, Any]) -> bytes | None:
    """The bytes of the credential's achievement image when it is one of this issuer's catalog images
    (`<base>/achievements/<uuid>/image.png|svg`), read from the database; None otherwise.

    Images anywhere else are never fetched (the certificate embeds `data:` images only).
    """
    subject = document.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    image = achievement.get("image") if isinstance(achievement, Mapping) else None
    url = image.get("id") if isinstance(image, Mapping) else image
    base = base_url.rstrip("/")
    if not isinstance(url, str) or not url.startswith(base):
        return None
    match = _IMAGE_PATH.fullmatch(url[len(base) :])
    if match is None:
        return None
    with db.reader() as session:
        data = session.scalar(select(Achievement.image_data).where(Achievement.id == match.group(1)))
    return bytes(data) if data else None


def stored_certificate_pdf(
    document: Mapping[str, Any],
    credential_id: str,
    base_url: str,
    *,
    revoked: bool,
    db: Database | None = None,
    now: datetime | None = None,
) -> bytes:
    """The PDF certificate of a stored credential (see issuer.certificate.certificate_pdf).

    `document` is the credential as it is now, `credential_id` its UUID; with `db`, the institution's
    logo and the achievement's catalog image are drawn; `now` decides expiry.
    """
    links = links_for(base_url, credential_id, str(document.get("id") or "") or None)
    return certificate_pdf(
        document,
        verify_url=links.verify,
        short_url=short_url(base_url, credential_id),
        stamp=certificate_stamp(document, revoked=revoked, now=now),
        achievement_image=catalog_image(db, base_url, document) if db is not None else None,
        logo=logo_of_issuer(db, document) if db is not None else None,
    )
