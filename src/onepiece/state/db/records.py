"""Ingest runs, deliveries and reconcile results in the state database.

Each write is one transaction, so concurrent writers (CLI ingests on several
machines, the web service) never lose each other's records, which the JSON
files needed a lock sidecar for.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Engine

from onepiece.errors import EntityNotFound
from onepiece.state.db import schema
from onepiece.state.db.engine import reading
from onepiece.state.db.event_log import append_event
from onepiece.state.db.sql import upsert
from onepiece.state.deliveries import DeliveryRecord

MAX_RUNS = 1000  # as the run registry file: oldest finished runs are dropped beyond this
# state_meta key changed by every run write: readers re-read the runs only when it moved.
RUNS_REVISION = "ingest_runs.revision"
RUNS_TOPIC = "runs"


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SqlIngestRunStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def runs(self) -> list[dict[str, Any]]:
        with reading(self.engine) as connection:
            rows = connection.execute(select(schema.ingest_runs.c.data).order_by("seq"))
            return [dict(row.data) for row in rows]

    def get(self, run_id: str) -> dict[str, Any] | None:
        table = schema.ingest_runs
        with reading(self.engine) as connection:
            data = connection.scalar(select(table.c.data).where(table.c.id == run_id))
        return dict(data) if data is not None else None

    def save(self, run: dict[str, Any]) -> None:
        """One transaction: the run, the runs it expires or prunes, and their
        ``run.*`` stream events (event_log), so every serve process streams it."""
        table = schema.ingest_runs
        with self.engine.begin() as connection:
            self._expire_dead(connection)
            known = connection.execute(
                select(table.c.data).where(table.c.id == str(run["id"]))
            ).first()
            if known is not None and dict(known.data) == run:
                return  # rewritten unchanged: nothing to store, nothing to stream
            upsert(connection, table, run_row(run), ["id"])
            _run_event(connection, "run.updated" if known is not None else "run.created", run)
            self._prune(connection)
            revision = {"key": RUNS_REVISION, "value": uuid.uuid4().hex}
            upsert(connection, schema.state_meta, revision, ["key"])

    def revision(self) -> str | None:
        """Changes with every write (None before the first): a cheap "anything new?"."""
        meta = schema.state_meta
        with reading(self.engine) as connection:
            value = connection.scalar(select(meta.c.value).where(meta.c.key == RUNS_REVISION))
        return str(value) if value is not None else None

    def _expire_dead(self, connection: Connection) -> None:
        """Runs left ``running`` by a dead process on this host become ``failed``."""
        table = schema.ingest_runs
        host = socket.gethostname()
        rows = connection.execute(
            select(table.c.id, table.c.pid, table.c.data).where(
                table.c.status == "running", table.c.host == host
            )
        )
        for row in rows.all():
            if row.pid is None or row.pid == os.getpid() or _pid_alive(row.pid):
                continue
            run = dict(row.data)
            run["status"] = "failed"
            run["error"] = f"the ingest process (pid {row.pid}) ended without finishing"
            run["completed_at"] = run.get("updated_at") or _utc_now()
            connection.execute(update(table).where(table.c.id == row.id).values(**run_row(run)))
            _run_event(connection, "run.updated", run)

    def _prune(self, connection: Connection) -> None:
        table = schema.ingest_runs
        excess = (connection.scalar(select(func.count()).select_from(table)) or 0) - MAX_RUNS
        if excess > 0:
            oldest = (
                select(table.c.seq)
                .where(table.c.status != "running")
                .order_by(table.c.seq)
                .limit(excess)
            )
            removed = connection.execute(
                delete(table)
                .where(table.c.seq.in_(oldest.scalar_subquery()))
                .returning(table.c.data)
            )
            for row in removed.all():
                _run_event(connection, "run.removed", dict(row.data))


def _run_event(connection: Connection, name: str, run: dict[str, Any]) -> None:
    append_event(connection, RUNS_TOPIC, name, {"event": name, "run": run})


def run_row(run: dict[str, Any]) -> dict[str, Any]:
    pid = run.get("pid")
    return {
        "id": str(run["id"]),
        "status": str(run.get("status") or "running"),
        "host": run.get("host"),
        "pid": pid if isinstance(pid, int) else None,
        "started_at": run.get("started_at"),
        "updated_at": run.get("updated_at"),
        "data": run,
    }


class SqlDeliveryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, record: DeliveryRecord) -> DeliveryRecord:
        with self.engine.begin() as connection:
            upsert(connection, schema.deliveries, delivery_row(record), ["id"])
        return record

    def list(self, project: str | None = None) -> list[DeliveryRecord]:
        table = schema.deliveries
        query = select(table.c.data).order_by(table.c.created_at.desc(), table.c.id.desc())
        if project is not None:
            query = query.where(table.c.project == project)
        with reading(self.engine) as connection:
            return [DeliveryRecord.from_dict(dict(row.data)) for row in connection.execute(query)]

    def get(self, project: str, delivery_id: str) -> DeliveryRecord:
        table = schema.deliveries
        query = select(table.c.data).where(table.c.project == project, table.c.id == delivery_id)
        with reading(self.engine) as connection:
            data = connection.scalar(query)
        if data is None:
            raise EntityNotFound(
                f"no delivery {delivery_id!r} for project {project!r}",
                hint="list them with GET /deliveries/{project}",
            )
        return DeliveryRecord.from_dict(dict(data))


def delivery_row(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "project": record.project,
        "created_at": record.created_at,
        "data": record.to_dict(),
    }


class SqlReconcileStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def read(self) -> dict[str, dict[str, Any]]:
        table = schema.reconcile_results
        with reading(self.engine) as connection:
            rows = connection.execute(select(table).order_by(table.c.project, table.c.scope))
            return {
                f"{row.project}:{row.scope}": {
                    "project": row.project,
                    "scope": row.scope,
                    "total": row.total,
                    "summary": dict(row.summary),
                    "at": row.at,
                }
                for row in rows
            }

    def record(self, project: str, scope: str, summary: dict[str, int]) -> None:
        values = {
            "project": project,
            "scope": scope,
            "total": int(summary.get("total", 0)),
            "summary": summary,
            "at": _utc_now(),
        }
        with self.engine.begin() as connection:
            upsert(connection, schema.reconcile_results, values, ["project", "scope"])

    def total(self) -> int:
        table = schema.reconcile_results
        query = select(func.coalesce(func.sum(table.c.total), 0)).where(table.c.scope == "versions")
        with reading(self.engine) as connection:
            return int(connection.scalar(query) or 0)


if TYPE_CHECKING:  # the stores satisfy their ports (checked by mypy)
    from onepiece.state.db import ports

    _runs: type[ports.IngestRunStore] = SqlIngestRunStore
    _deliveries: type[ports.DeliveryStore] = SqlDeliveryStore
    _reconcile: type[ports.ReconcileStore] = SqlReconcileStore
