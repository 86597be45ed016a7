"""Serving a broker topic as Server-Sent Events or over a WebSocket.

Both transports behave the same: subscribe first, then send either the missed
events (a ``Last-Event-ID`` the broker can still replay) or a snapshot of the
current state, then every event as it is published. Each message is the
event's JSON payload (``{"event": "job.updated", "job": {...}}``); SSE frames
carry the event id and name, WebSocket messages carry the id as ``"id"``. A
consumer the broker disconnects for lagging gets a final ``stream.lagged``
notice with ``"disconnected": true`` and the stream ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from onepiece.events import Broker, Event, Subscription

SEND_TIMEOUT_SECONDS = 30.0  # a client that reads nothing for this long is dropped
WS_CLOSE_LAGGED = 1013  # "try again later": reconnect with the last id seen

Snapshot = Callable[[], dict[str, Any]]


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), default=str)


async def _first_messages(
    broker: Broker, sub: Subscription, replayed: bool, snapshot: Snapshot
) -> dict[str, Any] | None:
    if replayed:
        return None
    data = await run_in_threadpool(snapshot)  # store/file reads stay off the loop
    return {"id": sub.start_id, **data}


def sse_stream(
    broker: Broker,
    topic: str,
    snapshot: Snapshot,
    last_event_id: str | None,
    keepalive: float,
) -> AsyncIterator[dict[str, Any]]:
    """An async generator of sse-starlette event dicts (call on the event loop).

    Keep-alive comments come from here (a timer on the subscription) rather than
    sse-starlette's ping task: one task fewer per idle subscriber.
    """
    sub, replayed = broker.subscribe(topic, last_event_id=last_event_id)

    async def events() -> AsyncIterator[dict[str, Any]]:
        try:
            first = await _first_messages(broker, sub, replayed, snapshot)
            if first is not None:
                event_id = first.pop("id")
                yield {"id": event_id, "event": first["event"], "data": _dumps(first)}
            while True:
                try:
                    event = await sub.get(timeout=keepalive)
                except TimeoutError:
                    yield {"comment": "keep-alive"}
                    continue
                if event is None:
                    break
                yield _sse(event)
        finally:
            broker.unsubscribe(sub)

    return events()


def _sse(event: Event) -> dict[str, Any]:
    frame = {"event": event.name, "data": _dumps(event.data)}
    if event.id:  # lag notices have no id: they are not replayable
        frame["id"] = event.id
    return frame


async def websocket_stream(
    websocket: WebSocket,
    broker: Broker,
    topic: str,
    snapshot: Snapshot,
    last_event_id: str | None,
) -> None:
    """Accept, then pump the topic to the client until either side goes away."""
    await websocket.accept()
    sub, replayed = broker.subscribe(topic, last_event_id=last_event_id)
    task = asyncio.create_task(_watch_disconnect(websocket, sub))
    try:
        first = await _first_messages(broker, sub, replayed, snapshot)
        if first is not None:
            await websocket.send_text(_dumps(first))
        while (event := await sub.get()) is not None:
            message = {"id": event.id, **event.data} if event.id else event.data
            await websocket.send_text(_dumps(message))
        if sub.lagged_out:
            await websocket.close(code=WS_CLOSE_LAGGED, reason="lagged")
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away mid-send
    finally:
        broker.unsubscribe(sub)
        task.cancel()


async def _watch_disconnect(websocket: WebSocket, sub: Subscription) -> None:
    """Read (and ignore) client messages; a disconnect ends the subscription."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        sub.close("client disconnected")
