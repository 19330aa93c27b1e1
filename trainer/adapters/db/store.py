"""`Database`: the service layer's Store on SQLAlchemy. One unit of work = one connection, one transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from trainer.adapters.db import migrate
from trainer.adapters.db.engine import WRITE_OPTION, make_engine, safe_url
from trainer.adapters.db.repositories import SqlDrills, SqlGrades, SqlSessions, SqlTeams, SqlTurns, SqlUsers
from trainer.errors import ConfigError
from trainer.services.storage import (
    DatabaseUnavailable,
    DrillRepo,
    GradeRepo,
    SessionRepo,
    StoreConflict,
    TeamRepo,
    TurnRepo,
    UserRepo,
)


class SqlUnitOfWork:
    def __init__(self, db: Session):
        self._db = db
        self.teams: TeamRepo = SqlTeams(db)
        self.users: UserRepo = SqlUsers(db)
        self.sessions: SessionRepo = SqlSessions(db)
        self.turns: TurnRepo = SqlTurns(db)
        self.grades: GradeRepo = SqlGrades(db)
        self.drills: DrillRepo = SqlDrills(db)

    def commit(self) -> None:
        try:
            self._db.commit()
        except IntegrityError as exc:
            self._db.rollback()
            raise StoreConflict(f"a uniqueness rule was broken: {exc.orig}") from None


class Database:
    """Implements trainer.services.storage.Store. Check the schema with `require_current_schema()` (done once,
    lazily, by the first unit of work): an old or missing schema is a ConfigError telling to run the upgrade."""

    def __init__(self, url: str, engine: Engine | None = None):
        self.url = url
        self.engine = engine or make_engine(url)
        self._schema_ok = False
        self._lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        return safe_url(self.engine.url)

    def upgrade(self, revision: str = "head") -> tuple[str | None, str | None]:
        try:
            result = migrate.upgrade(self.engine, revision)
        except DBAPIError as exc:
            raise DatabaseUnavailable(f"cannot migrate the database at {self.describe()}: {exc.orig}") from None
        self._schema_ok = False
        return result

    def current_revision(self) -> str | None:
        try:
            return migrate.current_revision(self.engine)
        except DBAPIError as exc:
            raise DatabaseUnavailable(f"cannot reach the database at {self.describe()}: {exc.orig}") from None

    def require_current_schema(self) -> None:
        with self._lock:
            if self._schema_ok:
                return
            current, head = self.current_revision(), migrate.head_revision()
            if current != head:
                raise ConfigError(
                    f"the database at {self.describe()} is at schema revision {current or '(empty)'}, this version "
                    f"needs {head}: run `trainer db upgrade`"
                )
            self._schema_ok = True

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    @contextmanager
    def unit_of_work(self, *, write: bool = False) -> Iterator[SqlUnitOfWork]:
        self.require_current_schema()
        try:
            with self.engine.connect() as conn:
                if write:
                    conn.execution_options(**{WRITE_OPTION: True})
                with Session(bind=conn, autoflush=False, expire_on_commit=False) as db:
                    try:
                        yield SqlUnitOfWork(db)
                    finally:
                        if db.in_transaction():
                            db.rollback()
        except IntegrityError as exc:
            raise StoreConflict(f"a uniqueness rule was broken: {exc.orig}") from None
        except DBAPIError as exc:
            raise DatabaseUnavailable(f"database error at {self.describe()}: {exc.orig}") from None
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(f"database error at {self.describe()}: {exc}") from None

    def dispose(self) -> None:
        self.engine.dispose()
