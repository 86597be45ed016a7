"""`onepiece ingest` makes review media by default; `onepiece review rebuild` remakes them.

A delivery with bad media (a truncated movie, an EXR sequence with a broken
header) is still ingested (exit 0): only those Versions' review media are
reported as failed, one line each.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.samples import SampleDelivery
from tests.e2e.conftest import Run
from tests.ingest_support import SEQUENCE
from tests.review_media_support import exr_sequence, probe_movie, write_exr, write_movie

Stores = tuple[LocalTracker, LocalStorage]
BASE = ("ingest", "--project", "demo", "--show-code", "FG")
MOVIE = "FG_ep010_sc02_0020_comp_v001"
TRUNCATED = "FG_ep010_sc02_0030_comp_v001"
BROKEN = "FG_ep010_sc02_0040_plate_v001"
CROSSING = "FG_ep010_sc02_0050_plate_v001"


def _delivery(folder: Path) -> Path:
    folder.mkdir()
    write_movie(folder / f"{MOVIE}.mov", codec="prores_ks", frames=12)
    whole = write_movie(folder.parent / "whole.mov", frames=24).read_bytes()
    (folder / f"{TRUNCATED}.mov").write_bytes(whole[: len(whole) // 2])
    broken = write_exr(folder / f"{BROKEN}.1001.exr", np.zeros((8, 8, 3), np.float32))
    raw = bytearray(broken.read_bytes())
    raw[4:40] = b"\xff" * 36
    broken.write_bytes(bytes(raw))
    # Unpadded frame numbers crossing 999 -> 1000, with 1001 missing.
    exr_sequence(folder / "plates", CROSSING, [998, 999, 1000, 1002], padding=3)
    return folder


def test_ingest_makes_review_media_and_reports_bad_media_without_failing(
    onepiece: Run, tmp_path: Path, stores: Stores
) -> None:
    folder = _delivery(tmp_path / "delivery")

    result = onepiece(*BASE, str(folder), "--format", "json")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)  # still pure JSON
    assert summary["status"] == "completed"
    outcomes = {o["version"]: o for o in summary["review_media"]}
    assert outcomes[MOVIE]["status"] == "made"
    assert outcomes[CROSSING]["status"] == "made"
    assert outcomes[CROSSING]["details"]["held_frames"] == "1001"
    assert outcomes[TRUNCATED]["status"] == "failed" and outcomes[TRUNCATED]["problems"]
    assert outcomes[BROKEN]["status"] == "failed" and outcomes[BROKEN]["problems"]
    assert "review media 4/4" in result.stderr  # progress, on stderr
    assert "Traceback" not in result.stderr
    tracker, storage = stores
    attached = tracker.review_media("demo", CROSSING)
    assert attached is not None and attached["movie"] == outcomes[CROSSING]["proxy"]
    proxy = storage.root / "vendor-in" / attached["record"]["proxy"]["key"]
    info = probe_movie(proxy)
    assert info["frames"] == 5 and info["timecode"] == "00:00:41:14"
    assert tracker.review_media("demo", TRUNCATED) is None


def test_text_summary_names_the_versions_without_review_media(
    onepiece: Run, tmp_path: Path, stores: Stores
) -> None:
    folder = _delivery(tmp_path / "delivery")
    result = onepiece(*BASE, str(folder))
    assert result.returncode == 0, result.stderr
    assert f"review media failed: {TRUNCATED}:" in result.stdout
    assert f"review media failed: {BROKEN}:" in result.stdout


def test_no_review_media_skips_them(
    onepiece: Run, clean_delivery: SampleDelivery, stores: Stores
) -> None:
    result = onepiece(*BASE, str(clean_delivery.folder), "--no-review-media", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "review_media" not in json.loads(result.stdout)
    tracker, storage = stores
    assert tracker.review_media("demo", SEQUENCE) is None
    assert not list(storage.root.rglob("review"))


def test_review_rebuild_remakes_them_from_storage(
    onepiece: Run, tmp_path: Path, stores: Stores
) -> None:
    folder = _delivery(tmp_path / "delivery")
    assert onepiece(*BASE, str(folder), "--no-review-media").returncode == 0
    tracker, _ = stores
    assert tracker.review_media("demo", CROSSING) is None

    plan = onepiece(
        "review", "rebuild", CROSSING, "--project", "demo", "--dry-run", "--format", "json"
    )
    assert plan.returncode == 0, plan.stderr
    (planned,) = json.loads(plan.stdout)["versions"]
    assert planned["kind"] == "sequence" and planned["source"].endswith(".%03d.exr")
    assert tracker.review_media("demo", CROSSING) is None  # a dry run makes nothing

    done = onepiece("review", "rebuild", CROSSING, MOVIE, "--project", "demo", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {row["version"]: row for row in json.loads(done.stdout)["versions"]}
    assert rows[CROSSING]["status"] == rows[MOVIE]["status"] == "made"
    assert rows[CROSSING]["details"]["frames"] == 5
    assert tracker.review_media("demo", CROSSING) is not None

    bad = onepiece("review", "rebuild", TRUNCATED, "--project", "demo")
    assert bad.returncode == 4
    assert f"{TRUNCATED}: failed" in bad.stdout and "Traceback" not in bad.stderr

    missing = onepiece("review", "rebuild", "FG_nope_v001", "--project", "demo")
    assert missing.returncode == 6  # TRACKER: not in the tracker
    assert missing.stderr.startswith("error: version FG_nope_v001 not found")


def test_dcc_publish_makes_review_media_of_its_preview(
    onepiece: Run, tmp_path: Path, stores: Stores
) -> None:
    examples = Path(__file__).resolve().parents[2] / "docs" / "examples" / "dcc"
    preview = write_movie(tmp_path / "seq010_sh010_lighting_v002.mov", frames=10)
    result = onepiece(
        "dcc", "publish", "--dcc", "maya", "--scene-name", "seq010_sh010_lighting_v002",
        "--renders", str(examples / "renders"), "--previews", str(preview),
        "--otio", str(examples / "seq010_sh010_lighting_v002.otio"),
        "--metadata", str(examples / "metadata.json"),
        "--destination", str(tmp_path / "publish"), "--bucket", "fg-publish",
        "--show-type", "vfx", "-s", "FG", "--project", "demo", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (outcome,) = json.loads(result.stdout)["review_media"]
    assert outcome["status"] == "made", outcome["problems"]
    assert "/FG/seq010/sh010/lighting/v002/" in outcome["proxy"]
    tracker, _ = stores
    attached = tracker.review_media("demo", "seq010_sh010_lighting_v002")
    assert attached is not None and attached["record"]["frames"] == 10
