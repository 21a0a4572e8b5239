"""The Scrapy side of the rendering benchmark: scrapy-playwright, same Chromium, same tabs.

    python -m bench.crawl.scrapy_render BASE_URL PAGES [--concurrency 4]

The idiomatic scrapy-playwright spider: every page request goes to the browser
(`meta={"playwright": True}`) and waits for network idle (Playwright's own: no request
for 500 ms) before the rendered HTML is parsed with `scrapy_spider.extract`, the same
fields as the raw benchmark; links are followed with the spider's own seen-set.
Chromium is the machine's, launched with our crawler's switches (less the proxy,
which scrapy-playwright's routing does not need), `--concurrency` pages at once.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy_playwright.page import PageMethod

from bench.crawl.scrapy_spider import extract
from seology.crawler.browser import LAUNCH_ARGS, find_chromium

WAIT = [PageMethod("wait_for_load_state", "networkidle")]


class RenderSpider(scrapy.Spider):
    name = "seo-render"

    def __init__(self, base_url: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self.seen: set[str] = set()
        self.pages = 0

    async def start(self):
        self.seen.add(f"{self.base_url}/")
        yield self.request(f"{self.base_url}/")

    def request(self, url: str) -> scrapy.Request:
        meta = {"playwright": True, "playwright_page_methods": WAIT}
        return scrapy.Request(url, callback=self.parse, meta=meta)

    def parse(self, response: Response):
        self.pages += 1
        item = extract(response)
        yield item
        for link in item["links"]:
            url = urldefrag(response.urljoin(link["href"]))[0]
            if url in self.seen or urlsplit(url).netloc != self.host:
                continue
            self.seen.add(url)
            yield self.request(url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("pages", type=int, help="the site's size (the spider stops when done)")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    switches = [a for a in LAUNCH_ARGS if not a.startswith("--proxy")]
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": True,
            "LOG_LEVEL": "ERROR",
            "TELNETCONSOLE_ENABLED": False,
            "USER_AGENT": "bench-scrapy",
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "DOWNLOAD_HANDLERS": {
                "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
                "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            },
            "PLAYWRIGHT_BROWSER_TYPE": "chromium",
            "PLAYWRIGHT_LAUNCH_OPTIONS": {
                "executable_path": find_chromium().path,
                "headless": True,
                "args": switches,
            },
            "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": args.concurrency,
            "PLAYWRIGHT_MAX_CONTEXTS": 1,
        }
    )
    crawler = process.create_crawler(RenderSpider)
    started = time.perf_counter()
    process.crawl(crawler, base_url=args.base_url)
    process.start()
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {"pages": crawler.spider.pages, "seconds": seconds}
    result["main_rss_mb"] = usage.ru_maxrss / 1024
    result["main_cpu"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


if __name__ == "__main__":
    main()
