"""A real local webhook receiver for tests and benchmarks: records, then answers as told.

    with WebhookReceiver() as receiver:
        receiver.answer("/flaky", 500, 200)     # first 500, then 200 (and 200 after)
        receiver.answer("/slow", HANG)          # hold the request without answering
        ... receiver.url("/flaky") ...
        [hit] = receiver.wait_for("/flaky", 2)

Every request is recorded when it arrives (path, headers, raw body, arrival time),
before it is answered, so a hanging or failing answer is seen too.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

#: An answer that never comes (until the receiver stops, or `hang_seconds` pass).
HANG = -1


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class WebhookReceiver:
    """A threaded HTTP server on 127.0.0.1 that takes POSTs on any path."""

    def __init__(self, *, hang_seconds: float = 120.0) -> None:
        self.hang_seconds = hang_seconds
        self.received: list[Received] = []
        self._answers: dict[str, list[int]] = {}
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.receiver = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def answer(self, path: str, *answers: int) -> None:
        """Answer the next requests on `path` with these statuses (or `HANG`), then 200."""
        with self._changed:
            self._answers[path] = list(answers)

    def on(self, path: str) -> list[Received]:
        with self._changed:
            return [hit for hit in self.received if hit.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 60.0) -> list[Received]:
        """Until `count` requests reached `path`; all of them so far."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(hits := [h for h in self.received if h.path == path]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    msg = f"{len(hits)} of {count} requests reached {path} in {timeout:g} s"
                    raise AssertionError(msg)
                self._changed.wait(left)
        return hits

    def _take(self, hit: Received) -> int:
        with self._changed:
            self.received.append(hit)
            self._changed.notify_all()
            queue = self._answers.get(hit.path) or []
            return queue.pop(0) if queue else 200

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 512
    receiver: WebhookReceiver


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        hit = Received(self.path, dict(self.headers.items()), body, time.time())
        status = receiver._take(hit)
        if status == HANG:
            receiver._stopping.wait(receiver.hang_seconds)
            return
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        return
