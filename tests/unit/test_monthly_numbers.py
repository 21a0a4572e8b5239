"""Monthly periods and report numbers: plain functions over small DataFrames."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from seology.errors import ConfigurationError, InvalidInput
from tasks.monthly import SiteReport, pages_by_status, report_markdown, site_month_numbers
from tasks.usage import current_period, period_bounds, previous_period, validate_period

T0 = datetime(2025, 2, 3, 10, 0, tzinfo=UTC)


def crawls(*rows: tuple) -> pd.DataFrame:
    columns = ["crawl_id", "status", "started_at", "finished_at", "pages_crawled", "health_score"]
    return pd.DataFrame(list(rows), columns=columns)


def status_counts(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["crawl_id", "status_code", "pages"])


def issue_counts(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["crawl_id", "severity", "check_id", "issues"])


class TestPeriods:
    @pytest.mark.parametrize(
        ("now", "tz", "expected"),
        [
            (datetime(2025, 3, 1, 0, 0, 5, tzinfo=UTC), "UTC", "2025-02"),  # the cron's moment
            (datetime(2025, 1, 1, 0, 0, tzinfo=UTC), "UTC", "2024-12"),  # across a year
            # 23:30 UTC on Feb 28 is already March 1st in Berlin: February just ended.
            (datetime(2025, 2, 28, 23, 30, tzinfo=UTC), "Europe/Berlin", "2025-02"),
            (datetime(2025, 2, 28, 23, 30, tzinfo=UTC), "UTC", "2025-01"),
        ],
    )
    def test_previous_period_in_timezone(self, now, tz, expected):
        """The default period is the month before `now` as seen in the configured timezone."""
        assert previous_period(tz, now) == expected

    def test_current_period(self):
        """The current period follows the timezone too."""
        moment = datetime(2025, 2, 28, 23, 30, tzinfo=UTC)
        assert current_period("Europe/Berlin", moment) == "2025-03"
        assert current_period("UTC", moment) == "2025-02"

    @pytest.mark.parametrize("bad", ["2025-13", "2025-1", "25-01", "2025-00", "2025/01", ""])
    def test_invalid_period_refused(self, bad):
        """Anything but YYYY-MM with a real month is bad input."""
        with pytest.raises(InvalidInput, match="YYYY-MM"):
            validate_period(bad)

    def test_bounds_in_utc(self):
        """A month in Berlin starts and ends an hour before UTC midnight (winter time)."""
        start, end = period_bounds("2024-12", "Europe/Berlin")
        assert start == datetime(2024, 11, 30, 23, 0, tzinfo=UTC)
        assert end == datetime(2024, 12, 31, 23, 0, tzinfo=UTC)

    def test_unknown_timezone(self):
        """A wrong SEOLOGY_TIMEZONE is a configuration error naming the setting."""
        with pytest.raises(ConfigurationError, match="SEOLOGY_TIMEZONE"):
            previous_period("Mars/Olympus")


class TestSiteMonthNumbers:
    def test_numbers_of_a_month(self):
        """Completed crawls feed every figure; a failed crawl is only counted."""
        frame = crawls(
            (1, "completed", T0, T0 + pd.Timedelta(seconds=30), 10, 80.0),
            (
                2,
                "completed",
                T0 + pd.Timedelta(days=7),
                T0 + pd.Timedelta(days=7, seconds=90),
                12,
                90.0,
            ),
            (3, "failed", T0, T0 + pd.Timedelta(seconds=5), 0, None),
        )
        pages = status_counts(
            (1, 200, 8), (1, 404, 2), (2, 200, 9), (2, 301, 2), (2, None, 1), (3, 500, 4)
        )
        issues = issue_counts(
            (1, "error", "http.4xx", 2),
            (2, "warning", "title.too_long", 3),
            (2, "error", "http.4xx", 1),
        )
        numbers = site_month_numbers(frame, pages, issues)
        assert numbers == {
            "crawls": 2,
            "failedCrawls": 1,
            "pagesCrawled": 22,
            "healthScoreAvg": 85.0,
            "healthScoreLast": 90.0,
            "crawlDurationMeanSeconds": 60.0,
            "pagesByStatus": {"2xx": 17, "3xx": 2, "4xx": 2, "5xx": 0, "other": 1},
            "issuesBySeverity": {"error": 3, "warning": 3},
            "issuesByCheck": {"http.4xx": 3, "title.too_long": 3},
        }

    def test_missing_health_scores_are_none(self):
        """Crawls without a health score (before the audit ran) give None, not NaN."""
        frame = crawls((1, "completed", T0, T0 + pd.Timedelta(seconds=1), 3, None))
        numbers = site_month_numbers(frame, status_counts(), issue_counts())
        assert numbers["healthScoreAvg"] is None
        assert numbers["healthScoreLast"] is None
        assert numbers["pagesByStatus"] == {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}

    def test_last_health_score_is_the_latest_crawl(self):
        """'Last' means the crawl that finished last, whatever the row order."""
        frame = crawls(
            (2, "completed", T0, T0 + pd.Timedelta(days=9), 1, 40.0),
            (1, "completed", T0, T0 + pd.Timedelta(days=1), 1, 70.0),
        )
        assert site_month_numbers(frame, status_counts(), issue_counts())["healthScoreLast"] == 40.0

    def test_no_crawls(self):
        """A month without crawls is all zeros and Nones, and JSON-safe."""
        numbers = site_month_numbers(crawls(), status_counts(), issue_counts())
        assert numbers["crawls"] == 0
        assert numbers["pagesCrawled"] == 0
        assert numbers["healthScoreAvg"] is None
        assert numbers["crawlDurationMeanSeconds"] is None
        assert numbers["issuesBySeverity"] == {}

    def test_pages_by_status_classes(self):
        """Status codes fold into classes; 1xx or none land in 'other' only when present."""
        assert pages_by_status(status_counts((1, 204, 1), (1, 503, 2))) == {
            "2xx": 1, "3xx": 0, "4xx": 0, "5xx": 2
        }  # fmt: skip


def test_report_markdown_is_a_table():
    """The report renders as markdown tables by hand (no tabulate), with pipes escaped."""
    numbers = site_month_numbers(crawls(), status_counts(), issue_counts())
    report = SiteReport(
        site_id=1, site_name="A | B", site_url="https://a.test", period="2025-01", numbers=numbers
    )
    text = report_markdown(report)
    assert text.startswith("# A \\| B: 2025-01")
    assert "| figure | value |\n|---|---:|\n| completed crawls | 0 |" in text
    assert "| health score, average | — |" in text
