"""The documentation the code cites is in the repository, and the check reference is whole.

Code, tests and docs cite the design notes, the audit-check reference and the
performance figures by path (`docs/design.md §4`); a citation of a file that is not in
the repository, or of the spec's old names outside it, points nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seology.audit import CHECKS

ROOT = Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {".py", ".md", ".yml", ".yaml", ".toml", ".mako"}
SOURCE_DIRS = ("seology", "tasks", "flows", "deployments", "tests", "bench", "docs")
ROOT_FILES = ("README.md", "pyproject.toml", "prefect.yaml", "Makefile")
#: The spec's names before it moved into docs/ (design.md, audit-checks.md, performance.md).
OLD_NAMES = re.compile(r"\b(?:DESIGN|SEO_CHECKS|PERFORMANCE)\.md\b")
DOC_PATH = re.compile(r"\bdocs/[\w/.-]*\w\.md\b")


def _text_files() -> list[Path]:
    found = [ROOT / name for name in ROOT_FILES if (ROOT / name).exists()]
    for directory in SOURCE_DIRS:
        found += [p for p in (ROOT / directory).rglob("*") if p.suffix in TEXT_SUFFIXES]
    return sorted(p for p in found if p != Path(__file__).resolve())


def _lines(pattern: re.Pattern[str]) -> list[tuple[str, int, str]]:
    hits = []
    for path in _text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            hits += [(str(path.relative_to(ROOT)), number, m) for m in pattern.findall(line)]
    return hits


def test_no_citation_of_the_spec_outside_the_repository() -> None:
    """The spec's old file names are cited nowhere: docs/ holds the spec now."""
    assert _lines(OLD_NAMES) == []


def test_every_cited_doc_exists() -> None:
    """Each `docs/….md` path named anywhere is a file of the repository."""
    missing = [hit for hit in _lines(DOC_PATH) if not (ROOT / hit[2]).is_file()]
    assert missing == []


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_every_check_is_in_the_reference(check_id: str) -> None:
    """docs/audit-checks.md lists every check id the audit can report."""
    reference = (ROOT / "docs" / "audit-checks.md").read_text(encoding="utf-8")
    assert f"`{check_id}`" in reference
