"""`Server-Timing` on every job API response: where a request's time went, per part.

A slow enqueue under load can be the token check, the site check, the thread pool
they wait in, or the Prefect call; a client (a browser's developer tools, curl -v,
bench/load) reads the split from the response instead of a profiler attached to a
busy machine. `app` is the whole time inside the app; what a client measures beyond
it was spent before the app saw the request (the accept queue, a busy event loop) or
on the wire.

Parts are timed with `seology.core.timing.timed`.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seology.core.timing import end_request, start_request

HEADER = b"server-timing"


def header_value(parts: list[tuple[str, float]], total: float) -> bytes:
    """`name;dur=<ms>, …, app;dur=<ms>` (durations in milliseconds, as the spec has them)."""
    entries = [*parts, ("app", total)]
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in entries).encode()


def parse_header(value: str) -> dict[str, float]:
    """Seconds by part name from a `Server-Timing` value (a part named twice is summed)."""
    seconds: dict[str, float] = {}
    for entry in value.split(","):
        name, *params = (field.strip() for field in entry.split(";"))
        duration = next((p[4:] for p in params if p.startswith("dur=")), None)
        if name and duration is not None:
            seconds[name] = seconds.get(name, 0.0) + float(duration) / 1000
    return seconds


class ServerTimingMiddleware:
    """Pure ASGI, so that the handler runs in the context this sets (a
    `BaseHTTPMiddleware` would run it in another task, and `timed` would see nothing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        parts, token = start_request()
        start = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ())]
                headers.append((HEADER, header_value(parts, time.perf_counter() - start)))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_timing)
        finally:
            end_request(token)
