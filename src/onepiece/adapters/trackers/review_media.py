"""The optional tracker capability of holding a Version's review media.

Not part of the ``Tracker`` port: a tracker that lacks it still takes
ingests, and review media then stay in storage only. The local tracker
records them (schema v3); ShotGrid uploads the thumbnail and the movie
(``sg_uploaded_movie``); Kitsu takes the movie as the Version's preview.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from onepiece.domain.review_media import ReviewAttachment


@runtime_checkable
class ReviewMediaTracker(Protocol):
    def attach_review_media(self, project: str, code: str, media: ReviewAttachment) -> None:
        """Attach ``media`` to Version ``code``; EntityNotFound if it does not exist."""
