"""The https variant of the planted site, crawled and audited: every `security.*` check.

A local certificate authority signs the https server's certificate; the crawl trusts it
only through its CA-file setting. The crawl starts at the http address, which redirects
to https, as the bare domain of a real site does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from seology.audit import AuditConfig, run_audit
from seology.crawler.config import CrawlConfig
from seology.crawler.engine import crawl
from seology.crawler.records import CrawlOutcome, PageRecord, ResourceRecord
from seology.testing.audit_https import HTTP_MARK, https_site, to_https
from seology.testing.sites import SiteServer
from seology.testing.tls import LocalAuthority
from tests.integration.audit.test_planted_site import precision_recall

#: The https site plants no slow page (the http one proves `http.slow_response`); a TLS
#: handshake with a Python test server on a busy machine must not count as one.
RELAXED = AuditConfig(slow_response_ms=30_000)


@contextmanager
def serve_https(authority: LocalAuthority) -> Iterator[tuple[SiteServer, SiteServer]]:
    """The https site, and a plain http server on the same host redirecting to it."""
    site = https_site()
    https = SiteServer(site.routes, tls=authority.server_context())
    http = SiteServer(fallback=to_https(https.base_url))
    https.marks[HTTP_MARK] = http.base_url
    with https, http:
        yield https, http


def crawl_from(start: str, ca_file: str | None) -> tuple[CrawlOutcome, list, list]:
    pages: list[PageRecord] = []
    resources: list[ResourceRecord] = []

    async def keep(batch: list[PageRecord]) -> None:
        pages.extend(batch)

    async def keep_resources(batch: list[ResourceRecord]) -> None:
        resources.extend(batch)

    config = CrawlConfig(start_url=start, max_pages=100, allow_private_targets=True,
                         parser_processes=0, connect_timeout=2.0, read_timeout=2.0,
                         ca_file=ca_file)  # fmt: skip
    outcome = asyncio.run(crawl(config, on_batch=keep, on_resources=keep_resources))
    return outcome, pages, resources


@pytest.fixture(scope="module")
def authority_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalAuthority, Path]:
    authority = LocalAuthority.create()
    return authority, authority.write(tmp_path_factory.mktemp("ca") / "ca.pem")


def test_every_security_check_is_found_and_nothing_else(authority_file) -> None:
    """Precision = recall = 1.0 on the https site, `security.*` and the redirects included."""
    authority, ca_file = authority_file
    with serve_https(authority) as (https, http):
        outcome, pages, resources = crawl_from(http.url("/"), str(ca_file))
        expected = https_site().expected_urls(https.base_url, {HTTP_MARK: http.base_url})
    result = run_audit(pages, outcome, RELAXED, resources=resources)
    found = {(issue.check_id, issue.url) for issue in result.issues}
    scores = precision_recall(found, expected)
    assert {c: s for c, s in scores.items() if s != (1.0, 1.0)} == {}, (
        sorted(found - expected),
        sorted(expected - found),
    )
    checks = {check_id for check_id, _ in found}
    assert {"security.mixed_content", "security.missing_hsts", "links.http_on_https"} <= checks


def test_without_the_ca_file_the_certificate_is_refused(authority_file) -> None:
    """The local authority is trusted through the setting only: without it, no page."""
    authority, _ = authority_file
    with serve_https(authority) as (_, http):
        outcome, pages, _ = crawl_from(http.url("/"), None)
    assert [record for record in pages if record.status_code == 200] == []
    errors = list(outcome.sitemap_errors.values())
    assert errors and all("CERTIFICATE_VERIFY_FAILED" in error for error in errors)
