"""The walkthrough commands end to end on a real Kitsu (zou under gunicorn on loopback).

The CLI runs in a subprocess with ONEPIECE_KITSU_*; what it wrote is checked
through gazu, as a Kitsu user or script would see it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Run
from tests.ingest_support import SampleDelivery
from tests.integration.delivery_world import PROJECT, World, make_world
from tests.kitsu_server import KitsuServer, psql

ROOT = Path(__file__).resolve().parents[2]
SHOW_SETUP = ROOT / "docs" / "examples" / "show_setup.csv"


def kitsu_env(server: KitsuServer, **extra: str) -> dict[str, str]:
    return {
        "ONEPIECE_TRACKER_BACKEND": "kitsu",
        "ONEPIECE_KITSU_URL": server.url,
        "ONEPIECE_KITSU_EMAIL": server.email,
        "ONEPIECE_KITSU_PASSWORD": server.password,
        # Short waits when the server is gone; the policy is the production one.
        "ONEPIECE_KITSU_MAX_ATTEMPTS": "2",
        "ONEPIECE_KITSU_DEADLINE_SECONDS": "3",
        **extra,
    }


@pytest.fixture
def gazu_client(kitsu: KitsuServer) -> Any:
    """A gazu client logged in as the admin, to look at what the CLI wrote."""
    import gazu

    client = gazu.client.create_client(kitsu.url)
    gazu.log_in(kitsu.email, kitsu.password, client=client)
    return client


def project_named(client: Any, code: str) -> dict[str, Any]:
    import gazu

    return next(p for p in gazu.project.all_projects(client=client) if p.get("code") == code)


@pytest.fixture
def world(kitsu: KitsuServer, tmp_path: Path) -> Iterator[World]:
    settings = {"url": kitsu.url, "email": kitsu.email, "password": kitsu.password}
    built = make_world(tmp_path, "local", tracker={"backend": "kitsu"}, kitsu=settings)
    built.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 1000)
    built.add_clip("FG_ep010_sc02_0010_comp_v006", b"c" * 1000, status="rev")
    yield built
    built.services.close()


def world_env(world: World, server: KitsuServer) -> dict[str, str]:
    return kitsu_env(
        server,
        ONEPIECE_DATA_DIR=str(world.settings.data_dir),
        ONEPIECE_STORAGE_ROOT=str(world.settings.storage_root),
        ONEPIECE_INGEST_VENDOR_BUCKET=world.media_bucket,
    )


def test_info_check_logs_in_and_reports_the_server_version(
    onepiece: Run, kitsu: KitsuServer
) -> None:
    result = onepiece("info", "--check", env=kitsu_env(kitsu))
    assert result.returncode == 0, result.stderr
    assert "tracker: kitsu " + kitsu.url in result.stdout
    assert "zou 1.0." in result.stdout and "logged in" in result.stdout
    assert kitsu.password not in result.stdout + result.stderr
    shown = onepiece("profile", "--show-sources", "--format", "json", env=kitsu_env(kitsu))
    rows = json.loads(shown.stdout)["settings"]
    assert rows["kitsu.password"] == {
        "value": "**********",
        "source": "env ONEPIECE_KITSU_PASSWORD",
    }
    assert kitsu.password not in shown.stdout + shown.stderr


def test_show_setup_creates_the_show_once_and_kitsu_lists_it(
    onepiece: Run, kitsu: KitsuServer, gazu_client: Any
) -> None:
    import gazu

    env = kitsu_env(kitsu)
    first = onepiece("shotgrid", "show-setup", str(SHOW_SETUP), "-p", "OP", env=env)
    assert first.returncode == 0, first.stderr
    assert "created: 2 episodes, 3 sequences, 7 shots, 3 assets" in first.stdout
    second = onepiece("shotgrid", "show-setup", str(SHOW_SETUP), "-p", "OP", env=env)
    assert second.returncode == 0, second.stderr
    assert "created: 0 episodes, 0 sequences, 0 shots, 0 assets" in second.stdout
    project = project_named(gazu_client, "OP")
    shots = gazu.shot.all_shots_for_project(project, client=gazu_client)
    assert len(shots) == 7 and "ep010_sc01_0010" in {s["name"] for s in shots}
    episodes = gazu.shot.all_episodes_for_project(project, client=gazu_client)
    assert sorted(e["name"] for e in episodes) == ["ep010", "ep020"]


def test_templates_save_then_apply_copies_the_show_on_kitsu(
    onepiece: Run, kitsu: KitsuServer, gazu_client: Any, tmp_path: Path
) -> None:
    import gazu

    env = kitsu_env(kitsu)
    tree = tmp_path / "op.json"
    assert onepiece("shotgrid", "show-setup", str(SHOW_SETUP), "-p", "OP", env=env).returncode == 0
    saved = onepiece("shotgrid", "templates", "save", str(tree), "-p", "OP", env=env)
    assert saved.returncode == 0, saved.stderr
    assert "7 shots" in saved.stdout
    applied = onepiece(
        "shotgrid", "templates", "apply", str(tree), "-p", "OP2", "--format", "json", env=env
    )
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["created"] == {
        "Episode": 2,
        "Sequence": 3,
        "Shot": 7,
        "Asset": 3,
    }
    shots = gazu.shot.all_shots_for_project(project_named(gazu_client, "OP2"), client=gazu_client)
    assert len(shots) == 7


def test_ingest_registers_versions_visible_through_gazu(
    onepiece: Run, kitsu: KitsuServer, gazu_client: Any, clean_delivery: SampleDelivery
) -> None:
    import gazu

    args = ["ingest", "--project", "demo", "--show-code", "FG", str(clean_delivery.folder)]
    if clean_delivery.manifest:
        args += ["--manifest", str(clean_delivery.manifest)]
    result = onepiece(*args, "--format", "json", env=kitsu_env(kitsu))
    assert result.returncode in (0, 5), result.stderr  # 5: the sample's missing frames
    registered = {v["code"] for v in json.loads(result.stdout).get("registered", [])} or None
    project = project_named(gazu_client, "demo")
    previews = {}
    for shot in gazu.shot.all_shots_for_project(project, client=gazu_client):
        for task in gazu.task.all_tasks_for_shot(shot, client=gazu_client):
            for preview in gazu.files.get_all_preview_files_for_task(task, client=gazu_client):
                previews[preview["name"]] = preview
    clip = previews["FG_ep010_sc02_0020_comp_v002"]
    if registered is not None:
        assert registered <= set(previews)
    # The review movie was uploaded to zou (the sample clips carry sound only,
    # so zou's encoder may mark them broken: tests/integration has a picture).
    assert clip["extension"] == "mp4" and clip["status"] in {"processing", "ready", "broken"}
    assert clip["data"]["checksum"].startswith(("xxh", "md5", "sha"))


def test_set_status_round_trips_through_kitsu_task_statuses(
    onepiece: Run, kitsu: KitsuServer, world: World, gazu_client: Any
) -> None:
    import gazu

    env = world_env(world, kitsu)
    code = "FG_ep010_sc02_0010_comp_v006"
    changed = onepiece(
        "shotgrid", "versions", "set-status", code, "-p", PROJECT, "--status", "apr", env=env
    )
    assert changed.returncode == 0, changed.stderr
    listed = onepiece(
        "shotgrid", "versions", "list", "-p", PROJECT, "--status", "approved", "--format", "json",
        env=env,
    )  # fmt: skip
    assert code in {v["code"] for v in json.loads(listed.stdout)["versions"]}
    shots = gazu.shot.all_shots_for_project(project_named(gazu_client, PROJECT), client=gazu_client)
    [shot] = [s for s in shots if s["name"] == "0010"]
    [task] = gazu.task.all_tasks_for_shot(shot, client=gazu_client)
    status = gazu.task.get_task_status(task["task_status_id"], client=gazu_client)
    assert status["short_name"] == "approved"


def test_a_playlist_built_by_onepiece_is_listed_by_kitsu(
    onepiece: Run, kitsu: KitsuServer, world: World, gazu_client: Any
) -> None:
    import gazu

    env = world_env(world, kitsu)
    code = "FG_ep010_sc02_0010_comp_v004"
    created = onepiece(
        "shotgrid", "playlists", "create", "dailies", "-p", PROJECT, "--version", code,
        "--format", "json", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["versions"] == [code]
    project = project_named(gazu_client, PROJECT)
    [playlist] = gazu.playlist.all_playlists_for_project(project, client=gazu_client)
    assert playlist["name"] == "dailies"
    full = gazu.playlist.get_playlist(playlist, client=gazu_client)
    previews = [
        gazu.files.get_preview_file(s["preview_file_id"], client=gazu_client) for s in full["shots"]
    ]
    assert [p["name"] for p in previews] == [code]


def test_deliver_packages_only_approved_versions(
    onepiece: Run, kitsu: KitsuServer, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "FG.zip"
    args = ["shotgrid", "deliver", "-p", PROJECT, "--context", "client_out", "--output", str(out)]
    result = onepiece(*args, "--format", "json", env=world_env(world, kitsu))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [e["version"] for e in data["entries"]] == ["FG_ep010_sc02_0010_comp_v004"]
    with zipfile.ZipFile(out) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".mov")]) == 1


# Failures


def test_a_wrong_password_is_one_line_exit_6_and_never_retried(
    onepiece: Run, kitsu: KitsuServer
) -> None:
    # Five failed logins would lock the account: with retries, the right
    # password would then be refused too.
    env = kitsu_env(
        kitsu, ONEPIECE_KITSU_PASSWORD="not-the-password", ONEPIECE_KITSU_MAX_ATTEMPTS="9"
    )
    for _ in range(2):
        result = onepiece("shotgrid", "versions", "list", "-p", "FG", env=env)
        assert result.returncode == 6, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("error: Kitsu at ") and "refused the login" in result.stderr
        assert "ONEPIECE_KITSU_PASSWORD" in result.stderr and "Traceback" not in result.stderr
    fine = onepiece("info", "--check", env=kitsu_env(kitsu))
    assert fine.returncode == 0, fine.stdout + fine.stderr


def test_an_unknown_project_is_one_clear_line(onepiece: Run, kitsu: KitsuServer) -> None:
    result = onepiece("shotgrid", "versions", "list", "-p", "NOPE", env=kitsu_env(kitsu))
    assert result.returncode == 6
    assert "project NOPE not found on Kitsu" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_stopped_server_is_a_clear_error_and_a_rerun_completes(
    onepiece: Run, kitsu: KitsuServer, gazu_client: Any
) -> None:
    import gazu

    env = kitsu_env(kitsu)
    kitsu.stop_api()
    try:
        down = onepiece("shotgrid", "show-setup", str(SHOW_SETUP), "-p", "OP", env=env)
    finally:
        kitsu.start_api()
    assert down.returncode == 6
    assert "unreachable" in down.stderr and "ONEPIECE_KITSU_URL" in down.stderr
    assert "Traceback" not in down.stderr
    again = onepiece("shotgrid", "show-setup", str(SHOW_SETUP), "-p", "OP", env=env)
    assert again.returncode == 0, again.stderr
    login = gazu.client.create_client(kitsu.url)
    gazu.log_in(kitsu.email, kitsu.password, client=login)
    shots = gazu.shot.all_shots_for_project(project_named(login, "OP"), client=login)
    assert len(shots) == 7
    assert psql("SELECT count(*) FROM entity WHERE name = 'ep010_sc01_0010'", kitsu.database) == "1"


def test_a_server_stopped_mid_setup_is_a_clear_error_and_the_rerun_completes(
    kitsu: KitsuServer, tmp_path: Path
) -> None:
    rows = [f"ep010,ep010_sc01,ep010_sc01_{i * 10:04d},,1001,1010,,wtg" for i in range(1, 151)]
    csv = tmp_path / "big.csv"
    csv.write_text(
        "episode,sequence,shot,asset,cut_in,cut_out,description,status\n" + "\n".join(rows)
    )
    command = [sys.executable, "-m", "onepiece", "shotgrid", "show-setup", str(csv), "-p", "OP"]
    env = {**os.environ, **kitsu_env(kitsu)}
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    seen = []
    try:
        for line in proc.stderr:  # wait until shots are being created, then pull the plug
            seen.append(line)
            if ": created" in line and "shot" in line:
                break
        kitsu.stop_api()
        out, rest = proc.communicate(timeout=120)
    finally:
        proc.kill()
        kitsu.start_api()
    err = "".join(seen) + rest
    assert proc.returncode == 6, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: Kitsu at ") and "unreachable" in last
    assert "Traceback" not in err
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "shots" in again.stdout
    count = "SELECT count(*), count(DISTINCT name) FROM entity WHERE name LIKE 'ep010_sc01_%'"
    assert psql(count, kitsu.database) == "150|150"


def test_package_playlist_and_reconcile_work_on_kitsu(
    onepiece: Run, kitsu: KitsuServer, world: World, tmp_path: Path
) -> None:
    env = world_env(world, kitsu)
    world.add_clip("FG_ep010_sc02_0010_comp_v009", b"b" * 100, checksum="xxh3:" + "3" * 16)
    versions = ["FG_ep010_sc02_0010_comp_v004", "FG_ep010_sc02_0010_comp_v009"]
    flags = [arg for code in versions for arg in ("--version", code)]
    created = onepiece("shotgrid", "playlists", "create", "dailies", "-p", PROJECT, *flags, env=env)
    assert created.returncode == 0, created.stderr
    destination = tmp_path / "outbox"
    packaged = onepiece(
        "shotgrid", "package-playlist", "-p", PROJECT, "--playlist", "dailies",
        "--destination", str(destination), "--recipient", "vendor", env=env,
    )  # fmt: skip
    assert packaged.returncode == 5, packaged.stderr  # v009's recorded checksum is wrong
    manifest = json.loads((destination / "FG_dailies_vendor" / "manifest.json").read_text())
    assert [e["version"] for e in manifest["entries"]] == ["FG_ep010_sc02_0010_comp_v004"]
    reconciled = onepiece("validate", "reconcile", "-p", PROJECT, "--format", "json", env=env)
    assert reconciled.returncode == 10, reconciled.stderr
    assert json.loads(reconciled.stdout)["summary"] == {"checksum_mismatch": 1, "total": 1}
