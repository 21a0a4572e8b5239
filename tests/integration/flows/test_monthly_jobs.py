"""The monthly report's job numbers against a real Prefect API: real flow runs of two sites
across two months, moved through their states by hand, counted by the monthly flow.

The server stamps start and end times itself, so a run's duration cannot be chosen: the
expected durations are computed here from the runs as Prefect recorded them, by hand
(mean, and the p95 interpolated linearly), and compared to the report's. Membership in a
period is by expected start time, which a run created as `Scheduled(scheduled_time=…)`
takes. The months (mid-2025, and 2022 for paging) and the site id of the paging test are
used by no other test, and every run made here is deleted afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prefect import flow
from sqlalchemy import select

from flows.monthly import monthly_report
from seology.core.job_model import job_tags
from seology.jobs.queue import site_job_history
from seology.store.engine import session_scope
from seology.store.models import Report
from tests.integration.flows.conftest import run

#: Months no other test uses, after the seeded sites were created (December 2024).
JUNE = datetime(2025, 6, 1, tzinfo=UTC)
JULY = datetime(2025, 7, 1, tzinfo=UTC)
AUGUST = datetime(2025, 8, 1, tzinfo=UTC)


@flow(name="monthly-jobs-probe")
def probe() -> None:
    """Never runs: its flow runs are created and moved through states by hand."""


@dataclass(frozen=True)
class Made:
    """A run to create: its site, job type, expected start, the state it ends in."""

    site: int
    kind: str
    expected: datetime
    final: str  # COMPLETED, FAILED, CANCELLED, or SCHEDULED (left queued)
    is_job: bool = True  # False: tagged with the site but not `seology`, so not a job


async def _create_all(rows: list[Made], user_id: int) -> list[Any]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return [await _create(client, row, user_id) for row in rows]


async def _create(client: Any, made: Made, user_id: int) -> Any:
    """The run, created Scheduled at `made.expected`, then moved to `made.final`."""
    from prefect.states import Cancelled, Completed, Failed, Running, Scheduled

    tags = job_tags(job_type=made.kind, user_id=user_id, site_id=made.site, priority=5)
    if not made.is_job:
        tags = [tag for tag in tags if tag != "seology"]
    final = {"COMPLETED": Completed, "FAILED": Failed, "CANCELLED": Cancelled}.get(made.final)
    flow_run = await client.create_flow_run(
        probe, tags=tags, state=Scheduled(scheduled_time=made.expected)
    )
    if made.final in ("COMPLETED", "FAILED"):
        await client.set_flow_run_state(flow_run.id, Running(), force=True)
    if final is not None:
        await client.set_flow_run_state(flow_run.id, final(), force=True)
    return await client.read_flow_run(flow_run.id)


async def _delete(run_ids: list[Any]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from seology.jobs._prefect import bulk_delete

    async with get_client() as client:
        await bulk_delete(client, FlowRunFilter(id=FlowRunFilterId(any_=run_ids)))


@pytest.fixture
def make_runs() -> Iterator[Any]:
    """Create runs (`Made` rows) of a user; every one is deleted after the test."""
    created: list[Any] = []

    def factory(rows: list[Made], user_id: int = 1) -> list[Any]:
        runs = run(_create_all(rows, user_id))
        created.extend(runs)
        return runs

    yield factory
    run(_delete([flow_run.id for flow_run in created]))


def p95(values: list[float]) -> float | None:
    """The 95th percentile, interpolated linearly between the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * 0.95
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def durations(runs: list[Any], made: list[Made], site: int, kind: str, month: datetime) -> list:
    """Seconds of the completed runs of `site` and `kind` in `month`, as Prefect recorded."""
    end = (month + timedelta(days=32)).replace(day=1)
    return [
        round((flow_run.end_time - flow_run.start_time).total_seconds(), 3)
        for flow_run, row in zip(runs, made, strict=True)
        if (row.site, row.kind, row.final, row.is_job) == (site, kind, "COMPLETED", True)
        and month <= row.expected < end
    ]


def expect(counts: dict[str, int], seconds: list[float]) -> dict[str, Any]:
    """A job type's numbers from its counts and its completed runs' durations."""
    numbers = {"pending": 0, "processing": 0, "completed": 0, "failed": 0, "cancelled": 0}
    numbers.update(counts)
    finished = numbers["completed"] + numbers["failed"] + numbers["cancelled"]
    return {
        "total": sum(numbers.values()),
        **numbers,
        "successRate": round(numbers["completed"] / finished, 4) if finished else None,
        "durationMeanSeconds": round(sum(seconds) / len(seconds), 3) if seconds else None,
        "durationP95Seconds": round(p95(seconds), 3) if seconds else None,
    }


def assert_jobs(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Counts and rates exactly; durations to the millisecond the jobs are rounded to."""
    assert list(actual) == list(expected)
    for kind, numbers in expected.items():
        for key, value in numbers.items():
            if key.startswith("duration") and value is not None:
                assert actual[kind][key] == pytest.approx(value, abs=1e-3), (kind, key)
            else:
                assert actual[kind][key] == value, (kind, key)


def _jobs_by_site(app_db) -> dict[int, dict[str, Any]]:
    with session_scope(app_db) as session:
        return {r.site_id: r.data["jobs"] for r in session.scalars(select(Report))}


def test_job_numbers_per_site_and_month(app_db, seed, make_runs):
    """Each site's report counts its own jobs expected to start in the month, by type and
    end state, with success rate and durations; runs on either side of a month's bounds,
    other sites' runs and runs that are not jobs are left out."""
    user = seed.user("jobs")
    a, b = seed.site(user, "https://a.test"), seed.site(user, "https://b.test")
    day = timedelta(days=1)
    made = [
        Made(a, "crawl", JUNE, "COMPLETED"),  # the first instant of June is June's
        Made(a, "crawl", JUNE + 9 * day, "COMPLETED"),
        Made(a, "crawl", JUNE + 19 * day, "COMPLETED"),
        Made(a, "crawl", JUNE + 20 * day, "FAILED"),
        Made(a, "crawl", JUNE + 21 * day, "CANCELLED"),  # cancelled while queued
        Made(a, "analysis", JUNE + 9 * day, "COMPLETED"),
        Made(a, "analysis", JUNE + 10 * day, "FAILED"),
        Made(a, "crawl", JUNE - timedelta(seconds=1), "COMPLETED"),  # May's
        Made(a, "crawl", JUNE + 5 * day, "COMPLETED", is_job=False),  # not a job
        Made(a, "crawl", JULY, "COMPLETED"),  # the end of June is July's start
        Made(a, "analysis", JULY + 3 * day, "SCHEDULED"),  # queued, never run
        Made(b, "crawl", JUNE + 2 * day, "COMPLETED"),
        Made(b, "analysis", JUNE + 2 * day, "CANCELLED"),
        Made(b, "crawl", AUGUST, "COMPLETED"),  # August's
    ]
    runs = make_runs(made, user)

    def seconds(site: int, kind: str, month: datetime) -> list[float]:
        return durations(runs, made, site, kind, month)

    monthly_report("2025-06")
    june = _jobs_by_site(app_db)
    assert_jobs(june[a], {
        "crawl": expect({"completed": 3, "failed": 1, "cancelled": 1}, seconds(a, "crawl", JUNE)),
        "analysis": expect({"completed": 1, "failed": 1}, seconds(a, "analysis", JUNE)),
    })  # fmt: skip
    assert june[a]["crawl"]["successRate"] == 0.6
    assert_jobs(june[b], {
        "crawl": expect({"completed": 1}, seconds(b, "crawl", JUNE)),
        "analysis": expect({"cancelled": 1}, []),
    })  # fmt: skip
    assert june[b]["analysis"]["successRate"] == 0.0

    monthly_report("2025-07")
    july = _jobs_by_site(app_db)
    assert_jobs(july[a], {
        "crawl": expect({"completed": 1}, seconds(a, "crawl", JULY)),
        "analysis": expect({"pending": 1}, []),
    })  # fmt: skip
    assert july[a]["analysis"]["successRate"] is None
    assert_jobs(july[b], {"crawl": expect({}, []), "analysis": expect({}, [])})


def test_report_shows_the_jobs_table(app_db, seed, make_runs):
    """The markdown artifact of the month has a Jobs table with a row per job type."""
    user = seed.user("jobs")
    a = seed.site(user, "https://a.test")
    make_runs([Made(a, "crawl", AUGUST + timedelta(days=10), "FAILED")], user)

    monthly_report("2025-08")

    markdown = run(_latest_markdown(f"monthly-report-site-{a}"))
    assert "## Jobs\n\n| type | jobs | completed | failed |" in markdown
    assert "| crawl | 1 | 0 | 1 | 0 | 0 | 0.0 % | — | — |" in markdown
    assert "| analysis | 0 | 0 | 0 | 0 | 0 | — | — | — |" in markdown


async def _latest_markdown(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    async with get_client() as client:
        (artifact,) = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    return str(artifact.data)


def test_history_pages_past_the_api_limit(make_runs):
    """More runs than one read returns (200) are all read, once each, oldest first."""
    site, start = 990_001, datetime(2022, 6, 1, tzinfo=UTC)
    end = datetime(2022, 7, 1, tzinfo=UTC)
    made = [Made(site, "crawl", start + timedelta(minutes=i), "SCHEDULED") for i in range(203)]
    made.append(Made(site, "crawl", end, "SCHEDULED"))  # July's
    runs = make_runs(made)

    history = run(site_job_history(site, start, end))

    assert [record["id"] for record in history] == [str(r.id) for r in runs[:203]]
    first = history[0]
    assert (first["type"], first["status"], first["site_id"]) == ("crawl", "PENDING", site)
    assert first["expected_start_time"] == "2022-06-01T00:00:00.000Z"
