"""One ShotGrid connection with the retry policy, batching and a lock.

``ShotGridSession`` is the only place the adapter touches the SDK
connection. Every call runs under the shared ``RetryPolicy``. Bulk writes go
through ``Shotgun.batch`` in chunks of ``batch_size`` (ceil(n / batch_size)
requests). A batch is a transaction on the server, but a request that timed
out may still have been committed, so before resending a chunk of creates we
look up which of its codes now exist and send only the rest: a retry never
duplicates an entity.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from onepiece.adapters.trackers.shotgrid.retry import RetryPolicy
from onepiece.errors import ConfigError, TrackerError, TrackerRejected

if TYPE_CHECKING:
    from onepiece.config import Settings

log = logging.getLogger("onepiece.shotgrid")

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def request_count(items: int, batch_size: int) -> int:
    """Batch requests needed for ``items`` writes."""
    return math.ceil(items / batch_size) if items else 0


def connect(settings: Settings) -> Any:
    """A real ``shotgun_api3.Shotgun`` for the configured site (no request is made yet)."""
    from shotgun_api3.shotgun import Shotgun  # noqa: TID251

    sg = settings.shotgrid
    missing = [
        name
        for name, value in (
            ("ONEPIECE_SHOTGRID_URL", sg.url),
            ("ONEPIECE_SHOTGRID_SCRIPT", sg.script),
            ("ONEPIECE_SHOTGRID_KEY", sg.key),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            "ShotGrid is not fully configured: set " + ", ".join(missing),
            hint="or [shotgrid] url/script/key in onepiece.toml (docs/configuration.md)",
        )
    assert sg.url and sg.script and sg.key  # narrowed by the check above
    try:
        conn = Shotgun(
            sg.url.rstrip("/"),
            script_name=sg.script,
            api_key=sg.key.get_secret_value(),
            connect=False,
        )
    except ValueError as exc:
        raise ConfigError(
            f"invalid ShotGrid URL {sg.url!r}: {exc}", hint="ONEPIECE_SHOTGRID_URL=https://SITE"
        ) from exc
    conn.config.timeout_secs = sg.timeout_seconds
    # Our RetryPolicy is the only retry loop: the SDK's own (3 attempts, 3 s
    # apart, plus 502/504 retries in _call_rpc) would multiply attempts and
    # overrun the deadline.
    conn.config.max_rpc_attempts = 1
    conn.config.rpc_attempt_interval = 0
    conn.MAX_ATTEMPTS = 1
    return conn


class ShotGridSession:
    """The SDK connection plus policy, chunking and a lock (the SDK is not thread-safe)."""

    def __init__(self, conn: Any, policy: RetryPolicy, batch_size: int = 100) -> None:
        if batch_size < 1:
            raise ConfigError("shotgrid.batch_size must be at least 1")
        self.conn = conn
        self.policy = policy
        self.batch_size = batch_size
        self.site = str(getattr(conn, "base_url", "") or "ShotGrid")
        self._lock = threading.RLock()

    def call(self, what: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return self.policy.call(what, self.site, func, *args, **kwargs)

    def find(
        self,
        entity_type: str,
        filters: list[Any],
        fields: list[str],
        *,
        order: list[dict[str, str]] | None = None,
        limit: int = 0,
        filter_operator: str | None = None,
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"order": order, "limit": limit}
        if filter_operator:
            kwargs["filter_operator"] = filter_operator
        rows = self.call(
            f"find {entity_type}", self.conn.find, entity_type, filters, fields, **kwargs
        )
        # mockgun ignores ``limit``; the real API honours it. Same result either way.
        return list(rows[:limit] if limit else rows)

    @property
    def has_summarize(self) -> bool:
        """mockgun has no ``summarize``; real sites do."""
        return callable(getattr(self.conn, "summarize", None))

    def summarize(
        self, entity_type: str, filters: list[Any], grouping: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        result = self.call(
            f"summarize {entity_type}",
            self.conn.summarize,
            entity_type,
            filters,
            [{"field": "id", "type": "count"}],
            grouping=grouping,
        )
        return dict(result)

    def update(
        self, entity_type: str, entity_id: int, data: dict[str, Any], modes: dict[str, str]
    ) -> None:
        self.call(
            f"update {entity_type}",
            self.conn.update,
            entity_type,
            entity_id,
            data,
            multi_entity_update_modes=modes or None,
        )

    def batch(self, what: str, requests: Sequence[dict[str, Any]]) -> list[Any]:
        """Updates and deletes in ceil(n / batch_size) requests (both are safe to resend)."""
        results: list[Any] = []
        for chunk in chunks(requests, self.batch_size):
            results.extend(self.call(what, self.conn.batch, list(chunk)))
        return results

    def create_chunk(
        self, entity_type: str, scope: list[Any], rows: Sequence[dict[str, Any]]
    ) -> dict[str, int]:
        """Create one chunk of coded entities in one batch; return code -> id.

        ``scope`` is the filters that place a code (usually the project). A
        resend first asks which codes already exist (see the module docstring).
        """
        pending = list(rows)
        created: dict[str, int] = {}
        attempts = 0

        def attempt() -> dict[str, int]:
            nonlocal pending, attempts
            attempts += 1
            if attempts > 1:
                codes = [row["code"] for row in pending]
                found = self.conn.find(entity_type, [*scope, ["code", "in", codes]], ["code"])
                created.update({row["code"]: int(row["id"]) for row in found})
                pending = [row for row in pending if row["code"] not in created]
            if pending:
                requests = [
                    {
                        "request_type": "create",
                        "entity_type": entity_type,
                        "data": row,
                        "return_fields": ["code"],
                    }
                    for row in pending
                ]
                results = self.conn.batch(requests)
                for row, result in zip(pending, results, strict=True):
                    created[row["code"]] = int(result["id"])
                pending = []
            return created

        try:
            return self.call(f"create {len(rows)} {entity_type}", attempt)
        except TrackerRejected as exc:
            # A real site's batch is one transaction, but other implementations
            # (mockgun) stop halfway: record what the chunk left behind so the
            # caller reports it as created or removes it.
            if exc.context.get("kind") not in {"auth", "access"}:
                codes = [row["code"] for row in rows]
                found = self.call(
                    f"check {entity_type} after a rejected batch",
                    self.conn.find,
                    entity_type,
                    [*scope, ["code", "in", codes]],
                    ["code"],
                )
                created.update({row["code"]: int(row["id"]) for row in found})
                exc.context["created"] = dict(created)
            raise

    def create_all(
        self, entity_type: str, scope: list[Any], rows: Sequence[dict[str, Any]]
    ) -> dict[str, int]:
        """Create every row or none: on a failed chunk, earlier chunks are deleted again."""
        created: dict[str, int] = {}
        try:
            for chunk in chunks(rows, self.batch_size):
                created.update(self.create_chunk(entity_type, scope, chunk))
        except TrackerError as exc:
            created.update(exc.context.get("created") or {})
            if created:
                self.undo(entity_type, created)
            raise
        return created

    def undo(self, entity_type: str, created: dict[str, int]) -> None:
        deletes = [
            {"request_type": "delete", "entity_type": entity_type, "entity_id": entity_id}
            for entity_id in created.values()
        ]
        try:
            self.batch(f"undo {len(deletes)} {entity_type}", deletes)
            log.warning(
                "ShotGrid: removed %d %s created before the failure", len(deletes), entity_type
            )
        except TrackerError as exc:
            log.error(
                "ShotGrid: could not remove %d %s created before the failure (%s): %s",
                len(deletes),
                entity_type,
                exc.message,
                ", ".join(sorted(created)),
            )
