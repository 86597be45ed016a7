"""Trafalgar's HTTP client: the render job API as ``onepiece render --server`` uses it.

A thin httpx client: the server's error envelope is turned back into our
exception tree by its ``code``, read from the server's own table
(``web/error_table.py``), so the CLI prints the same one line and exit code
whether it talks to the farms or to a server. Tokens go in the Authorization
header only; they are never printed or logged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from onepiece import errors
from onepiece.web.error_table import exception_for

# Codes the server answers without an exception class of ours behind them.
_REQUEST_CODES: dict[str, type[errors.OnePieceError]] = {
    "request.invalid": errors.ValidationError,
}
_AUTH_HINT = "pass --token or set TRAFALGAR_DASHBOARD_TOKEN (the server's dashboard token)"


class RemoteRender:
    def __init__(self, url: str, token: str | None, *, timeout: float = 30.0) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise errors.AdapterUnavailable(
                f"cannot reach Trafalgar at {self.url}: {exc.__class__.__name__}",
                hint="is `onepiece serve` running there? check --server",
            ) from exc
        if response.is_success:
            return response.json()
        try:
            error = response.json()["error"]
            code, message = str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            raise errors.FarmError(
                f"Trafalgar answered HTTP {response.status_code} to {method} {path}"
            ) from None
        if code.startswith("auth."):
            raise errors.ConfigError(f"{message} ({code})", hint=error.get("hint") or _AUTH_HINT)
        raise _exception(code)(message, hint=error.get("hint"), context=error.get("context"))

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        job: dict[str, Any] = self._call("POST", "/jobs", json=body)
        return job

    def list_jobs(self, *, status: str | None, farm: str | None, limit: int) -> list[Any]:
        params = {k: v for k, v in {"status": status, "farm": farm, "limit": limit}.items() if v}
        jobs: list[Any] = self._call("GET", "/jobs", params=params)["jobs"]
        return jobs

    def get(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self._call("GET", f"/jobs/{quote(job_id, safe='')}")
        return job

    def cancel(self, job_id: str, reason: str | None) -> dict[str, Any]:
        path = f"/jobs/{quote(job_id, safe='')}/cancel"
        job: dict[str, Any] = self._call("POST", path, json={"reason": reason})
        return job

    def farms(self) -> dict[str, Any]:
        farms: dict[str, Any] = self._call("GET", "/farms")
        return farms

    def close(self) -> None:
        self._client.close()


def _exception(code: str) -> type[errors.OnePieceError]:
    """Our exception for an envelope code, read from the server's own table."""
    found = exception_for(code) or _REQUEST_CODES.get(code)
    # internal.error, the web's own classes and unknown codes: a failure of the server.
    if found is None or found is errors.OnePieceError or found.__module__ != errors.__name__:
        return errors.FarmError
    return found
