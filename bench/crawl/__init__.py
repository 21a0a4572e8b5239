"""The crawl benchmark: ours against Scrapy (`python -m bench.crawl.run`)."""
