"""A WebSocket refused before the upgrade (no token, wrong token) gets its HTTP
answer and leaves no ERROR in the server log: anonymous clients must not be
able to fill the error log (uvicorn logs a denial as a handshake never made)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from onepiece.config import Settings
from onepiece.web.app import create_app
from tests.web_server import serve_app


@pytest.mark.parametrize("ws", ["auto", "websockets-sansio", "websockets"])
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_refused_websocket_is_answered_and_logs_no_error(
    tmp_path: Path, ws: str, token: str | None
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        trafalgar={"dashboard_token": "ws-admin-51aa", "read_token": "ws-read-9f3c"},
        render={"poll_seconds": 60},
    )
    headers = {"Authorization": f"Bearer {token}"} if token else None
    seen = _Records()
    uvicorn_log = logging.getLogger("uvicorn.error")  # does not propagate to the root
    with serve_app(create_app(settings), ws=ws) as server:
        uvicorn_log.addHandler(seen)
        try:
            for _ in range(3):
                with pytest.raises(InvalidStatus) as refused:
                    connect(f"{server.ws_url}/jobs/ws", additional_headers=headers)
                assert refused.value.response.status_code == 401
                assert b"auth." in refused.value.response.body
        finally:
            uvicorn_log.removeHandler(seen)
    assert [r.getMessage() for r in seen.records if r.levelno >= logging.ERROR] == []


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
