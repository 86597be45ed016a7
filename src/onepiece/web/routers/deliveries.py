"""``GET /deliveries/{project}`` and ``GET /deliveries/{project}/{id}``.

Read policy. The list comes from the delivery registry; the detail is the
delivery's manifest (entries, problems) with its audit record, built at most
once per delivery and cached (services.delivery_manifests). Plain ``def``
routes: registry and storage reads run in a worker thread.

``setup`` also plugs reconciliation into the dashboard: ``status.errors`` in
/metrics is the number of tracker/storage differences that the latest
``onepiece validate reconcile`` run of each project found
(state.reconcile_results).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request

from onepiece.errors import EntityNotFound
from onepiece.state.reconcile_results import ReconcileResults
from onepiece.web.deps import ReadAuth, Role
from onepiece.web.errors import NotFound
from onepiece.web.redaction import is_anonymous, scrub

router = APIRouter(tags=["deliveries"])


def setup(app: FastAPI) -> None:
    from onepiece.services.delivery.manifests import DeliveryManifests
    from onepiece.state.deliveries import DeliveryRegistry

    container = app.state.container
    settings = container.settings

    def build() -> DeliveryManifests:
        return DeliveryManifests(
            DeliveryRegistry(settings.delivery_registry_path),
            container.storage,
            settings.data_dir / "delivery-manifests",
        )

    app.state.delivery_manifests = _Lazy(build)
    app.state.hooks.dashboard.reconcile = ReconcileResults(settings.reconcile_results_path).total


class _Lazy:
    """Build the manifests service on first use (storage is not touched at start-up)."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._value: Any = None

    def get(self) -> Any:
        if self._value is None:
            self._value = self._factory()
        return self._value


@router.get("/deliveries/{project}")
def list_deliveries(project: str, request: Request, role: ReadAuth) -> dict[str, Any]:
    """Deliveries of a project, newest first (audit records; no paths without a token)."""
    manifests = request.app.state.delivery_manifests.get()
    deliveries = [r.to_dict() for r in manifests.list(project)]
    return {"project": project, "deliveries": _shown(deliveries, role)}


@router.get("/deliveries/{project}/{delivery_id}")
def get_delivery(
    project: str, delivery_id: str, request: Request, role: ReadAuth
) -> dict[str, Any]:
    """One delivery's manifest: audit record, entries and problems."""
    manifests = request.app.state.delivery_manifests.get()
    try:
        document: dict[str, Any] = manifests.get(project, delivery_id)
    except EntityNotFound as exc:
        raise NotFound(exc.message, hint=exc.hint) from exc
    shown: dict[str, Any] = _shown(document, role)
    return shown


def _shown(value: Any, role: Role | None) -> Any:
    return scrub(value) if is_anonymous(role) else value
