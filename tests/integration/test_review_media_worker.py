"""The review-media worker on real storage and trackers: stored, recorded, attached; bad
media reported per Version without stopping the others.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import pytest

from onepiece.adapters.storage.local.storage import LocalStorage
from onepiece.adapters.trackers.kitsu.session import KitsuSession
from onepiece.adapters.trackers.kitsu.tracker import KitsuTracker
from onepiece.adapters.trackers.local.tracker import LocalTracker
from onepiece.adapters.trackers.shotgrid.session import connect
from onepiece.adapters.trackers.shotgrid.tracker import ShotGridTracker
from onepiece.config import Settings
from onepiece.domain.checksums import format_checksum, new_hasher
from onepiece.domain.entities import ShotSpec, Version
from onepiece.domain.review_media import ReviewAttachment
from onepiece.services.review_media.options import ReviewOptions
from onepiece.services.review_media.worker import ReviewJob, run_jobs
from tests.integration.conftest import FAST_RETRIES
from tests.kitsu_server import KitsuServer
from tests.review_media_support import exr_sequence, probe_movie, write_exr, write_movie
from tests.shotgrid_wire import ShotGridWire

BUCKET = "vendor-in"
SCRIPT, KEY = "onepiece", "the-right-key"


def _register(tracker: Any, *codes: str) -> None:
    tracker.ensure_project("FG")
    tracker.ensure_hierarchy("FG", [ShotSpec("ep010", "ep010_sc02", "ep010_sc02_0010")])
    tracker.create_versions(
        [Version("FG", code, shot="ep010_sc02_0010", status="rev") for code in codes]
    )


def _job(code: str, **media: Any) -> ReviewJob:
    return ReviewJob("FG", code, BUCKET, f"FG/ep010/{code}/{code}.mov", **media)


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    store = LocalStorage(tmp_path / "storage")
    store.ensure_bucket(BUCKET)
    return store


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalTracker]:
    tracker = LocalTracker(tmp_path / "tracker.db")
    yield tracker
    tracker.close()


def _xxh3(path: Path) -> str:
    hasher = new_hasher("xxh3")
    hasher.update(path.read_bytes())
    return format_checksum("xxh3", hasher.hexdigest())


def _big_png(path: Path, size: int = 16384) -> Path:
    """A real 16k x 16k picture, written a strip at a time (never whole in memory)."""
    spec = oiio.ImageSpec(size, size, 1, oiio.UINT8)
    output = oiio.ImageOutput.create(str(path))
    assert output is not None and output.open(str(path), spec)
    strip = np.zeros((256, size, 1), dtype=np.uint8)
    for y in range(0, size, 256):
        assert output.write_scanlines(y, y + 256, 0, strip)
    output.close()
    return path


def test_review_media_are_stored_with_checksums_and_recorded_by_the_local_tracker(
    tmp_path: Path, storage: LocalStorage, local: LocalTracker
) -> None:
    _register(local, "clip_v001", "plate_v001")
    clip = write_movie(tmp_path / "clip.mov", codec="prores_ks", frames=12)
    frames = exr_sequence(tmp_path / "plates", "plate", [999, 1000, 1002], padding=3)
    jobs = [_job("clip_v001", movie=clip), _job("plate_v001", frames=frames)]
    seen: list[str] = []

    outcomes = run_jobs(jobs, storage, local, ReviewOptions(), lambda o: seen.append(o.code))

    assert [o.status for o in outcomes] == ["made", "made"], [o.problems for o in outcomes]
    assert sorted(seen) == ["clip_v001", "plate_v001"]  # progress heard each one
    folder = "FG/ep010/plate_v001/review"
    record = json.loads(storage.get_bytes(BUCKET, f"{folder}/plate_v001.review.json"))
    for kind, name in (("thumbnail", "plate_v001.thumb.jpg"), ("proxy", "plate_v001.proxy.mp4")):
        entry = record[kind]
        assert entry["key"] == f"{folder}/{name}"
        stored = storage.root / BUCKET / entry["key"]
        assert entry["checksum"] == _xxh3(stored)
        assert entry["size"] == stored.stat().st_size
    assert record["frames"] == 4 and record["held_frames"] == "1001"
    assert probe_movie(storage.root / BUCKET / record["proxy"]["key"])["frames"] == 4
    attached = local.review_media("FG", "plate_v001")
    assert attached is not None
    assert attached["thumbnail"] == storage.uri(BUCKET, f"{folder}/plate_v001.thumb.jpg")
    assert attached["movie"] == storage.uri(BUCKET, f"{folder}/plate_v001.proxy.mp4")
    assert attached["record"]["proxy"]["checksum"] == record["proxy"]["checksum"]


def test_bad_media_are_reported_per_version_and_the_good_one_still_made(
    tmp_path: Path, storage: LocalStorage, local: LocalTracker
) -> None:
    codes = ["good", "truncated", "broken_exr", "empty", "huge"]
    _register(local, *codes)
    good = write_movie(tmp_path / "good.mov", frames=6)
    truncated = tmp_path / "truncated.mov"
    data = write_movie(tmp_path / "whole.mov", frames=24).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    broken = write_exr(tmp_path / "broken.1001.exr", np.zeros((8, 8, 3), np.float32))
    raw = bytearray(broken.read_bytes())
    raw[4:40] = b"\xff" * 36  # version and header attributes destroyed
    broken.write_bytes(bytes(raw))
    empty = tmp_path / "empty.1001.exr"
    empty.write_bytes(b"")
    huge = _big_png(tmp_path / "huge.png")
    jobs = [
        _job("good", movie=good),
        _job("truncated", movie=truncated),
        _job("broken_exr", frames={1001: broken}),
        _job("empty", frames={1001: empty}),
        _job("huge", frames={1: huge}),
    ]

    outcomes = {o.code: o for o in run_jobs(jobs, storage, local, ReviewOptions())}

    assert outcomes["good"].status == "made"
    for code in codes[1:]:
        assert outcomes[code].status == "failed", code
        assert outcomes[code].problems, code
        assert local.review_media("FG", code) is None
    assert "cannot decode" in outcomes["truncated"].problems[0]
    assert "broken.1001.exr" in outcomes["broken_exr"].problems[0]
    assert "empty" in outcomes["empty"].problems[0]
    assert "16384x16384 is larger than review_media.max_pixels" in outcomes["huge"].problems[0]


def test_a_version_the_tracker_does_not_know_keeps_its_stored_media_and_says_so(
    tmp_path: Path, storage: LocalStorage, local: LocalTracker
) -> None:
    local.ensure_project("FG")
    clip = write_movie(tmp_path / "clip.mov", frames=4)
    (outcome,) = run_jobs([_job("ghost", movie=clip)], storage, local, ReviewOptions())
    assert outcome.status == "partial"
    assert outcome.proxy is not None
    assert any("tracker: version ghost not found" in p for p in outcome.problems)


def test_shotgrid_receives_the_thumbnail_and_the_movie_on_the_wire(
    tmp_path: Path, storage: LocalStorage, mockgun: Any
) -> None:
    mockgun.create("Project", {"name": "Fire Giant", "tank_name": "FG"})
    with ShotGridWire(mockgun, SCRIPT, KEY) as wire:
        settings = Settings(shotgrid={"url": wire.url, "script": SCRIPT, "key": KEY})
        tracker = ShotGridTracker(connect(settings), policy=FAST_RETRIES)
        _register(tracker, "clip_v001")
        version_id = mockgun.find_one("Version", [["code", "is", "clip_v001"]], ["id"])["id"]
        clip = write_movie(tmp_path / "clip.mov", frames=8, fps=Fraction(25))

        (outcome,) = run_jobs([_job("clip_v001", movie=clip)], storage, tracker, ReviewOptions())

    assert outcome.status == "made", outcome.problems
    by_endpoint = {u.endpoint: u for u in wire.uploads}
    assert set(by_endpoint) == {"publish_thumbnail", "upload_file"}
    thumb, movie = by_endpoint["publish_thumbnail"], by_endpoint["upload_file"]
    assert thumb.authorised and movie.authorised
    assert (thumb.fields["entity_type"], thumb.fields["entity_id"]) == ("Version", str(version_id))
    assert movie.fields["entity_type"] == "Version"
    assert movie.fields["entity_id"] == str(version_id)
    assert movie.fields["field_name"] == "sg_uploaded_movie"
    assert movie.fields["display_name"] == "clip_v001.mp4"
    stored = storage.root / BUCKET / "FG/ep010/clip_v001/review"
    assert movie.data == (stored / "clip_v001.proxy.mp4").read_bytes()
    assert thumb.data == (stored / "clip_v001.thumb.jpg").read_bytes()


def _kitsu_tracker(server: KitsuServer) -> KitsuTracker:
    return KitsuTracker(
        KitsuSession(server.url, server.email, server.password, policy=FAST_RETRIES)
    )


def test_kitsu_plays_the_proxy_as_the_versions_preview(
    tmp_path: Path, storage: LocalStorage, kitsu: KitsuServer
) -> None:
    import gazu

    tracker = _kitsu_tracker(kitsu)
    _register(tracker, "clip_v001")
    clip = write_movie(tmp_path / "clip.mov", frames=8, fps=Fraction(25))

    (outcome,) = run_jobs([_job("clip_v001", movie=clip)], storage, tracker, ReviewOptions())

    assert outcome.status == "made", outcome.problems
    client = gazu.client.create_client(kitsu.url)
    gazu.log_in(kitsu.email, kitsu.password, client=client)
    [preview] = gazu.client.fetch_all("preview-files", {"name": "clip_v001"}, client=client)
    deadline = time.monotonic() + 120
    while preview["status"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.5)
        preview = gazu.files.get_preview_file(preview["id"], client=client)
    assert (preview["extension"], preview["status"]) == ("mp4", "ready")
    played = tmp_path / "played.mp4"
    gazu.files.download_preview_movie(preview, str(played), client=client)
    assert probe_movie(played)["frames"] == 8  # zou's encode of our proxy, every frame
    assert tracker.find_version("FG", "clip_v001") is not None  # the fields survive the encode


def test_kitsu_says_which_version_it_does_not_know(
    tmp_path: Path, storage: LocalStorage, kitsu: KitsuServer
) -> None:
    tracker = _kitsu_tracker(kitsu)
    _register(tracker, "clip_v001")
    clip = write_movie(tmp_path / "clip.mov", frames=4, fps=Fraction(25))

    (outcome,) = run_jobs([_job("clip_v002", movie=clip)], storage, tracker, ReviewOptions())

    assert outcome.status == "partial"
    assert any("tracker: version clip_v002 not found in project FG" in p for p in outcome.problems)


def test_kitsu_shows_the_thumbnail_when_there_is_no_movie(
    tmp_path: Path, kitsu: KitsuServer
) -> None:
    import gazu

    tracker = _kitsu_tracker(kitsu)
    _register(tracker, "still_v001")
    thumb = tmp_path / "still_v001.thumb.jpg"
    output = oiio.ImageOutput.create(str(thumb))
    assert output is not None and output.open(str(thumb), oiio.ImageSpec(64, 36, 3, oiio.UINT8))
    assert output.write_image(np.full((36, 64, 3), 200, dtype=np.uint8))
    output.close()
    media = ReviewAttachment(str(thumb), None, "file:///t.jpg", None, "file:///r.json", {})

    tracker.attach_review_media("FG", "still_v001", media)

    client = gazu.client.create_client(kitsu.url)
    gazu.log_in(kitsu.email, kitsu.password, client=client)
    [preview] = gazu.client.fetch_all("preview-files", {"name": "still_v001"}, client=client)
    assert (preview["extension"], preview["status"]) == ("png", "ready")
    picture = tmp_path / "shown.png"
    gazu.files.download_preview_file_thumbnail(preview, str(picture), client=client)
    assert picture.stat().st_size > 0


def test_kitsu_keeps_the_first_preview_when_the_proxy_is_rebuilt(
    tmp_path: Path, storage: LocalStorage, kitsu: KitsuServer
) -> None:
    """zou refuses a second file in a preview revision: the rebuild is still made (in
    storage, on /review) and Kitsu keeps playing the first proxy."""
    import gazu

    tracker = _kitsu_tracker(kitsu)
    _register(tracker, "clip_v001")
    first = write_movie(tmp_path / "first.mov", frames=4, fps=Fraction(25))
    second = write_movie(tmp_path / "second.mov", frames=10, fps=Fraction(25))

    for clip in (first, second):
        (outcome,) = run_jobs([_job("clip_v001", movie=clip)], storage, tracker, ReviewOptions())
        assert outcome.status == "made", outcome.problems

    client = gazu.client.create_client(kitsu.url)
    gazu.log_in(kitsu.email, kitsu.password, client=client)
    [preview] = gazu.client.fetch_all("preview-files", {"name": "clip_v001"}, client=client)
    deadline = time.monotonic() + 120
    while preview["status"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.5)
        preview = gazu.files.get_preview_file(preview["id"], client=client)
    assert preview["status"] == "ready"
    played = tmp_path / "played.mp4"
    gazu.files.download_preview_movie(preview, str(played), client=client)
    assert probe_movie(played)["frames"] == 4
    stored = storage.root / BUCKET / "FG/ep010/clip_v001/review/clip_v001.proxy.mp4"
    assert probe_movie(stored)["frames"] == 10
