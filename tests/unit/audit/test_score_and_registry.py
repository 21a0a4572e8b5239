"""The health score, the result's counts, and the registry's promises."""

from __future__ import annotations

import pytest

from seology.audit import CHECKS, SEVERITIES, AuditConfig, run_audit
from seology.audit.checks import CRAWL_CHECKS, PAGE_CHECKS
from seology.audit.score import health_score
from tests.unit.audit.builders import answered, home, page


@pytest.mark.parametrize(
    ("pages", "with_errors", "score"),
    [
        (10, 0, 100.0),  # no errors
        (10, 3, 70.0),  # 3 of 10 pages have an error
        (3, 1, 66.7),  # one decimal
        (0, 0, None),  # nothing to judge
    ],
)
def test_health_score_is_the_share_of_pages_without_errors(
    pages: int, with_errors: int, score: float | None
) -> None:
    """0–100, one decimal; None without HTML pages."""
    assert health_score(pages, with_errors) == score


def test_only_error_issues_on_html_pages_lower_the_score() -> None:
    """A 404 HTML page and a page without a title count; a warning does not."""
    records = [
        home(links=[]),
        page("/no-title", titles=[]),  # title.missing: error
        page("/thin", word_count=10),  # content.low_word_count: warning only
        answered("/gone", 404),  # an HTML 404 page: http.4xx
    ]
    result = run_audit(records)
    assert (result.html_pages, result.pages_with_errors, result.health_score) == (4, 2, 50.0)


def test_counts_by_severity_and_check() -> None:
    """Every severity is present; checks are ranked by count."""
    result = run_audit([page("/a", titles=[]), page("/b", titles=[])])
    assert list(result.by_severity) == list(SEVERITIES)
    assert result.by_check["title.missing"] == 2
    assert result.summary()["issuesTotal"] == len(result.issues)


def test_issues_are_unique_per_check_and_url() -> None:
    """Two records of one page (directly and via a redirect) give one issue each."""
    result = run_audit([page("/a", titles=[]), page("/a", titles=[], url="https://ex.com/o")])
    assert [i.url for i in result.issues if i.check_id == "title.missing"] == ["https://ex.com/a"]


def test_every_registry_id_has_exactly_one_implementation() -> None:
    """Page and crawl checks together implement the registry, each id once."""
    assert set(PAGE_CHECKS) | set(CRAWL_CHECKS) == set(CHECKS)
    assert not set(PAGE_CHECKS) & set(CRAWL_CHECKS)


def test_every_registry_entry_explains_itself() -> None:
    """Reports and the analysis prompt need a summary and a fix for every id."""
    for info in CHECKS.values():
        assert info.severity in SEVERITIES
        assert info.summary.endswith(".") and info.fix.endswith(".")


def test_thresholds_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """`SEOLOGY_AUDIT_*` variables change the audit's thresholds."""
    from seology.core.settings import Settings

    monkeypatch.setenv("SEOLOGY_AUDIT_TITLE_MAX_CHARS", "70")
    monkeypatch.setenv("SEOLOGY_AUDIT_NEAR_DUPLICATE_SIMILARITY", "0.95")
    config = AuditConfig.from_settings(Settings())
    assert (config.title_max_chars, config.near_duplicate_max_bits) == (70, 3)
