"""The OpenAPI document says what the server does: auth, error answers, links.

FastAPI's generated document is adjusted once per app:

- read routes mark their token as optional (``security: [{}, ReadToken]``)
  while no read token is configured, as the server treats them;
- every error answer is the envelope (``ErrorEnvelope``), including 422, and
  each operation lists the statuses it can answer: 401 for any route with a
  token policy (a wrong token is always refused), 503 ``auth.not_configured``
  for admin routes, 404 where the path names a resource, 413 where there is
  a body, and ``default`` for upstream failures (502/503) and bugs (500);
- a created job links to the operations that take its id (``links``), so
  clients and stateful testers can follow the job's lifecycle.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from onepiece.config import Settings

ADMIN_SCHEME = "DashboardToken"
READ_SCHEME = "ReadToken"
ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}


class ErrorDetail(BaseModel):
    code: str
    message: str
    hint: str | None = None
    context: dict[str, Any] | None = None


class ErrorEnvelope(BaseModel):
    """Every error answer (docs/api.md#error-envelope)."""

    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ENVELOPE_REF}}}


_JOB_LINKS = {
    "GetJob": ("get_job_jobs__job_id__get", "the job just created"),
    "CancelJob": ("cancel_job_jobs__job_id__cancel_post", "cancel the job just created"),
    "DeleteJob": ("delete_job_jobs__job_id__delete", "cancel the job just created"),
}


def _schemes(operation: dict[str, Any]) -> set[str]:
    return {name for requirement in operation.get("security", []) for name in requirement}


def _adjust(operation: dict[str, Any], path: str, settings: Settings) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    schemes = _schemes(operation)
    if ADMIN_SCHEME in schemes:
        responses["401"] = _error("missing or wrong dashboard token (auth.*)")
        responses["503"] = _error(
            "no dashboard token configured on the server (auth.not_configured), "
            "or an upstream system is unavailable"
        )
    elif READ_SCHEME in schemes:
        responses["401"] = _error("wrong token, or missing while a read token is configured")
        if settings.trafalgar.read_token is None:
            operation["security"] = [{}, {READ_SCHEME: []}]  # open: a token is optional
    if "{" in path:
        responses.setdefault("404", _error("no such resource"))
    if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
        responses.setdefault("404", _error("no page at this cursor (resource.not_found)"))
    if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
        responses.setdefault(
            "409", _error("the Idempotency-Key is in flight or was used for another body")
        )
        created = responses.get("201")
        if created is not None:  # a replay answers the job it already created
            replay = {k: v for k, v in created.items() if k != "links"}
            responses.setdefault("200", {**replay, "description": "a retry with the same key"})
    if "requestBody" in operation:
        responses["413"] = _error("body larger than trafalgar.max_body_bytes (request.too_large)")
    responses["422"] = _error("invalid request: path, query or body (request.invalid)")
    responses["default"] = _error("an upstream system failed (502/503) or a bug (500)")


def _add_job_links(paths: dict[str, Any]) -> None:
    created = paths.get("/jobs", {}).get("post", {}).get("responses", {}).get("201")
    if created is None:
        return
    created["links"] = {
        name: {
            "operationId": operation_id,
            "parameters": {"job_id": "$response.body#/id"},
            "description": description,
        }
        for name, (operation_id, description) in _JOB_LINKS.items()
    }


def build_openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(envelope.pop("$defs", {}))
    components["ErrorEnvelope"] = envelope
    paths: dict[str, Any] = document.get("paths", {})
    for path, item in paths.items():
        for operation in item.values():
            _adjust(operation, path, settings)
    _add_job_links(paths)
    return document


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve the adjusted document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
