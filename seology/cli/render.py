"""How the job commands print: rich tables for people, the API's JSON for scripts."""

from __future__ import annotations

import json
import os
from typing import Any

import typer
from rich.console import Console
from rich.json import JSON
from rich.markup import escape
from rich.table import Table

PIPED_WIDTH = 200


def _stdout_console() -> Console:
    """Rich's console, at full row width when piped (rich would squeeze rows into 80)."""
    piped = not Console().is_terminal and "COLUMNS" not in os.environ
    return Console(highlight=False, width=PIPED_WIDTH if piped else None)


console = _stdout_console()
err_console = Console(stderr=True, highlight=False)

STATUS_STYLES = {
    "PENDING": "yellow",
    "PROCESSING": "cyan",
    "COMPLETED": "green",
    "FAILED": "red",
    "CANCELLED": "magenta",
}


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_job(job: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json({"job": job})
        return
    console.print(job_table(job))
    if job.get("result") is not None:
        console.print("Result:")
        console.print(JSON.from_data(job["result"]))


def status_markup(status: str) -> str:
    return f"[{STATUS_STYLES.get(status, 'default')}]{status}[/]"


def utc_time(value: str | None, *, with_seconds: bool = True) -> str:
    """`2026-01-31 23:59:59` from the API's ISO time (UTC), `-` for none."""
    return value[: 19 if with_seconds else 16].replace("T", " ") if value else "-"


def duration(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def state_note(job: dict[str, Any]) -> str:
    """Prefect's state name when it says more than the status (Late, AwaitingRetry…)."""
    name = job.get("stateName")
    return f" ({name})" if name and name.upper() != job["status"] else ""


def job_table(job: dict[str, Any]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    rows = [
        ("Job", job["id"]),
        ("Type", job.get("type") or "-"),
        ("Status", status_markup(job["status"]) + state_note(job)),
        ("Progress", percent(job.get("progress"))),
        ("Priority", str(job.get("priority") or "-")),
        ("Attempts", str(job.get("attempts", 0))),
        ("Site", str(job.get("siteId") or "-")),
        ("Created (UTC)", utc_time(job.get("createdAt"))),
        ("Started (UTC)", utc_time(job.get("startedAt"))),
        ("Completed (UTC)", utc_time(job.get("completedAt"))),
        ("Duration", duration(job.get("durationSeconds"))),
    ]
    if job.get("error"):
        rows.append(("Error", f"[red]{escape(job['error'])}[/]"))
    for name, value in rows:
        table.add_row(name, value)
    return table


def jobs_table(jobs: list[dict[str, Any]]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    table.add_column("ID", no_wrap=True, min_width=36)
    for name in ("TYPE", "STATUS", "PRI", "SITE", "DONE", "CREATED UTC", "DURATION"):
        table.add_column(name, no_wrap=True)
    for job in jobs:
        table.add_row(
            job["id"],
            job.get("type") or "-",
            status_markup(job["status"]),
            str(job.get("priority") or "-"),
            str(job.get("siteId") or "-"),
            percent(job.get("progress")),
            utc_time(job.get("createdAt"), with_seconds=False),
            duration(job.get("durationSeconds")),
        )
    return table


STATS_COLUMNS = ("pending", "processing", "completed", "failed", "cancelled", "total")


def stats_table(counts: dict[str, Any]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("TYPE")
    for name in STATS_COLUMNS:
        table.add_column(name.upper(), justify="right")
    table.add_column("AVG DURATION", justify="right")
    for job_type, row in counts.get("byType", {}).items():
        table.add_row(job_type, *count_cells(row), duration(row.get("avgDurationSeconds")))
    table.add_row("[bold]all[/]", *count_cells(counts), "", end_section=True)
    return table


def count_cells(row: dict[str, Any]) -> list[str]:
    return [str(row.get(name, 0)) for name in STATS_COLUMNS]
