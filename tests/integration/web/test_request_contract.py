"""What the OpenAPI document and docs/api.md promise, on a real uvicorn server.

Strict request types (no booleans for numbers), 422 ``request.invalid`` for
any body that is not JSON (undecodable, too deep), and a document that says
which routes are open and which errors each route answers.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.web.conftest import ADMIN_TOKEN, READ_TOKEN, admin, make_settings

NOT_NUMBERS = [
    {"ttl": False},
    {"ttl": True},
    {"ttl": "30"},
    {"max_records": True},
    {"max_records": "100"},
    {"max_projects": False},
    {"max_records": 10.5},
]


@pytest.mark.parametrize("tuning", NOT_NUMBERS)
def test_cache_tuning_takes_numbers_only(settings, make_app, live_server, tuning) -> None:
    with live_server(make_app(settings)) as server, httpx.Client(base_url=server.url) as http:
        before = http.get("/admin/cache", headers=admin()).json()
        answer = http.post("/admin/cache", json=tuning, headers=admin())
        after = http.get("/admin/cache", headers=admin()).json()
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "request.invalid"
    assert (after["ttl_seconds"], after["max_records"], after["max_projects"]) == (
        before["ttl_seconds"],
        before["max_records"],
        before["max_projects"],
    )


def test_an_integral_number_is_an_integer(settings, make_app, live_server) -> None:
    with live_server(make_app(settings)) as server:
        answer = httpx.post(
            server.url + "/admin/cache", json={"max_records": 250.0, "ttl": 5}, headers=admin()
        )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["max_records"], answer.json()["ttl_seconds"]) == (250, 5.0)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00{",  # not UTF-8
        b'{"ttl": "\xc3\x28"}',  # invalid UTF-8 inside a string
        b"[" * 50_000 + b"]" * 50_000,  # deeper than any parser recursion limit
        b'{"ttl": ' * 20_000 + b"1" + b"}" * 20_000,
        b'{"ttl": 30',  # truncated
    ],
)
def test_a_body_that_is_not_json_is_422_request_invalid(
    settings, make_app, live_server, body: bytes
) -> None:
    with live_server(make_app(settings)) as server:
        for path in ("/admin/cache", "/jobs"):
            answer = httpx.post(
                server.url + path,
                content=body,
                headers={**admin(), "Content-Type": "application/json"},
            )
            assert answer.status_code == 422, (path, answer.text)
            assert answer.json()["error"]["code"] == "request.invalid"


def _operations(spec: dict) -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }


def test_the_document_says_read_routes_are_open_and_admin_routes_answer_401_and_503(
    settings, make_app, live_server
) -> None:
    with live_server(make_app(settings)) as server:
        spec = httpx.get(server.url + "/openapi.json").json()
    operations = _operations(spec)
    for key in (("GET", "/health"), ("GET", "/projects"), ("GET", "/jobs"), ("GET", "/runs")):
        assert {} in operations[key]["security"], key  # no token needed
        assert "401" in operations[key]["responses"], key  # a wrong one is refused
    for key in (("GET", "/metrics"), ("POST", "/admin/cache"), ("POST", "/jobs")):
        assert operations[key]["security"] == [{"DashboardToken": []}], key
        for status in ("401", "503", "422"):
            content = operations[key]["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert "413" in operations[("POST", "/jobs")]["responses"]
    links = operations[("POST", "/jobs")]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} >= {"get_job_jobs__job_id__get"}


def test_with_a_read_token_the_document_says_read_routes_need_it(
    data_dir: Path, make_app, live_server
) -> None:
    settings = make_settings(data_dir, trafalgar={"read_token": READ_TOKEN})
    with live_server(make_app(settings)) as server:
        spec = httpx.get(server.url + "/openapi.json").json()
        assert httpx.get(server.url + "/health").status_code == 401
        assert httpx.get(server.url + "/health", headers=admin(ADMIN_TOKEN)).status_code == 200
    assert _operations(spec)[("GET", "/health")]["security"] == [{"ReadToken": []}]
