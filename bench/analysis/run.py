"""Analysis prompt benchmark: how big is Claude's prompt for a 10,000-page crawl?

    .venv/bin/python -m bench.analysis.run                  # 10,000 pages, typical and worst
    .venv/bin/python -m bench.analysis.run --pages 50000

Builds crawl rows as the `pages` table holds them (a mix of missing, duplicate and long
titles, missing descriptions, thin pages, 404s and 5xx; and a worst case where every
page fails every title/description check with long values), digests them as the
`build-claude-analysis` task does, and counts the prompt's tokens with
`messages.count_tokens` through the real SDK against the local Messages-API server
(seology.testing.anthropic_server: 4 characters per token, output schema included).
Then runs the analysis twice against that server to show the cache at work and the
estimated cost at list price. Figures are printed, never asserted; the budget is
30,000 input tokens (docs/internals/analysis.md). The worst case adds an audit where 80
checks fire, each with 10 long sample URLs (the digest keeps 40 checks, 5 URLs each).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from seology.analysis.claude import (
    CheckFinding,
    analyse,
    build_prompt,
    digest_crawl,
    estimate_tokens,
)
from seology.analysis.model import SiteAnalysis
from seology.analysis.rules import page_facts
from seology.core.settings import Settings
from seology.testing.anthropic_server import AnthropicServer

BUDGET_TOKENS = 30_000
LONG = "Hand-made solid oak furniture for small kitchens and bright dining rooms "


def typical_row(i: int) -> dict[str, Any]:
    """One `pages` row of a shop: most pages fine, a realistic share of each problem."""
    title = f"Oak table model {i} for small kitchens | Oakshop"
    if i % 10 == 0:
        title = None
    elif i % 20 == 1:
        title = "Oakshop"  # duplicated and short
    elif i % 25 == 2:
        title = LONG * 2
    meta = None if i % 8 == 0 else f"Order oak table model {i}: built to size, delivered."
    status = 404 if i % 150 == 0 else 500 if i % 1000 == 3 else 200
    headings = {"h1": [f"Oak table {i}"], "h2": ["Sizes", "Finishes", "Delivery"]}
    record = {"is_html": True, "headings": headings, "images": [{"alt": None}] * (i % 3)}
    return {
        "url": f"https://oakshop.example/tables/{i // 100}/oak-table-model-{i}",
        "status_code": status, "content_type": "text/html", "title": title,
        "meta_description": meta, "h1": f"Oak table {i}",
        "word_count": 120 if i % 4 == 0 else 650, "record": record,
    }  # fmt: skip


def worst_row(i: int) -> dict[str, Any]:
    """Every title and description check fails, with values far beyond the caps."""
    row = typical_row(i)
    record = {"is_html": True, "headings": {"h1": [LONG * 3], "h2": [LONG * 3] * 3}}
    return row | {
        "url": f"https://oakshop.example/{'deep/' * 30}{i}",
        "status_code": 200,
        "title": None if i % 2 else LONG * 4,
        "meta_description": None if i % 2 else LONG * 6,
        "h1": LONG * 3,
        "record": record,
    }


def worst_audit(checks: int = 80) -> list[CheckFinding]:
    """An audit where more checks fire than the digest keeps, each with long URLs."""
    urls = tuple(f"https://oakshop.example/{'deep/' * 60}{j}" for j in range(10))
    return [
        CheckFinding(check_id=f"audit.check_{i}", severity="warning", count=10_000 - i,
                     sample_urls=urls)
        for i in range(checks)
    ]  # fmt: skip


def measure(
    name: str, rows: list[dict[str, Any]], server: AnthropicServer, audit: list[CheckFinding]
) -> None:
    import anthropic

    started = time.perf_counter()
    pages = [page_facts(row) for row in rows]
    digest = digest_crawl(
        pages, site_name="Oakshop", site_url="https://oakshop.example/", audit=audit
    )
    prompt = build_prompt(digest)
    seconds = time.perf_counter() - started
    stable = "".join(block["text"] for block in prompt.system)
    client = anthropic.Anthropic(api_key="bench", base_url=server.base_url)
    counted = client.messages.count_tokens(
        model="claude-sonnet-4-5", system=prompt.system, messages=prompt.messages,  # type: ignore[arg-type]
        output_format=SiteAnalysis,
    ).input_tokens  # fmt: skip
    print(
        f"{name}: {len(rows):,} pages → digest of {len(digest.findings)} findings, "
        f"{len(digest.rewrites)} rewrite candidates ({digest.rewrites_total:,} pages need one) "
        f"in {seconds:.2f}s\n"
        f"  prompt {len(prompt.text()):,} chars; stable part {estimate_tokens(stable):,} "
        f"tokens (cached); count_tokens with schema: {counted:,} input tokens "
        f"= {counted / BUDGET_TOKENS:.0%} of the {BUDGET_TOKENS:,} budget"
    )


def cost_demo(rows: list[dict[str, Any]], server: AnthropicServer, model: str) -> None:
    """Two analyses in a row: the second reads the stable prefix from the cache."""
    pages = [page_facts(row) for row in rows]
    digest = digest_crawl(pages, site_name="Oakshop", site_url="https://oakshop.example/")
    settings = Settings(anthropic_base_url=server.base_url, anthropic_model=model)
    for label in ("first", "second"):
        usage = analyse(digest, settings=settings, api_key="bench", concurrency_limit=None).usage
        print(
            f"{label} analysis: {usage.input_tokens:,} input "
            f"+ {usage.cache_write_tokens:,} cache write + {usage.cache_read_tokens:,} cache read "
            f"+ {usage.output_tokens:,} output tokens "
            f"→ ${usage.cost_usd:.4f} at {model} list price (output: the server's stub answer)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--model", default="claude-sonnet-4-5")
    args = parser.parse_args()
    typical = [typical_row(i) for i in range(args.pages)]
    with AnthropicServer() as server:
        measure("typical", typical, server, audit=[])
        worst = [worst_row(i) for i in range(args.pages)]
        measure("worst", worst, server, audit=[])
        measure("worst+80 audit checks", worst, server, audit=worst_audit())
        cost_demo(typical, server, args.model)


if __name__ == "__main__":
    main()
