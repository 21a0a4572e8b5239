"""The `seology` command: run the system, manage users and tokens, work with jobs."""

from __future__ import annotations

import sys

import typer

from seology.core.errors import SeologyError

app = typer.Typer(
    name="seology",
    help="Seology Jobs: crawls, SEO audits and AI analyses of websites, on Prefect.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from seology.cli.db import db_app
    from seology.cli.deploy import deploy
    from seology.cli.jobs import analyze, cancel, cleanup, crawl, list_jobs, retry, show_job, stats
    from seology.cli.schedules import schedules_app
    from seology.cli.up import up
    from seology.cli.users import tokens_app, users_app
    from seology.cli.webhooks import webhooks_app
    from seology.cli.worker import worker

    app.command("up")(up)
    app.command("deploy")(deploy)
    app.command("worker")(worker)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(schedules_app, name="schedules")
    app.add_typer(webhooks_app, name="webhooks")
    app.command("crawl")(crawl)
    app.command("analyze")(analyze)
    app.command("jobs")(list_jobs)
    app.command("job")(show_job)
    app.command("stats")(stats)
    app.command("cancel")(cancel)
    app.command("retry")(retry)
    app.command("cleanup")(cleanup)


def main() -> None:
    """Entry point of the console script: our errors become one line on stderr, exit 1."""
    _register()
    try:
        app()
    except SeologyError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
