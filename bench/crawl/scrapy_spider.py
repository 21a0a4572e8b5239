"""The Scrapy side of the benchmark: a spider extracting the same SEO fields, in its own process.

    python -m bench.crawl.scrapy_spider BASE_URL PAGES [--concurrency 16] [--idiomatic]

Same work as ours: robots.txt (Scrapy's ROBOTSTXT_OBEY, Protego), the sitemap, then
every internal link; per page the title(s), meta description and robots, canonical,
hreflang, lang, viewport, charset, h1–h6, word count (body text outside script, style,
noscript, template, nav, header, footer), images, links with anchor text and rel,
JSON-LD (parsed) and Open Graph, with parsel, Scrapy's selector library.

By default the spider keeps its own seen-set and skips known URLs before building a
Request (docs/performance.md: 134–138 pages/s against 97 for the idiomatic spider, whose
duplicate links each cost a Request and a fingerprint before the dupefilter drops it):
the faster Scrapy is the bar. `--idiomatic` follows every link with `response.follow`.
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

HIDDEN = "script|style|noscript|template|nav|header|footer|head"
TEXT_XPATH = (
    "//body//text()[not(" + " or ".join(f"ancestor::{name}" for name in HIDDEN.split("|")) + ")]"
)


def extract(response: Response) -> dict:
    """The SEO fields of one page, the idiomatic parsel way."""
    sel = response.selector
    words = " ".join(sel.xpath(TEXT_XPATH).getall()).split()
    return {
        "url": response.url,
        "status": response.status,
        "titles": [" ".join(t.split()) for t in sel.xpath("//title//text()").getall()],
        "meta_descriptions": sel.xpath("//meta[@name='description']/@content").getall(),
        "meta_robots": sel.xpath("//meta[@name='robots']/@content").getall(),
        "canonicals": sel.xpath("//link[@rel='canonical']/@href").getall(),
        "hreflang": [
            {"lang": link.attrib.get("hreflang"), "href": link.attrib.get("href")}
            for link in sel.xpath("//link[@rel='alternate'][@hreflang]")
        ],
        "html_lang": sel.xpath("/html/@lang").get(),
        "viewport": sel.xpath("//meta[@name='viewport']/@content").get(),
        "charset": sel.xpath("//meta/@charset").get(),
        "headings": {
            f"h{n}": sel.xpath(f"//h{n}").xpath("normalize-space()").getall() for n in range(1, 7)
        },
        "word_count": len(words),
        "images": [
            {k: img.attrib.get(k) for k in ("src", "alt", "width", "height")}
            for img in sel.xpath("//img")
        ],
        "links": [
            {
                "href": a.attrib["href"].strip(),
                "anchor_text": a.xpath("normalize-space()").get(),
                "rel": a.attrib.get("rel", ""),
            }
            for a in sel.xpath("//a[@href]")
        ],
        "json_ld": [
            json.loads(s)
            for s in sel.xpath("//script[@type='application/ld+json']/text()").getall()
        ],
        "open_graph": {
            m.attrib["property"]: m.attrib.get("content")
            for m in sel.xpath("//meta[starts-with(@property, 'og:')]")
        },
    }


class SeoSpider(scrapy.Spider):
    name = "seo"

    def __init__(self, base_url: str, idiomatic: bool, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self.idiomatic = idiomatic
        self.seen: set[str] = set()
        self.pages = 0

    async def start(self):
        yield scrapy.Request(f"{self.base_url}/sitemap.xml", callback=self.parse_sitemap)
        self.seen.add(f"{self.base_url}/")
        yield scrapy.Request(f"{self.base_url}/", callback=self.parse)

    def parse_sitemap(self, response: Response):
        response.selector.remove_namespaces()
        for loc in response.xpath("//loc/text()").getall():
            yield from self.follow(response, loc.strip())

    def parse(self, response: Response):
        self.pages += 1
        item = extract(response)
        yield item
        for link in item["links"]:
            yield from self.follow(response, link["href"])

    def follow(self, response: Response, href: str):
        if self.idiomatic:
            if urlsplit(response.urljoin(href)).netloc == self.host:
                yield response.follow(href, callback=self.parse)
            return
        url = urldefrag(response.urljoin(href))[0]
        if url in self.seen or urlsplit(url).netloc != self.host:
            return
        self.seen.add(url)
        yield scrapy.Request(url, callback=self.parse)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("pages", type=int, help="the site's size (the spider stops when done)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--idiomatic", action="store_true")
    args = parser.parse_args()
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": True,
            "LOG_LEVEL": "ERROR",
            "TELNETCONSOLE_ENABLED": False,
            "USER_AGENT": "bench-scrapy",
        }
    )
    crawler = process.create_crawler(SeoSpider)
    started = time.perf_counter()
    process.crawl(crawler, base_url=args.base_url, idiomatic=args.idiomatic)
    process.start()
    seconds = time.perf_counter() - started
    pages = crawler.spider.pages
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {"pages": pages, "seconds": seconds, "main_rss_mb": usage.ru_maxrss / 1024}
    result["main_cpu"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


if __name__ == "__main__":
    main()
