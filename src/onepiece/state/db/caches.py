"""The dashboard project registry and derived media facts in the state database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from onepiece.state.db import schema
from onepiece.state.db.engine import reading
from onepiece.state.db.ports import MediaFact, ProjectSnapshot
from onepiece.state.db.sql import upsert

PROJECTS_SYNCED_AT = "projects.synced_at"


class SqlProjectRegistryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self) -> ProjectSnapshot | None:
        table, meta = schema.projects, schema.state_meta
        with reading(self.engine) as connection:
            saved = connection.execute(
                select(meta.c.value).where(meta.c.key == PROJECTS_SYNCED_AT)
            ).first()
            rows = connection.execute(select(table).order_by(table.c.code)).all()
        if saved is None and not rows:
            return None
        projects = [
            {
                "code": row.code,
                "name": row.name,
                "configured": bool(row.configured),
                "in_tracker": bool(row.in_tracker),
            }
            for row in rows
        ]
        return ProjectSnapshot(projects, saved.value if saved is not None else None)

    def save(self, snapshot: ProjectSnapshot) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(schema.projects))
            if snapshot.projects:
                connection.execute(
                    schema.projects.insert(),
                    [
                        {
                            "code": str(row["code"]),
                            "name": str(row.get("name") or row["code"]),
                            "configured": bool(row.get("configured", False)),
                            "in_tracker": bool(row.get("in_tracker", False)),
                        }
                        for row in snapshot.projects
                    ],
                )
            # The marker row says "saved" even when synced_at is unknown.
            upsert(
                connection,
                schema.state_meta,
                {"key": PROJECTS_SYNCED_AT, "value": snapshot.synced_at},
                ["key"],
            )


class SqlMediaFactsStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, path: str) -> MediaFact | None:
        table = schema.media_facts
        with reading(self.engine) as connection:
            row = connection.execute(select(table).where(table.c.path == path)).first()
        return MediaFact(row.size, row.mtime_ns, row.seconds) if row is not None else None

    def put(self, path: str, fact: MediaFact) -> None:
        values = {
            "path": path,
            "size": fact.size,
            "mtime_ns": fact.mtime_ns,
            "seconds": fact.seconds,
        }
        with self.engine.begin() as connection:
            upsert(connection, schema.media_facts, values, ["path"])


if TYPE_CHECKING:  # the stores satisfy their ports (checked by mypy)
    from onepiece.state.db import ports

    _projects: type[ports.ProjectRegistryStore] = SqlProjectRegistryStore
    _media: type[ports.MediaFactsStore] = SqlMediaFactsStore
