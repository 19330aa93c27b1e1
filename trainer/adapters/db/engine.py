"""Engines for SQLite (default) and PostgreSQL (`DATABASE_URL=postgresql+psycopg://...`).

SQLite: every connection gets WAL, foreign keys, a busy timeout and synchronous=FULL (an acknowledged commit
survives a crash). The driver's own transaction handling is switched off and we emit BEGIN ourselves: BEGIN IMMEDIATE
for a writing unit of work, so two processes writing at once queue on the busy timeout instead of failing with
"database is locked" when a read lock cannot be upgraded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from trainer.errors import ConfigError

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "trainer_write"


def safe_url(url: str | URL) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError for garbage
        raise ConfigError(
            f"DATABASE_URL is not a database URL ({exc}); e.g. postgresql+psycopg://user:pw@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise ConfigError(f"DATABASE_URL: {backend!r} is not supported; use sqlite:///PATH or postgresql+psycopg://...")


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")

    return engine
