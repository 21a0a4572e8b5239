"""The monthly chart: a hand-written SVG, and its place in the report and its markdown."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from seology.reports.chart import month_chart
from seology.reports.charts import HEIGHT, WIDTH, month_chart_svg, nice_ceiling, svg_data_uri
from seology.reports.markdown import report_markdown
from seology.reports.report import SiteReport

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def shapes(root: ET.Element, kind: str, css: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{kind}") if e.get("class") == css]


def texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter(f"{SVG}text")]


class TestMonthChartSvg:
    def test_valid_svg_of_fixed_size(self):
        """The chart parses as XML, is an SVG root, and has a fixed size and a title."""
        root = parse(month_chart_svg(["Jan 01", "Jan 02"], [50, 80], [10, 20], title="a.test"))

        assert root.tag == f"{SVG}svg"
        assert (root.get("width"), root.get("height")) == (str(WIDTH), str(HEIGHT))
        assert root.find(f"{SVG}title").text == "a.test"

    @pytest.mark.parametrize(
        ("health", "pages", "dots", "bars", "lines"),
        [
            ([], [], 0, 0, 0),  # no crawls: an empty frame
            ([70], [5], 1, 1, 0),  # one crawl: a dot, no line
            ([70, 80, 90], [5, 6, 7], 3, 3, 1),  # three crawls: one line through three dots
            ([70, None, 90], [5, None, 7], 2, 2, 0),  # a missing score breaks the line
            ([70, 75, None, 80, 85], [1, 2, 3, 4, 5], 4, 5, 2),  # two segments around a gap
            ([None, None], [0, 0], 0, 2, 0),  # never scored: bars only (zero height)
        ],
    )
    def test_points(self, health, pages, dots, bars, lines):
        """One dot per score, one bar per page count, and lines only between scores."""
        labels = [f"Jan {day:02d}" for day in range(1, len(health) + 1)]
        root = parse(month_chart_svg(labels, health, pages, title="t"))

        assert len(shapes(root, "circle", "health")) == dots
        assert len(shapes(root, "rect", "pages")) == bars
        assert len(list(root.iter(f"{SVG}polyline"))) == lines

    def test_no_crawls_says_so(self):
        """An empty month draws the axes and a note, not a blank box."""
        assert "No completed crawls" in texts(parse(month_chart_svg([], [], [], title="t")))

    def test_scores_are_clamped_to_the_plot(self):
        """A score outside 0–100 is drawn at the edge, never outside the chart."""
        root = parse(month_chart_svg(["a", "b"], [-5, 150], [1, 1], title="t"))

        ys = [float(dot.get("cy")) for dot in shapes(root, "circle", "health")]
        assert all(0 <= y <= HEIGHT for y in ys)

    def test_text_is_escaped(self):
        """Titles and labels from users are escaped: the SVG still parses, the text survives."""
        title = 'Tom & Jerry <script>alert("x")</script>'
        svg = month_chart_svg(["<b>"], [50], [1], title=title)

        root = parse(svg)
        assert "<script>" not in svg
        assert title in texts(root)
        assert "<b>" in texts(root)

    def test_mismatched_series_are_refused(self):
        """Series of different lengths are a programming error, named in the message."""
        with pytest.raises(ValueError, match="one label, score and page count per crawl"):
            month_chart_svg(["a"], [1, 2], [1], title="t")

    def test_many_crawls_thin_out_the_labels(self):
        """With a crawl every day, every n-th crawl is labelled so labels do not overlap."""
        labels = [f"Jan {day:02d}" for day in range(1, 32)]
        root = parse(month_chart_svg(labels, [50.0] * 31, [10] * 31, title="t"))

        shown = [text for text in texts(root) if text.startswith("Jan ")]
        assert 2 <= len(shown) <= 10
        assert shown[0] == "Jan 01"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 1),  # an empty month still has an axis
        (1, 1),
        (3, 5),
        (20, 20),
        (101, 200),
        (9_999, 10_000),
    ],
)
def test_nice_ceiling(value, expected):
    """The page axis tops out at a round 1, 2 or 5 × 10ⁿ."""
    assert nice_ceiling(value) == expected


def test_data_uri_round_trips():
    """The data URI is base64 of the SVG, as markdown images in the Prefect UI need."""
    svg = month_chart_svg(["a"], [1], [1], title="é")
    uri = svg_data_uri(svg)

    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode() == svg


class TestInTheMonthlyReport:
    COLUMNS = ("crawl_id", "site_id", "status", "started_at", "finished_at", "pages_crawled",
               "health_score")  # fmt: skip

    def crawls(self) -> pd.DataFrame:
        day = datetime(2025, 1, 10, 12, tzinfo=UTC)
        rows = [
            (1, 1, "completed", day, day + timedelta(minutes=1), 20, 60.0),
            (2, 1, "failed", day, day + timedelta(days=1), 0, None),
            (3, 1, "completed", day, day + timedelta(days=2), 25, None),
            (4, 1, "completed", day, day + timedelta(days=3), 30, 90.0),
        ]
        return pd.DataFrame(rows, columns=list(self.COLUMNS))

    def test_chart_of_completed_crawls(self):
        """The chart has a slot per completed crawl, in finish order, labelled by date."""
        root = parse(month_chart(self.crawls(), tz="UTC", title="a.test: 2025-01"))

        assert len(shapes(root, "rect", "pages")) == 3  # the failed crawl is left out
        assert len(shapes(root, "circle", "health")) == 2  # one crawl was never scored
        assert {"Jan 10", "Jan 12", "Jan 13"} <= set(texts(root))

    def test_markdown_embeds_the_chart(self):
        """The report's markdown shows the chart as a data-URI image; no chart, no image."""
        chart = month_chart(self.crawls(), tz="UTC", title="t")
        numbers = {
            "crawls": 3, "failedCrawls": 1, "pagesCrawled": 75, "healthScoreAvg": 75.0,
            "healthScoreLast": 90.0, "crawlDurationMeanSeconds": 1.0, "pagesByStatus": {},
            "issuesBySeverity": {}, "issuesByCheck": {},
        }  # fmt: skip
        report = SiteReport(site_id=1, site_name="a", site_url="https://a.test/",
                            period="2025-01", numbers=numbers)  # fmt: skip

        assert "data:image/svg+xml" not in report_markdown(report)
        with_chart = SiteReport(**{**report.__dict__, "numbers": {**numbers, "chartSvg": chart}})
        assert f"![chart]({svg_data_uri(chart)})" in report_markdown(with_chart)
