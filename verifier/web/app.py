"""The standalone verifier app (`medcred verify-server`)."""

from __future__ import annotations

from flask import Flask, Response, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from verifier.config import VerifierConfig
from verifier.errors import InputError
from verifier.web.blueprint import MAX_REQUEST_BYTES, create_blueprint
from verifier.web.security import add_security_headers


def create_app(config: VerifierConfig) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.register_blueprint(create_blueprint(config))
    add_security_headers(app)

    @app.get("/")
    def index() -> Response:
        return redirect("/verify")  # type: ignore[return-value]

    @app.errorhandler(InputError)
    def bad_input(exc: InputError) -> tuple[Response, int]:
        response = jsonify(
            {"type": "about:blank", "title": "Invalid request", "status": 400, "detail": str(exc)}
        )
        response.mimetype = "application/problem+json"
        return response, 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        status = exc.code or 500
        if request.path.startswith("/credentials/") or request.accept_mimetypes.best == "application/json":
            response = jsonify(
                {"type": "about:blank", "title": exc.name, "status": status, "detail": exc.description}
            )
            response.mimetype = "application/problem+json"
            return response, status
        return render_template("verifier_error.html", title=exc.name, detail=exc.description), status

    return app
