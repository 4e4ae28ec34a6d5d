"""Achievement templates: one JSON file per kind of credential (ACLS, PALS, BLS, a CPD module, ...).

The bundled templates live in `schemas/templates/`; an institution adds its own by pointing at a
folder of files in the same format. Every template is validated against
`schemas/template.schema.json` when loaded, so a typo surfaces when the template is added, not as
a credential that fails JSON-LD safe mode or the 1EdTech schema later.
"""

from __future__ import annotations

import calendar
import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator

from verifier.errors import InputError
from verifier.resources import schemas_dir

_DURATION = re.compile(r"^P(?=[0-9])(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?$")


class TemplateError(InputError):
    """A template is missing or invalid."""


@dataclass(frozen=True)
class AchievementTemplate:
    """A validated template. `achievement` is a fresh copy on every access."""

    slug: str
    validity: str | None
    data: dict[str, Any]
    source: Path | None = None

    @property
    def achievement(self) -> dict[str, Any]:
        """The OBv3 Achievement (without its id, which the builder assigns)."""
        return copy.deepcopy(self.data["achievement"])

    @property
    def name(self) -> str:
        """The achievement's name, also the credential's `name`."""
        return self.data["achievement"]["name"]

    def valid_until(self, valid_from: datetime) -> datetime | None:
        """validFrom plus the template's validity period, or None if credentials do not expire."""
        return add_duration(valid_from, self.validity) if self.validity else None


def bundled_templates_dir() -> Path:
    """The folder of templates shipped with MedCred."""
    return schemas_dir() / "templates"


@lru_cache(maxsize=1)
def _validator() -> Draft201909Validator:
    with (schemas_dir() / "template.schema.json").open(encoding="utf-8") as handle:
        schema = json.load(handle)
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def validate_template(data: Any, *, where: str = "the template") -> None:
    """Raise TemplateError (naming the first problem and its location) unless `data` is a valid template."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        location = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise TemplateError(f"{where} is invalid at {location}: {first.message}.")


def template_from_data(data: Any, *, source: Path | None = None) -> AchievementTemplate:
    """A template from already-parsed JSON, validated."""
    where = f"Template {source.name}" if source else "The template"
    validate_template(data, where=where)
    if source is not None and data["slug"] != source.stem:
        raise TemplateError(f"{where} declares slug {data['slug']!r}; it must match its file name.")
    return AchievementTemplate(
        slug=data["slug"], validity=data.get("validity"), data=copy.deepcopy(data), source=source
    )


_loaded: dict[tuple[str, int, int], AchievementTemplate] = {}


def load_template_file(path: str | Path) -> AchievementTemplate:
    """Load and validate one template file.

    Validated templates are remembered by path, size and modification time: an API issuing one
    credential per request would otherwise re-validate the template's JSON Schema every time (a
    third of the request), while an edited file is still picked up. Templates are immutable.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise TemplateError(f"Template file {path} cannot be read: {exc.strerror}.") from exc
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    cached = _loaded.get(key)
    if cached is not None:
        return cached
    template = _read_template_file(path)
    _loaded[key] = template
    return template


def _read_template_file(path: Path) -> AchievementTemplate:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"Template file {path} cannot be read: {exc.strerror}.") from exc
    except ValueError as exc:
        raise TemplateError(f"Template file {path} is not valid JSON: {exc}.") from exc
    return template_from_data(data, source=path)


def list_templates(folder: str | Path | None = None) -> dict[str, AchievementTemplate]:
    """All templates by slug: the bundled ones, overridden or extended by those in `folder`."""
    templates: dict[str, AchievementTemplate] = {}
    folders = [bundled_templates_dir()] + ([Path(folder)] if folder is not None else [])
    for directory in folders:
        if not directory.is_dir():
            raise TemplateError(f"Template folder {directory} does not exist.")
        for path in sorted(directory.glob("*.json")):
            template = load_template_file(path)
            templates[template.slug] = template
    return templates


def load_template(slug: str, folder: str | Path | None = None) -> AchievementTemplate:
    """The template `slug` (from `folder` first if given, else bundled)."""
    candidates = ([Path(folder)] if folder is not None else []) + [bundled_templates_dir()]
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", slug or ""):
        raise TemplateError(f"{slug!r} is not a template name (lower-case letters, digits and dashes).")
    for directory in candidates:
        path = directory / f"{slug}.json"
        if path.is_file():
            return load_template_file(path)
    known = ", ".join(sorted(list_templates(folder))) if folder is None or Path(folder).is_dir() else ""
    raise TemplateError(f"There is no template named {slug!r}" + (f" (known: {known})." if known else "."))


def add_duration(moment: datetime, duration: str) -> datetime:
    """`moment` + an ISO 8601 duration of years, months, weeks, days (calendar arithmetic).

    A date that does not exist in the target month is clamped to its last day
    (29 February + P1Y = 28 February), the usual rule for certification expiry.
    """
    match = _DURATION.match(duration)
    if match is None:
        raise TemplateError(f"{duration!r} is not a duration such as P2Y, P18M or P90D.")
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    month_index = moment.month - 1 + months + 12 * years
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day) + timedelta(weeks=weeks, days=days)
