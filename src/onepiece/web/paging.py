"""Cursor paging for the list routes (``GET /jobs``, ``GET /runs``).

A list answer keeps its shape; when more items follow it adds ``next_cursor``
plus an RFC 8288 ``Link: <...>; rel="next"`` header. The cursor is opaque to
clients: base64url JSON holding the sort key of the last item returned, so
the next page starts right after it (keyset paging): items added meanwhile
never shift a page or repeat an item. Same filters and ``limit`` on every page.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import Request, Response

from onepiece.web.error_table import NotFound

CURSOR_DESCRIPTION = "opaque: the previous answer's next_cursor"


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: tuple[type, ...]) -> list[Any] | None:
    """The key in ``cursor`` (None without one); 404 for anything we did not issue.

    A cursor names a place in the list: one we did not issue names no page, so
    it is answered like any other address that leads nowhere.
    """
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if (
        not isinstance(key, list)
        or len(key) != len(shape)
        or not all(_issuable(v, t) for v, t in zip(key, shape, strict=True))
    ):
        raise NotFound(
            "no page at this cursor: it is not one this server issued",
            hint="pass the next_cursor of the previous answer unchanged, or omit it",
            context={"field": "cursor"},
        )
    return key


def _issuable(value: Any, kind: type) -> bool:
    """Could we have issued it? Keys are 64-bit integers (database sequences) or
    text without NUL; anything else would fail in the database, not name a page."""
    if type(value) is not kind:
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return not (isinstance(value, str) and ("\x00" in value or len(value) > 1000))


def link_next(request: Request, response: Response, cursor: str) -> str:
    """Set the ``Link: rel="next"`` header for the next page; returns the cursor."""
    url = request.url.include_query_params(cursor=cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
    return cursor
