"""The parser pool: pages parsed in worker processes equal the inline parse; a dead
worker fails only the pages it held and is replaced."""

from __future__ import annotations

import asyncio
import os
import random
import signal

import pytest

from bench.crawl.site import render_page
from tasks.crawler.parse import parse_page
from tasks.crawler.pool import ParserDied, ParserPool

URL = "https://www.example.com/page/1"
HEADERS = [("content-type", "text/html; charset=utf-8")]


def pages(count: int) -> list[bytes]:
    rng = random.Random(7)
    return [render_page(rng, n, 50, "https://www.example.com").encode() for n in range(count)]


def test_pool_answers_equal_inline_parse():
    """More pages than workers, in flight at once: each answer is its own page's."""
    bodies = pages(12)

    async def main() -> list[dict]:
        async with ParserPool(2) as pool:
            return await asyncio.gather(*(pool.parse(b, URL, HEADERS) for b in bodies))

    assert asyncio.run(main()) == [parse_page(b, URL, HEADERS) for b in bodies]


def test_pages_larger_than_a_pipe_buffer():
    """A 3 MB page goes through (the write transport buffers what the pipe cannot take)."""
    body = b"<title>big</title><p>" + b"word " * 600_000 + b"</p>"

    async def main() -> dict:
        async with ParserPool(1) as pool:
            return await pool.parse(body, URL, HEADERS)

    assert asyncio.run(main())["word_count"] == 600_000


def test_dead_worker_fails_its_pages_and_is_replaced():
    """Killing a worker mid-crawl: its page raises ParserDied; the next page parses."""
    body = pages(1)[0]

    async def main() -> tuple[BaseException | None, dict]:
        async with ParserPool(1) as pool:
            worker = pool.workers[0]
            os.kill(worker.process.pid, signal.SIGKILL)
            with pytest.raises(ParserDied) as died:
                await pool.parse(body, URL, HEADERS)
            return died.value, await pool.parse(body, URL, HEADERS)

    error, fields = asyncio.run(main())
    assert isinstance(error, ParserDied)
    assert fields == parse_page(body, URL, HEADERS)
