"""A minimal Server-Sent Events reader over an httpx streaming response (tests only)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class SSEMessage:
    event: str | None = None
    data: str | None = None
    id: str | None = None
    comment: str | None = None

    def json(self) -> Any:
        return json.loads(self.data or "null")


def sse_messages(response: httpx.Response) -> Iterator[SSEMessage]:
    """Yield every event and every comment line (keep-alives), in order."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line == "":
            if fields:
                yield SSEMessage(**fields)
                fields = {}
            continue
        if line.startswith(":"):
            yield SSEMessage(comment=line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            fields["data"] = f"{fields['data']}\n{value}" if "data" in fields else value
        elif name in ("event", "id"):
            fields[name] = value


def next_event(messages: Iterator[SSEMessage], within: float = 30.0) -> SSEMessage:
    """The next real event, skipping keep-alive comments (which reset read timeouts)."""
    deadline = time.monotonic() + within
    for message in messages:
        if message.comment is None:
            return message
        if time.monotonic() > deadline:
            raise AssertionError(f"no event within {within} s (only keep-alives)")
    raise AssertionError("stream ended")
