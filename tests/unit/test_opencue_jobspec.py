"""The OpenCue job spec: names Cuebot accepts, frame ranges, commands and the XML."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from onepiece.adapters.farms.opencue.command import command_for
from onepiece.adapters.farms.opencue.jobspec import (
    MAX_FRAMES,
    build_spec,
    conform_name,
    frame_range,
    spec_for_request,
)
from onepiece.domain.render import JobRequest
from onepiece.errors import JobRejected


def request(**changes: object) -> JobRequest:
    values: dict[str, object] = {
        "dcc": "blender",
        "scene": "/shows/pipe/sh010/sh010_lighting_v003.blend",
        "frames": "1-100",
        "output": "/renders/sh010/beauty.####.exr",
        "farm": "opencue",
        "chunk_size": 5,
        "priority": 75,
        "user": "alice",
    }
    values.update(changes)
    return JobRequest(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SH010-Lighting v003", "sh010_lighting_v003"),
        ("__weird!!name__", "weird_name"),
        ("ab", "ab_shot"),
        ("", "shot"),
        ("v1.2", "v1.2"),
    ],
)
def test_names_are_conformed_the_way_cuebot_wants(raw: str, expected: str) -> None:
    assert conform_name(raw, filler="shot") == expected


@pytest.mark.parametrize("frames", ["1-100", "1-100x2", "1-10,20-30", "5", "-5--1", " 1-10 , 20 "])
def test_opencue_frame_ranges_are_accepted(frames: str) -> None:
    assert frame_range(frames) == "".join(frames.split())


@pytest.mark.parametrize("frames", ["", "abc", "1-", "1.5-3", "1-10x", "1-10,,20"])
def test_bad_frame_ranges_are_rejected(frames: str) -> None:
    with pytest.raises(JobRejected, match="invalid frame range"):
        frame_range(frames)


def test_more_frames_than_cuebot_takes_is_rejected() -> None:
    with pytest.raises(JobRejected, match=str(MAX_FRAMES)):
        frame_range(f"1-{MAX_FRAMES + 1}")


@pytest.mark.parametrize(("user", "uid"), [("root", None), ("alice", 0)])
def test_root_submissions_are_refused_like_cuebot_does(user: str, uid: int | None) -> None:
    with pytest.raises(JobRejected, match="root"):
        spec_for_request(
            request(user=user), show="pipe", user=user, token="t1", templates={}, uid=uid
        )


def test_spec_xml_holds_one_job_with_one_layer() -> None:
    spec = spec_for_request(
        request(output="/renders/a&b/<x>.exr"),
        show="pipe",
        user="alice",
        token="20250101_ab12",
        templates={},
        facility="cloud",
        uid=1000,
    )
    xml = build_spec(spec)
    assert xml.startswith('<?xml version="1.0"?>\n<!DOCTYPE spec PUBLIC "SPI Cue  Specification')
    root = ElementTree.fromstring(xml)
    tags = [child.tag for child in root]
    assert tags == ["facility", "show", "shot", "user", "uid", "job", "depends"]
    assert root.findtext("shot") == "sh010_lighting_v003"
    job = root.find("job")
    assert job is not None and job.get("name") == "blender_20250101_ab12"
    assert job.findtext("priority") == "75"
    layers = job.findall("layers/layer")
    assert len(layers) == 1
    layer = layers[0]
    assert (layer.get("name"), layer.get("type")) == ("blender", "Render")
    assert (layer.findtext("range"), layer.findtext("chunk")) == ("1-100", "5")
    assert layer.findtext("cmd") == command_for(request(output="/renders/a&b/<x>.exr"), {})
