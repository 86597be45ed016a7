"""GET /deliveries/{project} and /deliveries/{project}/{id} over real deliveries."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from onepiece.services.delivery.deliver import DeliveryRequest, deliver
from onepiece.state.deliveries import DeliveryRecord, DeliveryRegistry
from onepiece.web.app import create_app
from tests.integration.delivery_world import PROJECT, make_world


def test_deliveries_list_and_manifest_built_once_and_cached(tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 100)
    world.add_clip("FG_ep010_sc02_0010_comp_v005", b"b" * 100)
    upstream = tmp_path / "upstream.csv"
    upstream.write_text("delivery_path,shot\nFG_ep010_sc02_0010_comp_v005.mov,0010_vendor\n")
    prefix = tmp_path / "manifests" / "d1"
    result = deliver(
        world.services,
        DeliveryRequest(
            PROJECT,
            "vendor_out",
            tmp_path / "out" / "d1.zip",
            manifest_prefix=prefix,
            upstream_manifest=upstream,
        ),
    )
    app = create_app(container=world.services)
    with TestClient(app) as client:
        listed = client.get(f"/deliveries/{PROJECT}").json()
        assert [d["id"] for d in listed["deliveries"]] == [result.record.id]
        first = client.get(f"/deliveries/{PROJECT}/{result.record.id}")
        assert first.status_code == 200
        body = first.json()
        assert body["delivery"]["entry_count"] == 2
        shots = {e["version"]: e["shot"] for e in body["entries"]}
        assert shots["FG_ep010_sc02_0010_comp_v005"] == "0010_vendor"  # upstream preferred
        # The sources go away; the cached manifest still answers, unchanged.
        for path in result.record.manifest_paths:
            Path(path).unlink()
        Path(result.record.zip_path or "").unlink()
        again = client.get(f"/deliveries/{PROJECT}/{result.record.id}").json()
        assert again["entries"] == body["entries"]
        assert app.state.container.delivery_manifests.generated == 1
    # A new process (new app) reads the on-disk cache instead of rebuilding.
    with TestClient(create_app(container=world.services)) as client:
        assert (
            client.get(f"/deliveries/{PROJECT}/{result.record.id}").json()["entries"]
            == body["entries"]
        )


def test_delivery_recorded_without_entries_returns_its_audit_record(tmp_path: Path) -> None:
    world = make_world(tmp_path, "local")
    record = DeliveryRecord(
        id="20240101T000000Z-deadbeef",
        project=PROJECT,
        context="client_out",
        created_at="2024-01-01T00:00:00+00:00",
        entry_count=0,
        total_bytes=0,
        package="empty",
    )
    DeliveryRegistry(world.settings.delivery_registry_path).add(record)
    with TestClient(create_app(container=world.services)) as client:
        body = client.get(f"/deliveries/{PROJECT}/{record.id}").json()
        assert body["delivery"]["id"] == record.id
        assert body["entries"] == [] and body["problems"] == []
        missing = client.get(f"/deliveries/{PROJECT}/nope")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "resource.not_found"
        assert client.get("/deliveries/OTHER").json()["deliveries"] == []


def test_metrics_status_errors_come_from_the_latest_reconciliation(tmp_path: Path) -> None:
    from onepiece.bootstrap import bootstrap
    from onepiece.config import Settings
    from onepiece.services.reconcile.service import count_differences
    from tests.integration.web.conftest import ADMIN_TOKEN, admin

    world = make_world(tmp_path, "local")
    world.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 100)
    world.put(f"{PROJECT}/ep010/0010/stray.mov", b"stray")
    settings = Settings.model_validate(
        {**world.settings.model_dump(), "trafalgar": {"dashboard_token": ADMIN_TOKEN}}
    )
    services = bootstrap(settings)
    with TestClient(create_app(container=services)) as client:
        assert client.get("/metrics", headers=admin()).json()["status"]["errors"] == 0
    assert (
        count_differences(
            services.tracker,
            services.storage,
            settings,
            PROJECT,
            results=services.reconcile_results,
        )
        == 1
    )
    with TestClient(create_app(container=services)) as client:
        assert client.get("/metrics", headers=admin()).json()["status"]["errors"] == 1
