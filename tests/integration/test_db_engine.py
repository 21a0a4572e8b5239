"""The job API's engine on real PostgreSQL: pings only idle connections, reads in autocommit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text

from seology.store.engine import make_engine, read_connection

pytestmark = pytest.mark.postgres
IDLE = 0.3


@pytest.fixture
def api_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url, pool_size=1, ping_after_idle=IDLE)
    yield engine
    engine.dispose()


def backend_pid(engine: Engine) -> int:
    with read_connection(engine) as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(postgres_url: str, pid: int) -> None:
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_cut_while_idle_is_replaced_before_it_is_used(
    api_engine: Engine, postgres_url: str
):
    first = backend_pid(api_engine)
    assert backend_pid(api_engine) == first  # the pool hands back the same connection
    terminate(postgres_url, first)
    time.sleep(IDLE * 2)

    assert backend_pid(api_engine) not in (first, None)  # pinged, found dead, replaced


def test_a_connection_used_a_moment_ago_is_not_pinged(api_engine: Engine, postgres_url: str):
    """The trade-off, pinned: inside the window a cut connection fails one read, and the
    pool replaces it for the next."""
    from sqlalchemy.exc import OperationalError

    from seology.core.errors import DatabaseUnavailable

    first = backend_pid(api_engine)
    terminate(postgres_url, first)
    with pytest.raises((DatabaseUnavailable, OperationalError)):
        backend_pid(api_engine)
    assert backend_pid(api_engine) != first


def test_reads_run_in_autocommit(api_engine: Engine):
    """No BEGIN/COMMIT round trips: each statement is its own transaction."""
    with read_connection(api_engine) as connection:
        first = connection.execute(text("SELECT txid_current()")).scalar_one()
        second = connection.execute(text("SELECT txid_current()")).scalar_one()
    assert second != first
    with api_engine.connect() as connection:  # the pool gives it back transactional
        first = connection.execute(text("SELECT txid_current()")).scalar_one()
        assert connection.execute(text("SELECT txid_current()")).scalar_one() == first
