"""Review media on Kitsu: the proxy movie becomes the Version's preview.

A OnePiece Version is a Kitsu preview revision (``versions``); its review
media go into that same preview file, which zou then normalises and plays in
its web player. zou makes the preview's thumbnail itself from the uploaded
movie (a preview file holds one picture), so the stored thumbnail is uploaded
only when there is no proxy. A silent proxy gets a silent soundtrack first
(``soundtrack``). zou refuses a second file in a preview revision: a Version
whose preview already holds one (its own movie, uploaded when it was
registered, or an earlier review proxy) keeps it, and a rebuilt proxy stays
in storage and on ``/review``. A failed upload raises (the worker reports it
per Version).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onepiece.adapters.trackers.kitsu.soundtrack import has_audio, with_silent_track
from onepiece.domain.review_media import ReviewAttachment
from onepiece.errors import EntityNotFound

if TYPE_CHECKING:
    from onepiece.adapters.trackers.kitsu.context import KitsuContext

log = logging.getLogger("onepiece.kitsu")


def preview_row(tracker: KitsuContext, project: str, code: str) -> dict[str, Any]:
    """Version ``code``'s preview revision; EntityNotFound if none."""
    project_id = tracker.project_id(project)
    for row in tracker.session.get("find version", "data/preview-files", {"name": code}):
        # zou filters names with ILIKE (any case, "_" a wildcard): compare exactly.
        if row.get("name") == code and tracker.task_project(str(row["task_id"])) == project_id:
            return dict(row)
    raise EntityNotFound(f"version {code} not found in project {project}")


def attach(tracker: KitsuContext, project: str, code: str, media: ReviewAttachment) -> None:
    import gazu.task  # noqa: TID251

    if media.proxy_file is None and media.thumbnail_file is None:
        return
    found = preview_row(tracker, project, code)
    if found.get("original_name"):  # zou: "Reupload of an existing preview file not allowed"
        log.info("Kitsu: %s already has its preview (%s); kept", code, found["original_name"])
        return
    workdir = Path(tempfile.mkdtemp(prefix="onepiece-kitsu-"))
    try:
        if media.proxy_file is not None:
            what, upload = "review movie", Path(media.proxy_file)
            if not has_audio(upload):
                upload = with_silent_track(upload, workdir / f"{code}.mp4")
        else:
            what, upload = "thumbnail", Path(str(media.thumbnail_file))
        tracker.session.call(
            f"upload the {what} of {code}",
            gazu.task.upload_preview_file,
            str(found["id"]),
            str(upload),
            idempotent=False,  # a resent upload would be refused: the first may have landed
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
