"""`Server-Timing`: the header's format, and parts timed in the request's own context."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException
from starlette.concurrency import run_in_threadpool

from seology.api.timing import ServerTimingMiddleware, header_value, parse_header
from seology.core.timing import timed
from seology.testing.servers import serve_app


def test_header_round_trip():
    value = header_value([("auth", 0.0012), ("prefect", 0.25)], total=0.3)
    assert value == b"auth;dur=1.2, prefect;dur=250.0, app;dur=300.0"
    assert parse_header(value.decode()) == pytest.approx(
        {"auth": 0.0012, "prefect": 0.25, "app": 0.3}
    )


def test_parse_sums_repeats_and_skips_entries_without_a_duration():
    parsed = parse_header('db;dur=2, cache;desc="hit", db;desc="again";dur=3.5, ;dur=9')
    assert parsed == pytest.approx({"db": 0.0055})


def test_timed_outside_a_request_records_nothing():
    with timed("nowhere"):
        pass  # no request context: nothing to add to, and no error


def _sleepy_dependency() -> str:
    time.sleep(0.02)
    return "ok"


async def timed_in_a_thread() -> str:
    with timed("thread"):
        return await run_in_threadpool(_sleepy_dependency)


def timing_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(ServerTimingMiddleware)

    @app.get("/parts")
    async def parts(value: Annotated[str, Depends(timed_in_a_thread)]) -> dict[str, str]:
        with timed("loop"):
            await asyncio.sleep(0.03)
        return {"value": value}

    @app.get("/refused")
    async def refused() -> None:
        with timed("check"):
            raise HTTPException(status_code=403)

    return app


@pytest.fixture(scope="module")
def client():
    with serve_app(timing_app()) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


def test_parts_are_timed_in_order_and_inside_the_app_time(client):
    response = client.get("/parts")
    assert response.status_code == 200
    parts = parse_header(response.headers["server-timing"])
    assert list(parts) == ["thread", "loop", "app"]
    assert parts["thread"] >= 0.02
    assert parts["loop"] >= 0.03
    assert parts["thread"] + parts["loop"] <= parts["app"]


def test_an_error_answer_says_where_its_time_went_too(client):
    response = client.get("/refused")
    assert response.status_code == 403
    assert list(parse_header(response.headers["server-timing"])) == ["check", "app"]


def test_requests_do_not_share_parts(client):
    for _ in range(3):
        parts = parse_header(client.get("/parts").headers["server-timing"])
        assert list(parts) == ["thread", "loop", "app"]
