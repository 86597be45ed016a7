"""Schema of the local tracker, as an ordered list of migration steps.

``PRAGMA user_version`` records how many steps a database file has applied.
Opening a file applies the missing steps in order inside one ``BEGIN
IMMEDIATE`` transaction (SQLite DDL is transactional), so a crash mid-way
leaves the previous version intact and two processes opening a new file at
once migrate it exactly once: the second one waits for the write lock and
then finds nothing left to do.

Released steps are never edited; change the schema by appending a step.
Entities reference each other by natural key (project code, entity code), the
way the Tracker port addresses them; only the playlist membership table uses
row ids, so deleting a version drops it from its playlists.
"""

from __future__ import annotations

import sqlite3

from onepiece.errors import TrackerUnavailable

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: the entities.
    (
        """CREATE TABLE projects (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            archived INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE episodes (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(code),
            code TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (project, code)
        )""",
        """CREATE TABLE sequences (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(code),
            code TEXT NOT NULL,
            episode TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (project, code)
        )""",
        """CREATE TABLE shots (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(code),
            code TEXT NOT NULL,
            sequence TEXT,
            episode TEXT,
            status TEXT,
            cut_in INTEGER,
            cut_out INTEGER,
            description TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (project, code)
        )""",
        """CREATE TABLE assets (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(code),
            code TEXT NOT NULL,
            asset_type TEXT,
            description TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (project, code)
        )""",
        """CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(code),
            code TEXT NOT NULL,
            shot TEXT,
            sequence TEXT,
            episode TEXT,
            asset TEXT,
            status TEXT,
            path TEXT,
            frame_first INTEGER,
            frame_last INTEGER,
            frame_range TEXT,
            checksum TEXT,
            size INTEGER,
            "user" TEXT,
            description TEXT,
            created_at TEXT NOT NULL,
            duration_seconds REAL,
            metadata TEXT NOT NULL DEFAULT '{}',
            UNIQUE (project, code)
        )""",
        """CREATE TABLE playlists (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(code),
            code TEXT NOT NULL,
            description TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (project, code)
        )""",
        """CREATE TABLE playlist_versions (
            playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
            version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            PRIMARY KEY (playlist_id, version_id)
        )""",
        """CREATE TABLE published_files (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(code),
            code TEXT NOT NULL,
            path TEXT NOT NULL,
            version TEXT,
            file_type TEXT,
            checksum TEXT,
            size INTEGER,
            created_at TEXT NOT NULL,
            UNIQUE (project, code)
        )""",
    ),
    # v2: indexes for the dashboard and review queries (newest versions of a
    # project, versions per status, episode breakdowns, cascade deletes).
    (
        "CREATE INDEX versions_project_created ON versions (project, created_at)",
        "CREATE INDEX versions_project_status ON versions (project, status)",
        "CREATE INDEX versions_status ON versions (status)",
        "CREATE INDEX versions_project_episode ON versions (project, episode)",
        "CREATE INDEX shots_project_status ON shots (project, status)",
        "CREATE INDEX shots_status ON shots (status)",
        "CREATE INDEX published_files_version ON published_files (project, version)",
        "CREATE INDEX playlist_versions_version ON playlist_versions (version_id)",
    ),
    # v3: review media (thumbnail and movie URIs, the stored record) per Version;
    # deleting a Version drops its row.
    (
        """CREATE TABLE review_media (
            project TEXT NOT NULL,
            code TEXT NOT NULL,
            thumbnail TEXT,
            movie TEXT,
            record_uri TEXT NOT NULL,
            record TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (project, code),
            FOREIGN KEY (project, code) REFERENCES versions (project, code) ON DELETE CASCADE
        )""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: object) -> int:
    """Bring the database up to ``SCHEMA_VERSION``; return the version it is at.

    ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    if schema_version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION  # the common case: no write lock taken
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)  # re-read under the lock: another process may have won
        if current > SCHEMA_VERSION:
            raise TrackerUnavailable(
                f"tracker database {path} has schema v{current}, newer than this "
                f"onepiece supports (v{SCHEMA_VERSION})",
                hint="upgrade onepiece, or point tracker.path at another file",
            )
        for step in MIGRATIONS[current:]:
            for statement in step:
                conn.execute(statement)
        # PRAGMA takes no parameters; SCHEMA_VERSION is our own integer.
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:  # rollback only: re-raised
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return SCHEMA_VERSION
