"""`seology schedules`: see, pause and resume the daily and monthly crons."""

from __future__ import annotations

import asyncio
import json

import typer
from rich.console import Console
from rich.table import Table

schedules_app = typer.Typer(help="The cron schedules (daily, monthly).", no_args_is_help=True)


@schedules_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Each schedule, its cron and timezone, and whether it is paused."""
    from seology.jobs.schedules import list_schedules

    rows = asyncio.run(list_schedules())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("name", "deployment", "cron", "timezone", "state")
    for row in rows:
        state = "not deployed" if not row["deployed"] else ("paused" if row["paused"] else "active")
        table.add_row(row["name"], row["deployment"], row.get("cron"), row.get("timezone"), state)
    Console().print(table)


@schedules_app.command("pause")
def pause(name: str = typer.Argument(help="daily or monthly")) -> None:
    """Stop the schedule from creating runs until it is resumed."""
    from seology.jobs.schedules import set_paused

    asyncio.run(set_paused(name, paused=True))
    typer.echo(f"Paused the {name} schedule.")


@schedules_app.command("resume")
def resume(name: str = typer.Argument(help="daily or monthly")) -> None:
    """Let the schedule create runs again."""
    from seology.jobs.schedules import set_paused

    asyncio.run(set_paused(name, paused=False))
    typer.echo(f"Resumed the {name} schedule.")
