"""`make demo` runs the main job on the embedded defaults and exits 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_ingests_real_media_and_only_the_deliberate_error_shows(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "onepiece.demo", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "3 registered" in result.stdout
    assert "frames 1005-1007 missing" in result.stdout
    assert "second run: 0 uploaded, 11 skipped (verified), 0 registered, 3 already registered" in (
        result.stderr
    )
    assert "demo OK" in result.stderr
    delivery = tmp_path / "demo" / "delivery"
    clips = sorted(delivery.glob("*.mov"))
    assert len(clips) == 3
    import av

    with av.open(str(clips[0])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name in ("h264", "mpeg4")
        assert sum(1 for _ in container.decode(stream)) == 48  # 2 s at 24 fps
    with av.open(str(next(delivery.glob("plates/*.1001.exr")))) as image:
        assert next(image.decode(video=0)).width == 64
