"""`audit_crawl` for real: stored pages in, issues, score and artifacts out.

The planted site is crawled into a real app database (SQLite) through storage, then the
Prefect task runs against a real Prefect API (the test harness), as in the flow.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from seology.core.settings import get_settings
from seology.crawler.config import CrawlConfig
from seology.crawler.engine import crawl
from seology.crawler.records import CrawlOutcome
from seology.store import crawls as storage
from seology.store import engine as db_engine_module
from seology.store.engine import make_engine, session_scope
from seology.store.migrate import upgrade
from seology.store.models import Crawl, Issue, Site, User
from seology.testing.audit_site import planted_site
from tests.integration.audit.conftest import serve_planted


def _clear_caches() -> None:
    get_settings.cache_clear()
    db_engine_module.flow_engine.cache_clear()
    db_engine_module.engine_for_url.cache_clear()


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    """A real Prefect API for this module (artifacts and task runs need one)."""
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        with prefect_test_harness(server_startup_timeout=180):  # a loaded machine
            yield


@pytest.fixture(scope="module")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    home = tmp_path_factory.mktemp("audit-home")
    url = f"sqlite:///{home / 'app.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEOLOGY_HOME", str(home))
        patch.setenv("SEOLOGY_DATABASE_URL", url)
        patch.setenv("CRON_SECRET", "ab" * 32)
        _clear_caches()
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()
        _clear_caches()


@pytest.fixture(scope="module")
def stored_crawl(app_db: Engine) -> tuple[int, CrawlOutcome, str, set]:
    """The planted site crawled and stored as the crawl flow stores it."""
    site = planted_site()
    with session_scope(app_db) as session:
        user = User(name="auditor")
        session.add(user)
        session.flush()
        row = Site(user_id=user.id, url="http://127.0.0.1/", name="planted")
        session.add(row)
        session.flush()
        info = storage.SiteInfo(id=row.id, user_id=user.id, url=row.url, name=row.name)
    crawl_id = storage.begin_crawl(
        app_db, flow_run_id=str(uuid.uuid4()), site=info, max_pages=1000, attempt=1
    )

    async def keep(batch):
        storage.store_pages(app_db, crawl_id=crawl_id, records=batch)

    async def keep_resources(batch):
        storage.store_resources(app_db, crawl_id=crawl_id, records=batch)

    with serve_planted(site) as server:
        config = CrawlConfig(start_url=server.url("/"), max_pages=1000, allow_private_targets=True,
                             parser_processes=0, connect_timeout=1.0, read_timeout=2.0)  # fmt: skip
        outcome = asyncio.run(crawl(config, on_batch=keep, on_resources=keep_resources))
    storage.finish_crawl(app_db, crawl_id=crawl_id, outcome=outcome)
    return crawl_id, outcome, server.base_url, site.expected_urls(server.base_url)


def run_audit_task(crawl_id: int, outcome: CrawlOutcome) -> dict:
    """`audit_crawl` inside a flow run, as the crawl flow calls it."""
    from prefect import flow

    from tasks.audit import audit_crawl

    @flow(name="audit-under-test", persist_result=False)
    def audit_flow() -> dict:
        return audit_crawl(crawl_id, outcome)

    return audit_flow()


def stored_issues(engine: Engine, crawl_id: int) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(select(Issue.check_id, Issue.url).where(Issue.crawl_id == crawl_id))
        return [tuple(row) for row in rows]


def test_audit_crawl_stores_the_planted_issues(prefect_api, app_db, stored_crawl) -> None:
    """Every planted issue is found from the stored crawl, stored once, and no other."""
    crawl_id, outcome, _, expected = stored_crawl
    result = run_audit_task(crawl_id, outcome)
    issues = stored_issues(app_db, crawl_id)
    assert set(issues) == expected
    assert len(issues) == len(set(issues)) == result["issuesTotal"]


def test_a_retried_audit_does_not_duplicate_issues(prefect_api, app_db, stored_crawl) -> None:
    """Running the task again replaces the crawl's issues instead of adding to them."""
    crawl_id, outcome, _, _ = stored_crawl
    first = run_audit_task(crawl_id, outcome)
    second = run_audit_task(crawl_id, outcome)
    with session_scope(app_db) as session:
        count = session.scalar(select(func.count()).where(Issue.crawl_id == crawl_id))
    assert count == first["issuesTotal"] == second["issuesTotal"]


def test_score_and_counts_are_merged_into_the_crawl(prefect_api, app_db, stored_crawl) -> None:
    """health_score is set; the summary keeps the crawl's keys and gains the audit's."""
    crawl_id, outcome, _, _ = stored_crawl
    result = run_audit_task(crawl_id, outcome)
    with session_scope(app_db) as session:
        crawl = session.get(Crawl, crawl_id)
        assert crawl.health_score == result["healthScore"] is not None
        assert crawl.summary["pagesCrawled"] == outcome.pages_crawled
        assert crawl.summary["issuesBySeverity"] == result["issuesBySeverity"]
        assert crawl.summary["issuesByCheck"]["title.duplicate"] == 2
        assert crawl.summary["resources"]["failed"] >= 1


def test_the_two_artifacts_are_published_under_stable_keys(
    prefect_api, app_db, stored_crawl
) -> None:
    """`audit-summary-site-<id>` (markdown) and `audit-issues-site-<id>` (table)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    crawl_id, outcome, _, _ = stored_crawl
    run_audit_task(crawl_id, outcome)
    with session_scope(app_db) as session:
        site_id = session.get(Crawl, crawl_id).site_id
    keys = [f"audit-summary-site-{site_id}", f"audit-issues-site-{site_id}"]

    async def read() -> dict[str, str]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
            )
            return {artifact.key: artifact.type for artifact in found}

    assert asyncio.run(read()) == {keys[0]: "markdown", keys[1]: "table"}
