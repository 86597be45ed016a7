"""Every error, including routing and validation, uses the one envelope."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.integration.web.conftest import admin


def test_unknown_route_answers_the_404_envelope(client: TestClient) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "route.not_found", "message": "no route for /no/such/route"}
    }


def test_wrong_method_answers_the_405_envelope(client: TestClient) -> None:
    response = client.delete("/metrics", headers=admin())
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method.not_allowed"
    assert "DELETE" in response.json()["error"]["message"]


def test_malformed_json_body_answers_the_422_envelope(client: TestClient) -> None:
    response = client.post(
        "/admin/cache",
        headers={**admin(), "Content-Type": "application/json"},
        content=b"{ttl: ",
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "request.invalid"
    assert body["hint"] == "see the OpenAPI schema at /docs"


def test_a_bug_answers_a_500_envelope_without_internals(app: FastAPI) -> None:
    @app.get("/explode")
    def explode() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal.error"
    assert "secret internals" not in response.text


def test_openapi_documents_the_routes_and_bearer_schemes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/health", "/metrics", "/projects", "/projects/{project}", "/admin/cache"} <= set(
        spec["paths"]
    )
    assert {"DashboardToken", "ReadToken"} <= set(spec["components"]["securitySchemes"])
    assert client.get("/docs").status_code == 200


def test_a_state_database_failing_under_the_service_answers_503_not_500(
    client: TestClient, app: FastAPI
) -> None:
    import sqlite3

    database = app.state.container.settings.state_db_path
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TABLE render_jobs")  # broken under the running service
    for response in (
        client.get("/jobs", headers=admin()),
        client.get("/jobs"),  # anonymous: the same answer, nothing of the server's
    ):
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "state.unavailable"
        assert str(database) not in response.text and "render_jobs" not in response.text
        assert "/health" in error["hint"]
