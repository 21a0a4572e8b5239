"""Change detection between two crawls: the pure comparison and page indexability."""

from __future__ import annotations

import pytest

from seology.audit.changes import (
    CrawlSnapshot,
    PageState,
    compare_crawls,
    page_state,
)

OK = PageState(200, True)
NOINDEX = PageState(200, False)
GONE = PageState(404, False)
HOME, ABOUT, SHOP = "https://a.test/", "https://a.test/about", "https://a.test/shop"
BASE = CrawlSnapshot(pages={HOME: OK, ABOUT: OK}, issues={("title.missing", ABOUT): "error"})
EMPTY = CrawlSnapshot()


def snapshot(pages=None, issues=None) -> CrawlSnapshot:
    return CrawlSnapshot(
        pages=BASE.pages if pages is None else pages,
        issues=BASE.issues if issues is None else issues,
    )


def lists(changes) -> dict:
    """The changes as JSON, without counts and cap fields, for short expectations."""
    data = changes.to_json()
    return {key: value for key, value in data.items() if value and isinstance(value, list)}


CASES = [
    # first crawl, compared with nothing: every page appeared, every issue is new
    (EMPTY, BASE, {
        "pagesAppeared": [HOME, ABOUT],
        "newIssues": [{"checkId": "title.missing", "severity": "error", "url": ABOUT}],
    }),
    # the same crawl twice: nothing changed
    (BASE, snapshot(), {}),
    # a page appeared (indexable, no issues): only listed as appeared
    (BASE, snapshot(pages={HOME: OK, ABOUT: OK, SHOP: OK}), {"pagesAppeared": [SHOP]}),
    # a page disappeared; its issue went with it, so it counts as fixed
    (BASE, snapshot(pages={HOME: OK}, issues={}), {
        "pagesDisappeared": [ABOUT],
        "fixedIssues": [{"checkId": "title.missing", "severity": "error", "url": ABOUT}],
    }),
    # 200 → 404: a status change, and the page can no longer be indexed
    (BASE, snapshot(pages={HOME: OK, ABOUT: GONE}), {
        "statusChanged": [{"url": ABOUT, "from": 200, "to": 404}],
        "becameNonIndexable": [ABOUT],
    }),
    # a noindex was added: same status, not indexable any more
    (BASE, snapshot(pages={HOME: NOINDEX, ABOUT: OK}), {"becameNonIndexable": [HOME]}),
    # the noindex was removed again
    (snapshot(pages={HOME: NOINDEX, ABOUT: OK}), BASE, {"becameIndexable": [HOME]}),
    # a fetch error (no status at all) is a status change too
    (BASE, snapshot(pages={HOME: PageState(None, False), ABOUT: OK}), {
        "statusChanged": [{"url": HOME, "from": 200, "to": None}],
        "becameNonIndexable": [HOME],
    }),
    # an issue is fixed and another is new on the same URL
    (BASE, snapshot(issues={("meta.description_missing", ABOUT): "warning"}), {
        "newIssues": [{"checkId": "meta.description_missing", "severity": "warning", "url": ABOUT}],
        "fixedIssues": [{"checkId": "title.missing", "severity": "error", "url": ABOUT}],
    }),
    # the same check on another URL is a different issue
    (BASE, snapshot(issues={("title.missing", HOME): "error"}), {
        "newIssues": [{"checkId": "title.missing", "severity": "error", "url": HOME}],
        "fixedIssues": [{"checkId": "title.missing", "severity": "error", "url": ABOUT}],
    }),
]  # fmt: skip


@pytest.mark.parametrize(("previous", "current", "expected"), CASES)
def test_compare_crawls(previous, current, expected):
    """Each kind of change lands in its own list, and nothing else is reported."""
    changes = compare_crawls(previous, current)

    assert lists(changes) == expected
    for name, items in expected.items():
        assert changes.counts[name] == len(items)
    assert changes.truncated is False


class TestCounts:
    def test_totals_of_both_crawls(self):
        """Counts include the size of both crawls, so a reader sees the scale of a change."""
        counts = compare_crawls(BASE, snapshot(pages={HOME: OK})).counts

        assert counts == {
            "newIssues": 0, "fixedIssues": 0, "pagesAppeared": 0, "pagesDisappeared": 1,
            "statusChanged": 0, "becameNonIndexable": 0, "becameIndexable": 0,
            "pagesBefore": 2, "pagesAfter": 1, "issuesBefore": 1, "issuesAfter": 1,
        }  # fmt: skip

    def test_plain_tuples_are_accepted(self):
        """Snapshots may be built from plain `(status, indexable)` tuples."""
        previous = CrawlSnapshot(pages={HOME: (200, True)})
        current = CrawlSnapshot(pages={HOME: (301, False)})

        changes = compare_crawls(previous, current)

        assert changes.counts["statusChanged"] == changes.counts["becameNonIndexable"] == 1


class TestCaps:
    def test_lists_are_capped_and_counts_are_not(self):
        """A 10,000-page site that moved keeps `limit` entries per list and true counts."""
        old = CrawlSnapshot(pages={f"https://a.test/old/{i:05d}": OK for i in range(10_000)})
        new = CrawlSnapshot(pages={f"https://a.test/new/{i:05d}": OK for i in range(10_000)})

        changes = compare_crawls(old, new, limit=500)

        assert len(changes.pages_appeared) == len(changes.pages_disappeared) == 500
        assert changes.pages_appeared[0] == "https://a.test/new/00000"  # sorted
        assert changes.counts["pagesAppeared"] == changes.counts["pagesDisappeared"] == 10_000
        assert (changes.truncated, changes.limit) == (True, 500)

    def test_most_severe_issues_survive_the_cap(self):
        """New issues are listed errors first, so a cap drops notices before errors."""
        issues = {("links.x", f"https://a.test/{i}"): "notice" for i in range(5)}
        issues[("http.5xx", "https://a.test/z")] = "error"
        issues[("title.long", "https://a.test/y")] = "warning"

        changes = compare_crawls(EMPTY, CrawlSnapshot(issues=issues), limit=2)

        assert [issue.severity for issue in changes.new_issues] == ["error", "warning"]
        assert changes.counts["newIssues"] == 7


class TestPageState:
    def html(self, **record):
        return page_state("https://a.test/p", 200, "text/html", {"is_html": True, **record})

    def test_healthy_page(self):
        """A 2xx HTML page without directives or canonical is indexable."""
        assert self.html() == PageState(200, True)

    @pytest.mark.parametrize(
        "record",
        [
            {"meta_robots": ["noindex, follow"]},  # meta robots noindex
            {"x_robots_tag": ["googlebot: noindex"]},  # X-Robots-Tag, user-agent form
            {"canonicals": [{"href": "/other", "source": "head"}]},  # canonicalised elsewhere
        ],
    )
    def test_not_indexable(self, record):
        """noindex (meta robots or X-Robots-Tag) or a canonical elsewhere: not indexable."""
        assert self.html(**record) == PageState(200, False)

    def test_self_canonical_is_indexable(self):
        """A canonical to the page itself does not make it non-indexable."""
        assert self.html(canonicals=[{"href": "/p", "source": "head"}]).indexable

    def test_redirect_is_its_own_status(self):
        """A redirecting URL has its own 3xx status and is not indexable itself."""
        record = {
            "is_html": True,
            "final_url": "https://a.test/new",
            "status_code": 200,
            "redirects": [{"url": "https://a.test/p", "status_code": 301}],
        }
        assert page_state("https://a.test/p", 200, "text/html", record) == PageState(301, False)

    def test_row_without_record(self):
        """An old row without a record is judged from its columns."""
        assert page_state("https://a.test/", 200, "text/html", None) == PageState(200, True)
        assert page_state("https://a.test/", 500, "text/html", None) == PageState(500, False)
        assert page_state("https://a.test/", None, None, None) == PageState(None, False)
