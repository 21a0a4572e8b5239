"""The analysis as the markdown page of the Prefect UI (plain functions: no Prefect)."""

from __future__ import annotations

from seology.analysis.model import AnalysisUsage, CrawlInfo, SiteAnalysis


def _cell(value: object) -> str:
    """A markdown table cell: no pipes or newlines to break the row."""
    return str(value if value is not None else "—").replace("|", "\\|").replace("\n", " ")


def usage_markdown(usage: AnalysisUsage | None) -> str:
    """The cost section of the artifact: tokens by kind and the estimated price."""
    if usage is None:
        return "## Cost\n\nThe rules engine runs offline: no tokens, no cost.\n"
    return (
        f"## Cost\n\nModel `{usage.model}`, {usage.calls} answer(s).\n\n"
        "| input | output | cache read | cache write | estimated cost |\n"
        "|---:|---:|---:|---:|---:|\n"
        f"| {usage.input_tokens} | {usage.output_tokens} | {usage.cache_read_tokens} "
        f"| {usage.cache_write_tokens} | ${usage.cost_usd:.4f} |\n"
    )


def analysis_markdown(
    *,
    site_name: str,
    site_url: str,
    crawl: CrawlInfo,
    analysis: SiteAnalysis,
    usage: AnalysisUsage | None = None,
) -> str:
    """The analysis as a markdown page (plain function: tested without Prefect)."""
    problems = "\n".join(
        f"| {p.impact} | {p.severity} | {_cell(p.title)} | {p.affected_pages} "
        f"| {_cell(p.how_to_fix)} |"
        for p in analysis.top_problems
    )
    wins = "\n".join(f"- {win}" for win in analysis.quick_wins) or "- none"
    suggestions = "\n".join(
        f"| {_cell(s.url)} | {s.field} | {_cell(s.current)} | {_cell(s.suggested)} |"
        for s in analysis.page_suggestions
    )
    return (
        f"# Analysis of {_cell(site_name)} ({analysis.engine} engine)\n\n"
        f"Crawl #{crawl.id} of {site_url}, {crawl.pages_crawled} pages.\n\n"
        f"{analysis.summary}\n\n## Top problems\n\n"
        f"| impact | severity | problem | pages | how to fix |\n|---:|---|---|---:|---|\n"
        f"{problems}\n\n## Quick wins\n\n{wins}\n\n## Suggested rewrites\n\n"
        f"| URL | field | current | suggested |\n|---|---|---|---|\n{suggestions}\n\n"
        f"{usage_markdown(usage)}"
    )
