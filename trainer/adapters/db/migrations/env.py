"""Alembic environment: runs on the engine handed over in `config.attributes["engine"]` (see migrate.py)."""

from __future__ import annotations

from alembic import context

from trainer.adapters.db.tables import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` on the command line: build one from the settings
    from trainer.adapters.db.engine import make_engine
    from trainer.settings import get_settings

    engine = make_engine(get_settings().effective_database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
