"""The built-in renderer writes real, decodable PNG frames."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np

from onepiece.render_builtin import encode_png, frame_path, main, render_frame


def test_frame_paths_replace_the_hash_run_with_the_padded_frame() -> None:
    assert frame_path("/r/beauty.####.png", 7) == Path("/r/beauty.0007.png")
    assert frame_path("/r/b.##.png", 123) == Path("/r/b.123.png")
    assert frame_path("/r/beauty.png", 7) == Path("/r/beauty.0007.png")


def test_encoded_pngs_decode_to_the_same_pixels(tmp_path: Path) -> None:
    pixels = render_frame(seed=1234, frame=5, width=40, height=20)
    target = tmp_path / "f.png"
    target.write_bytes(encode_png(pixels))
    with av.open(str(target)) as container:
        decoded = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert np.array_equal(decoded, pixels)


def test_the_renderer_writes_one_frame_per_step_and_reports_each(
    tmp_path: Path, capsys: object
) -> None:
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"width": 16, "height": 8}))
    code = main(
        [str(scene), "-o", str(tmp_path / "out" / "b.####.png"), "-s", "1", "-e", "5", "-j", "2"]
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "b.0001.png", "b.0003.png", "b.0005.png",
    ]  # fmt: skip
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert [line.split()[1] for line in out.splitlines() if line.endswith(".png")] == [
        "1",
        "3",
        "5",
    ]


def test_a_missing_scene_or_a_failing_frame_exits_non_zero(tmp_path: Path) -> None:
    assert (
        main([str(tmp_path / "nope"), "-o", str(tmp_path / "x.#.png"), "-s", "1", "-e", "1"]) == 2
    )
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"fail_on": [2]}))
    assert main([str(scene), "-o", str(tmp_path / "x.#.png"), "-s", "1", "-e", "3"]) == 1
    assert (tmp_path / "x.1.png").exists() and not (tmp_path / "x.3.png").exists()
