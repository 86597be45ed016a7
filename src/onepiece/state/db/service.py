"""One process's state database: the engine built once, prepared once, its health.

The web service prepares it at start-up (before it says it is listening), so
a damaged database or a newer schema stops ``onepiece serve`` in one line; a
CLI command prepares it on first use of a store. Preparing is idempotent and
race-safe across processes (migrations and imports run in transactions).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

    from onepiece.state.db.legacy import LegacySources
    from onepiece.state.db.startup import Prepared

log = logging.getLogger(__name__)


class StateDatabase:
    def __init__(self, url: str, sources: LegacySources | None) -> None:
        """``sources``: the old files to import once; None while they are still the
        live store (only idempotency keys use the database then)."""
        from onepiece.state.db.engine import create_state_engine

        self._raw = create_state_engine(url)
        self._sources = sources
        self._lock = threading.Lock()
        self._prepared = False
        self.missing: str | None = None  # records seen here before are gone (expected.py)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``, known without connecting."""
        return str(self._raw.dialect.name)

    @property
    def raw_engine(self) -> Engine:
        """The engine before it is prepared (to configure it, never to use it)."""
        return self._raw

    @property
    def engine(self) -> Engine:
        """The engine, prepared first (migrated, old files imported) on first use."""
        self.prepare()
        return self._raw

    def prepare(self) -> Prepared | None:
        """Check, migrate and import once; None when this process already did."""
        from onepiece.state.db.engine import describe
        from onepiece.state.db.startup import prepare

        with self._lock:
            if self._prepared:
                return None
            prepared = prepare(self._raw, self._sources)
            self._prepared = True
        from onepiece.state.db.migrate import shipped_revisions

        where = describe(self._raw.url)
        # A new database (every migration from the first) is routine, not news: a
        # laptop's first command creates its state.db. Upgrading an existing one is.
        created = bool(prepared.applied) and prepared.applied == shipped_revisions()
        for revision in prepared.applied:
            log.log(
                logging.DEBUG if created else logging.WARNING,
                "state database %s: applied migration %s",
                where, revision,
            )  # fmt: skip
        for report in prepared.imports:
            if report.imported:
                log.warning(
                    "state database %s: imported %d %s from %s",
                    where, report.imported, report.name, report.source,
                )  # fmt: skip
        return prepared

    def check_expected(self, marker: Path) -> str | None:
        """Is this database empty where ``marker`` says records were? (a service's start)"""
        from onepiece.state.db.expected import missing_records

        self.missing = missing_records(self.engine, marker)
        return self.missing

    def remember_size(self, marker: Path) -> None:
        """Note how many records it holds (a service's stop), for the next start's check."""
        from onepiece.state.db.expected import remember

        if self._prepared and self.missing is None:
            remember(self._raw, marker)

    def health(self) -> dict[str, str]:
        """``{"status": "ok", "backend": ...}`` or ``{"status": "degraded", "reason": ...}``."""
        from onepiece.state.db.health import check_health

        ok, reason = check_health(self._raw, integrity=False)  # asked often: no page walk
        if ok and self.missing is not None:
            ok, reason = False, self.missing
        body = {"status": "ok" if ok else "degraded", "backend": self._raw.dialect.name}
        if not ok:
            body["reason"] = reason
        return body

    def dispose(self) -> None:
        self._raw.dispose()
