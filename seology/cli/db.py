"""`seology db`: the app database's schema; the embedded server's shell, dump and restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

db_app = typer.Typer(help="The app database.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the schema migrations (idempotent)."""
    from seology.store.engine import app_engine
    from seology.store.migrate import current_revision
    from seology.store.migrate import upgrade as run_upgrade

    engine = app_engine()
    run_upgrade(engine, revision)
    typer.echo(f"Database at revision {current_revision(engine)} ({engine.url.render_as_string()})")


def _home() -> Path:
    from seology.core.settings import load_settings

    return load_settings().home


def _fail(exc: Exception) -> NoReturn:
    typer.echo(f"seology db: {exc}", err=True)
    raise typer.Exit(1)


@db_app.command("shell")
def shell(
    prefect: bool = typer.Option(False, "--prefect", help="Prefect's database, not the app's."),
    prefix: str = typer.Option("seology", help="Name prefix of the two databases."),
) -> None:
    """psql on the embedded PostgreSQL server of $SEOLOGY_HOME (started if it is not running)."""
    from seology.local.backup import BackupError
    from seology.local.backup import shell as run_shell

    try:
        code = run_shell(_home(), database=f"{prefix}_{'prefect' if prefect else 'app'}")
    except BackupError as exc:
        _fail(exc)
    raise typer.Exit(code)


@db_app.command("dump")
def dump(
    file: Annotated[
        Path, typer.Argument(help="The archive to write (a tar of two pg_dump files).")
    ],
    prefix: str = typer.Option("seology", help="Name prefix of the two databases."),
) -> None:
    """Back up both databases of the embedded PostgreSQL server (pg_dump from the wheel)."""
    from seology.local.backup import BackupError
    from seology.local.backup import dump as run_dump

    try:
        names = run_dump(_home(), file, prefix=prefix)
    except BackupError as exc:
        _fail(exc)
    typer.echo(f"Dumped {', '.join(names)} into {file}")


@db_app.command("restore")
def restore(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A `seology db dump` file.")
    ],
    postgres: str | None = typer.Option(
        None,
        help="A PostgreSQL server URL to restore into (then `seology up --postgres URL`); "
        "default: the home's embedded server, which `seology up` must not be running.",
    ),
    prefix: str = typer.Option("seology", help="Name prefix of the two databases."),
) -> None:
    """Recreate both databases from a dump: their current contents are replaced."""
    from seology.core.errors import ConfigurationError
    from seology.local.backup import BackupError
    from seology.local.backup import restore as run_restore

    try:
        names = run_restore(_home(), file, prefix=prefix, server_url=postgres)
    except (BackupError, ConfigurationError) as exc:
        _fail(exc)
    typer.echo(f"Restored {', '.join(names)} from {file}")
