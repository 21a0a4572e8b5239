"""A site's report of one period.

`SiteReport` is the value the monthly flow passes from task to task (numbers, then job
numbers, then storage and the artifact); `seology.store.monthly.monthly_reports` builds
one per site from the database reads, the crawl numbers and the chart, so that each of
those stays ignorant of the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class SiteReport:
    """One site's report of one period, as stored and as shown."""

    site_id: int
    site_name: str
    site_url: str
    period: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"siteId": self.site_id, "siteUrl": self.site_url, "period": self.period,
                **self.numbers}  # fmt: skip
