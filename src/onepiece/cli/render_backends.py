"""Where ``onepiece render`` sends its commands: the farms directly, or a server.

``LocalRender`` drives the render job service in this process (the history
file and the farms, no web service needed). ``RemoteRender`` (``--server
URL``) is a thin httpx client over the job API: the server's error envelope is
turned back into our exception tree by its ``code``, so the CLI prints the
same one line and exit code either way. Tokens go in the Authorization header
only; they are never printed or logged. Both return plain JSON-able dicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from onepiece import errors

if TYPE_CHECKING:
    from onepiece.services.render.jobs import RenderJobService

# Envelope code -> our exception (what the CLI's exit codes understand).
_CODES: dict[str, type[errors.OnePieceError]] = {
    "render.job_not_found": errors.JobNotFound,
    "render.farm_not_found": errors.FarmNotFound,
    "adapter.unavailable": errors.AdapterUnavailable,
    "adapter.not_implemented": errors.AdapterNotImplemented,
    "adapter.job_rejected": errors.JobRejected,
    "validation.invalid": errors.ValidationError,
    "request.invalid": errors.ValidationError,
    "config.invalid": errors.ConfigError,
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
        raise _CODES.get(code, errors.FarmError)(
            message, hint=error.get("hint"), context=error.get("context")
        )

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


class LocalRender:
    """The render job service in this process; statuses refreshed from the farms on read."""

    def __init__(self, service: RenderJobService, default_farm: str) -> None:
        self.service = service
        self.default_farm = default_farm

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.service.submit(self.service.request(**body)).to_dict()

    def plan(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.service.plan(self.service.request(**body))

    def list_jobs(self, *, status: str | None, farm: str | None, limit: int) -> list[Any]:
        if farm:  # a typo in the filter is named, not answered with "no render jobs"
            self.service.farms.check_known(farm)
        self.service.poll_once()  # no poller in a CLI process: refresh unfinished jobs now
        jobs = self.service.list_jobs(status=status, farm=farm, limit=limit)
        return [job.to_dict() for job in jobs]

    def get(self, job_id: str) -> dict[str, Any]:
        return self.service.refresh(job_id).to_dict()

    def cancel(self, job_id: str, reason: str | None) -> dict[str, Any]:
        return self.service.cancel(job_id, reason).to_dict()

    def farms(self) -> dict[str, Any]:
        return {"default": self.default_farm, "farms": self.service.farm_list()}

    def close(self) -> None:
        return None  # the container closes the service
