"""Monthly periods and report numbers: plain functions over small DataFrames."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from seology.core.errors import ConfigurationError, InvalidInput
from seology.reports.crawls import pages_by_status, site_month_numbers
from seology.reports.jobs import job_numbers, jobs_frame
from seology.reports.markdown import report_markdown
from seology.reports.report import SiteReport
from seology.store.usage import current_period, period_bounds, previous_period, validate_period

T0 = datetime(2025, 2, 3, 10, 0, tzinfo=UTC)


def crawls(*rows: tuple) -> pd.DataFrame:
    columns = ["crawl_id", "status", "started_at", "finished_at", "pages_crawled", "health_score"]
    return pd.DataFrame(list(rows), columns=columns)


def status_counts(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["crawl_id", "status_code", "pages"])


def issue_counts(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["crawl_id", "severity", "check_id", "issues"])


def jobs(*rows: tuple) -> pd.DataFrame:
    """Job records `(type, status, duration_seconds)`, as the job facade returns them."""
    return jobs_frame(
        [
            {"id": f"run-{i}", "type": kind, "status": status, "duration_seconds": seconds}
            for i, (kind, status, seconds) in enumerate(rows)
        ]
    )


def no_jobs(total: int = 0) -> dict:
    """The numbers of a job type with nothing to average."""
    return {"total": total, "pending": total, "processing": 0, "completed": 0, "failed": 0,
            "cancelled": 0, "successRate": None, "durationMeanSeconds": None,
            "durationP95Seconds": None}  # fmt: skip


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
            "healthTrend": [
                {"crawlId": 1, "date": "2025-02-03", "finishedAt": "2025-02-03T10:00:30.000Z",
                 "healthScore": 80.0, "pagesCrawled": 10},
                {"crawlId": 2, "date": "2025-02-10", "finishedAt": "2025-02-10T10:01:30.000Z",
                 "healthScore": 90.0, "pagesCrawled": 12},
            ],
            "issuesBySeverityTrend": [
                {"crawlId": 1, "date": "2025-02-03", "issues": 2,
                 "bySeverity": {"error": 2, "warning": 0, "notice": 0}},
                {"crawlId": 2, "date": "2025-02-10", "issues": 4,
                 "bySeverity": {"error": 1, "warning": 3, "notice": 0}},
            ],
        }  # fmt: skip

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

    def test_trend_is_in_finish_order_and_dated_in_the_timezone(self):
        """The series run oldest first; a crawl finishing at 23:30 UTC on Jan 31 is dated
        Feb 1 in Berlin; a crawl without a score keeps its slot with None."""
        late = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)
        frame = crawls(
            (7, "completed", late, late, 5, None),
            (3, "completed", T0, T0, 4, 60.0),
        )
        numbers = site_month_numbers(frame, status_counts(), issue_counts(), tz="Europe/Berlin")
        assert [(p["crawlId"], p["date"], p["healthScore"], p["pagesCrawled"])
                for p in numbers["healthTrend"]] == [
            (7, "2025-02-01", None, 5),
            (3, "2025-02-03", 60.0, 4),
        ]  # fmt: skip
        assert numbers["healthTrend"][0]["finishedAt"] == "2025-01-31T23:30:00.000Z"

    def test_issue_trend_lists_every_severity_per_crawl(self):
        """Each crawl lists error, warning and notice (zeros too), then any other severity
        found; a failed crawl's issues are left out as for the totals."""
        frame = crawls(
            (1, "completed", T0, T0, 1, 50.0),
            (2, "completed", T0, T0 + pd.Timedelta(days=1), 1, 50.0),
            (3, "failed", T0, T0, 0, None),
        )
        issues = issue_counts(
            (1, "notice", "title.too_short", 2),
            (1, "notice", "http.3xx_internal", 1),
            (1, "info", "custom.check", 4),
            (3, "error", "http.5xx", 9),
        )
        trend = site_month_numbers(frame, status_counts(), issues)["issuesBySeverityTrend"]
        assert [(p["crawlId"], p["issues"], p["bySeverity"]) for p in trend] == [
            (1, 7, {"error": 0, "warning": 0, "notice": 3, "info": 4}),
            (2, 0, {"error": 0, "warning": 0, "notice": 0, "info": 0}),
        ]

    def test_pages_by_status_classes(self):
        """Status codes fold into classes; 1xx or none land in 'other' only when present."""
        assert pages_by_status(status_counts((1, 204, 1), (1, 503, 2))) == {
            "2xx": 1, "3xx": 0, "4xx": 0, "5xx": 2
        }  # fmt: skip


class TestJobNumbers:
    def test_counts_rate_and_durations_per_type(self):
        """Success rate is completed / (completed + failed + cancelled); durations are of
        completed jobs only, the p95 interpolated linearly between the sorted values."""
        frame = jobs(
            ("crawl", "COMPLETED", 10.0),
            ("crawl", "COMPLETED", 30.0),
            ("crawl", "COMPLETED", 20.0),
            ("crawl", "FAILED", 500.0),  # a failure's duration is not a crawl's duration
            ("crawl", "CANCELLED", None),  # cancelled while queued: never started
            ("crawl", "PENDING", None),  # still queued: not finished, not in the rate
            ("analysis", "COMPLETED", 4.0),
            ("analysis", "FAILED", 1.0),
            ("analysis", "PROCESSING", None),
        )
        assert job_numbers(frame) == {
            "crawl": {
                "total": 6, "pending": 1, "processing": 0, "completed": 3, "failed": 1,
                "cancelled": 1, "successRate": 0.6, "durationMeanSeconds": 20.0,
                # sorted 10, 20, 30: position (3 - 1) × 0.95 = 1.9 → 20 + 0.9 × 10
                "durationP95Seconds": 29.0,
            },
            "analysis": {
                "total": 3, "pending": 0, "processing": 1, "completed": 1, "failed": 1,
                "cancelled": 0, "successRate": 0.5, "durationMeanSeconds": 4.0,
                "durationP95Seconds": 4.0,
            },
        }  # fmt: skip

    def test_no_jobs(self):
        """A month without jobs still lists crawl and analysis, all zeros and Nones."""
        assert job_numbers(jobs()) == {"crawl": no_jobs(), "analysis": no_jobs()}

    def test_rate_is_rounded_and_other_types_follow(self):
        """Two of three is 0.6667; a type other than crawl and analysis is listed after them."""
        frame = jobs(
            ("analysis", "COMPLETED", 1.0),
            ("analysis", "COMPLETED", 2.0),
            ("analysis", "FAILED", 3.0),
            ("unknown", "PENDING", None),
        )
        numbers = job_numbers(frame)
        assert list(numbers) == ["crawl", "analysis", "unknown"]
        assert numbers["analysis"]["successRate"] == 0.6667
        assert numbers["analysis"]["durationP95Seconds"] == 1.95
        assert numbers["unknown"] == no_jobs(total=1)

    def test_frame_keeps_the_columns_it_needs(self):
        """Records carry the whole job shape; the frame keeps the columns the numbers use."""
        record = {"id": "r", "type": "crawl", "status": "COMPLETED", "duration_seconds": 2.5,
                  "expected_start_time": "2025-01-02T00:00:00.000Z", "user_id": 3}  # fmt: skip
        frame = jobs_frame([record])
        assert list(frame.columns) == [
            "id", "type", "status", "expected_start_time", "duration_seconds"
        ]  # fmt: skip
        assert job_numbers(frame)["crawl"]["durationMeanSeconds"] == 2.5


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


def test_report_markdown_shows_crawls_and_jobs():
    """The page has a row per crawl (date, score, pages, issues by severity) and a row per
    job type (counts, success rate in percent, durations)."""
    frame = crawls((1, "completed", T0, T0 + pd.Timedelta(seconds=30), 10, 80.0))
    numbers = site_month_numbers(frame, status_counts(), issue_counts((1, "error", "x", 2)))
    numbers["jobs"] = job_numbers(
        jobs(("crawl", "COMPLETED", 30.0), ("crawl", "COMPLETED", 10.0), ("crawl", "FAILED", 1.0))
    )
    report = SiteReport(
        site_id=1, site_name="A", site_url="https://a.test", period="2025-02", numbers=numbers
    )
    text = report_markdown(report)
    assert (
        "## Crawls\n\n| finished | health score | pages | errors | warnings | notices |\n"
        "|---|---:|---:|---:|---:|---:|\n| 2025-02-03 | 80.0 | 10 | 2 | 0 | 0 |"
    ) in text
    assert "| crawl | 3 | 2 | 1 | 0 | 0 | 66.7 % | 20.0 | 29.0 |" in text
    assert "| analysis | 0 | 0 | 0 | 0 | 0 | — | — | — |" in text


def test_report_markdown_of_an_older_report():
    """Numbers stored before the series and job numbers existed render without them."""
    numbers = site_month_numbers(crawls(), status_counts(), issue_counts())
    del numbers["healthTrend"], numbers["issuesBySeverityTrend"]
    report = SiteReport(
        site_id=1, site_name="A", site_url="https://a.test", period="2024-12", numbers=numbers
    )
    text = report_markdown(report)
    assert "## Crawls" not in text
    assert "## Jobs" not in text
    assert "## Issues by severity" in text
