"""Bodies are read only from callers we know, and only up to a bound.

FastAPI reads and parses a request's body before it runs the route's dependencies, so
authentication came after the body: four unauthenticated 150 MB POSTs took an API
process to a gigabyte. `BodyGuard` sits in front of the app (pure ASGI, so nothing is
buffered before it) and, for a request that carries a body to a route that exists:

1. answers 413 at once when `Content-Length` says the body is over the bound;
2. authenticates the caller from the `Authorization` header (401 before any byte of
   the body is read) and leaves the answer for the route's `get_caller`;
3. reads the body, answering 413 as soon as it passes the bound (chunked bodies
   declare no length), and hands the app the body it read.

Requests to no route (404, 405) are left to the router, which never reads a body.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seology.core.errors import AuthenticationFailed, SeologyError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(SeologyError):
    """The request body is too large."""

    status_code = 413
    code = "payload_too_large"


class BodyGuard:
    """ASGI middleware: 413 over `max_bytes`, and authentication before the body."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        if not _has_route(scope):
            await self.app(scope, receive, send)
            return
        try:
            await self._check(scope)
            body = await self._read(receive)
        except SeologyError as exc:
            await _answer(exc, scope, receive, send)
            return
        if body is None:  # the client went away
            return
        await self.app(scope, _replay(body, receive), send)

    async def _check(self, scope: Scope) -> None:
        from seology.api.deps import authenticate

        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            raise BodyTooLarge(self._message())
        caller = await authenticate(scope["app"], headers.get("authorization"))
        scope.setdefault("state", {})["caller"] = caller

    async def _read(self, receive: Receive) -> bytes | None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                raise BodyTooLarge(self._message())
            if not message.get("more_body", False):
                return bytes(body)

    def _message(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."


def error_response(
    status_code: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error shape of the API.

    The message may quote the request (a field name it did not know), which may hold
    text no JSON encoder writes (a lone surrogate): such characters are escaped.
    """
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _has_route(scope: Scope) -> bool:
    """Whether some route takes this method on this path (else the router answers)."""
    return any(route.matches(scope)[0] is Match.FULL for route in scope["app"].router.routes)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body read, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(exc: SeologyError, scope: Scope, receive: Receive, send: Send) -> None:
    headers: dict[str, Any] = {}
    if isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, BodyTooLarge):
        headers["Connection"] = "close"  # the rest of the body is not read
    response = error_response(exc.status_code, exc.code, exc.message, headers)
    await response(scope, receive, send)
