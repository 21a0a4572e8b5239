"""`seology db`: the app database's schema."""

from __future__ import annotations

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
