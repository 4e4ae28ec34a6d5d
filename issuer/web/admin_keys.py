"""The admin UI's signing keys page: the keys, a rotate button and a retire form (after a
compromise), with the same use cases as the API and `medcred institution rotate-key|retire-key`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from issuer.key_lifecycle import list_keys, parse_time, retire_key, rotate_key
from issuer.service import IssuerService
from issuer.web.admin_forms import FORM_ERRORS, LOGIN, PAGE, form_body
from verifier.errors import MedCredError
from verifier.web.openapi import SESSION, Responses, api_spec, request_body


def add_key_pages(bp: Blueprint, service: IssuerService, login_required: Callable[[Any], Any]) -> None:
    """Add /admin/keys (GET), /admin/keys/rotate and /admin/keys/retire (POST) to the admin UI."""

    @bp.get("/keys")
    @api_spec.validate(
        resp=Responses(HTTP_200=PAGE, **LOGIN), tags=["admin"], security=SESSION, skip_validation=True
    )
    @login_required
    def keys() -> Any:
        """The institution's signing keys, with rotate and retire."""
        return render_template("admin_keys.html", keys=list_keys(service, g.slug), change=None)

    @bp.post("/keys/rotate")
    @api_spec.validate(
        resp=Responses(HTTP_302="Back to the keys page with a message.", **FORM_ERRORS),
        tags=["admin"],
        security=SESSION,
        skip_validation=True,
    )
    @request_body(form_body({}))
    @login_required
    def rotate() -> Any:
        """Rotate: a new signing key; earlier credentials stay VALID."""
        try:
            change = rotate_key(service, g.slug)
        except MedCredError as exc:
            flash(f"The key was not rotated: {exc}", "error")
            return redirect(url_for("admin.keys"))
        flash(f"New signing key {change.new_key}. {' '.join(change.notes)}".strip(), "ok")
        return redirect(url_for("admin.keys"))

    @bp.post("/keys/retire")
    @api_spec.validate(
        resp=Responses(HTTP_200=PAGE, **FORM_ERRORS), tags=["admin"], security=SESSION, skip_validation=True
    )
    @request_body(form_body({"key": {"type": "string"}, "as_of": {"type": "string"}}, ("key",)))
    @login_required
    def retire() -> Any:
        """Retire a compromised key from a time on; lists the credentials to issue again."""
        key = (request.form.get("key") or "").strip()
        as_of = (request.form.get("as_of") or "").strip()
        try:
            change = retire_key(service, g.slug, key, parse_time(as_of) if as_of else None)
        except MedCredError as exc:
            flash(f"The key was not retired: {exc}", "error")
            return redirect(url_for("admin.keys"))
        return render_template("admin_keys.html", keys=list_keys(service, g.slug), change=change)
