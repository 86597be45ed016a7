"""``GET /deliveries/{project}`` and ``GET /deliveries/{project}/{id}``.

Read policy. The list comes from the delivery registry; the detail is the
delivery's manifest (entries, problems) with its audit record, built at most
once per delivery and cached (services.delivery_manifests). Plain ``def``
routes: registry and storage reads run in a worker thread.

"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from onepiece.errors import EntityNotFound
from onepiece.web.deps import DeliveryManifestsDep, ReadAuth, Role
from onepiece.web.error_table import NotFound
from onepiece.web.redaction import is_anonymous, scrub

router = APIRouter(tags=["deliveries"])


@router.get("/deliveries/{project}")
def list_deliveries(
    project: str, manifests: DeliveryManifestsDep, role: ReadAuth
) -> dict[str, Any]:
    """Deliveries of a project, newest first (audit records; no paths without a token)."""
    deliveries = [r.to_dict() for r in manifests.list(project)]
    return {"project": project, "deliveries": _shown(deliveries, role)}


@router.get("/deliveries/{project}/{delivery_id}")
def get_delivery(
    project: str, delivery_id: str, manifests: DeliveryManifestsDep, role: ReadAuth
) -> dict[str, Any]:
    """One delivery's manifest: audit record, entries and problems."""
    try:
        document: dict[str, Any] = manifests.get(project, delivery_id)
    except EntityNotFound as exc:
        raise NotFound(exc.message, hint=exc.hint) from exc
    shown: dict[str, Any] = _shown(document, role)
    return shown


def _shown(value: Any, role: Role | None) -> Any:
    return scrub(value) if is_anonymous(role) else value
