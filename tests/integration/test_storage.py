"""Crawl outputs in the app database: keyed by flow run, rewritten (never duplicated) on retry."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from seology.crawler.records import CrawlOutcome, LinkRecord, PageRecord
from seology.store import crawls as storage
from seology.store.engine import make_engine, session_scope
from seology.store.migrate import upgrade
from seology.store.models import Crawl, Link, Page, Site, User


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def site(engine) -> storage.SiteInfo:
    with session_scope(engine) as session:
        user = User(name=f"u{uuid.uuid4().hex[:8]}")
        session.add(user)
        session.flush()
        row = Site(user_id=user.id, url="http://127.0.0.1:1/", name="t")
        session.add(row)
        session.flush()
        return storage.SiteInfo(id=row.id, user_id=user.id, url=row.url, name=row.name)


def _records(count: int) -> list[PageRecord]:
    return [
        PageRecord(
            url=f"http://127.0.0.1:1/p{i}",
            status_code=200 if i else 404,
            is_html=True,
            titles=[f"Page {i}"],
            links=[LinkRecord(href="/", target="http://127.0.0.1:1/", internal=True)],
        )
        for i in range(count)
    ]


def _count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_retry_rewrites_the_same_crawl(engine, site):
    """A second attempt of one flow run reuses its crawl and clears the first attempt's pages."""
    run_id = str(uuid.uuid4())
    first = storage.begin_crawl(engine, flow_run_id=run_id, site=site, max_pages=5, attempt=1)
    storage.store_pages(engine, crawl_id=first, records=_records(3))
    second = storage.begin_crawl(engine, flow_run_id=run_id, site=site, max_pages=5, attempt=2)
    storage.store_pages(engine, crawl_id=second, records=_records(3))

    assert second == first
    assert _count(engine, Crawl) == 1
    assert _count(engine, Page) == 3
    assert _count(engine, Link) == 3
    with session_scope(engine) as session:
        assert session.get(Crawl, first).attempt == 2


def test_finish_summarises_status_codes(engine, site):
    """The summary a user reads counts pages by HTTP status and marks the crawl completed."""
    crawl_id = storage.begin_crawl(
        engine, flow_run_id=str(uuid.uuid4()), site=site, max_pages=5, attempt=1
    )
    storage.store_pages(engine, crawl_id=crawl_id, records=_records(4))
    outcome = CrawlOutcome(start_url=site.url, pages_crawled=4, html_pages=4)
    summary = storage.finish_crawl(engine, crawl_id=crawl_id, outcome=outcome)

    assert summary["statusCodes"] == {"200": 3, "404": 1}
    assert summary["pagesCrawled"] == 4
    with session_scope(engine) as session:
        crawl = session.get(Crawl, crawl_id)
        assert crawl.status == "completed"
        assert crawl.summary == summary
        assert crawl.finished_at is not None


def test_foreign_site_is_not_found(engine, site):
    """A flow asked to crawl another user's site finds nothing, as an unknown site."""
    from seology.core.errors import SiteNotFound

    with pytest.raises(SiteNotFound):
        storage.load_site(engine, site_id=site.id, user_id=site.user_id + 1000)
