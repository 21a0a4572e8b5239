"""Audit benchmark: run every check over synthetic page records; print the time.

    .venv/bin/python bench/audit/run.py [--pages 10000] [--links 60]

Records are generated in memory, the way the crawler fills them: internal links to
random pages, a few external ones, images, headings, canonicals, hreflang on some pages,
redirects and errors on a few, and clusters of near-duplicate text (SimHash fingerprints
a few bits apart) so that the banded near-duplicate search has work to do. The crawl's
resource checks are fed in as the flow feeds them (only the problem ones): one image
in a hundred broken, one external link in ten, hreflang alternates that redirect. Only
`run_audit` is timed, not the generation.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections import Counter

from seology.audit import run_audit
from seology.crawler.records import (
    Canonical,
    CrawlOutcome,
    Hreflang,
    Image,
    LinkRecord,
    PageRecord,
    RedirectHop,
    ResourceRecord,
)

SITE = "https://bench.example"


def fingerprint(rng: random.Random, clusters: list[int]) -> str:
    """Every fifth page near a cluster centre (0–8 bits away), the rest random."""
    if rng.random() < 0.2:
        value = rng.choice(clusters)
        for bit in rng.sample(range(64), rng.randint(0, 8)):
            value ^= 1 << bit
    else:
        value = rng.getrandbits(64)
    return f"{value:016x}"


def record(n: int, pages: int, links: int, rng: random.Random, clusters: list[int]) -> PageRecord:
    url = f"{SITE}/p/{n}" if n else f"{SITE}/"
    targets = [f"{SITE}/p/{rng.randrange(pages)}" for _ in range(links)]
    status = 404 if n % 97 == 0 else 200
    return PageRecord(
        url=url,
        final_url=url,
        depth=min(n, 6),
        status_code=status,
        response_time_ms=rng.uniform(50, 1500),
        content_type="text/html; charset=utf-8",
        size_bytes=rng.randint(10_000, 200_000),
        in_sitemap=rng.random() < 0.9,
        is_html=True,
        titles=[f"Product {n % 3000} of the bench shop, great value"],
        meta_descriptions=[f"Bench page {n % 5000}: " + "text " * rng.randint(5, 30)],
        meta_robots=["noindex"] if n % 50 == 0 else [],
        canonicals=[Canonical(href=url if n % 10 else f"{SITE}/p/{n + 1}", source="head")],
        hreflang=[Hreflang(lang="en", href=url), Hreflang(lang="de", href=f"{SITE}/p/{n + 1}")]
        if n % 7 == 0
        else [],
        html_lang="en",
        viewport="width=device-width",
        charset="utf-8",
        headings={"h1": [f"Heading {n % 4000}"], "h2": ["Details", "More"], "h3": ["Specs"]},
        heading_levels=[1, 2, 3, 2] if n % 3 else [1, 3],
        word_count=rng.randint(50, 1500),
        text_hash=f"{n % 9000:040x}",
        text_fingerprint=fingerprint(rng, clusters),
        images=[Image(src=f"/img/{n}-{i}.png", target=f"{SITE}/img/{n}-{i}.png",
                      alt=None if i == 0 else "photo") for i in range(10)],
        links=[LinkRecord(href=t[len(SITE) :], target=t, anchor_text="See this product",
                          internal=True) for t in targets]
        + [LinkRecord(href=f"https://other.example/{n % 50}-{i}",
                      target=f"https://other.example/{n % 50}-{i}", anchor_text="read more")
           for i in range(5)],
        open_graph={"og:title": "t", "og:description": "d"},
        security_headers={"strict-transport-security": "max-age=1"},
        redirects=[RedirectHop(url=url, status_code=301, location=url)] if n % 211 == 0 else [],
    )  # fmt: skip


def problem_resources(pages: int) -> list[ResourceRecord]:
    """What the crawl's resource checks would store as problems for these pages."""
    broken_images = [
        ResourceRecord(url=f"{SITE}/img/{n}-3.png", kinds=["image"], status_code=404)
        for n in range(0, pages, 100)
    ]
    broken_links = [
        ResourceRecord(url=f"https://other.example/{n}-0", kinds=["link"], error="timeout")
        for n in range(0, 50, 10)
    ]
    moved = [
        ResourceRecord(url=f"{SITE}/p/{n + 1}", kinds=["hreflang"], status_code=301,
                       location=f"{SITE}/p/{n}", final_status=200)
        for n in range(0, pages, 70)
    ]  # fmt: skip
    return broken_images + broken_links + moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--links", type=int, default=60)
    args = parser.parse_args()
    rng = random.Random(1)
    clusters = [rng.getrandbits(64) for _ in range(args.pages // 200 or 1)]
    started = time.perf_counter()
    records = [record(n, args.pages, args.links, rng, clusters) for n in range(args.pages)]
    generated = time.perf_counter() - started
    outcome = CrawlOutcome(start_url=f"{SITE}/", robots_status=200,
                           robots_txt="User-agent: *\nDisallow: /private/\n",
                           sitemaps=[f"{SITE}/sitemap.xml"])  # fmt: skip
    started = time.perf_counter()
    result = run_audit(records, outcome, resources=problem_resources(args.pages))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    severities = Counter(issue.severity for issue in result.issues)
    print(f"records generated: {args.pages} in {generated:.1f} s ({args.links} links each)")
    print(f"audit: {seconds:.2f} s for {args.pages} records "
          f"({args.pages / seconds:,.0f} records/s); peak RSS {peak_mb:.0f} MB")  # fmt: skip
    print(f"issues: {len(result.issues)} {dict(severities)}; health score {result.health_score}")
    top = list(result.by_check.items())[:8]
    print("top checks: " + ", ".join(f"{check} {count}" for check, count in top))


if __name__ == "__main__":
    main()
