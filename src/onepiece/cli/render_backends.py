"""Where ``onepiece render`` sends its commands: the farms directly, or a server.

``LocalRender`` drives the render job service in this process (the history
file and the farms, no web service needed); ``--server URL`` uses
``onepiece.web.client.RemoteRender``, Trafalgar's own HTTP client, with the
same methods. Both return plain JSON-able dicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onepiece.services.render.jobs import RenderJobService


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
