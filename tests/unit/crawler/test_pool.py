"""The parser pool: pages parsed in worker processes equal the inline parse; a dead
worker fails only the pages it held and is replaced."""

from __future__ import annotations

import asyncio
import io
import os
import random
import signal
from pathlib import Path

import pytest

from bench.crawl.site import render_page
from seology.crawler.parse import parse_page
from seology.crawler.parser_process import read_frame, write_frame
from seology.crawler.pool import ParserDied, ParserPool

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


def test_parsers_are_lean_children_of_the_crawl():
    """No fork server between us and the parsers, and neither numpy nor our `__main__`
    in them (multiprocessing's forkserver children re-imported `__main__`)."""
    body = pages(1)[0]

    async def main() -> list[tuple[int, str]]:
        async with ParserPool(2) as pool:
            await asyncio.gather(*(pool.parse(body, URL, HEADERS) for _ in range(4)))
            return [(parent_pid(w.process.pid), mapped_files(w.process.pid)) for w in pool.workers]

    for parent, maps in asyncio.run(main()):
        assert parent == os.getpid()
        assert "_multiarray_umath" not in maps  # numpy
        assert "_pydantic_core" not in maps  # anything of the crawl process beyond the parser


def test_frames_round_trip_and_stop_at_eof():
    stream = io.BytesIO()
    write_frame(stream, b"first")
    write_frame(stream, b"")
    stream.write(b"\x00\x00\x00\x09trunc")  # a frame cut short: the writer died
    stream.seek(0)
    assert [read_frame(stream), read_frame(stream), read_frame(stream)] == [b"first", b"", None]


def mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_every_crawl_parses_in_the_pool_small_ones_with_one_process():
    """No crawl size parses on the event loop: small crawls get one parser process."""
    from seology.crawler.pool import POOL_MIN_PAGES, parser_processes_for

    assert parser_processes_for(None, 1) == 1
    assert parser_processes_for(None, POOL_MIN_PAGES - 1) == 1
    assert parser_processes_for(None, 100 * POOL_MIN_PAGES) == (os.cpu_count() or 1)
    assert parser_processes_for(2, 3) == 2  # an explicit count wins
    assert parser_processes_for(0, 10_000) == 0  # tests: a thread, still off the loop
