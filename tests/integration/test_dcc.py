"""`dcc publish` on real storage and the local tracker; `dcc open-shot` launching a process."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import opentimelineio as otio
import pytest
import xxhash

from onepiece.bootstrap import Container, bootstrap
from onepiece.config import Settings
from onepiece.errors import ConfigError, ValidationError
from onepiece.services.dcc.launch import open_shot
from onepiece.services.dcc.publish import PublishRequest, publish

SCENE = "seq010_sh010_lighting_v002"


def write_inputs(root: Path) -> dict[str, Path]:
    renders = root / "renders"
    renders.mkdir(parents=True)
    for frame in (1001, 1002, 1003):
        (renders / f"{SCENE}.{frame}.exr").write_bytes(f"frame {frame}".encode())
    preview = root / f"{SCENE}.mov"
    preview.write_bytes(b"preview movie")
    timeline = otio.schema.Timeline(name=SCENE)
    timeline.tracks.append(otio.schema.Track(name="V1"))
    otio_file = root / f"{SCENE}.otio"
    otio.adapters.write_to_file(timeline, str(otio_file))
    metadata = root / "metadata.json"
    metadata.write_text(json.dumps({"user": "nami", "description": "first light pass"}))
    return {"renders": renders, "previews": preview, "otio": otio_file, "metadata": metadata}


@pytest.fixture
def services(tmp_path: Path) -> Container:
    return bootstrap(Settings(data_dir=tmp_path / "data"))


def request_for(tmp_path: Path, inputs: dict[str, Path], **changes: object) -> PublishRequest:
    fields: dict[str, object] = {
        "dcc": "maya",
        "scene_name": SCENE,
        "destination": tmp_path / "publish",
        "bucket": "publishes",
        "show_code": "FG",
        "show_type": "vfx",
        **inputs,
    }
    fields.update(changes)
    return PublishRequest(**fields)  # type: ignore[arg-type]


def test_publish_packages_uploads_and_registers(services: Container, tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    result = publish(services, request_for(tmp_path, inputs))

    package = tmp_path / "publish" / SCENE
    assert result.package == package
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["frame_range"] == "1001-1003"
    for entry in manifest["files"]:
        data = (package / entry["path"]).read_bytes()
        assert entry["checksum"] == "xxh3:" + xxhash.xxh3_64(data).hexdigest()
    assert {e["kind"] for e in manifest["files"]} == {"render", "preview", "editorial", "metadata"}
    keys = {o.key for o in services.storage.list("publishes")}
    assert f"FG/seq010/sh010/lighting/v002/renders/{SCENE}.1002.exr" in keys
    assert "FG/seq010/sh010/lighting/v002/manifest.json" in keys
    version = services.tracker.find_version("FG", SCENE)
    assert version is not None
    assert (version.frame_first, version.frame_last, version.user) == (1001, 1003, "nami")
    published = services.tracker.list_published_files("FG", SCENE)
    assert len(published) == len(manifest["files"]) + 1

    with pytest.raises(ValidationError, match="already exists"):
        publish(services, request_for(tmp_path, inputs))


def test_dry_run_validates_without_writing(services: Container, tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    result = publish(services, request_for(tmp_path, inputs, dry_run=True))
    assert len(result.files) == 6
    assert not (tmp_path / "publish").exists()
    assert services.tracker.find_version("FG", SCENE) is None


@pytest.mark.parametrize("destination", ["/proc/publish", "FILE/publish"])
def test_an_unwritable_destination_is_refused_before_any_upload(
    services: Container, tmp_path: Path, destination: str
) -> None:
    """Issue 14.13: the package folder is probed before the bucket or the tracker is touched."""
    inputs = write_inputs(tmp_path / "in")
    (tmp_path / "FILE").write_text("a file, not a folder")
    target = Path(destination) if destination.startswith("/") else tmp_path / destination
    with pytest.raises(ValidationError, match="cannot be written"):
        publish(services, request_for(tmp_path, inputs, destination=target))
    assert not (services.settings.storage_root / "publishes").exists()
    assert services.tracker.find_version("FG", SCENE) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scene_name": "../seq010_sh010_lighting_v002"}, "not safe"),
        ({"scene_name": "/tmp/seq010_sh010_lighting_v002"}, "not safe"),
        ({"scene_name": "lighting"}, "does not match"),
        ({"dcc": "photoshop"}, "unknown DCC"),
        ({"show_type": "tv"}, "unknown show type"),
    ],
)
def test_bad_names_are_refused(
    services: Container, tmp_path: Path, change: dict[str, object], message: str
) -> None:
    inputs = write_inputs(tmp_path / "in")
    with pytest.raises(ValidationError, match=message):
        publish(services, request_for(tmp_path, inputs, **change))
    assert not (tmp_path / "publish").exists()


def test_malformed_metadata_and_otio_are_refused(services: Container, tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    inputs["metadata"].write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        publish(services, request_for(tmp_path, inputs))
    inputs["metadata"].write_text("[1, 2]")
    with pytest.raises(ValidationError, match="JSON object"):
        publish(services, request_for(tmp_path, inputs))
    inputs["metadata"].write_text("{}")
    inputs["otio"].write_text('{"OTIO_SCHEMA": "Timeline.1", "tracks": 5')
    with pytest.raises(ValidationError, match="OTIO file .* is not valid"):
        publish(services, request_for(tmp_path, inputs))
    assert not (tmp_path / "publish").exists()


def fake_dcc(folder: Path, name: str, fifo: Path) -> Path:
    """An executable standing in for a DCC: it reports its arguments through a FIFO."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "$$ $(ps -o sid= -p $$) $*" > "{fifo}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_open_shot_launches_the_configured_dcc_detached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "launched"
    os.mkfifo(fifo)
    fake = fake_dcc(tmp_path / "bin", "my-maya", fifo)
    scene = tmp_path / "shot.ma"
    scene.write_text("//Maya ASCII")
    settings = Settings(dcc={"executables": {"maya": str(fake)}})  # type: ignore[arg-type]
    launched = open_shot(scene, settings)
    with fifo.open() as reader:  # blocks until the DCC writes
        pid, sid, argument = reader.read().split()
    assert (launched.dcc, int(pid), argument) == ("maya", launched.pid, str(scene.resolve()))
    assert int(sid) == launched.pid  # its own session: not tied to our terminal
    assert os.getsid(0) != launched.pid


def test_open_shot_finds_the_dcc_on_path_and_honours_dcc_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "launched"
    os.mkfifo(fifo)
    fake_dcc(tmp_path / "bin", "nuke", fifo)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    scene = tmp_path / "comp.txt"
    scene.write_text("x")
    launched = open_shot(scene, Settings(), dcc="nuke")
    with fifo.open() as reader:
        assert reader.read().split()[2] == str(scene.resolve())
    assert launched.dcc == "nuke"


def test_open_shot_errors_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ValidationError, match="does not exist"):
        open_shot(tmp_path / "missing.ma", Settings())
    odd = tmp_path / "notes.xyz"
    odd.write_text("x")
    with pytest.raises(ValidationError, match="cannot tell which DCC"):
        open_shot(odd, Settings())
    blend = tmp_path / "anim.blend"
    blend.write_text("x")
    with pytest.raises(ConfigError, match="blender is not installed"):
        open_shot(blend, Settings())
