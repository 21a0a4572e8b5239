"""Crawl benchmark: a generated 2,000-page site (20–60 KB pages) served from a separate
process, crawled by tasks.crawler.engine; prints pages/s, CPU seconds and peak RSS.

    .venv/bin/python bench/crawl/run.py [--pages 2000] [--parsers 2] [--concurrency 16]

To show that the server is not the limit, it first fetches every page with the same
HTTP client and no parsing ("fetch only"), then runs the real crawl.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import time
from pathlib import Path

from seology.testing.sites import SiteServer, generate_site
from tasks.crawler.engine import CrawlConfig, crawl
from tasks.crawler.fetch import HTML_TYPES, Fetcher, FetchSettings


def build_site(pages: int) -> dict:
    return generate_site(pages, seed=1, page_bytes=(20_000, 60_000))


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid`, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> float:
    """CPU seconds used by the whole machine (all cores) since boot."""
    jiffies = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    busy = sum(jiffies) - jiffies[3] - jiffies[4]  # minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def serve(pages: int, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    server = SiteServer(build_site(pages)).start()
    ready.put(server.base_url)
    stop.wait()
    server.stop()


async def fetch_only(base_url: str, pages: int, concurrency: int) -> float:
    settings = FetchSettings(user_agent="bench", allow_private=True, max_connections=concurrency)
    urls = [f"{base_url}/"] + [f"{base_url}/page/{n}" for n in range(1, pages)]
    queue = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    async with Fetcher(settings) as fetcher:

        async def worker() -> None:
            while not queue.empty():
                await fetcher.fetch(queue.get_nowait(), body_for=HTML_TYPES)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(urls) / (time.perf_counter() - started)


async def run_crawl(base_url: str, args: argparse.Namespace) -> tuple[int, float]:
    config = CrawlConfig(
        start_url=f"{base_url}/",
        max_pages=args.pages,
        concurrency=args.concurrency,
        per_host_connections=args.concurrency,
        allow_private_targets=True,
        parser_processes=args.parsers,
    )
    count = 0

    async def on_batch(batch: list) -> None:
        nonlocal count
        count += len(batch)

    started = time.perf_counter()
    await crawl(config, on_batch=on_batch)
    return count, time.perf_counter() - started


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--parsers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=serve, args=(args.pages, ready, stop), daemon=True)
    server.start()
    base_url = ready.get(timeout=120)
    print(f"site: {args.pages} pages of 20-60 KB, served by a separate process")
    server_before = proc_cpu(server.pid)
    rate = asyncio.run(fetch_only(base_url, args.pages, args.concurrency))
    print(
        f"fetch only (same client, no parsing): {rate:.0f} pages/s; "
        f"server CPU {proc_cpu(server.pid) - server_before:.1f} s"
    )
    main_before, machine_before, server_before = cpu(), machine_cpu(), proc_cpu(server.pid)
    count, seconds = asyncio.run(run_crawl(base_url, args))
    main_cpu, server_cpu = cpu() - main_before, proc_cpu(server.pid) - server_before
    other_cpu = machine_cpu() - machine_before - main_cpu - server_cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stop.set()
    server.join(timeout=10)
    print(f"crawl: {count} pages in {seconds:.1f} s = {count / seconds:.0f} pages/s")
    print(
        f"crawl CPU: {main_cpu:.1f} s main process + ~{other_cpu:.1f} s parser processes "
        f"(machine-wide minus main and server; noisy); server {server_cpu:.1f} s"
    )
    print(f"peak RSS of the main crawl process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
