"""Migrations from empty on SQLite and PostgreSQL, the schema matching the models, and the connection settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests import store_support
from tests.store_support import BACKENDS, drop_database, new_database_url
from trainer.adapters.db import Database
from trainer.adapters.db.migrate import head_revision
from trainer.adapters.db.tables import Base
from trainer.errors import ConfigError, RunError
from trainer.services.facade import COMMAND_LINE

EXPECTED_TABLES = {
    "alembic_version",
    "teams",
    "users",
    "drills",
    "drill_assignments",
    "practice_sessions",
    "turns",
    "grades",
    "grade_overrides",
}


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url, handle = new_database_url(request.param, tmp_path)
    db = Database(url)
    yield db
    db.dispose()
    drop_database(handle)


def test_migrations_run_up_from_empty_and_match_the_models(empty_db: Database) -> None:
    assert empty_db.current_revision() is None
    before, after = empty_db.upgrade()
    assert (before, after) == (None, head_revision())
    assert set(empty_db.table_names()) == EXPECTED_TABLES
    with empty_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"the migrations and tables.py disagree: {diff}"
    # running it again changes nothing
    assert empty_db.upgrade() == (head_revision(), head_revision())


def test_downgrade_to_empty_and_up_again(empty_db: Database) -> None:
    from trainer.adapters.db.migrate import downgrade

    empty_db.upgrade()
    downgrade(empty_db.engine, "base")
    assert set(empty_db.table_names()) == {"alembic_version"}
    empty_db.upgrade()
    assert set(empty_db.table_names()) == EXPECTED_TABLES


def test_an_unmigrated_database_asks_for_the_upgrade(empty_db: Database) -> None:
    services = store_support.make_services(empty_db)
    with pytest.raises(ConfigError, match="run `trainer db upgrade`"):
        services.users.list_teams(COMMAND_LINE)


def test_stored_grades_cannot_be_edited_even_in_sql(empty_db: Database) -> None:
    empty_db.upgrade()
    services = store_support.make_services(empty_db)
    world = store_support.build_world(services)
    sid = store_support.ended_session(services, world["rep1a"], grade=store_support.scores(3, 2, 2, 3))
    with pytest.raises(DBAPIError, match="immutable"), empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE grades SET total = 0"))
    assert services.grades.latest(world["rep1a"], sid).total == 10  # type: ignore[union-attr]


def test_every_sqlite_connection_gets_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    for _ in range(2):  # two separate pooled connections
        with db.engine.connect() as a, db.engine.connect() as b:
            for conn in (a, b):
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    db.dispose()


def test_a_bad_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        Database("mysql://somewhere/db")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        Database("not a url")


def test_a_database_that_is_down_is_a_run_error_without_the_password() -> None:
    db = Database("postgresql+psycopg://trainer:s3cret-pw@127.0.0.1:1/nowhere")
    services = store_support.make_services(db)
    with pytest.raises(RunError, match="cannot reach the database") as exc:
        services.users.list_teams(COMMAND_LINE)
    assert "s3cret-pw" not in str(exc.value)
