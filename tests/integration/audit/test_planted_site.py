"""The audit over a real crawl of sites with planted problems: precision = recall = 1.0.

The planted site is served over HTTP on 127.0.0.1 and crawled by the real engine; the
audit must report exactly the planted `(check_id, url)` pairs, per check and overall.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from seology.audit import CHECKS, run_audit
from seology.testing.audit_https import https_site
from seology.testing.audit_site import bare_site, planted_site, robots_down_site
from seology.testing.csr_site import client_rendered_site
from tests.integration.audit.conftest import CrawledSite, crawl_planted


@pytest.fixture(scope="module")
def crawled() -> list[CrawledSite]:
    return [crawl_planted(site) for site in (planted_site(), bare_site(), robots_down_site())]


def found_and_expected(crawled: list[CrawledSite]) -> tuple[set, set]:
    found, expected = set(), set()
    for site in crawled:
        result = run_audit(site.records, site.outcome, resources=site.resources)
        found |= {(issue.check_id, issue.url) for issue in result.issues}
        expected |= site.expected
    return found, expected


def precision_recall(found: set, expected: set) -> dict[str, tuple[float, float]]:
    """Per check: (precision, recall) of the found pairs against the planted ones."""
    by_check: dict[str, dict[str, set]] = defaultdict(lambda: {"found": set(), "expected": set()})
    for check_id, url in found:
        by_check[check_id]["found"].add(url)
    for check_id, url in expected:
        by_check[check_id]["expected"].add(url)
    scores = {}
    for check_id, sets in by_check.items():
        hits = len(sets["found"] & sets["expected"])
        scores[check_id] = (
            hits / len(sets["found"]) if sets["found"] else 1.0,
            hits / len(sets["expected"]) if sets["expected"] else 1.0,
        )
    return scores


def test_every_planted_issue_is_found_and_nothing_else(crawled: list[CrawledSite]) -> None:
    """Precision and recall are both 1.0, for every check and overall."""
    found, expected = found_and_expected(crawled)
    scores = precision_recall(found, expected)
    imperfect = {check: score for check, score in scores.items() if score != (1.0, 1.0)}
    assert imperfect == {}, (sorted(found - expected), sorted(expected - found))
    assert found == expected


def test_the_planted_sites_exercise_every_check(crawled: list[CrawledSite]) -> None:
    """Each check is planted at least once: here, on the https variant (the https-only
    checks, test_https_site.py) or on the client-rendered site (the `js.*` and `perf.*`
    checks, tests/e2e/test_rendered_crawl.py)."""
    planted = {check_id for site in crawled for check_id, _ in site.expected}
    planted |= {check_id for check_id, _ in https_site().expected}
    planted |= {check_id for check_id, _ in client_rendered_site().expected}
    assert set(CHECKS) - planted == set()


def test_health_score_counts_html_pages_with_planted_errors(crawled: list[CrawledSite]) -> None:
    """The score is the share of HTML pages without a planted error-level issue."""
    site = crawled[0]
    result = run_audit(site.records, site.outcome, resources=site.resources)
    errors = {url for check, url in site.expected if CHECKS[check].severity == "error"}
    html = {r.final_url or r.url for r in site.records if r.is_html}
    expected = round(100 * (len(html) - len(errors & html)) / len(html), 1)
    assert result.health_score == expected
    assert 0 < result.health_score < 100


def test_the_expected_issues_are_written_next_to_the_pages(tmp_path) -> None:
    """`write` leaves the pages and `expected-issues.json` in one directory."""
    import json

    site = bare_site()
    listing = json.loads(site.write(tmp_path).read_text())
    assert {(item["checkId"], item["path"]) for item in listing} == set(site.expected)
    assert (tmp_path / "index.body").read_bytes() == site.routes["/"].body
