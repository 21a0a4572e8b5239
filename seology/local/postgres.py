"""`seology up --postgres URL`: the Prefect server and the app database on PostgreSQL.

Two databases on the server of URL, made on first start and reused after:
`<prefix>_prefect` for Prefect (its own schema and migrations) and `<prefix>_app`
for ours. Separate databases keep the two migration histories from ever meeting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from seology.core.errors import ConfigurationError

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


@dataclass(frozen=True, kw_only=True)
class PostgresUrls:
    prefect: str
    app: str


def database_urls(server_url: str, prefix: str = "seology") -> PostgresUrls:
    """The two URLs derived from `server_url` (any database of the server)."""
    if not _NAME.match(prefix):
        raise ConfigurationError(f"database prefix {prefix!r}: use lowercase letters, digits, _")
    try:
        url = make_url(server_url)
    except Exception as exc:
        raise ConfigurationError(f"not a database URL: {server_url!r}") from exc
    if not url.drivername.startswith("postgres"):
        raise ConfigurationError(f"--postgres needs a postgresql:// URL, got {url.drivername}")
    prefect = url.set(drivername="postgresql+asyncpg", database=f"{prefix}_prefect")
    app = url.set(drivername="postgresql+psycopg", database=f"{prefix}_app")
    return PostgresUrls(
        prefect=prefect.render_as_string(hide_password=False),
        app=app.render_as_string(hide_password=False),
    )


def ensure_databases(server_url: str, urls: PostgresUrls) -> list[str]:
    """Create the databases that do not exist yet; return the names created."""
    import psycopg

    admin = make_url(server_url).set(drivername="postgresql")
    conninfo = admin.render_as_string(hide_password=False)
    created = []
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
            for target in (urls.prefect, urls.app):
                name = make_url(target).database
                exists = connection.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                ).fetchone()
                if not exists:
                    connection.execute(f'CREATE DATABASE "{name}"')  # name checked by _NAME
                    created.append(name)
    except psycopg.Error as exc:
        msg = (
            f"Cannot prepare the PostgreSQL databases on {admin.render_as_string()}: {exc}. "
            "Create them yourself and set PREFECT_API_DATABASE_CONNECTION_URL and "
            "SEOLOGY_DATABASE_URL instead of --postgres."
        )
        raise ConfigurationError(msg) from exc
    return created
