"""Each institution's achievement catalog: create, list, show, new version, retire.

An achievement definition is the template format without the slug (schemas/template.schema.json):

    {"achievement": {OB 3.0 Achievement without id/image: name, description, criteria,
                     achievementType, creditsAvailable, fieldOfStudy, humanCode, alignment, tag,
                     inLanguage, resultDescription, ...},
     "validity": "P2Y",            # ISO 8601 duration -> validUntil; null: does not expire
     "starter": "acls"}            # optional: start from a built-in template, `achievement` overrides

A built-in template file is itself a valid definition (its slug and institution notes are
dropped), so "copy a starter and adapt it" is: edit the file, `medcred achievement create`.

Each version is its own row and its own public URL (`<base>/achievements/<uuid>`), holding the
Achievement exactly as credentials carry it. A version never changes: `new_version` writes the
next one and marks the previous one superseded, so credentials issued with it keep theirs (and its
URL keeps serving it). Only the current version of an active achievement can be issued.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.achievement_images import AchievementImage
from issuer.credential_builder import AwardedAchievement, with_result_ids
from issuer.storage.errors import ConflictError, ForbiddenError, NotFoundError
from issuer.storage.models import ACTIVE, RETIRED, SUPERSEDED, Achievement, Credential, Institution, utcnow
from issuer.templates import TemplateError, load_template, validate_template
from verifier.errors import InputError

_UUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.IGNORECASE)
DEFINITION_KEYS = frozenset({"achievement", "validity", "starter", "slug", "notes"})


@dataclass(frozen=True)
class AchievementDefinition:
    """A validated definition: the Achievement's properties (no id, no image) and its validity."""

    achievement: dict[str, Any]
    validity: str | None
    starter: str | None = None


@dataclass(frozen=True)
class AchievementInfo:
    """One catalog version as the CLI, API and pages show it."""

    id: str
    url: str
    institution: str
    series_id: str
    version: int
    state: str
    """active | superseded | retired"""
    starter: str | None
    validity: str | None
    name: str
    created_at: datetime
    retired_at: datetime | None
    document: dict[str, Any]
    """The OB 3.0 Achievement as credentials carry it."""
    used: int = 0
    """How many credentials carry this version."""
    current_id: str | None = None
    """The series' current version (itself when current)."""


def parse_definition(data: Any, template_folder: Any = None) -> AchievementDefinition:
    """Validate a definition (see the module docstring); InputError naming the first problem."""
    if not isinstance(data, Mapping):
        raise InputError("An achievement definition must be a JSON object with an 'achievement' object.")
    unknown = sorted(set(data) - DEFINITION_KEYS)
    if unknown:
        raise InputError(
            f"Unknown property {unknown[0]!r} in the achievement definition "
            "(expected achievement, validity, starter)."
        )
    starter = data.get("starter")
    base: dict[str, Any] = {}
    validity = data.get("validity")
    if starter is not None:
        if not isinstance(starter, str):
            raise InputError("'starter' must be the name of a built-in template (acls, cpd, ...).")
        template = load_template(starter, template_folder)
        base = template.achievement
        if "validity" not in data:
            validity = template.validity
    given = data.get("achievement", {})
    if not isinstance(given, Mapping):
        raise InputError("'achievement' must be a JSON object.")
    achievement = {**base, **copy.deepcopy(dict(given))}
    achievement.setdefault("type", ["Achievement"])
    try:
        validate_template(
            {"slug": "catalog", "validity": validity, "achievement": achievement}, where="The achievement"
        )
    except TemplateError as exc:
        raise InputError(str(exc)) from None
    return AchievementDefinition(achievement, validity, starter)


def achievement_key(achievement_id: str) -> str:
    """The database key of an achievement named by its UUID or its public URL."""
    match = _UUID.search((achievement_id or "").strip().rstrip("/"))
    if match is None:
        raise NotFoundError(f"{achievement_id!r} is not an achievement id (a UUID or an achievement URL).")
    return match.group(1).lower()


def achievement_url(base_url: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/achievements/{key}"


def image_url(base_url: str, key: str, image_type: str) -> str:
    return f"{achievement_url(base_url, key)}/image.{'png' if image_type == 'image/png' else 'svg'}"


def _document(
    base_url: str, key: str, definition: AchievementDefinition, version: int, image_type: str | None
) -> dict[str, Any]:
    achievement = definition.achievement
    document: dict[str, Any] = {"id": achievement_url(base_url, key), "type": achievement["type"]}
    document.update({k: copy.deepcopy(v) for k, v in achievement.items() if k != "type"})
    if image_type is not None:
        document["image"] = {
            "id": image_url(base_url, key, image_type),
            "type": "Image",
            "caption": document["name"],
        }
    document["version"] = str(version)
    return with_result_ids(document)


def _add(
    session: Session,
    institution: Institution,
    definition: AchievementDefinition,
    image: AchievementImage | None,
    base_url: str,
    *,
    series_id: str | None = None,
    version: int = 1,
) -> Achievement:
    key = str(uuid.uuid4())
    image_type = image.media_type if image is not None else None
    row = Achievement(
        id=key,
        institution_id=institution.id,
        series_id=series_id or key,
        version=version,
        state=ACTIVE,
        starter=definition.starter,
        validity=definition.validity,
        achievement_json=json.dumps(
            _document(base_url, key, definition, version, image_type),
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        image_type=image_type,
        image_data=image.data if image is not None else None,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def create(
    session: Session,
    institution: Institution,
    definition: AchievementDefinition,
    image: AchievementImage | None,
    base_url: str,
) -> Achievement:
    """A new achievement (version 1) in `institution`'s catalog."""
    return _add(session, institution, definition, image, base_url)


def get_row(session: Session, achievement_id: str, *, lock: bool = False) -> Achievement:
    query = select(Achievement).where(Achievement.id == achievement_key(achievement_id))
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(f"There is no achievement {achievement_id!r}.")
    return row


def owned_row(
    session: Session, institution: Institution, achievement_id: str, *, lock: bool = False
) -> Achievement:
    """The achievement if it is `institution`'s; ForbiddenError if another institution's."""
    row = get_row(session, achievement_id, lock=lock)
    if row.institution_id != institution.id:
        raise ForbiddenError("This achievement belongs to another institution.")
    return row


def current_row(session: Session, series_id: str) -> Achievement:
    return session.scalars(
        select(Achievement)
        .where(Achievement.series_id == series_id)
        .order_by(Achievement.version.desc())
        .limit(1)
    ).one()


def new_version(
    session: Session,
    institution: Institution,
    achievement_id: str,
    definition: AchievementDefinition,
    image: AchievementImage | None,
    base_url: str,
    *,
    keep_image: bool = True,
) -> Achievement:
    """The next version of the achievement (named by any of its versions); the current one becomes
    superseded. The image is carried over unless a new one is given or `keep_image` is false.
    ConflictError for a retired achievement."""
    named = owned_row(session, institution, achievement_id)
    current = current_row(session, named.series_id)
    current = session.scalars(select(Achievement).where(Achievement.id == current.id).with_for_update()).one()
    if current.state == RETIRED:
        raise ConflictError("This achievement is retired: create a new achievement instead.")
    if image is None and keep_image and current.image_type is not None and current.image_data is not None:
        image = AchievementImage(current.image_type, current.image_data)
    current.state = SUPERSEDED
    starter = definition.starter or current.starter
    definition = AchievementDefinition(definition.achievement, definition.validity, starter)
    return _add(
        session,
        institution,
        definition,
        image,
        base_url,
        series_id=current.series_id,
        version=current.version + 1,
    )


def retire(session: Session, institution: Institution, achievement_id: str) -> Achievement:
    """Retire the achievement (every version): no new credentials; issued ones stay valid."""
    named = owned_row(session, institution, achievement_id)
    rows = session.scalars(
        select(Achievement).where(Achievement.series_id == named.series_id).with_for_update()
    ).all()
    if all(r.state == RETIRED for r in rows):
        raise ConflictError("This achievement is already retired.")
    now = utcnow()
    for row in rows:
        if row.state != RETIRED:
            row.state, row.retired_at = RETIRED, now
    return max(rows, key=lambda r: r.version)


def for_issuing(session: Session, institution_id: int, achievement_id: str) -> AwardedAchievement:
    """The achievement to put into a new credential: the current version of an active achievement
    of this institution. ConflictError (naming the current version) for an older version, and for
    a retired achievement; ForbiddenError for another institution's."""
    row = get_row(session, achievement_id)
    if row.institution_id != institution_id:
        raise ForbiddenError("This achievement belongs to another institution.")
    if row.state == RETIRED:
        raise ConflictError(f"The achievement {row.id} is retired: it can no longer be issued.")
    if row.state == SUPERSEDED:
        current = current_row(session, row.series_id)
        raise ConflictError(
            f"The achievement {row.id} is version {row.version}; version {current.version} "
            f"({current.id}) replaced it. Issue the current version."
        )
    return awarded(row)


def awarded(row: Achievement) -> AwardedAchievement:
    return AwardedAchievement(
        key="catalog",
        achievement=json.loads(row.achievement_json),
        validity=row.validity,
        catalog_id=row.id,
        series_id=row.series_id,
    )


def find_current(session: Session, institution_id: int, text: str) -> Achievement | None:
    """The institution's active achievement whose id/URL, humanCode or name (case-insensitive) is
    `text` (what a roster's course column holds), or None. ConflictError if the name is ambiguous."""
    value = (text or "").strip()
    if not value:
        return None
    if _UUID.search(value.rstrip("/")):
        try:
            row = get_row(session, value)
        except NotFoundError:
            return None
        return row if row.institution_id == institution_id else None
    rows = session.scalars(
        select(Achievement).where(Achievement.institution_id == institution_id, Achievement.state == ACTIVE)
    ).all()
    lowered = value.lower()
    for field in ("humanCode", "name"):
        matches = [
            r for r in rows if str(json.loads(r.achievement_json).get(field, "")).strip().lower() == lowered
        ]
        if len(matches) > 1:
            raise ConflictError(
                f"{len(matches)} achievements have the {field} {value!r}: use the achievement id."
            )
        if matches:
            return matches[0]
    return None


def info(session: Session, row: Achievement, slug: str | None = None) -> AchievementInfo:
    if slug is None:
        owner = session.get(Institution, row.institution_id)
        slug = owner.slug if owner is not None else ""
    document = json.loads(row.achievement_json)
    used = session.scalar(
        select(func.count()).select_from(Credential).where(Credential.achievement_id == row.id)
    )
    current = row if row.state != SUPERSEDED else current_row(session, row.series_id)
    return AchievementInfo(
        id=row.id,
        url=document["id"],
        institution=slug,
        series_id=row.series_id,
        version=row.version,
        state=row.state,
        starter=row.starter,
        validity=row.validity,
        name=document.get("name", ""),
        created_at=row.created_at,
        retired_at=row.retired_at,
        document=document,
        used=int(used or 0),
        current_id=current.id,
    )


def list_current(session: Session, institution: Institution) -> list[Achievement]:
    """The institution's achievements, one row per achievement (its latest version), newest first."""
    latest = (
        select(Achievement.series_id, func.max(Achievement.version).label("version"))
        .where(Achievement.institution_id == institution.id)
        .group_by(Achievement.series_id)
        .subquery()
    )
    query = (
        select(Achievement)
        .join(
            latest, (Achievement.series_id == latest.c.series_id) & (Achievement.version == latest.c.version)
        )
        .order_by(Achievement.created_at.desc(), Achievement.id)
    )
    return list(session.scalars(query))
