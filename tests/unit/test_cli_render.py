"""The CLI's printing: each table renders the API's JSON without a server."""

from __future__ import annotations

from rich.console import Console

from seology.cli import render

JOB = {
    "id": "5f0c0000-0000-0000-0000-000000000001",
    "type": "crawl",
    "status": "COMPLETED",
    "stateName": "Completed",
    "priority": 8,
    "attempts": 1,
    "siteId": 3,
    "createdAt": "2026-01-31T23:59:59.123Z",
    "startedAt": "2026-02-01T00:00:01.000Z",
    "completedAt": None,
    "durationSeconds": 12.34,
    "progress": 100.0,
    "error": None,
}
COUNTS = {"pending": 1, "processing": 0, "completed": 5, "failed": 2, "cancelled": 0, "total": 8}


def text_of(renderable: object) -> str:
    console = Console(width=200, record=True)
    console.print(renderable)
    return console.export_text()


def test_stats_table_lists_each_type_and_the_totals():
    stats = {**COUNTS, "byType": {"crawl": {**COUNTS, "avgDurationSeconds": 3.25}}}
    text = text_of(render.stats_table(stats))
    assert "crawl" in text and "all" in text
    assert "3.2 s" in text
    assert text.count(" 8") >= 2  # the type's total and the overall total


def test_job_table_shows_times_in_utc_and_the_duration():
    text = text_of(render.job_table(JOB))
    assert "2026-01-31 23:59:59" in text
    assert "12.3 s" in text and "100%" in text
    assert "Completed (UTC)  -" in text


def test_jobs_table_keeps_whole_ids_and_minutes():
    text = text_of(render.jobs_table([JOB]))
    assert JOB["id"] in text
    assert "2026-01-31 23:59 " in text
