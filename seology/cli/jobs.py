"""`seology crawl | analyze | jobs | job | stats | cancel | retry | cleanup`: jobs over HTTP.

These commands are clients of the job API (`seology.cli.api_client`), not of Prefect or the
app database, so they work from any machine that can reach the API, with the same
rights as the token they send: a user token sees and acts on its own jobs only.

Every command takes `--api-url` (env `SEOLOGY_API_URL`, else the settings' value,
default http://127.0.0.1:8000), `--token` (env `SEOLOGY_TOKEN`) and `--json`, which
prints the API's JSON body and nothing else on stdout. Failures print one line,
`Error: <message>`, on stderr and exit with status 1, never a traceback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from seology.cli import render
from seology.cli.api_client import JobApiClient
from seology.cli.render import console, err_console
from seology.core.errors import AuthenticationFailed, SeologyError
from seology.core.job_model import TERMINAL_STATUSES, JobStatus
from seology.core.settings import load_settings

POLL_SECONDS = 0.5
NO_BEARER = (
    "No API token: pass --token or set SEOLOGY_TOKEN "
    "(`seology users create NAME` prints one; the admin secret sees every job)."
)
NO_ADMIN_BEARER = (
    "No admin token: pass --token, or set CRON_SECRET in the environment or a .env file "
    "(`seology up` writes one to $SEOLOGY_HOME/.env)."
)


class JobType(StrEnum):
    crawl = "crawl"
    analysis = "analysis"
    daily = "daily"
    monthly = "monthly"


class RenderChoice(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


RENDER_HELP = (
    "auto: render the pages that look client-rendered; always: render every page in "
    "headless Chromium; never: raw HTML only."
)


ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        envvar="SEOLOGY_API_URL",
        help="The job API.",
        show_default="SEOLOGY_API_URL in .env, else http://127.0.0.1:8000",
    ),
]
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="SEOLOGY_TOKEN", help="Your API token.", show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer only.")]
Wait = Annotated[
    bool,
    typer.Option(
        "--wait", help="Show the job's progress until it ends; exit 1 unless it completes."
    ),
]
Priority = Annotated[int, typer.Option(min=1, max=10, help="1 (low) to 10 (critical).")]
JobId = Annotated[str, typer.Argument(help="The job's id (its Prefect flow run id).")]
SiteRef = Annotated[
    str, typer.Argument(metavar="SITE_URL_OR_ID", help="A site id, or a URL (added if new).")
]


# --- the commands ----------------------------------------------------------------------


def crawl(
    site: SiteRef,
    max_pages: Annotated[int, typer.Option(min=1, help="Stop after this many pages.")] = 10,
    priority: Priority = 5,
    render: Annotated[RenderChoice, typer.Option(help=RENDER_HELP)] = RenderChoice.auto,
    wait: Wait = False,
    api_url: ApiUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Queue a crawl of a site; a URL adds the site to yours first (or reuses it)."""
    with _api(api_url, token) as api:
        site_id = _site_id(api, site, quiet=as_json)
        answer = api.enqueue_crawl(
            site_id, max_pages=max_pages, priority=priority, render=render.value
        )
        _after_enqueue(api, answer, "crawl", wait=wait, as_json=as_json)


def analyze(
    site: SiteRef,
    priority: Priority = 5,
    wait: Wait = False,
    api_url: ApiUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Queue an analysis of a site's latest crawl."""
    with _api(api_url, token) as api:
        site_id = _site_id(api, site, quiet=as_json)
        answer = api.enqueue_analysis(site_id, priority=priority)
        _after_enqueue(api, answer, "analysis", wait=wait, as_json=as_json)


def list_jobs(
    status: Annotated[
        JobStatus | None, typer.Option(case_sensitive=False, help="Only jobs in this status.")
    ] = None,
    job_type: Annotated[
        JobType | None, typer.Option("--type", case_sensitive=False, help="Only this type.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="At most this many.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip the newest N.")] = 0,
    api_url: ApiUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """List jobs, newest first."""
    with _api(api_url, token) as api:
        jobs = api.list_jobs(
            status=status.value if status else None,
            job_type=job_type.value if job_type else None,
            limit=limit,
            offset=offset,
        )
    if as_json:
        render.print_json({"jobs": jobs})
    elif not jobs:
        console.print("No jobs.")
    else:
        console.print(render.jobs_table(jobs))


def show_job(
    job_id: JobId, api_url: ApiUrl = None, token: Token = None, as_json: AsJson = False
) -> None:
    """Show one job: status, progress, attempts, and its result or error."""
    with _api(api_url, token) as api:
        job = api.get_job(job_id)
    render.print_job(job, as_json=as_json)


def stats(api_url: ApiUrl = None, token: Token = None, as_json: AsJson = False) -> None:
    """Count jobs by status and type, with average durations."""
    with _api(api_url, token) as api:
        counts = api.get_stats()
    if as_json:
        render.print_json(counts)
    else:
        console.print(render.stats_table(counts))


def cancel(
    job_id: JobId, api_url: ApiUrl = None, token: Token = None, as_json: AsJson = False
) -> None:
    """Cancel a pending job, or stop a running one; a finished job cannot be cancelled."""
    with _api(api_url, token) as api:
        job = api.cancel_job(job_id)
    if as_json:
        render.print_json({"job": job})
    elif job["status"] == JobStatus.PROCESSING:
        console.print(f"Job {job_id} is being stopped by its worker; it ends CANCELLED.")
    else:
        console.print(f"Job {job_id}: {render.status_markup(job['status'])}")


def retry(
    job_id: JobId, api_url: ApiUrl = None, token: Token = None, as_json: AsJson = False
) -> None:
    """Run a failed or cancelled job again, as the same job."""
    with _api(api_url, token) as api:
        job = api.retry_job(job_id)
    if as_json:
        render.print_json({"job": job})
    else:
        console.print(f"Job {job_id} is queued again ({render.status_markup(job['status'])}).")


def cleanup(
    days_old: Annotated[
        int, typer.Option(min=1, help="Delete finished jobs older than this many days.")
    ],
    api_url: ApiUrl = None,
    token: Annotated[
        str | None,
        typer.Option(help="The admin secret.", show_default="CRON_SECRET, else SEOLOGY_TOKEN"),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Delete finished jobs older than N days and their outputs (needs the admin secret)."""
    with _api(api_url, token, admin=True) as api:
        deleted = api.cleanup(days_old)
    if as_json:
        render.print_json({"deleted": deleted})
    else:
        console.print(f"Deleted {deleted} finished job(s) older than {days_old} day(s).")


# --- talking to the API ----------------------------------------------------------------


@contextmanager
def _cli_errors() -> Iterator[None]:
    """Our errors become `Error: <message>` on stderr and exit status 1."""
    try:
        yield
    except SeologyError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(1) from exc


@contextmanager
def _api(api_url: str | None, token: str | None, *, admin: bool = False) -> Iterator[JobApiClient]:
    """A client of the API for the command's options, inside the CLI's error handling."""
    with _cli_errors():
        token = _admin_token(token) if admin else token
        if not token:
            raise AuthenticationFailed(NO_ADMIN_BEARER if admin else NO_BEARER)
        with JobApiClient(api_url or load_settings().api_base_url, token) as api:
            yield api


def _admin_token(explicit: str | None) -> str | None:
    """--token, else CRON_SECRET (env or .env), else SEOLOGY_TOKEN.

    CRON_SECRET comes before SEOLOGY_TOKEN because the latter is usually a user's
    token, which cleanup always refuses (403).
    """
    if explicit:
        return explicit
    secret = load_settings().cron_secret
    return secret.get_secret_value() if secret else os.environ.get("SEOLOGY_TOKEN")


def _site_id(api: JobApiClient, site: str, *, quiet: bool) -> int:
    """A site id as given, or the id of the caller's site for a URL (created if new)."""
    if site.isdigit():
        return int(site)
    found = api.create_site(site)
    if not quiet:
        console.print(f"Site {found['id']}: {found['url']}", markup=False)
    return int(found["id"])


def _after_enqueue(
    api: JobApiClient, answer: dict[str, Any], kind: str, *, wait: bool, as_json: bool
) -> None:
    """Say what was queued, or follow the job to its end when asked to `--wait`."""
    job_id = answer["jobId"]
    if wait:
        _finish(_follow(api, job_id), as_json=as_json)
    elif as_json:
        render.print_json(answer)
    else:
        verb = "Already queued" if answer.get("deduplicated") else "Queued"
        console.print(f"{verb}: {kind} job {job_id}\nFollow it with: seology job {job_id}")


def _follow(api: JobApiClient, job_id: str) -> dict[str, Any]:
    """Poll the job until it ends, showing how it goes on stderr; the last job body.

    A terminal gets a live progress bar; a log (CI, a pipe) gets one line per status
    change instead of a bar's redraws. Ctrl-C stops the waiting, not the job.
    """
    try:
        if not err_console.is_terminal:
            return _poll(api, job_id, _status_lines(job_id))
        with Progress(*PROGRESS_COLUMNS, console=err_console) as bar:
            task = bar.add_task(f"job {job_id[:8]}", total=100, status="PENDING")
            return _poll(api, job_id, lambda job: bar.update(task, **_bar_fields(job)))
    except KeyboardInterrupt:
        err_console.print(
            f"Stopped waiting; the job goes on. See it with: seology job {job_id}", soft_wrap=True
        )
        raise typer.Exit(130) from None


PROGRESS_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    TaskProgressColumn(),
    TextColumn("{task.fields[status]}"),
    TimeElapsedColumn(),
)


def _poll(api: JobApiClient, job_id: str, show: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    while True:
        job = api.get_job(job_id)
        show(job)
        if job["status"] in TERMINAL_STATUSES:
            return job
        time.sleep(POLL_SECONDS)


def _bar_fields(job: dict[str, Any]) -> dict[str, Any]:
    """A completed job is full even if its last progress report said less."""
    done = 100.0 if job["status"] == JobStatus.COMPLETED else job.get("progress") or 0.0
    return {"completed": done, "status": job["status"]}


def _status_lines(job_id: str) -> Callable[[dict[str, Any]], None]:
    """`show(job)` printing `job <id>: <STATUS>` whenever the status changes."""
    last: list[str] = []

    def show(job: dict[str, Any]) -> None:
        if last[-1:] != [job["status"]]:
            last.append(job["status"])
            err_console.print(f"job {job_id}: {job['status']}", soft_wrap=True)

    return show


def _finish(job: dict[str, Any], *, as_json: bool) -> None:
    """Print the ended job; exit 1 with its error unless it COMPLETED."""
    render.print_job(job, as_json=as_json)
    if job["status"] != JobStatus.COMPLETED:
        reason = job.get("error") or "no error message"
        typer.echo(f"Error: job {job['id']} {job['status']}: {reason}", err=True)
        raise typer.Exit(1)
