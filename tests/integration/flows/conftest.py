"""Flows run for real: one Prefect test harness per session, a fresh app database per test.

The harness is a real Prefect API server on a temporary SQLite database; a flow called
as a function under it creates a real flow run, task runs, states and artifacts. Each
test gets its own app database (a SQLite file under tmp_path, migrated) and the settings
and engine caches cleared, so flows read it through `flow_engine()` as in production.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine

from seology.core.settings import get_settings
from seology.store import engine as db_engine
from seology.store.engine import make_engine, session_scope
from seology.store.migrate import upgrade
from seology.store.models import Crawl, Issue, Page, Site, User

T = TypeVar("T")
#: Prefect's default is 30 s; a loaded CI machine (or a shared laptop) needs longer.
HARNESS_STARTUP_TIMEOUT = 180

#: A time inside January 2025, the "older" month of the seeded data.
JANUARY = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
FEBRUARY = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run async Prefect client code (and async flows) from a sync test."""
    return asyncio.run(coroutine)


def run_count(flow_run_id: Any) -> int:
    """How many times Prefect ran the flow run: 1 means it was not retried."""

    async def read() -> int:
        from prefect.client.orchestration import get_client

        async with get_client() as client:
            return (await client.read_flow_run(flow_run_id)).run_count

    return run(read())


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> Iterator[None]:
    """One real Prefect API for the session (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    previous = os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"  # no telemetry calls offline
    try:
        with prefect_test_harness(server_startup_timeout=HARNESS_STARTUP_TIMEOUT):
            yield
    finally:
        if previous is None:
            os.environ.pop("PREFECT_SERVER_ANALYTICS_ENABLED", None)
        else:
            os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = previous


def _clear_caches() -> None:
    get_settings.cache_clear()
    db_engine.flow_engine.cache_clear()
    db_engine.engine_for_url.cache_clear()


@pytest.fixture
def app_db(tmp_path, monkeypatch) -> Iterator[Engine]:
    """A migrated app database of this test only, the one flows will use."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("SEOLOGY_HOME", str(tmp_path))
    monkeypatch.setenv("SEOLOGY_DATABASE_URL", url)
    monkeypatch.setenv("CRON_SECRET", "ab" * 32)
    monkeypatch.delenv("SEOLOGY_TIMEZONE", raising=False)
    _clear_caches()
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    _clear_caches()


class Seed:
    """Factories for the rows a flow reads: users, sites, crawls with pages and issues."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._runs = 0

    def user(self, name: str) -> int:
        with session_scope(self.engine) as session:
            user = User(name=name)
            session.add(user)
            session.flush()
            return user.id

    def site(self, user_id: int, url: str, *, monitoring: bool = True) -> int:
        with session_scope(self.engine) as session:
            site = Site(
                user_id=user_id,
                url=url,
                name=url.split("//")[1].strip("/"),
                monitoring_enabled=monitoring,
                created_at=datetime(2024, 12, 1, tzinfo=UTC),
            )
            session.add(site)
            session.flush()
            return site.id

    def crawl(
        self,
        site_id: int,
        finished_at: datetime,
        *,
        status: str = "completed",
        pages: list[dict[str, Any]] | None = None,
        issues: list[tuple[str, str]] = (),
        health_score: float | None = None,
        duration: timedelta = timedelta(seconds=30),
    ) -> int:
        """A crawl that finished at `finished_at`, with `pages` (Page columns) and issues."""
        self._runs += 1
        with session_scope(self.engine) as session:
            site = session.get(Site, site_id)
            crawl = Crawl(
                flow_run_id=f"00000000-0000-0000-0000-{self._runs:012d}",
                site_id=site_id, user_id=site.user_id, start_url=site.url, status=status,
                max_pages=100, pages_crawled=len(pages or []), health_score=health_score,
                started_at=finished_at - duration, finished_at=finished_at,
            )  # fmt: skip
            session.add(crawl)
            session.flush()
            session.add_all(Page(crawl_id=crawl.id, **page) for page in pages or [])
            session.add_all(
                Issue(crawl_id=crawl.id, check_id=check, severity=severity, url=site.url)
                for check, severity in issues
            )
            return crawl.id


def html_page(url: str, **fields: Any) -> dict[str, Any]:
    """A healthy HTML page row; `fields` override columns, `record` merges into the record."""
    record = {"is_html": True, "headings": {"h1": ["Oak tables"]}, "images": []}
    record.update(fields.pop("record", {}))
    return {
        "url": url,
        "status_code": 200,
        "content_type": "text/html",
        "title": f"Oak tables for small kitchens — {url[-12:]}",
        "meta_description": f"Oak tables built to order, sized for small kitchens ({url}).",
        "h1": "Oak tables",
        "word_count": 450,
        "record": record,
        **fields,
    }


@pytest.fixture
def seed(app_db) -> Seed:
    return Seed(app_db)


async def artifact_markdown(key: str, flow_run_id) -> str | None:
    """The artifact `key` of this flow run (other tests' sites reuse the same ids)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    artifact_filter = ArtifactFilter(
        key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])
    )
    async with get_client() as client:
        artifacts = await client.read_artifacts(artifact_filter=artifact_filter, limit=1)
    return artifacts[0].data if artifacts else None
