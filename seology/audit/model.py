"""The audit's output: issue records, and the result of one audit run.

An issue is `{check_id, severity, url, detail}` (docs/audit-checks.md): `detail` is plain
JSON that says exactly what was found (the offending value, the link target, the
robots.txt line), so that a report can show the evidence without the page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice")
Detail = dict[str, Any]


@dataclass(frozen=True, slots=True)
class IssueRecord:
    """One finding of one check on one URL."""

    check_id: str
    severity: Severity
    url: str
    detail: Detail = field(default_factory=dict, compare=False, hash=False)

    def as_row(self) -> dict[str, Any]:
        """The `issues` table row (without the crawl id)."""
        return {
            "check_id": self.check_id,
            "severity": self.severity,
            "url": self.url,
            "detail": self.detail,
        }


@dataclass(frozen=True, kw_only=True)
class AuditResult:
    """Every issue of a crawl, its health score and the counts reports show."""

    issues: list[IssueRecord]
    html_pages: int
    pages_with_errors: int
    health_score: float | None
    pages_audited: int = 0

    @property
    def by_severity(self) -> dict[str, int]:
        """Issue counts per severity, every severity present (0 when none)."""
        counts = Counter(issue.severity for issue in self.issues)
        return {severity: counts.get(severity, 0) for severity in SEVERITIES}

    @property
    def by_check(self) -> dict[str, int]:
        """Issue counts per check id, most frequent first (ties by id)."""
        counts = Counter(issue.check_id for issue in self.issues)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def summary(self) -> dict[str, Any]:
        """The keys merged into `Crawl.summary` and the job's result."""
        return {
            "healthScore": self.health_score,
            "issuesTotal": len(self.issues),
            "issuesBySeverity": self.by_severity,
            "issuesByCheck": self.by_check,
        }
