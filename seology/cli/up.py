"""`seology up`: run the whole system in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from seology.core.errors import ConfigurationError
from seology.local.environment import StackAddresses
from seology.local.processes import ProcessFailed
from seology.local.stack import WORKER_NICE, LocalStack, StackError, StackOptions

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def up(
    home: Annotated[
        Path | None, typer.Option(help="Data directory [default: $SEOLOGY_HOME or ./.seology]")
    ] = None,
    api_port: Annotated[int, typer.Option(help="Port of the job API.")] = 8000,
    prefect_port: Annotated[int, typer.Option(help="Port of the Prefect server and UI.")] = 4200,
    demo: Annotated[
        bool, typer.Option(help="Serve a demo site, create a demo user, enqueue its crawl.")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=0, max=16, help="Process workers to start for the pool.")
    ] = 1,
    api_workers: Annotated[
        int,
        typer.Option(min=1, max=16, help="Job API processes [default: one per core, at most 4]."),
    ] = min(os.cpu_count() or 1, 4),
    postgres: Annotated[
        str | None,
        typer.Option(
            help="A PostgreSQL server URL: Prefect and the app database go there "
            "(databases <prefix>_prefect and <prefix>_app, created if missing).",
        ),
    ] = None,
    postgres_prefix: Annotated[
        str, typer.Option(help="Name prefix of the two PostgreSQL databases.")
    ] = "seology",
    sqlite: Annotated[
        bool,
        typer.Option(
            "--sqlite",
            help="Prefect and the app database on SQLite files instead of the embedded "
            "PostgreSQL server (the default; a home made on SQLite stays on it).",
        ),
    ] = False,
    redis: Annotated[
        str | None,
        typer.Option(
            help="A Redis URL (not with --sqlite): Prefect's events go through Redis and the "
            "job API gets a Prefect API server of its own, so enqueues never wait behind "
            "the workers' and flows' traffic. One Redis database per stack: Prefect's "
            "stream names are fixed. Needs the redis extra.",
        ),
    ] = None,
    lane_port: Annotated[
        int, typer.Option(help="Port of the job API's own Prefect API server (with --redis).")
    ] = 4201,
    worker_nice: Annotated[
        int,
        typer.Option(
            min=0,
            max=19,
            help="CPU niceness of the workers and their flows, so that a busy machine "
            "answers the job API and the Prefect UI first (0: same as the rest).",
        ),
    ] = WORKER_NICE,
    server_nice: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=19,
            help="CPU niceness of the Prefect server [default: 5 with --redis, where the "
            "job API has its own server; else 0].",
        ),
    ] = None,
) -> None:
    """Start PostgreSQL, a Prefect server, the pool, the deployments, workers and the job API."""
    if sqlite and postgres:
        err_console.print(
            "[red]seology up failed:[/red] --sqlite and --postgres exclude each other."
        )
        raise typer.Exit(2)
    home = _resolve_home(home)
    addresses = StackAddresses(prefect_port=prefect_port, api_port=api_port, lane_port=lane_port)
    options = StackOptions(
        home=home,
        addresses=addresses,
        demo=demo,
        workers=workers,
        api_workers=api_workers,
        postgres_url=postgres,
        postgres_prefix=postgres_prefix,
        sqlite=sqlite,
        redis_url=redis,
        worker_nice=worker_nice,
        server_nice=server_nice,
    )
    stack = LocalStack(options=options, say=_say)
    stop_requested = _install_signal_handlers()
    try:
        stack.start()
        _print_summary(stack)
        _wait(stack, stop_requested)
    except (StackError, ProcessFailed, ConfigurationError) as exc:
        err_console.print(f"[red]seology up failed:[/red] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        console.print("Stopped.")


def _resolve_home(home: Path | None) -> Path:
    import os

    chosen = home or Path(os.environ.get("SEOLOGY_HOME", ".seology"))
    resolved = chosen.expanduser().resolve()
    os.environ["SEOLOGY_HOME"] = str(resolved)
    return resolved


def _say(message: str) -> None:
    console.print(message)


def _install_signal_handlers() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            return
        stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def _wait(stack: LocalStack, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        stack.supervise()


def _lane_line(stack: LocalStack) -> str:
    if not stack.options.redis_url:
        return ""
    return f"  Its Prefect API {stack.addresses.lane_api_url}   (events through Redis)\n"


def _print_summary(stack: LocalStack) -> None:
    a = stack.addresses
    console.print(
        f"\n[bold]Seology Jobs is up[/bold] (home: {stack.home})\n"
        f"  Prefect UI      {a.prefect_url}\n"
        f"  Job API         {a.api_url}   (OpenAPI: {a.api_url}/docs)\n"
        f"{_lane_line(stack)}"
        f"  Admin secret    CRON_SECRET in {stack.home / '.env'}\n"
        f"  Logs            {stack.home / 'logs'}\n"
        f"  Create a user   seology users create NAME   (prints its API token)\n"
    )
    if stack.demo is not None:
        console.print(
            f"  Demo site       {stack.demo.site_url}\n"
            f"  Demo token      {stack.demo.token_path}\n"
            f"  Demo crawl job  {a.api_url}/api/jobs/{stack.demo.job_id}/status\n"
        )
    console.print("Press Ctrl-C to stop.")
