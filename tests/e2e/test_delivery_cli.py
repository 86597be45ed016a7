"""The delivery commands end to end: the real `onepiece` in a subprocess, real s5cmd."""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import Run
from tests.integration.delivery_world import PROJECT, World, make_world
from tests.s3_endpoint import S3Endpoint, unique_bucket


@pytest.fixture
def world(tmp_path: Path) -> World:
    built = make_world(tmp_path, "local")
    built.add_clip("FG_ep010_sc02_0010_comp_v004", b"a" * 1000)
    built.add_clip("FG_ep010_sc02_0010_comp_v005", b"b" * 1000, checksum="xxh3:" + "6" * 16)
    built.add_clip("FG_ep010_sc02_0010_comp_v006", b"c" * 1000, status="rev")
    built.services.close()
    return built


def env_for(world: World) -> dict[str, str]:
    return {
        "ONEPIECE_DATA_DIR": str(world.settings.data_dir),
        "ONEPIECE_STORAGE_ROOT": str(world.settings.storage_root),
        "ONEPIECE_INGEST_VENDOR_BUCKET": world.media_bucket,
    }


def test_deliver_reports_mismatches_with_exit_5_and_pure_json(
    onepiece: Run, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "FG.zip"
    args = ["shotgrid", "deliver", "-p", PROJECT, "--context", "client_out", "--output", str(out)]
    result = onepiece(*args, "--format", "json", env=env_for(world))
    assert result.returncode == 5, result.stderr
    data = json.loads(result.stdout)
    assert [e["version"] for e in data["entries"]] == ["FG_ep010_sc02_0010_comp_v004"]
    assert [p["version"] for p in data["problems"]] == ["FG_ep010_sc02_0010_comp_v005"]
    with zipfile.ZipFile(out) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".mov")]) == 1

    again = onepiece(*args, env=env_for(world))
    assert again.returncode == 4
    assert "already exists" in again.stderr and "Traceback" not in again.stderr

    # Issue 14.13: an episode that does not exist is named (exit 4), not "nothing to deliver".
    none = onepiece(*args[:-1], str(tmp_path / "x.zip"), "--episodes", "ep999", env=env_for(world))
    assert none.returncode == 4
    assert "unknown episode in FG: ep999" in none.stderr


def test_deliver_checks_episodes_and_output_paths_before_writing(
    onepiece: Run, world: World, tmp_path: Path
) -> None:
    """Issue 14.13: unknown episodes and unwritable outputs fail first, naming them."""
    base = ["shotgrid", "deliver", "-p", PROJECT, "--context", "client_out", "--no-upload"]
    out = str(tmp_path / "out.zip")
    unknown = onepiece(*base, "--output", out, "--episodes", "ep010", "EP09", "ep404",
                       env=env_for(world))  # fmt: skip
    assert unknown.returncode == 4, unknown.stderr
    assert "unknown episodes in FG: EP09, ep404" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    for output, manifest in (("/proc/FG.zip", None), (out, "/proc/FG_manifest")):
        extra = ["--manifest", manifest] if manifest else []
        result = onepiece(*base, "--output", output, *extra, env=env_for(world))
        assert result.returncode == 4, result.stderr
        assert (
            "/proc/FG" in result.stderr
            and "cannot be written" in result.stderr
            and "Traceback" not in result.stderr
        )
    assert not list(tmp_path.glob("out*"))
    listed = onepiece("shotgrid", "versions", "list", "-p", PROJECT, "--episode", "EP09",
                      env=env_for(world))  # fmt: skip
    assert listed.returncode == 4 and "unknown episode in FG: EP09" in listed.stderr
    made = onepiece("shotgrid", "playlists", "create", "dailies", "-p", PROJECT,
                    "--version", "FG_ep010_sc02_0010_comp_v004", env=env_for(world))  # fmt: skip
    assert made.returncode == 0, made.stderr
    package = onepiece("shotgrid", "package-playlist", "-p", PROJECT, "--playlist", "dailies",
                       "--destination", "/proc/outbox", env=env_for(world))  # fmt: skip
    assert package.returncode == 4, package.stderr
    assert "/proc/outbox: cannot be written" in package.stderr and "Traceback" not in package.stderr


def test_playlists_show_lists_a_playlists_versions_in_order(onepiece: Run, world: World) -> None:
    """Issue 14.18: a command lists a playlist's Versions (text table and JSON)."""
    env = env_for(world)
    codes = ["FG_ep010_sc02_0010_comp_v006", "FG_ep010_sc02_0010_comp_v004"]
    made = onepiece("shotgrid", "playlists", "create", "review01", "-p", PROJECT,
                    "--version", codes[0], "--version", codes[1], env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    shown = onepiece("shotgrid", "playlists", "show", "review01", "-p", PROJECT,
                     "--format", "json", env=env)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["playlist"] == "review01"
    assert [(v["code"], v["status"]) for v in data["versions"]] == [
        (codes[0], "rev"),
        (codes[1], "apr"),
    ]
    table = onepiece("shotgrid", "playlists", "show", "review01", "-p", PROJECT, env=env)
    assert "review01: 2 versions" in table.stdout and codes[0] in table.stdout
    unknown = onepiece("shotgrid", "playlists", "show", "nope", "-p", PROJECT, env=env)
    assert unknown.returncode != 0 and "nope" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1


def test_versions_and_playlists_commands(onepiece: Run, world: World) -> None:
    env = env_for(world)
    listed = onepiece(
        "shotgrid",
        "versions",
        "list",
        "-p",
        PROJECT,
        "--status",
        "rev",
        "--format",
        "json",
        env=env,
    )
    assert [v["code"] for v in json.loads(listed.stdout)["versions"]] == [
        "FG_ep010_sc02_0010_comp_v006"
    ]
    changed = onepiece(
        "shotgrid",
        "versions",
        "set-status",
        "FG_ep010_sc02_0010_comp_v006",
        "-p",
        PROJECT,
        "--status",
        "apr",
        env=env,
    )
    assert changed.returncode == 0, changed.stderr
    approved = onepiece(
        "shotgrid",
        "versions",
        "list",
        "-p",
        PROJECT,
        "--status",
        "approved",
        "--format",
        "json",
        env=env,
    )
    assert len(json.loads(approved.stdout)["versions"]) == 3
    missing = onepiece(
        "shotgrid", "versions", "set-status", "NOPE_v001", "-p", PROJECT, "--status", "apr", env=env
    )
    assert missing.returncode == 6 and "NOPE_v001" in missing.stderr
    created = onepiece(
        "shotgrid",
        "playlists",
        "create",
        "dailies",
        "-p",
        PROJECT,
        "--version",
        "FG_ep010_sc02_0010_comp_v004",
        "--format",
        "json",
        env=env,
    )
    assert json.loads(created.stdout)["versions"] == ["FG_ep010_sc02_0010_comp_v004"]
    playlists = onepiece(
        "shotgrid", "playlists", "list", "-p", PROJECT, "--format", "json", env=env
    )
    assert [p["code"] for p in json.loads(playlists.stdout)["playlists"]] == ["dailies"]


def test_validate_reconcile_exits_10_on_differences(onepiece: Run, world: World) -> None:
    env = env_for(world)
    result = onepiece("validate", "reconcile", "-p", PROJECT, "--format", "json", env=env)
    assert result.returncode == 10, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary == {"checksum_mismatch": 1, "total": 1}


def _old_tree(root: Path) -> Path:
    folder = root / "plates"
    folder.mkdir(parents=True)
    earlier = time.time() - 3600
    for name in ("a.exr", "b.exr", "notes.tmp"):
        (folder / name).write_bytes(name.encode() * 10)
        os.utime(folder / name, (earlier, earlier))
    return root


def test_sync_to_and_from_through_the_cli_with_a_profile(
    onepiece: Run, s3_server: S3Endpoint, tmp_path: Path
) -> None:
    bucket = unique_bucket("clisync")
    s3_server.client().create_bucket(Bucket=bucket)
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        f"[studio]\naws_access_key_id = {s3_server.access_key}\n"
        f"aws_secret_access_key = {s3_server.secret_key}\n"
    )
    # No credentials in the environment: only the named profile can sign requests.
    env = {
        "ONEPIECE_STORAGE_ENDPOINT_URL": s3_server.url,
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_REGION": "us-east-1",
        # Without credentials the SDK would ask the EC2 metadata address: never leave loopback.
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    local = _old_tree(tmp_path / "local")
    common = ["--bucket", bucket, "--show-code", "FG", "--folder", "plates"]
    up = onepiece(
        "aws",
        "sync-to",
        *common,
        "--local-path",
        str(local),
        "--exclude",
        "*.tmp",
        "--profile",
        "studio",
        "--format",
        "json",
        env=env,
    )
    assert up.returncode == 0, up.stderr
    summary = json.loads(up.stdout)
    assert (summary["uploaded"], summary["skipped"], summary["failed"]) == (2, 0, 0)

    again = onepiece(
        "aws",
        "sync-to",
        *common,
        "--local-path",
        str(local),
        "--exclude",
        "*.tmp",
        "--profile",
        "studio",
        env=env,
    )
    assert again.returncode == 0
    assert again.stdout.strip() == "uploaded 0, skipped 2, failed 0 (0 bytes)"

    down = onepiece(
        "aws",
        "sync-from",
        *common,
        "--local-path",
        str(tmp_path / "down"),
        "--profile",
        "studio",
        "--format",
        "json",
        env=env,
    )
    assert json.loads(down.stdout)["downloaded"] == 2
    assert (tmp_path / "down" / "plates" / "a.exr").read_bytes() == b"a.exr" * 10

    unsigned = onepiece("aws", "sync-to", *common, "--local-path", str(local), env=env)
    # Issue 14.17: missing credentials are a configuration error (3), not a transfer failure.
    assert unsigned.returncode == 3, unsigned.stdout + unsigned.stderr


def test_validate_reconcile_verify_reports_mismatch_with_progress_and_pure_json(
    onepiece: Run, world: World
) -> None:
    """Issue 14.3: a stored file changed by hand is a mismatch, never "missing"."""
    stored = world.settings.storage_root / world.media_bucket / "FG/ep010/0010"
    (stored / "FG_ep010_sc02_0010_comp_v004.mov").write_bytes(b"z" * 1000)
    result = onepiece(
        "validate", "reconcile", "-p", PROJECT, "--verify", "--format", "json", env=env_for(world)
    )
    assert result.returncode == 10, result.stderr
    data = json.loads(result.stdout)
    kinds = {d["subject"]: d["kind"] for d in data["differences"]}
    assert kinds == {
        "FG_ep010_sc02_0010_comp_v004": "mismatch",
        "FG_ep010_sc02_0010_comp_v005": "checksum_mismatch",
    }
    assert "verify:" in result.stderr and "Traceback" not in result.stderr
