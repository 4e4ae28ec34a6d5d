"""The institution's logo: uploaded once (PNG, or SVG sanitized), drawn on every certificate.

The upload goes through the same checks as an achievement image (issuer.achievement_images: type by
content, size bound, PNG decoded, SVG sanitized by svg-hush). Certificates find the logo by the
credential's issuer DID, so an exported or re-rendered certificate shows the logo the institution
has now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from issuer.achievement_images import check_image
from issuer.storage.database import Database
from issuer.storage.errors import NotFoundError
from issuer.storage.models import Institution


def set_logo(db: Database, slug: str, data: bytes | None, declared_type: str | None = None) -> str | None:
    """Store `data` as the institution's logo (None removes it); returns the stored media type.

    Raises InputError for an unusable image and NotFoundError for an unknown institution.
    """
    image = check_image(data, declared_type) if data is not None else None
    with db.session() as session:
        institution = session.scalars(select(Institution).where(Institution.slug == slug)).first()
        if institution is None:
            raise NotFoundError(f"There is no institution {slug!r}.")
        institution.logo_type = image.media_type if image is not None else None
        institution.logo_data = image.data if image is not None else None
    return image.media_type if image is not None else None


def logo_of_issuer(db: Database, credential: Mapping[str, Any]) -> bytes | None:
    """The logo of the institution whose DID issued `credential`, if it has one."""
    issuer = credential.get("issuer")
    did = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(did, str) or not did:
        return None
    with db.reader() as session:
        data = session.scalar(select(Institution.logo_data).where(Institution.did == did))
    return bytes(data) if data else None
