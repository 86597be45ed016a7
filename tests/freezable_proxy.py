"""A TCP proxy on loopback in front of an S3 endpoint, that can stop answering.

- ``lose_answers()``: the requests in flight now, or the next one if none
  is, still reach the endpoint (and are stored), but their answers never
  come back; other connections work. A put that lands while its acknowledgement is lost.
- ``freeze()``: nothing is forwarded any more in either direction, on open
  and new connections alike: a hung gateway that accepts and never answers.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class _Pair:
    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self.answers_lost = False
        self.awaiting = False  # a request went up and its answer has not come back yet
        self.closed = False


class FreezableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.frozen = False
        self._lose_next = False
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[_Pair] = []
        self._held: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_answers(self) -> None:
        with self._lock:
            live = [pair for pair in self._pairs if not pair.closed]
            for pair in live:
                pair.answers_lost = pair.answers_lost or pair.awaiting
            self._lose_next = not any(pair.answers_lost for pair in live)

    def freeze(self) -> None:
        with self._lock:
            self.frozen = True

    def close(self) -> None:
        self._closing.set()
        self._server.close()
        with self._lock:
            sockets = [s for p in self._pairs for s in (p.client, p.upstream)] + self._held
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> FreezableProxy:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                if self.frozen:
                    self._held.append(client)  # accepted, never answered
                    continue
            pair = _Pair(client, socket.create_connection(self.target))
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, False), daemon=True).start()

    def _pump(self, pair: _Pair, to_upstream: bool) -> None:
        source, sink = (pair.client, pair.upstream) if to_upstream else (pair.upstream, pair.client)
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                pair.closed = True
                if not (self.frozen or (pair.answers_lost and not to_upstream)):
                    with contextlib.suppress(OSError):  # a lost answer never ends either
                        sink.shutdown(socket.SHUT_WR)
                return
            with self._lock:
                if to_upstream and self._lose_next:
                    pair.answers_lost, self._lose_next = True, False
                swallow = self.frozen or (pair.answers_lost and not to_upstream)
                pair.awaiting = to_upstream
            if swallow:
                continue  # the peer waits for bytes that never come
            try:
                sink.sendall(data)
            except OSError:
                return
