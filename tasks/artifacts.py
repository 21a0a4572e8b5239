"""Reports shown in the Prefect UI as artifacts, keyed per site so the UI keeps their history.

The crawl summary's markdown is built from the job result (the summary dict), section by
section, each only when the result has it: a result stored before a section existed, or
a crawl that rendered nothing, shows no empty table. Text that comes from a crawled site
(URLs) is escaped, so it can neither break a table row nor become a link or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from seology.store.crawls import SiteInfo

#: Characters that make markdown of plain text: code, emphasis, links, HTML, table cells.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>|]")
#: The job result's lab figures, in the order and with the names the artifact shows.
_LAB_FIGURES: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("lcpMs", "LCP (ms)", lambda v: f"{v:,.0f}"),
    ("cls", "CLS", lambda v: f"{v:.3f}"),
    ("transferredBytes", "transferred", lambda v: _size(v)),
    ("requests", "requests", str),
    ("renderBlocking", "render-blocking resources", str),
)


def crawl_summary_markdown(site: SiteInfo, summary: dict[str, Any]) -> str:
    """A short markdown page of a crawl's summary (plain function: tested without Prefect)."""
    codes = summary.get("statusCodes", {})
    code_rows = "\n".join(f"| {_md(code)} | {count} |" for code, count in sorted(codes.items()))
    overview = (
        f"# Crawl of {_md(site.name)}\n\n"
        f"Start URL: {_md(summary['startUrl'])}\n\n"
        f"| figure | value |\n|---|---:|\n"
        f"| pages crawled | {summary['pagesCrawled']} |\n"
        f"| HTML pages | {summary['htmlPages']} |\n"
        f"| fetch errors | {summary['errors']} |\n"
        f"| URLs discovered | {summary['urlsDiscovered']} |\n"
        f"| blocked by robots.txt | {summary['blockedByRobots']} |\n"
        f"| duration (s) | {summary['durationSeconds']} |\n"
        f"| stopped by | {summary['stoppedBy']} |\n\n"
        f"| HTTP status | pages |\n|---|---:|\n{code_rows}\n"
    )
    sections = (
        resources_markdown(summary.get("resources")),
        rendering_markdown(summary.get("rendering")),
    )
    return "\n".join([overview, *(section for section in sections if section)])


def resources_markdown(resources: dict[str, Any] | None) -> str:
    """Resource checks per kind (a URL of two kinds counts in both); "" if none ran."""
    by_kind = (resources or {}).get("byKind") or {}
    if not by_kind:
        return ""
    keys = ("checked", "failed", "unchecked")
    rows = [(kind, *(counts.get(key, 0) for key in keys)) for kind, counts in by_kind.items()]
    rows.append(("all kinds", *(sum(row[i + 1] for row in rows) for i in range(len(keys)))))
    return "## Resource checks\n\n" + _table(("kind", *keys), rows) + "\n"


def rendering_markdown(rendering: dict[str, Any] | None) -> str:
    """What rendering did and, when pages were measured, their lab figures; "" if unknown."""
    if not rendering or not rendering.get("mode"):
        return ""
    mode = rendering["mode"]
    head = "## Rendering\n\n"
    if mode == "never":
        return head + "Mode never: raw HTML only, no page was rendered.\n"
    if rendering.get("available") is False:
        head += f"Rendering was unavailable: {_md(rendering.get('unavailableReason'))}\n\n"
    rendered = rendering.get("pagesRendered") or 0
    if not rendered:
        return head + f"Mode {_md(mode)}: no page was rendered.\n"
    figures = [
        ("mode", mode),
        ("browser", rendering.get("browser")),
        ("pages rendered", rendered),
        ("failed renders", rendering.get("failures", 0)),
        ("render time (s, summed over tabs)", rendering.get("seconds")),
    ]
    reasons = sorted((rendering.get("reasons") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [
        head + _table(("figure", "value"), figures),
        _table(("rendered because", "pages"), reasons) if reasons else "",
        lab_markdown(rendering.get("lab")),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def lab_markdown(lab: dict[str, Any] | None) -> str:
    """Percentiles and maxima of the lab figures, and the slowest pages; "" if none."""
    if not lab or not lab.get("pagesMeasured"):
        return ""
    rows = []
    for key, name, show in _LAB_FIGURES:
        figure = lab.get(key) or {}
        cells = (figure.get(p) for p in ("p50", "p75", "max"))
        rows.append((name, figure.get("pages", 0), *(_maybe(show, v) for v in cells)))
    text = (
        f"### Lab figures\n\nPages measured: {lab['pagesMeasured']}, without throttling "
        "(lab figures of a fast machine: for outliers and regressions, not field data).\n\n"
        + _table(("figure", "pages", "p50", "p75", "max"), rows)
    )
    slowest = lab.get("slowest") or []
    if slowest:
        header = ("page", *(name for _, name, _ in _LAB_FIGURES))
        pages = [
            (page.get("url"), *(_maybe(show, page.get(key)) for key, _, show in _LAB_FIGURES))
            for page in slowest
        ]
        text += "\n\n### Slowest pages (LCP)\n\n" + _table(header, pages)
    return text


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table: the first column names the row, the others are right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(_md(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _md(value: object) -> str:
    """`value` as plain text in markdown, on one line ("—" for None).

    A URL comes from a crawled site: a `|` or a line break in it would end the table
    row, and `[`, `<`, backticks or `*` would make a link, HTML, code or emphasis.
    """
    text = "—" if value is None else " ".join(str(value).splitlines())
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)


def _maybe(show: Callable[[Any], str], value: object) -> str | None:
    return None if value is None else show(value)


def _size(count: int) -> str:
    """Bytes in binary units, as `perf.page_weight` counts them (3 MB = 3 × 1024²)."""
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.2f} MB"


def artifact_key(kind: str, site_id: int) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return f"{kind}-site-{site_id}"


@task(name="publish-crawl-summary", retries=2, retry_delay_seconds=2)
def publish_crawl_summary(site: SiteInfo, summary: dict[str, Any]) -> None:
    create_markdown_artifact(
        key=artifact_key("crawl-summary", site.id),
        markdown=crawl_summary_markdown(site, summary),
        description=f"Crawl summary of {site.url}",
    )
