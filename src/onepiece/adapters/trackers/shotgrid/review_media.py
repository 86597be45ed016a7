"""Review media on ShotGrid: the thumbnail (``upload_thumbnail``) and the movie.

The movie goes to the Version's ``sg_uploaded_movie`` field, which ShotGrid
transcodes and plays in its web player and RV; the thumbnail becomes the
Version's ``image``. Both are uploads through the SDK, each under the
tracker's retry policy (a retried upload may leave a second attachment, never
a missing one). The stored record (checksums, rate, timecode) stays in storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onepiece.adapters.trackers.shotgrid import fields as sgs
from onepiece.domain.review_media import ReviewAttachment
from onepiece.errors import EntityNotFound

if TYPE_CHECKING:
    from onepiece.adapters.trackers.shotgrid.session import ShotGridSession

MOVIE_FIELD = "sg_uploaded_movie"


def attach(
    session: ShotGridSession, project_id: int, project: str, code: str, media: ReviewAttachment
) -> None:
    rows = session.find(
        sgs.VERSION,
        [["project", "is", sgs.link(sgs.PROJECT, project_id)], ["code", "is", code]],
        ["id"],
    )
    if not rows:
        raise EntityNotFound(f"version {code} not found in project {project}")
    version_id = int(rows[0]["id"])
    if media.thumbnail_file:
        session.call(
            f"upload the thumbnail of {code}",
            session.conn.upload_thumbnail,
            sgs.VERSION,
            version_id,
            media.thumbnail_file,
        )
    if media.proxy_file:
        session.call(
            f"upload the review movie of {code}",
            session.conn.upload,
            sgs.VERSION,
            version_id,
            media.proxy_file,
            field_name=MOVIE_FIELD,
            display_name=f"{code}.mp4",
        )
