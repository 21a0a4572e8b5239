"""daily-maintenance against a real Prefect API: real deployments, runs and deletions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from prefect import flow
from sqlalchemy import select

from flows.daily import MONITORING_PRIORITY, daily_maintenance
from seology.jobs.pool import POOL_NAME, apply_work_pool
from seology.jobs.specs import CRAWL
from seology.store.engine import session_scope
from seology.store.models import Analysis, Crawl, Issue, Page
from tasks.maintenance import KEEP_CRAWLS_PER_SITE
from tests.integration.flows.conftest import FEBRUARY, html_page, run


@flow(name="retention-probe")
def retention_probe() -> None:
    """Never runs: its flow runs are created and moved through states by hand."""


async def _create_crawl_deployment() -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        await apply_work_pool(client, concurrency_limit=2)
        flow_id = await client.create_flow_from_name(CRAWL.flow_name)
        await client.create_deployment(
            flow_id=flow_id,
            name=CRAWL.name,
            entrypoint=CRAWL.entrypoint,
            work_pool_name=POOL_NAME,
            work_queue_name=CRAWL.work_queue,
            tags=["seology", "type:crawl"],
        )


async def _delete_crawl_runs_and_deployment() -> None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        for run_ in await _crawl_runs():
            await client.delete_flow_run(run_.id)
        try:
            deployment = await client.read_deployment_by_name(CRAWL.full_name)
        except ObjectNotFound:
            return
        await client.delete_deployment(deployment.id)


async def _crawl_runs() -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["type:crawl"]))
        )


@pytest.fixture
def crawl_deployment() -> Iterator[None]:
    """The crawl deployment in the pool `seology`; no worker runs what it queues."""
    run(_create_crawl_deployment())
    yield
    run(_delete_crawl_runs_and_deployment())


@pytest.fixture
def no_crawl_deployment() -> None:
    """No crawl deployment: every enqueue fails (a misconfigured server)."""
    run(_delete_crawl_runs_and_deployment())


def test_enqueues_monitored_sites_once(seed, crawl_deployment):
    """Monitored sites get a low-priority crawl queued; a second night adds no duplicates."""
    user = seed.user("mon")
    a = seed.site(user, "https://a.test")
    b = seed.site(user, "https://b.test")
    seed.site(user, "https://off.test", monitoring=False)

    first = run(daily_maintenance())
    second = run(daily_maintenance())

    assert (first["crawlsEnqueued"], first["crawlsAlreadyQueued"], first["enqueueFailures"]) == (
        2, 0, 0
    )  # fmt: skip
    assert (second["crawlsEnqueued"], second["crawlsAlreadyQueued"]) == (0, 2)
    runs = run(_crawl_runs())
    assert sorted(r.parameters["site_id"] for r in runs) == [a, b]
    for run_ in runs:
        assert run_.state_type.value == "SCHEDULED"
        assert run_.parameters["max_pages"] == 100
        assert {f"site:{run_.parameters['site_id']}", f"priority:{MONITORING_PRIORITY}"} <= set(
            run_.tags
        )
        assert "type:crawl" in run_.tags
        assert run_.work_queue_name == "low"


def test_monitoring_crawls_keep_each_sites_render_choice(seed, crawl_deployment, app_db):
    """A site's monitoring crawl renders as its newest crawl asked (`auto` if never crawled)."""
    user = seed.user("render")
    chose = seed.site(user, "https://spa.test")
    never_crawled = seed.site(user, "https://new.test")
    older = seed.crawl(chose, FEBRUARY)
    newest = seed.crawl(chose, FEBRUARY + timedelta(days=1))
    with session_scope(app_db) as session:
        session.get(Crawl, older).summary = {"rendering": {"mode": "never"}}
        session.get(Crawl, newest).summary = {"rendering": {"mode": "always"}}

    run(daily_maintenance())

    renders = {r.parameters["site_id"]: r.parameters["render"] for r in run(_crawl_runs())}
    assert renders == {chose: "always", never_crawled: "auto"}


def test_enqueue_failures_are_counted_not_raised(seed, no_crawl_deployment):
    """When enqueueing fails, each site is counted as a failure and housekeeping still runs."""
    user = seed.user("fail")
    seed.site(user, "https://a.test")
    seed.site(user, "https://b.test")

    counts = run(daily_maintenance())

    assert (counts["crawlsEnqueued"], counts["enqueueFailures"]) == (0, 2)
    assert counts["crawlsDeleted"] == 0
    assert "runsDeleted" in counts


async def _make_run(tags: list[str], state) -> object:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        flow_run = await client.create_flow_run(retention_probe, tags=tags)
        await client.set_flow_run_state(flow_run.id, state, force=True)
        return flow_run.id


def _backdate(run_ids: list, when: datetime) -> None:
    """Make runs look as if they ended at `when`, in the harness's own database.

    The Prefect API stamps every state with the server's clock (a state's `timestamp`
    is not taken from the client), so time passing is simulated where it is stored.
    """
    import prefect.settings

    url = prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL.value()
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with closing(sqlite3.connect(url.split(":///", 1)[1], timeout=30)) as db, db:
        db.executemany(
            "UPDATE flow_run SET end_time = ? WHERE id = ? AND end_time IS NOT NULL",
            [(stamp, str(run_id)) for run_id in run_ids],
        )


async def _existing(run_ids: list) -> set:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids))
        )
    return {r.id for r in runs}


def test_old_terminal_runs_are_deleted(app_db):
    """Our runs that ended before the retention period go; recent, running or foreign stay."""
    from prefect.states import Cancelled, Completed, Crashed, Failed, Running

    ours = ["seology", "type:probe"]
    doomed = [
        run(_make_run(ours, Completed())),
        run(_make_run(ours, Failed())),
        run(_make_run(ours, Crashed())),
        run(_make_run(ours, Cancelled())),
    ]
    recent = run(_make_run(ours, Completed()))
    running = run(_make_run(ours, Running()))
    foreign = run(_make_run(["someone-else"], Completed()))
    # JOB_RETENTION_DAYS defaults to 30.
    _backdate([*doomed, running, foreign], datetime.now(UTC) - timedelta(days=31))
    kept = [recent, running, foreign]

    counts = run(daily_maintenance())

    assert counts["runsDeleted"] == len(doomed)
    assert run(_existing(doomed + kept)) == set(kept)


def test_old_crawls_are_pruned(app_db, seed):
    """Each site keeps its newest crawls; older ones go with their pages and issues."""
    user = seed.user("prune")
    busy = seed.site(user, "https://busy.test", monitoring=False)
    quiet = seed.site(user, "https://quiet.test", monitoring=False)
    crawl_ids = [
        seed.crawl(
            busy, FEBRUARY + timedelta(days=i), pages=[html_page(f"https://busy.test/{i}")],
            issues=[("title.missing", "error")],
        )
        for i in range(KEEP_CRAWLS_PER_SITE + 2)
    ]  # fmt: skip
    quiet_ids = [seed.crawl(quiet, FEBRUARY + timedelta(days=i)) for i in range(3)]
    with session_scope(app_db) as session:
        session.add(
            Analysis(flow_run_id="analysis-of-oldest", site_id=busy, user_id=user,
                     crawl_id=crawl_ids[0], engine="rules", result={})
        )  # fmt: skip

    counts = run(daily_maintenance())

    assert counts["crawlsDeleted"] == 2
    with session_scope(app_db) as session:
        remaining = set(session.scalars(select(Crawl.id)))
        pages = set(session.scalars(select(Page.crawl_id)))
        issues = set(session.scalars(select(Issue.crawl_id)))
        analysis = session.scalar(select(Analysis))
    assert remaining == set(crawl_ids[2:]) | set(quiet_ids)
    assert pages == issues == set(crawl_ids[2:])
    assert analysis.crawl_id is None


def test_enqueue_survives_a_redeployed_crawl_deployment(seed, crawl_deployment):
    """The deployment id is read once per process; after `prefect deploy` re-created the
    deployment, the stale id is noticed (404) and read again, and the job is queued."""
    from seology.jobs import queue

    user = seed.user("redeployer")
    site_id = seed.site(user, "http://127.0.0.1:9/")
    first = run(queue.enqueue_crawl(site_id, user, idempotency_key="a"))
    run(_delete_crawl_runs_and_deployment())
    run(_create_crawl_deployment())  # a new id for the same name

    second = run(queue.enqueue_crawl(site_id, user, idempotency_key="b"))

    assert not second.deduplicated
    assert second.job_id != first.job_id
    assert [str(r.id) for r in run(_crawl_runs())] == [second.job_id]


def test_enqueue_without_the_deployment_says_how_to_fix_it(seed, no_crawl_deployment):
    from seology.core.errors import PrefectUnavailable
    from seology.jobs import queue

    user = seed.user("undeployed")
    site_id = seed.site(user, "http://127.0.0.1:9/")
    queue._deployment_ids.clear()  # as in a process that never enqueued

    with pytest.raises(PrefectUnavailable, match="seology deploy"):
        run(queue.enqueue_crawl(site_id, user))


def test_one_key_sent_at_once_makes_one_job(seed, crawl_deployment):
    """Six POSTs with the same Idempotency-Key at the same moment (a client's retries
    racing): one job, one of them told it is new, the others that it already existed."""
    import asyncio

    from seology.jobs import queue

    user = seed.user("racer")
    site_id = seed.site(user, "http://127.0.0.1:9/")

    async def six_at_once() -> list:
        return await asyncio.gather(
            *(queue.enqueue_crawl(site_id, user, idempotency_key="same") for _ in range(6))
        )

    answers = run(six_at_once())

    assert len({a.job_id for a in answers}) == 1
    assert sorted(a.deduplicated for a in answers) == [False] + [True] * 5
    assert [str(r.id) for r in run(_crawl_runs())] == [answers[0].job_id]


def test_a_key_names_the_site_crawl_and_a_keyless_crawl_joins_the_active_one(
    seed, crawl_deployment
):
    """Without a key a second crawl of a busy site returns the queued one; a key names
    the job it got the first time, and a site has one active crawl whatever the keys."""
    from seology.jobs import queue

    user = seed.user("keyholder")
    site_id = seed.site(user, "http://127.0.0.1:9/")

    first = run(queue.enqueue_crawl(site_id, user, max_pages=4, priority=9))
    joined = run(queue.enqueue_crawl(site_id, user))
    keyed = run(queue.enqueue_crawl(site_id, user, idempotency_key="k"))
    keyed_again = run(queue.enqueue_crawl(site_id, user, idempotency_key="k"))

    assert not first.deduplicated
    assert (joined.job_id, joined.deduplicated) == (first.job_id, True)
    assert (keyed.job_id, keyed.deduplicated) == (first.job_id, True)
    assert (keyed_again.job_id, keyed_again.deduplicated) == (first.job_id, True)
    runs = {str(r.id): r for r in run(_crawl_runs())}
    assert set(runs) == {first.job_id}
    queued = runs[first.job_id]
    assert queued.parameters == {
        "site_id": site_id,
        "user_id": user,
        "max_pages": 4,
        "render": "auto",
    }
    assert queued.work_queue_name == "critical"
    assert {f"user:{user}", f"site:{site_id}", "type:crawl", "priority:9"} <= set(queued.tags)
    assert queued.state.type.value == "SCHEDULED"
