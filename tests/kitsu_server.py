"""A real Kitsu API server (zou) on loopback for the Kitsu adapter tests.

``make zou`` installs zou in ``.venv-zou`` (its pins differ from ours). The
session fixture ``kitsu_server`` then:

- keeps a template PostgreSQL database per zou version, built once with
  ``zou init-db``, ``zou init-data`` and ``zou create-admin`` (the slow part),
  and clones it for each session (``CREATE DATABASE ... TEMPLATE``, ~1 s);
- starts its own ``redis-server`` on a free port: zou caches ids in Redis, so
  a fresh database behind a Redis an earlier zou used would serve stale ids;
- runs zou's Flask app under gunicorn on a free loopback port, mounted under
  ``/api`` (the URL gazu takes), and waits for it to answer;
- tears everything down at the end and drops the session database.

``KitsuServer.reset()`` empties the production data between tests (projects
and everything hanging off them) and flushes Redis, keeping the statuses,
task types and the admin account of ``init-data``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ZOU_VENV = Path(os.environ.get("ONEPIECE_ZOU_VENV", REPO / ".venv-zou"))
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "onepiece-kitsu-admin"  # test-only account on a throwaway server
# The WSGI entry point: zou answers at "/", gazu talks to ".../api".
WSGI_WRAPPER = """\
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response
from zou.app import app as zou_app

application = DispatcherMiddleware(Response("not found", status=404), {"/api": zou_app})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def psql(sql: str, database: str = "postgres") -> str:
    result = subprocess.run(
        ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", database, "-At"],
        input=sql,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or "ERROR" in result.stderr:
        raise RuntimeError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


def zou_version() -> str:
    meta = list((ZOU_VENV / "lib").glob("python3*/site-packages/zou-*.dist-info"))
    return meta[0].name.removesuffix(".dist-info").split("-")[1] if meta else "unknown"


@dataclass
class KitsuServer:
    """A running zou: its API URL, the admin account and the processes behind it."""

    url: str
    email: str
    password: str
    database: str
    redis_port: int
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    scratch: Path = Path(".")

    def start_api(self) -> None:
        """Start zou under gunicorn (mounted under /api) and wait until it answers."""
        port = self.url.rsplit(":", 1)[1].split("/")[0]
        log = self.scratch / "gunicorn.log"
        with open(log, "ab") as log_file:
            self.processes["gunicorn"] = subprocess.Popen(
                [str(ZOU_VENV / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                 "--workers", "1", "--threads", "4", "--timeout", "120",
                 "--chdir", str(self.scratch), "onepiece_zou_wsgi:application"],
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_for_api(self.url, self.processes["gunicorn"], log)

    def reset(self) -> None:
        """Empty the production data (projects down to comments) and Redis.

        Redis holds zou's id caches and its access tokens: log in again after.
        """
        # Every production table hangs off a project (CASCADE follows the
        # foreign keys); comments and events point at their objects by id only.
        psql("TRUNCATE project, comment, api_event CASCADE;", self.database)
        self.redis("FLUSHALL")

    def redis(self, *command: str) -> str:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), *command],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def stop_api(self) -> None:
        """Stop gunicorn (for the "server went away" tests); ``start_api`` brings it back."""
        _terminate(self.processes.pop("gunicorn", None))


def _terminate(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _zou_env(database: str, redis_port: int, scratch: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DB_", "KV_", "ONEPIECE_"))
    }
    env.update(
        DB_HOST=PG_HOST,
        DB_PORT=str(PG_PORT),
        DB_USERNAME=PG_USER,
        DB_PASSWORD="",
        DB_DATABASE=database,
        KV_HOST="127.0.0.1",
        KV_PORT=str(redis_port),
        PREVIEW_FOLDER=str(scratch / "previews"),
        TMP_DIR=str(scratch / "tmp"),
        SECRET_KEY=secrets.token_hex(32),
        # Paths that do not exist: an empty event_handlers/ breaks every call.
        EVENT_HANDLERS_FOLDER=str(scratch / "no-event-handlers"),
        PLUGIN_FOLDER=str(scratch / "no-plugins"),
        INDEXER_KEY="",
        ENABLE_JOB_QUEUE="False",
        MAIL_ENABLED="False",
        # No DNS here: do not look up the admin e-mail domain.
        MAIL_CHECK_DELIVERABILITY="False",
        PYTHONPATH=str(scratch),
    )
    return env


def _zou(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(ZOU_VENV / "bin" / "zou"), *args],
        env=env,
        cwd=env["TMP_DIR"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"zou {args[0]} failed: {result.stderr.strip()[-2000:]}")


def _start_redis(scratch: Path) -> tuple[int, subprocess.Popen[bytes]]:
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(scratch)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return port, proc
        time.sleep(0.05)
    _terminate(proc)
    raise RuntimeError("redis-server did not start")


def _ensure_template(template: str, scratch: Path) -> None:
    """Build the template database once per zou version (under a lock, atomically)."""
    lock_path = Path("/tmp") / f"{template}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{template}'")
        if exists == "1":
            return
        building = f"{template}_building"
        psql(f"DROP DATABASE IF EXISTS {building} WITH (FORCE);")
        psql(f"CREATE DATABASE {building};")
        port, redis = _start_redis(scratch)
        try:
            env = _zou_env(building, port, scratch)
            _zou(env, "init-db")
            _zou(env, "init-data")
            _zou(env, "create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
        finally:
            _terminate(redis)
        psql(f"ALTER DATABASE {building} RENAME TO {template};")


def _wait_for_api(url: str, proc: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return str(json.load(answer).get("version", ""))
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.2)
    raise RuntimeError(f"zou did not answer at {url}: {log.read_text()[-2000:]}")


def _drop_orphans() -> None:
    """Drop session databases whose test process died before its teardown."""
    for name in psql("SELECT datname FROM pg_database WHERE datname LIKE 'onepiece_zou_%'").split():
        parts = name.split("_")  # onepiece_zou_<pid>_<hex>; templates are _tpl_
        if len(parts) != 4 or not parts[2].isdigit():
            continue
        try:
            os.kill(int(parts[2]), 0)
        except ProcessLookupError:
            psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")
        except PermissionError:
            pass  # alive, another user's


@contextlib.contextmanager
def running_zou(scratch: Path) -> Iterator[KitsuServer]:
    for folder in ("previews", "tmp"):
        (scratch / folder).mkdir(parents=True, exist_ok=True)
    template = "onepiece_zou_tpl_" + zou_version().replace(".", "_")
    _ensure_template(template, scratch)
    _drop_orphans()
    database = f"onepiece_zou_{os.getpid()}_{secrets.token_hex(3)}"
    psql(f"CREATE DATABASE {database} TEMPLATE {template};")
    # person.preview_project_id would make reset()'s TRUNCATE project CASCADE
    # empty the person table (the admin account) too.
    psql("ALTER TABLE person DROP CONSTRAINT IF EXISTS person_preview_project_id_fkey;", database)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        redis_port, processes["redis"] = _start_redis(scratch)
        env = _zou_env(database, redis_port, scratch)
        (scratch / "onepiece_zou_wsgi.py").write_text(WSGI_WRAPPER)
        port = free_port()
        url = f"http://127.0.0.1:{port}/api"
        server = KitsuServer(
            url=url,
            email=ADMIN_EMAIL,
            password=ADMIN_PASSWORD,
            database=database,
            redis_port=redis_port,
            env=env,
            processes=processes,
            scratch=scratch,
        )
        server.start_api()
        yield server
    finally:
        for proc in processes.values():
            _terminate(proc)
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE);")


@pytest.fixture(scope="session")
def kitsu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitsuServer]:
    """One real zou for the session (skipped when ``make zou`` has not run)."""
    if not (ZOU_VENV / "bin" / "zou").exists():
        pytest.skip(f"no zou in {ZOU_VENV}: run `make zou` (make test does)")
    if shutil.which("redis-server") is None or shutil.which("psql") is None:
        pytest.skip("the Kitsu tests need redis-server and psql (PostgreSQL at 127.0.0.1:5432)")
    with running_zou(tmp_path_factory.mktemp("zou")) as server:
        yield server


@pytest.fixture
def kitsu(kitsu_server: KitsuServer) -> KitsuServer:
    """The session's zou, emptied of production data for this test (and running)."""
    if "gunicorn" not in kitsu_server.processes:
        kitsu_server.start_api()
    kitsu_server.reset()
    return kitsu_server


if __name__ == "__main__":  # manual check: python -m tests.kitsu_server
    import tempfile

    with tempfile.TemporaryDirectory() as folder, running_zou(Path(folder)) as server:
        print(server.url, file=sys.stderr)
        server.reset()
