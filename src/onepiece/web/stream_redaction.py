"""Live streams for anonymous subscribers: the same events, without paths or user names.

Events are encoded once for every subscriber (``onepiece.events``); for a
subscriber without a valid token the frames are decoded, filtered with
``onepiece.web.redaction`` and encoded again. Token holders get the shared
frames untouched.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.websockets import WebSocket

from onepiece.web.redaction import public_job, public_run


def public_payload(data: dict[str, Any]) -> dict[str, Any]:
    """An event or snapshot payload as an anonymous subscriber sees it."""
    shown = dict(data)
    if isinstance(shown.get("job"), dict):
        shown["job"] = public_job(shown["job"])
    if isinstance(shown.get("run"), dict):
        shown["run"] = public_run(shown["run"])
    if isinstance(shown.get("jobs"), list):
        shown["jobs"] = [public_job(j) if isinstance(j, dict) else j for j in shown["jobs"]]
    if isinstance(shown.get("runs"), list):
        shown["runs"] = [public_run(r) if isinstance(r, dict) else r for r in shown["runs"]]
    return shown


def _public_json(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    return json.dumps(public_payload(data), separators=(",", ":"), default=str)


def _public_frame(frame: bytes) -> bytes:
    lines = frame.decode().split("\r\n")
    return "\r\n".join(
        "data: " + _public_json(line[len("data: ") :]) if line.startswith("data: ") else line
        for line in lines
    ).encode()


async def public_sse(items: AsyncIterator[dict[str, Any] | bytes]) -> AsyncIterator[Any]:
    """Filter an ``sse_stream`` for an anonymous subscriber."""
    async for item in items:
        if isinstance(item, bytes):
            yield _public_frame(item)
        elif isinstance(item.get("data"), str):
            yield {**item, "data": _public_json(item["data"])}
        else:
            yield item  # keep-alive comments


class PublicWebSocket:
    """A WebSocket whose outgoing JSON messages are filtered for an anonymous client."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def send_text(self, data: str) -> None:
        await self._websocket.send_text(_public_json(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._websocket, name)
