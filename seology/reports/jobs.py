"""A site's jobs of the month in numbers: plain pandas over the job facade's records.

The records come from the Prefect API (`seology.jobs.queue.site_job_history`), not from the
app database, so they are counted apart from the crawls (`seology.reports.crawls`); what
belongs to a month and why durations are of completed jobs only:
docs/internals/monitoring.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seology.core.job_model import JobStatus
from seology.reports.crawls import json_number

if TYPE_CHECKING:
    import pandas as pd

#: Job types always in a report's `jobs`, run or not, so that reports line up.
REPORT_JOB_TYPES = ("crawl", "analysis")
#: Columns of a site's job records (`seology.jobs.queue.site_job_history`) the numbers use.
JOB_COLUMNS = ("id", "type", "status", "expected_start_time", "duration_seconds")


def jobs_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A site's job records (`seology.jobs.queue.site_job_history`) as a frame of `JOB_COLUMNS`."""
    import pandas as pd

    return pd.DataFrame(records, columns=list(JOB_COLUMNS))


def job_numbers(jobs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per job type: jobs in the period, how they ended, success rate and durations.

    `jobs`: type, status (a job status: PENDING … CANCELLED), duration_seconds. Crawl
    and analysis always appear; any other type found is added after them.
    """
    found = sorted(str(kind) for kind in jobs["type"].dropna().unique())
    kinds = dict.fromkeys([*REPORT_JOB_TYPES, *found])
    return {kind: _type_numbers(jobs[jobs["type"] == kind]) for kind in kinds}


def _type_numbers(jobs: pd.DataFrame) -> dict[str, Any]:
    """Success rate = completed / finished (completed, failed or cancelled); durations
    are of completed jobs, p95 interpolated linearly (pandas' default)."""
    import pandas as pd

    statuses = jobs["status"].value_counts()
    counts = {status.value.lower(): int(statuses.get(status.value, 0)) for status in JobStatus}
    finished = counts["completed"] + counts["failed"] + counts["cancelled"]
    completed = jobs[jobs["status"] == JobStatus.COMPLETED.value]
    seconds = pd.to_numeric(completed["duration_seconds"], errors="coerce").dropna()
    return {
        "total": len(jobs),
        **counts,
        "successRate": round(counts["completed"] / finished, 4) if finished else None,
        "durationMeanSeconds": json_number(seconds.mean(), 3),
        "durationP95Seconds": json_number(seconds.quantile(0.95), 3),
    }
