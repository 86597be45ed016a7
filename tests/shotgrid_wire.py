"""A ShotGrid site on 127.0.0.1 for the real ``shotgun_api3.Shotgun`` client.

An ``http.server`` in a thread answers the JSON-RPC API that shotgun_api3
speaks (POST /api3/json: info, read, create, update, delete, batch,
summarize, schema_field_read) from a mockgun site, so requests cross a real
socket and the SDK's own transport. Faults queued with ``fail_next`` answer
the next requests instead: an HTTP status (503, 429 with Retry-After, 500),
a connection dropped before or after the work is done, or a hang until the
client's socket times out. Every
request is recorded in ``hits`` (the RPC method name) so tests can count them.
File uploads (``upload_thumbnail``, ``upload``: multipart forms POSTed to
``/upload/publish_thumbnail`` and ``/upload/upload_file`` on a site without
S3 uploads) are recorded in ``uploads`` with their form fields and bytes.
"""

from __future__ import annotations

import hmac
import json
import socket
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_DATE_TIME = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Upload:
    endpoint: str  # "publish_thumbnail" or "upload_file"
    fields: dict[str, str]  # entity_type, entity_id, field_name, display_name...
    filename: str
    data: bytes
    authorised: bool


def _parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], str, bytes]:
    """The text fields and the one file of a multipart/form-data body."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        f"content-type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    filename, data = "", b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            filename, data = part.get_filename(), payload
        elif name:
            fields[str(name)] = payload.decode()
    return fields, filename, data


@dataclass(frozen=True)
class Fault:
    kind: str  # "status", "drop" (before any work), "drop_after" (after the work) or "hang"
    status: int = 503
    retry_after: float | None = None
    method: str | None = None  # only requests for this RPC method ("batch"); None: any


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime(_DATE_TIME)
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


class ShotGridWire:
    """Start with ``with ShotGridWire(site) as wire:``; point Shotgun at ``wire.url``."""

    def __init__(self, site: Any, script: str = "onepiece", key: str = "the-right-key") -> None:
        self.site = site
        self.script = script
        self.key = key
        self.hits: list[str] = []
        self.uploads: list[Upload] = []
        self._faults: deque[Fault] = deque()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, *faults: Fault) -> None:
        self._faults.extend(faults)

    def count(self, method: str) -> int:
        return sum(1 for hit in self.hits if hit == method)

    def __enter__(self) -> ShotGridWire:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()  # let hanging handlers finish
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- request handling ---------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        wire = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per reply, sent at once (no 40 ms Nagle/delayed-ACK stalls).
            wbufsize = -1
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.startswith("/upload/"):
                    self._upload(body)
                    return
                payload = json.loads(body or b"{}")
                method = payload.get("method_name", "?")
                with wire._lock:
                    wire.hits.append(method)
                    fault = next((f for f in wire._faults if f.method in (None, method)), None)
                    if fault is not None:
                        wire._faults.remove(fault)
                if fault is not None and fault.kind == "drop_after":
                    # The server did the work but the reply is lost on the way.
                    wire.dispatch(method, payload.get("params") or [])
                if fault is not None and fault.kind in {"drop", "drop_after"}:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault is not None and fault.kind == "hang":
                    wire._release.wait(timeout=10)
                    self.close_connection = True
                    return
                if fault is not None:
                    headers = {"retry-after": str(fault.retry_after)} if fault.retry_after else {}
                    self._reply(fault.status, {"message": "injected fault"}, headers)
                    return
                try:
                    result = wire.dispatch(method, payload.get("params") or [])
                except Exception as exc:  # noqa: BLE001 - becomes the API's error reply
                    result = {"exception": True, "error_code": 104, "message": str(exc)}
                self._reply(200, result)

            def _upload(self, body: bytes) -> None:
                endpoint = self.path.removeprefix("/upload/").partition("?")[0]
                fields, filename, data = _parse_form(self.headers["content-type"], body)
                ok = wire._authorised(fields)
                with wire._lock:
                    wire.hits.append(f"upload/{endpoint}")
                    wire.uploads.append(Upload(endpoint, fields, filename, data, ok))
                    attachment = len(wire.uploads)
                # The site's answer is text: "1:<attachment id>" on success.
                raw = (f"1:{attachment}\n" if ok else "0:authentication failed\n").encode()
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _reply(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(_encode(data)).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

        return Handler

    def _authorised(self, auth: dict[str, Any]) -> bool:
        return auth.get("script_name") == self.script and hmac.compare_digest(
            str(auth.get("script_key", "")).encode(), self.key.encode()
        )

    def dispatch(self, method: str, params: list[Any]) -> Any:
        if method == "info":
            return {
                "version": [8, 50, 0],
                "full_version": [8, 50, 0, 0],
                "s3_uploads_enabled": False,
            }
        if not params or not self._authorised(params[0]):
            name = params[0].get("script_name") if params else None
            return {
                "exception": True,
                "error_code": 102,
                "message": f"Can't authenticate script '{name}'",
            }
        args = params[1] if len(params) > 1 else {}
        with self._lock:  # mockgun is not thread-safe
            return {"results": getattr(self, f"_rpc_{method}")(args)}

    def _filters(self, filters: dict[str, Any]) -> tuple[list[Any], str]:
        conditions = []
        for c in filters.get("conditions", []):
            values = c["values"]
            conditions.append([c["path"], c["relation"], values[0] if len(values) == 1 else values])
        return conditions, "any" if filters.get("logical_operator") == "or" else "all"

    def _data(
        self, entity_type: str, fields: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        data: dict[str, Any] = {}
        modes: dict[str, str] = {}
        schema = self.site.schema_read()[entity_type]
        for item in fields:
            name, value = item["field_name"], item["value"]
            if schema.get(name, {}).get("data_type", {}).get("value") == "date_time" and value:
                value = datetime.strptime(value, _DATE_TIME).replace(tzinfo=UTC)
            data[name] = value
            if "multi_entity_update_mode" in item:
                modes[name] = item["multi_entity_update_mode"]
        return data, modes

    def _rpc_read(self, args: dict[str, Any]) -> dict[str, Any]:
        filters, operator = self._filters(args["filters"])
        rows = self.site.find(
            args["type"],
            filters,
            args["return_fields"],
            order=args.get("sorts"),
            filter_operator=operator,
        )
        paging = args["paging"]
        per_page, page = paging["entities_per_page"], paging["current_page"]
        chunk = rows[(page - 1) * per_page : page * per_page]
        has_next = page * per_page < len(rows)
        return {
            "entities": chunk,
            "paging_info": {"entity_count": len(rows), "has_next_page": has_next},
        }

    def _rpc_create(self, args: dict[str, Any]) -> Any:
        data, _ = self._data(args["type"], args["fields"])
        return self.site.create(args["type"], data, args.get("return_fields"))

    def _rpc_update(self, args: dict[str, Any]) -> Any:
        data, modes = self._data(args["type"], args["fields"])
        return self.site.update(args["type"], args["id"], data, modes or None)[0]

    def _rpc_delete(self, args: dict[str, Any]) -> Any:
        return self.site.delete(args["type"], args["id"])

    def _rpc_batch(self, calls: list[dict[str, Any]]) -> list[Any]:
        results = []
        for call in calls:
            kind = call["request_type"]
            results.append(getattr(self, f"_rpc_{kind}")(call))
        return results

    def _rpc_summarize(self, args: dict[str, Any]) -> dict[str, Any]:
        filters, operator = self._filters(args["filters"])
        group_fields = [g["field"] for g in args.get("grouping") or []]
        rows = self.site.find(args["type"], filters, group_fields, filter_operator=operator)
        summary: dict[str, Any] = {"summaries": {"id": len(rows)}, "groups": []}
        if group_fields:
            counts: dict[Any, int] = {}
            for row in rows:
                counts[row.get(group_fields[0])] = counts.get(row.get(group_fields[0]), 0) + 1
            summary["groups"] = [
                {"group_name": str(v), "group_value": v, "summaries": {"id": n}}
                for v, n in counts.items()
            ]
        return summary

    def _rpc_schema_field_read(self, args: dict[str, Any]) -> Any:
        return self.site.schema_field_read(args["type"], args.get("field_name"))
