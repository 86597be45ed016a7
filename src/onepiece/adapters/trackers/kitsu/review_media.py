"""Review media on Kitsu: the proxy movie becomes the Version's preview.

A OnePiece Version is a Kitsu preview revision (``versions``); its review
media go into that same preview file, which zou then normalises and plays in
its web player. zou makes the preview's thumbnail itself from the uploaded
movie (a preview file holds one picture), so the stored thumbnail is uploaded
only when there is no proxy. A silent proxy gets a silent soundtrack first
(``soundtrack``). Re-uploading replaces the preview's file, so a retried
upload is safe; a failure raises (the worker reports it per Version).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from onepiece.adapters.trackers.kitsu.soundtrack import has_audio, with_silent_track
from onepiece.domain.review_media import ReviewAttachment
from onepiece.errors import EntityNotFound

if TYPE_CHECKING:
    from onepiece.adapters.trackers.kitsu.context import KitsuContext


def preview_id(tracker: KitsuContext, project: str, code: str) -> str:
    """The id of Version ``code``'s preview revision; EntityNotFound if none."""
    project_id = tracker.project_id(project)
    for row in tracker.session.get("find version", "data/preview-files", {"name": code}):
        # zou filters names with ILIKE (any case, "_" a wildcard): compare exactly.
        if row.get("name") == code and tracker.task_project(str(row["task_id"])) == project_id:
            return str(row["id"])
    raise EntityNotFound(f"version {code} not found in project {project}")


def attach(tracker: KitsuContext, project: str, code: str, media: ReviewAttachment) -> None:
    import gazu.task  # noqa: TID251

    if media.proxy_file is None and media.thumbnail_file is None:
        return
    found = preview_id(tracker, project, code)
    workdir = Path(tempfile.mkdtemp(prefix="onepiece-kitsu-"))
    try:
        if media.proxy_file is not None:
            what, upload = "review movie", Path(media.proxy_file)
            if not has_audio(upload):
                upload = with_silent_track(upload, workdir / f"{code}.mp4")
        else:
            what, upload = "thumbnail", Path(str(media.thumbnail_file))
        tracker.session.call(
            f"upload the {what} of {code}", gazu.task.upload_preview_file, found, str(upload)
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
