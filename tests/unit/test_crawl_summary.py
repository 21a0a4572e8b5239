"""The crawl's job result and its Prefect artifact: rendering, lab figures, resource checks.

The result is built from a `CrawlOutcome` as the store builds it (camelCase), and the
markdown from that result, so the chain a user sees is tested whole, without a database
or Prefect.
"""

from __future__ import annotations

import re

from seology.crawler.lab import LabFigures
from seology.crawler.records import (
    CrawlOutcome,
    PerfFacts,
    RenderingSummary,
    ResourceCounts,
)
from seology.store.crawls import SiteInfo, rendering_summary, resource_summary
from tasks.artifacts import crawl_summary_markdown

SITE = SiteInfo(id=1, user_id=1, url="https://ex.com/", name="Example")
HOSTILE_URL = "https://ex.com/a|b\n| injected | row |[x](javascript:alert(1))"


def measured_rendering(urls: list[str] | None = None) -> RenderingSummary:
    """`always` over four pages, one of them loaded with essential resources only."""
    urls = urls or [f"https://ex.com/{n}" for n in range(3)]
    lab = LabFigures()
    for n, url in enumerate(urls):
        lab.add(
            url,
            PerfFacts(
                lcp_ms=1000.0 * (n + 1),
                cls=0.05 * n,
                transferred_bytes=100_000 * (n + 1),
                requests=10 + n,
                render_blocking=n,
            ),
        )
    lab.add("https://ex.com/essential", PerfFacts(lcp_ms=9000.0, cls=0.5, complete=False))
    return RenderingSummary(
        mode="always",
        pages_rendered=len(urls) + 2,
        reasons={"always": len(urls) + 2},
        failures=1,
        seconds=4.2,
        browser="HeadlessChrome/140.0",
        lab=lab.summary(),
    )


def result(outcome: CrawlOutcome) -> dict:
    """The job result's keys the artifact reads (the rest needs the database)."""
    return {
        "crawlId": 7,
        "siteId": 1,
        "startUrl": outcome.start_url,
        "pagesCrawled": outcome.pages_crawled,
        "htmlPages": outcome.html_pages,
        "errors": outcome.errors,
        "urlsDiscovered": outcome.urls_discovered,
        "blockedByRobots": outcome.urls_blocked_by_robots,
        "sitemapUrls": outcome.sitemap_urls,
        "stoppedBy": outcome.stopped_by,
        "durationSeconds": outcome.duration_seconds,
        "statusCodes": {"200": outcome.pages_crawled},
        "resources": resource_summary(outcome),
        "rendering": rendering_summary(outcome),
    }


def outcome(rendering: RenderingSummary | None, **resources: ResourceCounts) -> CrawlOutcome:
    return CrawlOutcome(
        start_url="https://ex.com/",
        pages_crawled=5,
        html_pages=5,
        resources=resources,
        rendering=rendering,
    )


# --- the job result -----------------------------------------------------------------


def test_the_job_result_has_the_lab_figures_in_camel_case() -> None:
    rendering = rendering_summary(outcome(measured_rendering()))
    assert rendering is not None
    lab = rendering["lab"]
    assert lab["pagesMeasured"] == 4
    # LCP, weight and requests of the three complete pages; CLS and blocking of all four.
    assert lab["lcpMs"] == {"pages": 3, "p50": 2000.0, "p75": 3000.0, "max": 3000.0}
    assert lab["transferredBytes"] == {"pages": 3, "p50": 200_000, "p75": 300_000, "max": 300_000}
    assert lab["requests"] == {"pages": 3, "p50": 11, "p75": 12, "max": 12}
    assert lab["cls"] == {"pages": 4, "p50": 0.05, "p75": 0.1, "max": 0.5}
    assert lab["renderBlocking"] == {"pages": 4, "p50": 0, "p75": 1, "max": 2}
    assert lab["slowest"][0] == {
        "url": "https://ex.com/2",
        "lcpMs": 3000.0,
        "cls": 0.1,
        "transferredBytes": 300_000,
        "requests": 12,
        "renderBlocking": 2,
    }
    assert [page["url"] for page in lab["slowest"]] == [f"https://ex.com/{n}" for n in (2, 1, 0)]


def test_a_crawl_that_rendered_nothing_has_empty_lab_figures() -> None:
    rendering = rendering_summary(outcome(RenderingSummary(mode="never")))
    assert rendering is not None
    empty = {"pages": 0, "p50": None, "p75": None, "max": None}
    assert rendering["lab"] == {
        "pagesMeasured": 0,
        "lcpMs": empty,
        "cls": empty,
        "transferredBytes": empty,
        "requests": empty,
        "renderBlocking": empty,
        "slowest": [],
    }


# --- the artifact -------------------------------------------------------------------


def test_the_artifact_shows_rendering_lab_figures_and_resource_checks() -> None:
    crawl = outcome(
        measured_rendering(),
        link=ResourceCounts(checked=12, failed=2, unchecked=1),
        image=ResourceCounts(checked=4),
    )
    markdown = crawl_summary_markdown(SITE, result(crawl))
    assert "## Resource checks" in markdown
    assert "| link | 12 | 2 | 1 |" in markdown
    assert "| image | 4 | 0 | 0 |" in markdown
    assert "| all kinds | 16 | 2 | 1 |" in markdown
    assert "## Rendering" in markdown
    assert "| pages rendered | 5 |" in markdown
    assert "| failed renders | 1 |" in markdown
    assert "| render time (s, summed over tabs) | 4.2 |" in markdown
    assert "| always | 5 |" in markdown
    assert "Pages measured: 4," in markdown
    assert "| LCP (ms) | 3 | 2,000 | 3,000 | 3,000 |" in markdown
    assert "| CLS | 4 | 0.050 | 0.100 | 0.500 |" in markdown
    assert "| transferred | 3 | 195.3 KB | 293.0 KB | 293.0 KB |" in markdown
    assert "| requests | 3 | 11 | 12 | 12 |" in markdown
    assert "| render-blocking resources | 4 | 0 | 1 | 2 |" in markdown
    assert "### Slowest pages (LCP)" in markdown
    assert "| https://ex.com/2 | 3,000 | 0.100 | 293.0 KB | 12 | 2 |" in markdown


def test_a_raw_crawl_shows_no_empty_table() -> None:
    """render=never, no resource checks: one line on rendering and no table for either."""
    markdown = crawl_summary_markdown(SITE, result(outcome(RenderingSummary(mode="never"))))
    assert "## Rendering\n\nMode never: raw HTML only, no page was rendered.\n" in markdown
    assert "Resource checks" not in markdown
    assert "Lab figures" not in markdown
    assert "Slowest" not in markdown
    tables = re.findall(r"^\|---", markdown, flags=re.M)
    assert len(tables) == 2  # the overview's figures and HTTP statuses only


def test_auto_that_could_not_render_says_why() -> None:
    unavailable = RenderingSummary(
        mode="auto", available=False, unavailable_reason="No Chromium found.\nInstall one."
    )
    markdown = crawl_summary_markdown(SITE, result(outcome(unavailable)))
    assert "Rendering was unavailable: No Chromium found. Install one." in markdown
    assert "Mode auto: no page was rendered." in markdown
    assert "Lab figures" not in markdown


def test_a_result_stored_before_these_sections_still_renders() -> None:
    old = result(outcome(None))
    del old["resources"], old["rendering"]
    markdown = crawl_summary_markdown(SITE, old)
    assert markdown.startswith("# Crawl of Example")
    assert "## " not in markdown


def test_a_hostile_url_stays_in_its_cell() -> None:
    """A `|`, a line break or link syntax in a crawled URL neither adds cells or rows
    nor makes a link."""
    rendering = measured_rendering([HOSTILE_URL, "https://ex.com/b"])
    markdown = crawl_summary_markdown(SITE, result(outcome(rendering)))
    table = markdown.split("### Slowest pages (LCP)\n\n")[1].strip().splitlines()
    assert len(table) == 2 + 2  # header, rule, two pages
    unescaped_pipes = [len(re.findall(r"(?<!\\)\|", line)) for line in table]
    assert unescaped_pipes == [7] * 4  # six cells each
    hostile_row = next(line for line in table if "injected" in line)
    assert hostile_row.startswith(
        r"| https://ex.com/a\|b \| injected \| row \|\[x\](javascript:alert(1)) |"
    )
    assert not re.search(r"(?<!\\)\]\(", markdown)  # no `](`: no link
