"""Fixtures shared by every test directory.

Settings: `clean_env` gives a test an environment with none of our variables and a
fresh data directory; `app_settings` adds an app database (a SQLite file) and an admin
secret. Database: `db_engine` is that database, migrated; `user_factory` and
`site_factory` make rows in it. HTTP: `api_server` serves the real job API over a
socket; `api_client` talks to it. PostgreSQL: `postgres_url` is a fresh database on
the server named by `SEOLOGY_TEST_POSTGRES_URL`, or a skip.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, make_url

from seology.api.app import create_app
from seology.core.settings import Settings, get_settings
from seology.store import sites, users
from seology.store.engine import make_engine, session_scope
from seology.store.migrate import upgrade
from seology.store.models import Site, User
from seology.testing.servers import serve_app

TEST_ADMIN_SECRET = "0123456789abcdef" * 4  # 64 hex characters, like `openssl rand -hex 32`
POSTGRES_URL_VARIABLE = "SEOLOGY_TEST_POSTGRES_URL"
# Our settings' variables; any of them in the developer's shell would leak into tests.
OWN_VARIABLE_PREFIXES = ("SEOLOGY_", "CRON_SECRET", "JOB_", "ANTHROPIC_")


def _is_own_variable(name: str) -> bool:
    return name.startswith(OWN_VARIABLE_PREFIXES) and not name.startswith("SEOLOGY_TEST_")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No settings from the outside world; yields the data directory (`SEOLOGY_HOME`).

    The working directory becomes `tmp_path`, so that no `./.env` is read either, and
    the `get_settings()` cache is cleared before and after.
    """
    for name in [name for name in os.environ if _is_own_variable(name)]:
        monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SEOLOGY_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def app_settings(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with a SQLite app database in the data directory and an admin secret.

    Set in the environment too, so that code calling `get_settings()` (the CLI) agrees.
    """
    monkeypatch.setenv("SEOLOGY_DATABASE_URL", f"sqlite:///{clean_env / 'app.db'}")
    monkeypatch.setenv("CRON_SECRET", TEST_ADMIN_SECRET)
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def db_engine(app_settings: Settings) -> Iterator[Engine]:
    """The migrated app database of `app_settings`."""
    engine = make_engine(app_settings.resolved_database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def user_factory(db_engine: Engine) -> Callable[..., tuple[User, str]]:
    """`make(name=None) -> (user, token)`: a committed user with one live token."""
    serial = itertools.count(1)

    def make(name: str | None = None) -> tuple[User, str]:
        name = name or f"user{next(serial)}-{secrets.token_hex(3)}"
        with session_scope(db_engine) as session:
            return users.create_user(session=session, name=name)

    return make


@pytest.fixture
def site_factory(db_engine: Engine) -> Callable[..., Site]:
    """`make(user, url=None, name=None) -> site`: a committed site of `user`."""
    serial = itertools.count(1)

    def make(user: User, url: str | None = None, name: str | None = None) -> Site:
        url = url or f"https://site{next(serial)}.example/"
        with session_scope(db_engine) as session:
            return sites.create_site(session=session, user_id=user.id, url=url, name=name)

    return make


@pytest.fixture
def admin_headers() -> dict[str, str]:
    """The admin bearer header of `app_settings`."""
    return {"Authorization": f"Bearer {TEST_ADMIN_SECRET}"}


@pytest.fixture
def api_server(app_settings: Settings, db_engine: Engine) -> Iterator[str]:
    """The job API of `app_settings`, served over HTTP; yields its base URL."""
    with serve_app(create_app(app_settings)) as base_url:
        yield base_url


@pytest.fixture
def api_client(api_server: str) -> Iterator[httpx.Client]:
    """An HTTP client for `api_server` (no token: pass headers per request)."""
    with httpx.Client(base_url=api_server, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database made for this test session, dropped at its end.

    Yields a SQLAlchemy URL with the psycopg driver. Skips unless
    `SEOLOGY_TEST_POSTGRES_URL` names a server (CI sets it; locally
    postgresql://postgres@127.0.0.1:5432/test).
    """
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    psycopg = pytest.importorskip("psycopg")
    server = make_url(server_url).set(drivername="postgresql")
    name = f"seology_test_{secrets.token_hex(6)}"
    admin_dsn = server.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
