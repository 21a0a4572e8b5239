"""One crawl of the benchmark site by seology.crawler.engine, in its own process.

    python -m bench.crawl.ours BASE_URL PAGES [--concurrency 16] [--parsers N] [--no-resources]
        [--render auto]

Prints `PROGRESS <pages> <peak RSS MB>` at 2k/5k/10k pages (with `--render`: at a fifth,
half and all of PAGES) and one JSON line at the
end (pages, seconds, peak RSS of this process). The parser processes are children of
this one and are waited for when the crawl closes its pool, so the parent's
RUSAGE_CHILDREN includes them: the CPU figure covers every process of the crawl.
Resource checks (images, hreflang and canonical targets, external links) are on, as
in a real crawl; `--no-resources` turns them off, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time

from seology.crawler.config import DEFAULT_RESOURCES, CrawlConfig
from seology.crawler.engine import crawl
from seology.crawler.records import PageRecord
from seology.crawler.render import RenderConfig

MARKS = (2_000, 5_000, 10_000)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(
    base_url: str,
    pages: int,
    concurrency: int,
    parsers: int | None,
    resources: bool,
    render: str = "never",
) -> dict:
    marks = MARKS if render == "never" else (pages // 5, pages // 2, pages)
    config = CrawlConfig(
        start_url=f"{base_url}/",
        max_pages=pages,
        concurrency=concurrency,
        per_host_connections=concurrency,
        allow_private_targets=True,
        parser_processes=parsers,
        resources=DEFAULT_RESOURCES if resources else None,
        render=render,  # type: ignore[arg-type]
        render_config=RenderConfig(tabs=concurrency),
    )
    counts = {"pages": 0, "html": 0}

    async def on_batch(batch: list[PageRecord]) -> None:
        counts["pages"] += len(batch)
        counts["html"] += sum(1 for r in batch if r.titles)

    async def on_progress(done: int, total: int) -> None:
        if done in marks:
            print(f"PROGRESS {done} {peak_rss_mb():.1f}", flush=True)

    started = time.perf_counter()
    outcome = await crawl(config, on_batch=on_batch, on_progress=on_progress)
    seconds = time.perf_counter() - started
    checked = sum(c.checked for c in outcome.resources.values())
    failed = sum(c.failed for c in outcome.resources.values())
    return {
        **counts,
        "seconds": seconds,
        "stopped_by": outcome.stopped_by,
        "resources": {"checked": checked, "failed": failed},
        "rendered": outcome.rendering.pages_rendered if outcome.rendering else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("pages", type=int)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--parsers", type=int, default=None)
    parser.add_argument("--no-resources", dest="resources", action="store_false")
    parser.add_argument("--render", default="never", choices=("never", "auto", "always"))
    args = parser.parse_args()
    result = asyncio.run(
        run(args.base_url, args.pages, args.concurrency, args.parsers, args.resources, args.render)
    )
    result["main_rss_mb"] = peak_rss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["main_cpu"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
