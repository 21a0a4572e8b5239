"""The app database's migrations, on SQLite and (when available) PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from seology.store.engine import make_engine
from seology.store.migrate import alembic_config, current_revision, upgrade
from seology.store.models import Base


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def engine(request, tmp_path):
    """An empty database of each backend (PostgreSQL skipped without its variable)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    if request.param == "postgresql":  # the database is shared by the session: empty it
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


def head_revision(engine) -> str:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    return ScriptDirectory.from_config(config).get_current_head()


def test_fresh_database_has_no_revision(engine):
    """A database never migrated reports no revision."""
    assert current_revision(engine) is None


def test_upgrade_reaches_head_and_twice_is_a_no_op(engine):
    """The first upgrade creates every table; a second changes nothing."""
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert current_revision(engine) == head_revision(engine)
    assert set(Base.metadata.tables) <= tables

    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert set(inspect(engine).get_table_names()) == tables


def test_migrated_schema_matches_models(engine):
    """Autogenerate finds nothing to do: the migrations and the models agree."""
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
