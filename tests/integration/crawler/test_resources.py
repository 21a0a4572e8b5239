"""Resource checks over real servers: the site on 127.0.0.1, another host on 127.0.0.2.

What pages point to (external links, images, canonical and hreflang targets) is asked
once per crawl, HEAD first, GET when HEAD is refused, redirects followed; it is never
crawled further; a slow third-party host does not hold the crawl past its budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from seology.crawler.config import CrawlConfig
from seology.crawler.engine import crawl
from seology.crawler.fetch import FetchSettings
from seology.crawler.politeness import HostGate
from seology.crawler.records import CrawlOutcome, PageRecord, ResourceRecord
from seology.crawler.resources import BUDGET_ERROR, ResourceSettings, open_checker
from seology.crawler.safety import AddressBook
from seology.testing.sites import Response, SiteServer, html, redirect

OTHER_HOST = "127.0.0.2"
SLOW_SECONDS = 30.0
EXTERNAL = "{{external_url}}"


def external_routes() -> dict[str, Response]:
    return {
        "/ok": html("<p>fine</p>"),
        "/gone": Response(status=404, body=b"gone"),
        "/no-head": Response(body=b"<p>GET only</p>", head_status=405),
        "/moved": redirect("/gone"),
        "/img.png": Response(body=b"PNG", content_type="image/png"),
    }


def site_routes() -> dict[str, Response]:
    page = (
        '<html><head><link rel="canonical" href="/only-canonical">'
        '<link rel="alternate" hreflang="de" href="{{base_url}}/only-hreflang">'
        '<link rel="alternate" hreflang="en" href="{{base_url}}/"></head><body>'
        f'<a href="{EXTERNAL}/ok">ok</a><a href="{EXTERNAL}/gone">gone</a>'
        f'<a href="{EXTERNAL}/no-head">no head</a><a href="{EXTERNAL}/moved">moved</a>'
        f'<a href="{EXTERNAL}/ok">ok again</a><a href="/second">second</a>'
        f'<img src="/img/here.png" alt="a"><img src="/img/missing.png" alt="b">'
        f'<img src="{EXTERNAL}/img.png" alt="c"></body></html>'
    )
    second = f'<html><body><a href="{EXTERNAL}/ok">ok</a><img src="/img/here.png"></body></html>'
    return {
        "/": Response(body=page.encode(), templated=True),
        "/second": Response(body=second.encode(), templated=True),
        "/img/here.png": Response(body=b"PNG", content_type="image/png"),
        "/only-hreflang": redirect("/"),
    }


@pytest.fixture
def servers() -> Iterator[tuple[SiteServer, SiteServer]]:
    with SiteServer(external_routes(), host=OTHER_HOST) as other:
        marks = {EXTERNAL: other.base_url}
        with SiteServer(site_routes(), marks=marks) as site:
            yield site, other


def run(start_url: str, **overrides: object) -> tuple[CrawlOutcome, list[PageRecord], dict]:
    options: dict[str, object] = {
        "max_pages": 50,
        "allow_private_targets": True,
        "parser_processes": 0,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
    }
    options.update(overrides)
    pages: list[PageRecord] = []
    resources: list[ResourceRecord] = []

    async def keep_pages(batch: list[PageRecord]) -> None:
        pages.extend(batch)

    async def keep_resources(batch: list[ResourceRecord]) -> None:
        resources.extend(batch)

    config = CrawlConfig(start_url=start_url, **options)  # type: ignore[arg-type]
    outcome = asyncio.run(crawl(config, on_batch=keep_pages, on_resources=keep_resources))
    return outcome, pages, {r.url: r for r in resources}


def test_what_pages_point_to_is_checked_once_and_not_crawled(servers) -> None:
    """Each target is asked once (HEAD), never parsed or followed for links."""
    site, other = servers
    _, pages, found = run(site.url("/"))
    ext = other.base_url
    assert {r.url for r in pages} >= {site.url("/"), site.url("/second")}
    assert site.url("/only-canonical") not in {r.url for r in pages}
    assert (found[f"{ext}/ok"].status_code, found[f"{ext}/ok"].kinds) == (200, ["link"])
    assert found[f"{ext}/gone"].failed and found[f"{ext}/gone"].status_code == 404
    assert found[f"{ext}/img.png"].kinds == ["image"]
    assert found[site.url("/img/missing.png")].status_code == 404
    assert found[site.url("/img/here.png")].failed is False
    assert found[site.url("/only-canonical")].kinds == ["canonical"]
    assert found[site.url("/only-canonical")].status_code == 404
    hreflang = found[site.url("/only-hreflang")]
    assert (hreflang.status_code, hreflang.location, hreflang.final_status) == (301, "/", 200)
    # The start page is crawled: its answer is the crawl's own, not a resource check's.
    assert site.url("/") not in found
    assert other.count("/ok") == 1 and site.count("/img/here.png") == 1
    assert set(other.methods) == {"HEAD", "GET"}


def test_head_refused_then_get_and_redirects_followed(servers) -> None:
    """405 to HEAD: asked again with GET; a redirect is followed to its final answer."""
    site, other = servers
    _, _, found = run(site.url("/"))
    ext = other.base_url
    no_head = found[f"{ext}/no-head"]
    assert (no_head.status_code, no_head.failed) == (200, False)
    paired = list(zip(other.requests, other.methods, strict=True))
    assert [m for p, m in paired if p == "/no-head"] == ["HEAD", "GET"]
    moved = found[f"{ext}/moved"]
    assert (moved.status_code, moved.final_url, moved.final_status) == (301, f"{ext}/gone", 404)
    assert moved.failed


def test_the_summary_counts_checked_and_failed_per_kind(servers) -> None:
    site, _ = servers
    outcome, _, _ = run(site.url("/"))
    counts = {kind: (c.checked, c.failed, c.unchecked) for kind, c in outcome.resources.items()}
    assert counts == {
        "link": (4, 2, 0),  # ok, gone, no-head, moved (gone and moved fail)
        "image": (3, 1, 0),  # here, missing, external
        "canonical": (1, 1, 0),
        "hreflang": (1, 0, 0),  # the 301 to a live page; the start page is crawled
    }


def test_settings_turn_each_kind_off(servers) -> None:
    """Only the kinds asked for are checked; none at all with `resources=None`."""
    site, other = servers
    _, _, found = run(site.url("/"), resources=ResourceSettings(kinds=frozenset({"canonical"})))
    assert {r.url for r in found.values()} == {site.url("/only-canonical")}
    assert other.requests == []
    _, _, found = run(site.url("/"), resources=None)
    assert found == {}


def test_a_slow_host_does_not_hold_the_crawl_past_its_budget() -> None:
    """A host answering after 30 s: the crawl ends without its answer, the URL recorded
    as not checked (never judged), and the other targets still checked."""
    slow = {"/slow": Response(body=b"late", delay=SLOW_SECONDS), "/ok": html("<p>ok</p>")}
    with SiteServer(slow, host=OTHER_HOST) as other:
        page = f'<a href="{EXTERNAL}/slow">slow</a><a href="{EXTERNAL}/ok">fast</a>'
        routes = {"/": Response(body=page.encode(), templated=True)}
        with SiteServer(routes, marks={EXTERNAL: other.base_url}) as site:
            budget = ResourceSettings(time_budget=1.0, timeout=120.0)
            outcome, _, found = run(site.url("/"), resources=budget)
            answered_when_done = list(other.answered)
    assert "/slow" in other.requests and "/slow" not in answered_when_done
    late = found[f"{other.base_url}/slow"]
    assert (late.checked, late.error, late.failed) == (False, BUDGET_ERROR, False)
    assert found[f"{other.base_url}/ok"].status_code == 200
    assert outcome.resources["link"].unchecked == 1


def test_private_targets_are_refused_as_pages_are(servers) -> None:
    """With private targets refused, 127.0.0.2 is not asked: recorded, not judged."""
    site, other = servers
    port = int(site.base_url.rsplit(":", 1)[1])
    book = AddressBook(allow_private=False, exempt=[("127.0.0.1", port)])
    record = PageRecord(url=site.url("/"), links=[{"href": "x", "target": f"{other.base_url}/ok"}])

    async def check() -> list[ResourceRecord]:
        pages = FetchSettings(user_agent="SeologyBot-test")
        async with open_checker(
            ResourceSettings(),
            pages,
            site="127.0.0.1",
            book=book,
            site_gate=HostGate(connections=2),
        ) as checker:
            assert checker is not None
            checker.submit(record)
            await checker.finish(
                set(), allowed=lambda url: True, deadline=asyncio.get_running_loop().time() + 5
            )
            return checker.records()

    (refused,) = asyncio.run(check())
    assert refused.checked is False and refused.error.startswith("refused:")
    assert other.requests == []
