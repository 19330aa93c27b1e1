"""SQLAlchemy 2 + Alembic storage for the service layer (SQLite by default, PostgreSQL by DATABASE_URL)."""

from trainer.adapters.db.store import Database

__all__ = ["Database"]
