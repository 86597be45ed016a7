"""Delivery manifests for the web service, regenerated at most once per delivery.

A delivery's manifest is read from where the delivery left it (the on-disk
``--manifest`` copy, the uploaded ``manifest.json``, or the one inside the
ZIP), with upstream manifest data preferred for the fields it carries. The
result is cached in memory and on disk (``<data_dir>/delivery-manifests/``)
so later requests, and later processes, never rebuild it. A delivery
recorded without entries still answers with its audit record.
"""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path
from typing import Any

from onepiece.adapters.storage.base import Storage
from onepiece.atomicio import write_json
from onepiece.domain.media_paths import parse_storage_uri
from onepiece.errors import OnePieceError, ValidationError
from onepiece.services.delivery.upstream import load_upstream
from onepiece.state.db.ports import DeliveryStore
from onepiece.state.deliveries import DeliveryRecord


class DeliveryManifests:
    def __init__(self, registry: DeliveryStore, storage: Storage, cache_dir: Path) -> None:
        self.registry = registry
        self.storage = storage
        self.cache_dir = cache_dir
        self._memory: dict[str, dict[str, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.generated = 0  # how many manifests this process rebuilt

    def list(self, project: str) -> list[DeliveryRecord]:
        return self.registry.list(project)

    def get(self, project: str, delivery_id: str) -> dict[str, Any]:
        record = self.registry.get(project, delivery_id)
        with self._guard:
            lock = self._locks.setdefault(delivery_id, threading.Lock())
        # One builder per delivery; concurrent requests wait for its result.
        with lock:
            document = self._memory.get(delivery_id) or self._read_cache(delivery_id)
            if document is None:
                document = self._build(record)
                self.generated += 1
                write_json(self._cache_path(delivery_id), document)
            self._memory[delivery_id] = document
        return {**document, "delivery": record.to_dict()}

    def _cache_path(self, delivery_id: str) -> Path:
        return self.cache_dir / f"{delivery_id}.json"

    def _read_cache(self, delivery_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._cache_path(delivery_id).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def _build(self, record: DeliveryRecord) -> dict[str, Any]:
        document = self._stored_manifest(record) or {"entries": [], "problems": []}
        entries = [e for e in document.get("entries", []) if isinstance(e, dict)]
        if record.upstream_manifest:
            entries = _prefer_upstream(entries, Path(record.upstream_manifest))
        return {
            "entries": entries,
            "problems": document.get("problems", []),
            "source": document.get("source", "record"),
        }

    def _stored_manifest(self, record: DeliveryRecord) -> dict[str, Any] | None:
        for path in record.manifest_paths:
            if path.endswith(".json"):
                found = _parse(_read_path(Path(path)))
                if found is not None:
                    return {**found, "source": path}
        for uri in record.manifest_uris:
            if uri.endswith(".json"):
                found = _parse(self._read_uri(uri))
                if found is not None:
                    return {**found, "source": uri}
        if record.zip_path:
            found = _parse(_read_zip(Path(record.zip_path), f"{record.package}/manifest.json"))
            if found is not None:
                return {**found, "source": record.zip_path}
        return None

    def _read_uri(self, uri: str) -> bytes | None:
        try:
            location = parse_storage_uri(uri)
            if location.path is not None:
                return _read_path(Path(location.path))
            assert location.bucket and location.key
            return self.storage.get_bytes(location.bucket, location.key)
        except OnePieceError:
            return None


def _read_path(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_zip(path: Path, member: str) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(member)
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


def _parse(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, a huge number, nested too deep
        return None
    return parsed if isinstance(parsed, dict) else None


def _prefer_upstream(entries: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    try:
        upstream = load_upstream(path)
    except ValidationError:
        return entries
    preferred = []
    for entry in entries:
        row = upstream.get(str(entry.get("name", "")).rsplit("/", 1)[-1])
        if row is not None:
            overlay = {
                "checksum": row.checksum,
                "episode": row.episode,
                "sequence": row.sequence,
                "shot": row.shot,
            }
            entry = {**entry, **{k: v for k, v in overlay.items() if v}, "upstream": True}
        preferred.append(entry)
    return preferred
