"""The health score: the share of crawled HTML pages without an error-level issue.

A page is an HTML response of the crawl, named by the URL that answered (so a
redirect's target, not the redirecting URL). Error issues on other URLs (robots.txt,
a sitemap, a redirect) do not lower the score: they are site-level or not pages.
"""

from __future__ import annotations

from collections.abc import Iterable

from seology.audit.model import IssueRecord


def pages_with_errors(issues: Iterable[IssueRecord], html_pages: set[str]) -> int:
    """How many of `html_pages` have at least one error-level issue."""
    return len({i.url for i in issues if i.severity == "error" and i.url in html_pages})


def health_score(html_pages: int, with_errors: int) -> float | None:
    """0–100 with one decimal; None when the crawl found no HTML page to judge."""
    if html_pages == 0:
        return None
    return round(100.0 * (html_pages - with_errors) / html_pages, 1)
