"""Monitoring over HTTP: change records and monthly reports."""

from __future__ import annotations

from typing import Any

from seology.api.schemas.common import Timestamp
from seology.core.models import CamelModel


class ChangesOut(CamelModel):
    site_id: int
    crawl_id: int
    job_id: str
    finished_at: Timestamp | None
    previous_crawl_id: int | None
    created_at: Timestamp
    changes: dict[str, Any]


class ReportOut(CamelModel):
    id: int
    site_id: int
    period: str
    job_id: str | None
    created_at: Timestamp
    chart_url: str | None
    data: dict[str, Any]


class ReportList(CamelModel):
    reports: list[ReportOut]


class ReportEnvelope(CamelModel):
    report: ReportOut
