"""The admin UI's achievement catalog: list, create (from a starter or from scratch), show, new
version and retire, with the same service calls as the API and the CLI.

The form covers the properties a registrar sets by hand (name, description, criteria, type,
credits, field of study, code, tags, language, validity, one assessment with a pass mark, image);
a new version starts from the current one, so what the form does not show (alignments, further
result descriptions) is carried over unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from issuer.achievement_images import MAX_IMAGE_BYTES
from issuer.service import IssuerService
from issuer.storage.errors import ConflictError, ForbiddenError
from issuer.web.admin_forms import FORM_ERRORS, LOGIN, PAGE, form_body
from verifier.errors import InputError
from verifier.web.openapi import SESSION, Responses, api_spec, error_page, request_body

ACHIEVEMENT_TYPES = (
    "Course", "Certification", "Certificate", "CertificateOfCompletion", "Assessment", "Badge",
    "Competency", "License", "LearningProgram", "MicroCredential", "Award",
)  # fmt: skip
RESULT_TYPES = ("Percent", "RawScore", "LetterGrade", "Status", "ScaledScore", "PerformanceLevel")
TEXT_FIELDS = ("name", "description", "fieldOfStudy", "humanCode", "inLanguage")
FORM_FIELDS = {
    f: {"type": "string"}
    for f in (
        *TEXT_FIELDS,
        "starter",
        "criteria",
        "achievementType",
        "creditsAvailable",
        "tags",
        "validity",
        "result_name",
        "result_type",
        "result_pass",
        "result_max",
    )
}


NO_SUCH = error_page("No such achievement.")
OTHERS = error_page("Another institution's.")


def _form_body(required: list[str]) -> dict[str, Any]:
    """The achievement form (multipart: it may carry the image)."""
    fields = {**FORM_FIELDS, "image": {"type": "string", "contentMediaType": "image/png"}}
    return form_body(fields, required, media="multipart/form-data")


def definition_from_form(
    form: Mapping[str, str], base: Mapping[str, Any] | None = None, *, blank_keeps: bool = False
) -> dict[str, Any]:
    """A catalog definition from the admin form; `base` (the current version's, or the starter's
    Achievement) keeps what the form does not show. A blank field removes the property, unless
    `blank_keeps` (a new achievement from a starter: blank means "as the starter has it").
    InputError for a number that is not one."""
    achievement: dict[str, Any] = {
        k: copy.deepcopy(v) for k, v in (base or {}).items() if k not in ("id", "image", "version")
    }
    for field in TEXT_FIELDS:
        value = (form.get(field) or "").strip()
        if value:
            achievement[field] = value
        elif not blank_keeps:
            achievement.pop(field, None)
    narrative = (form.get("criteria") or "").strip()
    if narrative:
        achievement["criteria"] = {"narrative": narrative}
    if form.get("achievementType"):
        achievement["achievementType"] = form["achievementType"]
    credits = (form.get("creditsAvailable") or "").strip()
    if credits:
        try:
            achievement["creditsAvailable"] = float(credits.replace(",", "."))
        except ValueError:
            raise InputError(f"The credits {credits!r} are not a number.") from None
        if achievement["creditsAvailable"].is_integer():
            achievement["creditsAvailable"] = int(achievement["creditsAvailable"])
    elif not blank_keeps:
        achievement.pop("creditsAvailable", None)
    tags = [t.strip() for t in (form.get("tags") or "").split(",") if t.strip()]
    if tags:
        achievement["tag"] = tags
    elif not blank_keeps:
        achievement.pop("tag", None)
    descriptions = [
        {k: v for k, v in d.items() if k != "id"}
        for d in achievement.get("resultDescription") or []
        if isinstance(d, dict)
    ]
    result_name = (form.get("result_name") or "").strip()
    if result_name:
        first: dict[str, Any] = {"type": ["ResultDescription"], "name": result_name,
                                 "resultType": form.get("result_type") or "Percent"}  # fmt: skip
        for key, field in (("requiredValue", "result_pass"), ("valueMax", "result_max")):
            if (form.get(field) or "").strip():
                first[key] = form[field].strip()
        if first["resultType"] != "Status" and "valueMax" in first:
            first["valueMin"] = "0"
        descriptions = [first, *descriptions[1:]]
    elif descriptions and not blank_keeps:
        descriptions = descriptions[1:]
    if descriptions:
        achievement["resultDescription"] = descriptions
    else:
        achievement.pop("resultDescription", None)
    achievement.setdefault("type", ["Achievement"])
    definition: dict[str, Any] = {"achievement": achievement}
    validity = (form.get("validity") or "").strip()
    if validity or not blank_keeps:
        definition["validity"] = validity or None
    return definition


def image_upload() -> tuple[bytes | None, str | None]:
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return None, None
    return upload.read(MAX_IMAGE_BYTES + 1), upload.mimetype or None


def add_achievement_pages(
    bp: Blueprint, service: IssuerService, login_required: Callable[[Any], Any]
) -> None:
    """Register the catalog pages on the admin blueprint (`login_required` is its guard)."""

    def catalog_page(status: int = 200, **extra: Any) -> tuple[str, int]:
        return (
            render_template(
                "admin_achievements.html",
                achievements=service.list_achievements(g.slug),
                starters=service.starters(),
                types=ACHIEVEMENT_TYPES,
                result_types=RESULT_TYPES,
                **extra,
            ),
            status,
        )

    def detail_page(achievement_id: str, status: int = 200, **extra: Any) -> tuple[str, int]:
        info = service.get_achievement(achievement_id, institution=g.slug)
        return (
            render_template(
                "admin_achievement.html",
                info=info,
                types=ACHIEVEMENT_TYPES,
                result_types=RESULT_TYPES,
                **extra,
            ),
            status,
        )

    @bp.get("/achievements")
    @api_spec.validate(
        resp=Responses(HTTP_200=PAGE, **LOGIN), tags=["admin"], security=SESSION, skip_validation=True
    )
    @login_required
    def achievements() -> Any:
        """The achievement catalog, with the form to add one."""
        return catalog_page()

    @bp.post("/achievements")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="Created: to its page (or, not logged in, to the login page).", **FORM_ERRORS
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(_form_body([]))
    @login_required
    def achievement_create() -> Any:
        """Add an achievement (form)."""
        form = request.form
        try:
            starter = (form.get("starter") or "").strip()
            starters = service.starters()
            if starter and starter not in starters:
                raise InputError(f"There is no starter {starter!r}.")
            base = starters[starter]["achievement"] if starter else None
            definition = definition_from_form(form, base, blank_keeps=bool(starter))
            if starter:
                definition["starter"] = starter
            image, media_type = image_upload()
            info = service.create_achievement(g.slug, definition, image=image, image_type=media_type)
        except InputError as exc:
            return catalog_page(400, error=str(exc), form=form)
        flash(f"Added {info.name!r} to the catalog.", "ok")
        return redirect(url_for("admin.achievement_detail", achievement_id=info.id))

    @bp.get("/achievements/<uuid:achievement_id>")
    @api_spec.validate(
        resp=Responses(
            HTTP_200=PAGE, HTTP_403=error_page("Another institution's."), HTTP_404=NO_SUCH, **LOGIN
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @login_required
    def achievement_detail(achievement_id: Any) -> Any:
        """One achievement version: its data, a form for the next version, retire."""
        return detail_page(str(achievement_id))

    @bp.post("/achievements/<uuid:achievement_id>/versions")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="Created: to the new version's page (or to the login page).",
            HTTP_403=OTHERS,
            HTTP_404=NO_SUCH,
            **FORM_ERRORS,
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(_form_body([]))
    @login_required
    def achievement_new_version(achievement_id: Any) -> Any:
        """Make the next version (form); credentials already issued keep theirs."""
        current = service.get_achievement(str(achievement_id), institution=g.slug)
        try:
            definition = definition_from_form(request.form, current.document)
            image, media_type = image_upload()
            info = service.new_achievement_version(
                current.id, definition, image=image, image_type=media_type, institution=g.slug
            )
        except (InputError, ConflictError) as exc:
            return detail_page(current.id, 400, error=str(exc))
        flash(f"Version {info.version} of {info.name!r} created; new credentials use it.", "ok")
        return redirect(url_for("admin.achievement_detail", achievement_id=info.id))

    @bp.post("/achievements/<uuid:achievement_id>/retire")
    @api_spec.validate(
        resp=Responses(
            HTTP_302="Back to the catalog (or, not logged in, to the login page).",
            HTTP_403=OTHERS,
            HTTP_404=NO_SUCH,
            **FORM_ERRORS,
        ),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(_form_body([]))
    @login_required
    def achievement_retire(achievement_id: Any) -> Any:
        """Retire an achievement (form)."""
        try:
            info = service.retire_achievement(str(achievement_id), institution=g.slug)
        except (ConflictError, ForbiddenError) as exc:
            flash(str(exc), "error")
            return redirect(url_for("admin.achievements"))
        flash(f"Retired {info.name!r}: it can no longer be issued.", "ok")
        return redirect(url_for("admin.achievements"))
