"""Engines and sessions for the app database, on SQLite or PostgreSQL.

The job API and the CLI build their engine from `SEOLOGY_DATABASE_URL`. Flows and tasks
reach the same database through prefect-sqlalchemy's `SqlAlchemyConnector` saved as the
block `seology-db` (set-up saves it from the same URL), so that operators can point a
fleet of workers at a database from the Prefect UI without touching their environment.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from seology.core.errors import DatabaseUnavailable

DB_BLOCK_NAME = "seology-db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the API read while a crawl writes; the busy timeout waits out writers."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: Pooled connections of a flow run's or CLI's engine (a few tasks at a time).
POOL_SIZE = 5
#: Pooled connections of a job API process. Its requests reach the database from up to
#: 40 threads (anyio's default); with a pool of 5, connections beyond it were opened
#: and closed on every request under 50 concurrent pollers (on SQLite a large share of
#: the API's CPU, PRAGMAs included).
API_POOL_SIZE = 20


#: The job API's PostgreSQL connections are pinged at checkout only once they have sat idle
#: this long. SQLAlchemy's `pool_pre_ping` pings at every checkout: a round trip, and a
#: visible share of a status poll's CPU in the job API (py-spy), for a connection that
#: answered a moment ago. HikariCP skips its check the same way (500 ms there). A
#: connection cut within the window fails one request with 503, and the pool then replaces
#: them all.
API_PING_AFTER_IDLE_SECONDS = 1.0


def engine_options(
    url: str, *, pool_size: int = POOL_SIZE, ping_after_idle: float | None = None
) -> dict[str, Any]:
    """`create_engine` keyword arguments that suit the backend of `url`."""
    pool = {"pool_size": pool_size, "max_overflow": 10}
    if url.startswith("sqlite"):
        return {"connect_args": {"check_same_thread": False, "timeout": 30}, **pool}
    return {"pool_pre_ping": ping_after_idle is None, **pool}


def configure_engine(engine: Engine, *, ping_after_idle: float | None = None) -> Engine:
    """Apply our per-connection settings to an engine made elsewhere (the Prefect block)."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
    elif ping_after_idle is not None:
        _ping_when_idle(engine, ping_after_idle)
    return engine


def make_engine(
    url: str, *, pool_size: int = POOL_SIZE, ping_after_idle: float | None = None
) -> Engine:
    """A new engine for `url` with our settings: connections pinged at every checkout,
    or with `ping_after_idle` only after that many seconds unused (PostgreSQL)."""
    options = engine_options(url, pool_size=pool_size, ping_after_idle=ping_after_idle)
    return configure_engine(create_engine(url, **options), ping_after_idle=ping_after_idle)


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection at checkout if it has been in the pool `idle_seconds` or more;
    a dead one is replaced (the pool retries on `DisconnectionError`)."""

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # just connected, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises for a dead connection
            raise DisconnectionError(f"connection idle {idle_seconds}s+ is gone: {exc}") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


@lru_cache(maxsize=8)
def engine_for_url(url: str) -> Engine:
    """One engine per URL and process: engines own connection pools."""
    return make_engine(url)


#: One sessionmaker per engine: each sessionmaker() makes a new Session subclass, and
#: SQLAlchemy's event machinery then spent CPU on every request setting it up.
_FACTORIES: WeakKeyDictionary[Engine, sessionmaker[Session]] = WeakKeyDictionary()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = _FACTORIES.get(engine)
    if factory is None:
        factory = _FACTORIES[engine] = sessionmaker(bind=engine, expire_on_commit=False)
    return factory


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success, rolls back on error, and maps outages to 503."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        if _is_connection_error(exc):
            raise DatabaseUnavailable(f"The app database is unreachable: {exc}") from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A pooled connection for Core reads, with outages mapped to 503 like sessions.

    In autocommit: each statement is its own transaction, so a read is one round trip
    instead of three (BEGIN, the query, COMMIT or ROLLBACK), and a write (a token's
    last use) is committed by the statement itself.
    """
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection
    except SQLAlchemyError as exc:
        if _is_connection_error(exc):
            raise DatabaseUnavailable(f"The app database is unreachable: {exc}") from exc
        raise


def _is_connection_error(exc: SQLAlchemyError) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def ping(engine: Engine) -> None:
    """Raise `DatabaseUnavailable` unless the database answers a query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"The app database is unreachable: {exc}") from exc


def app_engine() -> Engine:
    """The engine of the job API and the CLI, from the settings."""
    from seology.core.settings import get_settings

    return engine_for_url(get_settings().resolved_database_url)


@lru_cache(maxsize=1)
def flow_engine() -> Engine:
    """The engine of flows and tasks, from the `seology-db` block.

    Falls back to the settings' URL when the block does not exist, so that a flow
    called as a plain function (tests, `python -c`) still works; a deployed flow
    always finds the block, since set-up saves it before deploying.
    """
    from prefect_sqlalchemy import SqlAlchemyConnector

    try:
        connector = SqlAlchemyConnector.load(DB_BLOCK_NAME, _sync=True)
    except ValueError:
        return app_engine()
    url = str(connector._rendered_url)  # the block keeps only the rendered URL
    options = engine_options(url)
    options.pop("connect_args", None)  # the block carries its own connect_args
    return configure_engine(connector.get_engine(**options))


def save_db_block(url: str) -> None:
    """Save (or overwrite) the `seology-db` block that flows read the database URL from."""
    from prefect_sqlalchemy import SqlAlchemyConnector

    connect_args = engine_options(url).get("connect_args")
    connector = SqlAlchemyConnector(connection_info=url, connect_args=connect_args)
    connector.save(DB_BLOCK_NAME, overwrite=True, _sync=True)
