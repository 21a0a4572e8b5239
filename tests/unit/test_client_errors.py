"""`seology.cli.api_client.JobApiClient` against a real local HTTP server with canned answers.

The server answers every request with `server.reply` (status, JSON or text body,
optional delay) and records what it received, so the tests check both directions:
what the client sends, and which `SeologyError` each answer becomes.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from seology.cli.api_client import JobApiClient
from seology.core.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    InvalidInput,
    NotAllowed,
    NotFound,
    QuotaExceeded,
    SeologyError,
    StateConflict,
)
from seology.testing.servers import serve_app

JOB_ID = "0b6c8b9e-6d1c-4a55-9d59-1f1a3b0c2d4e"


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class CannedServer:
    url: str
    reply: Reply = field(default_factory=Reply)
    received: list[dict[str, Any]] = field(default_factory=list)


def canned_app(server: CannedServer) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def answer(path: str, request: Request) -> Response:
        raw = await request.body()
        server.received.append(
            {
                "method": request.method,
                "path": "/" + path,
                "params": dict(request.query_params),
                "headers": dict(request.headers),
                "json": await request.json() if raw else None,
            }
        )
        reply = server.reply
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if isinstance(reply.body, str):
            return PlainTextResponse(reply.body, status_code=reply.status)
        return JSONResponse(reply.body, status_code=reply.status)

    return app


@pytest.fixture(scope="module")
def server():
    canned = CannedServer(url="")
    with serve_app(canned_app(canned)) as url:
        canned.url = url
        yield canned


@pytest.fixture
def api(server: CannedServer):
    server.reply = Reply()
    server.received.clear()
    with JobApiClient(server.url, "seo_test_token", timeout=5) as client:
        yield client


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class TestErrorMapping:
    @pytest.mark.parametrize(
        ("status", "code", "expected"),
        [
            (400, "invalid_url", InvalidInput),
            (401, "unauthorized", AuthenticationFailed),
            (403, "forbidden", NotAllowed),
            (404, "not_found", NotFound),
            (409, "conflict", StateConflict),
            (422, "validation_error", InvalidInput),  # FastAPI's validation, our shape
            (429, "quota_exceeded", QuotaExceeded),
            (503, "prefect_unavailable", BackendUnavailable),
            (418, "teapot", InvalidInput),  # any other 4xx: the request was at fault
        ],
    )
    def test_status_chooses_the_class(self, api, server, status, code, expected):
        """The error class follows the status; message and code are the server's own."""
        server.reply = Reply(status, error_body(code, f"the server says {status}"))
        with pytest.raises(expected) as caught:
            api.get_job(JOB_ID)
        assert caught.value.message == f"the server says {status}"
        assert caught.value.code == code

    def test_other_5xx_is_the_base_class(self, api, server):
        """A 500 is no specific failure we know: the base SeologyError, with the message."""
        server.reply = Reply(500, error_body("internal_error", "Internal server error"))
        with pytest.raises(SeologyError) as caught:
            api.get_stats()
        assert type(caught.value) is SeologyError
        assert caught.value.message == "Internal server error"

    def test_body_not_in_our_shape_is_summarised(self, api, server):
        """A proxy's 502 page still says which status and request, and what answered."""
        server.reply = Reply(502, "<html><body>Bad   gateway</body></html>")
        with pytest.raises(BackendUnavailable) as caught:
            api.list_jobs()
        message = caught.value.message
        assert message.startswith("HTTP 502 from GET ")
        assert "/api/jobs" in message
        assert message.endswith("<html><body>Bad gateway</body></html>")

    def test_conflict_on_cancel(self, api, server):
        """Cancelling an ended job is a StateConflict carrying the server's reason."""
        server.reply = Reply(409, error_body("conflict", "Job is COMPLETED; cannot cancel"))
        with pytest.raises(StateConflict, match="cannot cancel"):
            api.cancel_job(JOB_ID)


class TestUnreachable:
    def test_connection_refused(self):
        """Nothing listening: BackendUnavailable naming the URL and `seology up`."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        with (
            JobApiClient(url, "t", timeout=5) as client,
            pytest.raises(BackendUnavailable) as caught,
        ):
            client.get_stats()
        assert caught.value.message.startswith(f"The job API at {url} is unreachable: ")
        assert "is `seology up` running?" in caught.value.message
        assert isinstance(caught.value.__cause__, httpx.ConnectError)

    def test_no_answer_in_time(self, server):
        """A server slower than the timeout: BackendUnavailable saying how long we waited."""
        server.reply = Reply(200, {"jobs": []}, delay=1.0)
        slow = pytest.raises(BackendUnavailable, match=r"did not answer within 0\.2 s")
        with JobApiClient(server.url, "t", timeout=0.2) as client, slow:
            client.list_jobs()

    def test_url_without_scheme(self):
        """`localhost:8000` is refused as input, not reported as an outage."""
        with JobApiClient("localhost:8000", "t") as client, pytest.raises(InvalidInput):
            client.get_stats()


class TestRequests:
    def test_enqueue_crawl_sends_the_contract(self, api, server):
        """Bearer token, camelCase body, Idempotency-Key header; the answer comes back as is."""
        answer = {"success": True, "jobId": JOB_ID, "statusUrl": "/x", "deduplicated": False}
        server.reply = Reply(202, answer)
        assert api.enqueue_crawl(3, max_pages=7, priority=9, idempotency_key="k1") == answer
        (request,) = server.received
        assert (request["method"], request["path"]) == ("POST", "/api/jobs/crawl")
        assert request["json"] == {"siteId": 3, "maxPages": 7, "priority": 9, "render": "auto"}
        assert request["headers"]["authorization"] == "Bearer seo_test_token"
        assert request["headers"]["idempotency-key"] == "k1"

    def test_list_jobs_sends_only_given_filters(self, api, server):
        """Unset filters are left out of the query string; `jobs` is unwrapped."""
        server.reply = Reply(200, {"jobs": [{"id": JOB_ID}]})
        assert api.list_jobs(status="FAILED", limit=5) == [{"id": JOB_ID}]
        assert server.received[0]["params"] == {"status": "FAILED", "limit": "5", "offset": "0"}

    def test_cleanup_returns_the_count(self, api, server):
        """`cleanup(days)` posts `{daysOld}` and returns `deleted`."""
        server.reply = Reply(200, {"deleted": 4})
        assert api.cleanup(30) == 4
        assert server.received[0]["json"] == {"daysOld": 30}
