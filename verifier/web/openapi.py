"""The OpenAPI 3.1 document comes from code: typed models on the routes, read by spectree.

Every Flask route of MedCred (issuer and verifier) declares what it takes and answers with
`spectree`'s decorator on the shared instance `api_spec`, using pydantic models. The same
declaration validates the request (query string, JSON body, form) before the view runs and
generates `GET /openapi.json`; there is no hand-written description to keep in step.

How a new endpoint declares itself (copy this shape):

    from pydantic import BaseModel, Field
    from verifier.web.openapi import BEARER, Media, Responses, api_spec, problems

    class CatalogQuery(BaseModel):                 # query string: ?limit=...
        limit: int = Field(100, ge=1, le=1000)

    class AchievementRequest(BaseModel):           # JSON body (any Content-Type; curl -d works)
        model_config = ConfigDict(extra="forbid")  # unknown fields are a 400, never dropped
        name: str = Field(min_length=1, max_length=300, description="...")

    @bp.post("/institutions/<slug>/achievements")
    @api_spec.validate(
        json=AchievementRequest,
        resp=Responses(HTTP_201=Achievement, **problems(400, 401, 403, 404, 409, 413)),
        tags=["achievements"],
        security=BEARER,                           # PUBLIC / SESSION for the others
    )
    def create_achievement(slug: str, json: AchievementRequest) -> ...:
        \"\"\"Create an achievement (first docstring line = the operation's summary).\"\"\"

- `json=`, `query=`, `form=` are validated and handed to the view as the arguments `json`, `query`,
  `form` (annotate them with the model). A validation failure is a 400 problem+json
  (`urn:medcred:problem:invalid-input`) whose detail names each bad field; an empty or non-JSON body
  is a 400 too. A body that is not a model (a CSV upload, a form read by hand) is described with
  `@request_body({...media type: schema...})` under the `validate` decorator.
- `Responses(HTTP_200=Model, HTTP_404=Problem, HTTP_302="To the login page.")`: a pydantic model is
  `application/json`, `Problem` (or a subclass) is `application/problem+json`, a string is a
  body-less answer, and `Media("text/html", "The page")` any other type (HTML, PNG, PDF, ZIP, JSON
  Lines).
  `problems(400, 401, ...)` gives the standard problem+json error answers.
- A state-changing endpoint checks its token *before* its body is validated (a caller without a
  valid token gets 401/403 whatever it sent): in the issuer, `@authorized_first(check)` from
  issuer.web.auth goes above `api_spec.validate`, and the view reads `flask.g.authorization`.
- Pages and files that take no input still declare their responses, with `skip_validation=True`.
- Responses are documented, not re-validated on the way out (a copy of each body would cost time
  on the hot issuing path); tests/hostile/test_schemathesis.py checks them against the document.
- Every route must be declared: tests/web/test_web_openapi.py compares the document with the URL map
  both ways, and an undeclared route has no responses, which fails the OpenAPI validation test.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from spectree import Response, SpecTree
from spectree.plugins.base import Context
from spectree.plugins.flask_plugin import FlaskPlugin

from verifier import jsonsafe
from verifier.errors import InputError

PROBLEM_JSON = "application/problem+json"
BEARER: dict[str, list[str]] = {"bearerAuth": []}
"""An institution API token (`Authorization: Bearer <token>`)."""
SESSION: dict[str, list[str]] = {"adminSession": []}
"""The admin UI's session cookie (forms also carry its CSRF token)."""
PUBLIC: dict[str, list[str]] | None = None
"""No authentication."""
BODY_ATTRIBUTE = "__openapi_request_body__"
RAW_JSON_ATTRIBUTE = "__medcred_reads_its_own_json__"
M = TypeVar("M", bound=BaseModel)


class RowError(BaseModel):
    """One problem in one row of a CSV roster."""

    row: int = Field(description="Spreadsheet row number (the header is row 1).")
    column: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error of the JSON API."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="about:blank or urn:medcred:problem:<kind>.")
    title: str
    status: int
    detail: str
    errors: list[RowError] | None = None
    duplicates: list[str] | None = Field(
        None, description="409 duplicate: the ids of the credentials the recipient already holds."
    )


@dataclass(frozen=True)
class Media:
    """A response that is not a JSON model: its media type, description and (optional) schema."""

    media_type: str | tuple[str, ...]
    description: str
    schema: Mapping[str, Any] | None = None

    def content(self) -> dict[str, Any]:
        """Each media type with `schema`, or by default: JSON types an object, the others a string."""
        types = (self.media_type,) if isinstance(self.media_type, str) else self.media_type
        return {media: {"schema": dict(self._schema(media))} for media in types}

    def _schema(self, media: str) -> Mapping[str, Any]:
        if self.schema is not None:
            return self.schema
        if media == PROBLEM_JSON:
            return {"$ref": "#/components/schemas/Problem"}
        return {"type": "object"} if media.endswith("json") else {"type": "string"}


def error_page(description: str) -> Media:
    """An error of a page or form: HTML for browsers, problem+json for API clients (by Accept or token)."""
    return Media(("text/html", PROBLEM_JSON), description)


class Responses(Response):
    """spectree's `Response` that also takes `Media` answers, and describes `Problem` as problem+json.

    `Responses(HTTP_200=Media(...), HTTP_302="To the dashboard.", HTTP_404=Problem)`: a string is a
    response without a body (redirects, 304).
    """

    def __init__(self, **code_models: Any) -> None:
        self.media: dict[str, Media] = {}
        self.plain: dict[str, str] = {}
        models: dict[str, Any] = {}
        for code, value in code_models.items():
            if isinstance(value, Media):
                self.media[code] = value
            elif isinstance(value, str):
                self.plain[code] = value
            else:
                models[code] = value
        super().__init__(**models)

    def add_model(self, code: int, model: Any, replace: bool = True, description: str | None = None) -> None:
        """As spectree's, except its automatic validation-error entry (`replace=False`): a route
        that validates input declares its 400 itself, and one that does not never answers 400."""
        if replace:
            super().add_model(code, model, replace, description)

    def generate_spec(self, naming_strategy: Any = None) -> dict[str, Any]:
        spec = super().generate_spec(naming_strategy) if naming_strategy else super().generate_spec()
        for code, answer in spec.items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            model = schema.get("$ref", "").rsplit("/", 1)[-1]
            if model in _problem_models():
                answer["content"] = {PROBLEM_JSON: {"schema": schema}}
                if model == "Problem":  # a subclass keeps its own description (its docstring)
                    answer["description"] = PROBLEM_DESCRIPTIONS.get(int(code), answer["description"])
        for code, text in self.plain.items():
            spec[code[5:]] = {"description": text}
        for code, media in self.media.items():
            spec[code[5:]] = {"description": media.description, "content": media.content()}
        return dict(sorted(spec.items()))


def _problem_models() -> set[str]:
    """`Problem` and its subclasses (e.g. the VC-API's 422 answer): all answered as problem+json."""
    found, todo = {"Problem"}, list(Problem.__subclasses__())
    while todo:
        model = todo.pop()
        found.add(model.__name__)
        todo.extend(model.__subclasses__())
    return found


PROBLEM_DESCRIPTIONS = {
    400: "Malformed or invalid input: the detail names each bad field.",
    401: "No valid API token (missing, unknown, expired or revoked).",
    403: "The token belongs to another institution or lacks the scope.",
    404: "No such resource.",
    409: "The request clashes with the current state.",
    413: "The body is too large.",
    422: "The roster has errors; `errors` lists each (row, column, reason); nothing was issued.",
    502: "The chain refused the transaction.",
    503: "The chain or the database is unavailable for now (Retry-After).",
}


def problems(*codes: int) -> dict[str, type[Problem]]:
    """`{"HTTP_400": Problem, ...}` for `Responses(**problems(400, 401))`."""
    return {f"HTTP_{code}": Problem for code in codes}


def request_body(content: Mapping[str, Mapping[str, Any]], *, required: bool = True) -> Callable:
    """Describe a request body that is not a validated model (`{"text/csv": {"schema": ...}}`)."""

    def mark(view: Callable) -> Callable:
        setattr(view, BODY_ATTRIBUTE, {"required": required, "content": copy.deepcopy(dict(content))})
        return view

    return mark


def _sentence(error: ValidationError, where: str) -> str:
    """A pydantic error as one sentence naming every bad field."""
    parts = []
    for item in error.errors(include_url=False, include_context=False)[:10]:
        field = ".".join(str(p) for p in item.get("loc", ())) or where
        if item.get("type") == "missing":
            parts.append(f"'{field}' is required")
        elif item.get("type") == "extra_forbidden":
            parts.append(f"'{field}' is not a known field")
        else:
            parts.append(f"'{field}': {item.get('msg', 'invalid')}")
    return f"Invalid {where}: " + "; ".join(parts) + "."


class MedCredFlaskPlugin(FlaskPlugin):
    """spectree's Flask plugin with MedCred's rules for bodies.

    - A JSON body is read whatever its Content-Type (curl without -H works), must be a JSON object,
      and is parsed by `verifier.jsonsafe` (depth-checked, duplicates refused). An empty body counts
      as `{}` when the model has no required field (e.g. an optional revocation reason).
    - Errors are `InputError`s (400 problem+json through the app's error handlers), never 422.
    - Responses pass through untouched: streamed downloads stay streamed.
    """

    def request_validation(self, req: Any, query: Any, json: Any, form: Any, headers: Any, cookies: Any):
        has_body = req.method not in ("GET", "DELETE", "HEAD")
        use_form = form is not None and has_body and req.mimetype in self.FORM_MIMETYPE
        use_json = json is not None and has_body and not use_form and not _reads_its_own_json()
        req.context = Context(
            validated(query, self.fill_query(req, query), "query string") if query else None,
            validated(json, _json_object(json), "request body") if use_json else None,
            validated(form, self.fill_form(req), "form") if use_form else None,
            validated(headers, dict(iter(req.headers)), "headers") if headers else None,
            None,
        )

    @staticmethod
    def fill_query(req: Any, model: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in req.args:
            values = req.args.getlist(key)
            out[key] = values if len(values) > 1 else values[0]
        return out

    def validate_response(self, resp: Any, resp_model: Any, skip_validation: bool, force: bool) -> Any:
        return current_app.make_response(resp), None


def validated(model: type[M], value: Any, where: str) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InputError(_sentence(exc, where)) from None


def _json_object(model: type[BaseModel]) -> dict[str, Any]:
    return _body_object(request.get_data(cache=True), model)


def parse_json_body(raw: bytes, model: type[M]) -> M:
    """A JSON request body as `model`, by the same rules and sentences as the validated routes
    (see MedCredFlaskPlugin), without a Flask request: for views marked `reads_its_own_json`.
    Raises InputError (400)."""
    return validated(model, _body_object(raw, model), "request body")


def _body_object(raw: bytes, model: type[BaseModel]) -> dict[str, Any]:
    """The JSON object in a request body, by the one set of rules every JSON route follows; parsed
    by `jsonsafe`, as the apps' JSON provider parses. Raises InputError with the sentence."""
    if not raw.strip():
        try:
            model.model_validate({})
        except ValidationError:
            raise InputError("The request body is empty: send a JSON object.") from None
        return {}
    try:
        body = jsonsafe.loads(raw)
    except InputError as exc:  # DuplicateMemberError, JsonTooDeepError: valid JSON, refused on purpose
        raise InputError(f"The request body is refused: {exc}") from None
    except ValueError:
        raise InputError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InputError("The request body must be a JSON object.")
    return body


def reads_its_own_json(view: Callable) -> Callable:
    """Mark a view whose JSON body (still declared with `json=Model`, for the OpenAPI document) the
    view parses itself with `parse_json_body`: the web verifier does it in a worker process, so a
    hostile 2 MB body is never parsed by the process that serves everything else."""
    setattr(view, RAW_JSON_ATTRIBUTE, True)
    return view


def _reads_its_own_json() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and any(getattr(v, RAW_JSON_ATTRIBUTE, False) for v in _view_chain(view))


api_spec = SpecTree(
    "flask",
    backend=MedCredFlaskPlugin,
    mode="greedy",
    title="MedCred",
    version="1",
    validation_error_status=400,
    validation_error_model=Problem,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)
"""The one spectree instance every MedCred blueprint declares its routes with."""


def _view_chain(view: Callable) -> Iterable[Callable]:
    seen: set[int] = set()
    while view is not None and id(view) not in seen:
        seen.add(id(view))
        yield view
        view = getattr(view, "__wrapped__", None)


def openapi_document(
    app: Flask,
    *,
    title: str,
    description: str,
    server_url: str,
    security_schemes: Mapping[str, Any] | None = None,
    path_parameters: Mapping[str, str] | None = None,
    extra_operations: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app`'s routes, as declared with `api_spec`.

    `path_parameters` describes path parameters by name; `extra_operations` adds operations for
    routes that Flask itself registers (static files). Operation ids are the Flask endpoint names.
    """
    saved = copy.deepcopy(api_spec.models)  # spectree lifts nested models out of them in place
    try:
        with app.app_context():
            document = api_spec._generate_spec()
    finally:
        api_spec.models = saved
    endpoints = {}
    for rule in app.url_map.iter_rules():
        path = _openapi_path(rule.rule)
        for method in rule.methods or ():
            endpoints[(path, method.lower())] = rule.endpoint
    for path, item in document["paths"].items():
        for method, operation in item.items():
            endpoint = endpoints.get((path, method))
            if endpoint is None:
                continue
            operation["operationId"] = endpoint
            if not operation.get("tags"):
                operation["tags"] = [endpoint.split(".", 1)[0]]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and not parameter.get("description"):
                    parameter["description"] = (path_parameters or {}).get(parameter["name"], "")
            for view in _view_chain(app.view_functions[endpoint]):
                body = getattr(view, BODY_ATTRIBUTE, None)
                if body is not None:
                    operation["requestBody"] = copy.deepcopy(body)
                    break
            operation.setdefault("responses", {})
    for path, operations in (extra_operations or {}).items():
        document["paths"].setdefault(path, {}).update(copy.deepcopy(dict(operations)))
    document["info"] = {
        "title": title,
        "version": document["info"].get("version", "1"),
        "description": description,
    }
    document["servers"] = [{"url": server_url}]
    document["components"]["securitySchemes"] = dict(security_schemes or {})
    document.pop("security", None)
    document["tags"] = sorted(
        ({"name": t} for t in {t for i in document["paths"].values() for o in i.values() for t in o["tags"]}),
        key=lambda tag: tag["name"],
    )
    return document


def _openapi_path(rule: str) -> str:
    """Werkzeug's `/credentials/<uuid:credential_id>` as `/credentials/{credential_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
