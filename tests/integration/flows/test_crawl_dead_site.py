"""The crawl flow against sites that are down or unreadable: bounded tries, clear ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seology.core.settings import get_settings
from seology.store.engine import session_scope
from seology.store.models import Crawl, Issue
from seology.testing.sites import Response, SiteServer, html, page_html
from tasks.crawl import retry_dead_site
from tests.integration.flows.conftest import run, run_count


@pytest.fixture
def fast_failing(app_db, monkeypatch):
    """Short request deadlines and retry waits, so a dead site fails in seconds."""
    for name, value in {
        "SEOLOGY_ALLOW_PRIVATE_TARGETS": "true",
        "SEOLOGY_CRAWL_CONNECT_TIMEOUT": "0.5",
        "SEOLOGY_CRAWL_READ_TIMEOUT": "0.5",
        "SEOLOGY_CRAWL_UNREACHABLE_RETRY_DELAY": "1",
        "SEOLOGY_CRAWL_UNREACHABLE_BUDGET": "6",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return app_db


def crawl_row(engine, flow_run_id) -> Crawl:
    with session_scope(engine) as session:
        return session.scalar(select(Crawl).where(Crawl.flow_run_id == str(flow_run_id)))


def test_a_dead_site_is_asked_once_per_url_per_attempt_then_fails(fast_failing, seed):
    """A server that accepts and never answers: each attempt asks robots.txt and the
    start page once (no task retries, no sitemaps), the flow retries only within the
    dead-site budget, and the job and its crawl row end failed."""
    from flows.crawl import crawl_site

    with SiteServer({}, fallback=lambda path: Response(delay=30)) as dead:
        user = seed.user("dead-site-owner")
        site = seed.site(user, dead.url("/"))
        state = run(crawl_site(site, user, 5, return_state=True))
        requests = list(dead.requests)
    assert state.is_failed()
    assert "could not be fetched" in state.message
    attempts = run_count(state.state_details.flow_run_id)
    assert 1 <= attempts <= 3
    assert sorted(requests) == sorted(["/", "/robots.txt"] * attempts)
    crawl = crawl_row(fast_failing, state.state_details.flow_run_id)
    assert crawl.status == "failed"
    assert "timeout" in crawl.error


@pytest.mark.parametrize(
    ("elapsed", "attempt", "retry"),
    [
        (1.0, 1, True),  # next try starts in 60 s and ends by 1 + 60 + 60 s: inside 180
        (61.0, 2, False),  # it would end at 181 s: past the budget
        (1.0, 3, False),  # no attempts left
    ],
)
def test_dead_site_retries_fit_the_budget(app_settings, elapsed, attempt, retry):
    """Defaults: 10 s connect + 20 s read per request, 60 s between tries, 180 s in all."""
    decision = retry_dead_site(
        elapsed=elapsed, attempt=attempt, max_attempts=3, settings=get_settings()
    )
    assert decision is retry


def test_trickling_robots_completes_and_says_why_nothing_was_crawled(fast_failing, seed):
    """robots.txt that answers but never finishes: a COMPLETED job of 0 pages whose
    result says that robots.txt could not be read, reported as robots.server_error."""
    from flows.crawl import crawl_site

    routes = {
        "/robots.txt": Response(body=b"User-agent: *\n", behaviour="drip"),
        "/": html(page_html(title="Home", body="<p>hello</p>")),
    }
    with SiteServer(routes) as site:
        user = seed.user("trickle-owner")
        site_id = seed.site(user, site.url("/"))
        state = run(crawl_site(site_id, user, 5, return_state=True))
    assert state.is_completed()
    crawl = crawl_row(fast_failing, state.state_details.flow_run_id)
    assert crawl.summary["pagesCrawled"] == 0
    assert crawl.summary["stoppedBy"] == "robots"
    assert "robots.txt could not be read" in crawl.summary["note"]
    with session_scope(fast_failing) as session:
        checks = set(session.scalars(select(Issue.check_id).where(Issue.crawl_id == crawl.id)))
    assert "robots.server_error" in checks
