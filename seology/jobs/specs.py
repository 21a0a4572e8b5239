"""The four deployments as data: what prefect.yaml declares, in a form code can use.

The job API enqueues by deployment name; `seology schedules` finds schedules by the
short name. tests/unit/test_deployments.py checks that prefect.yaml says the same.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class DeploymentSpec:
    """One deployment of prefect.yaml."""

    #: The short name used by the CLI and the job API (`crawl`, `daily`, ...).
    name: str
    #: The Prefect flow name; the full deployment name is `<flow_name>/<name>`.
    flow_name: str
    entrypoint: str
    work_queue: str
    cron: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"


CRAWL = DeploymentSpec(
    name="crawl", flow_name="crawl-site", entrypoint="flows.crawl.crawl_site", work_queue="default"
)
ANALYSIS = DeploymentSpec(
    name="analysis",
    flow_name="analyze-site",
    entrypoint="flows.analysis.analyze_site",
    work_queue="default",
)
DAILY = DeploymentSpec(
    name="daily",
    flow_name="daily-maintenance",
    entrypoint="flows.daily.daily_maintenance",
    work_queue="low",
    cron="0 0 * * *",
)
MONTHLY = DeploymentSpec(
    name="monthly",
    flow_name="monthly-report",
    entrypoint="flows.monthly.monthly_report",
    work_queue="low",
    cron="0 0 1 * *",
)

#: Not a job users enqueue: started by an automation when a job's worker died.
RECOVER = DeploymentSpec(
    name="recover",
    flow_name="recover-job",
    entrypoint="flows.recover.recover_job",
    work_queue="critical",
)

DEPLOYMENTS: tuple[DeploymentSpec, ...] = (CRAWL, ANALYSIS, DAILY, MONTHLY, RECOVER)


def spec_by_name(name: str) -> DeploymentSpec:
    """The deployment with short name `name`."""
    for spec in DEPLOYMENTS:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in DEPLOYMENTS)
    msg = f"unknown deployment {name!r}; known: {known}"
    raise ValueError(msg)
