"""Anonymous answers: paths in free text are hidden, URLs and ratios are not."""

from __future__ import annotations

import pytest

from onepiece.web.redaction import HIDDEN, public_job, public_run, scrub, scrub_text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("cannot read /studio/fg/sh010.exr: denied", f"cannot read {HIDDEN}: denied"),
        ("scene C:\\shows\\fg\\sh010.ma missing", f"scene {HIDDEN} missing"),
        ("see ~/renders/out", f"see {HIDDEN}"),
        ("tracker at https://fg.example.com/api is down", None),
        (
            "state database postgresql+psycopg://op@db:5432/state cannot be opened",
            f"state database {HIDDEN} cannot be opened",
        ),
        ("redis://cache.example:6379/0 refused", f"{HIDDEN} refused"),
        ("tracker https://ana:pw@fg.example.com/api", f"tracker {HIDDEN}"),
        ("1/2 frames, ratio a/b", None),
    ],
)
def test_paths_in_text_are_hidden(text: str, shown: str | None) -> None:
    assert scrub_text(text) == (text if shown is None else shown)


def test_private_keys_go_wherever_they_are() -> None:
    section = {
        "history": {"path": "/srv/op/render-jobs.db", "size": 3},
        "report_path": "/srv/r.json",
        "items": [{"user": "ana", "host": "n1", "count": 1}],
    }
    assert scrub(section) == {"history": {"size": 3}, "items": [{"count": 1}]}


def test_jobs_and_runs_lose_paths_and_people() -> None:
    job = {"id": "j", "scene": "/s.ma", "output": "/o.png", "user": "ana", "message": None}
    assert public_job(job) == {**job, "scene": None, "output": None, "user": None}
    run = {"id": "r", "status": "failed", "folder": "/in", "user": "ana", "pid": 1}
    assert public_run(run) == {"id": "r", "status": "failed"}
