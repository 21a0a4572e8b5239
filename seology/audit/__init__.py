"""The SEO audit: every check of docs/audit-checks.md over a crawl's page records.

    result = run_audit(records, outcome, AuditConfig.from_settings(get_settings()))
    result.issues, result.health_score, result.by_check

Plain functions over data, no I/O: the Prefect task that reads records from the
database and stores the issues is `tasks.audit.audit_crawl`. How it works:
docs/internals/audit.md.
"""

from __future__ import annotations

from seology.audit.config import AuditConfig
from seology.audit.model import SEVERITIES, AuditResult, IssueRecord, Severity
from seology.audit.registry import CHECKS, CheckInfo, check_info
from seology.audit.runner import run_audit

__all__ = [
    "CHECKS",
    "SEVERITIES",
    "AuditConfig",
    "AuditResult",
    "CheckInfo",
    "IssueRecord",
    "Severity",
    "check_info",
    "run_audit",
]
