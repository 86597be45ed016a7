"""uvicorn's HTTP protocols with a request-head timeout.

uvicorn closes a connection that stays idle ``timeout_keep_alive`` seconds
after a response, but not one that never finishes a request head: a client
that connects and sends nothing, or drips a header byte now and then
(slowloris), holds its connection and memory for ever. Here every
connection must deliver a complete request head within ``head_timeout``
seconds of connecting, or of the previous response: otherwise it is closed.
Once a request head has arrived (a new request cycle exists) or the
connection became a WebSocket (another protocol object owns the transport),
the timer has nothing to do.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _HeadTimeout:
    """Mixed into uvicorn's protocol classes (which provide the attributes used here)."""

    head_timeout: float = 10.0
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any
    _head_timer: asyncio.TimerHandle | None = None
    _cycle_when_armed: Any = None

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._cycle_when_armed = self.cycle
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        owner: object = self.transport.get_protocol()
        if self.transport.is_closing() or owner is not self:
            return  # closed already, or upgraded to a WebSocket
        if self.cycle is self._cycle_when_armed:  # no new request head arrived
            self.transport.close()


class TimedH11Protocol(_HeadTimeout, H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()


class TimedHttpToolsProtocol(_HeadTimeout, HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()


def protocol_class(head_timeout: float) -> type[asyncio.Protocol]:
    """The HTTP protocol uvicorn would pick (httptools when installed), with the timeout."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        base: type[_HeadTimeout] = TimedH11Protocol
    else:
        base = TimedHttpToolsProtocol
    return type(base.__name__, (base,), {"head_timeout": head_timeout})
