"""The job API: a FastAPI app made by `create_app()`.

Run it with `uvicorn --factory seology.api.app:create_app` (or `seology api`). Every
error leaves as `{"error": {"code", "message"}}` with the status that
`seology.core.errors` assigns; an unexpected exception is logged with its traceback and
answered with a bare 500, never with its details.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from http import HTTPMethod
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from seology import __version__
from seology.api.body_guard import BodyGuard, error_response
from seology.api.routes import analysis, audit, health, jobs, reports, sites, webhooks
from seology.api.timing import ServerTimingMiddleware
from seology.core.errors import AuthenticationFailed, SeologyError
from seology.core.settings import Settings, get_settings
from seology.jobs import queue
from seology.store.engine import API_PING_AFTER_IDLE_SECONDS, API_POOL_SIZE, make_engine

logger = logging.getLogger("seology.api")

ROUTERS = (
    health.router,
    sites.router,
    analysis.router,
    jobs.router,
    audit.router,
    reports.router,
    webhooks.router,
)

HTTP_ERROR_CODES = {
    400: "invalid_input",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
# Starlette's own details for an unmatched route or method, which we make specific.
ROUTING_DETAILS = ("Not Found", "Method Not Allowed")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The job API for `settings` (default: the process settings)."""
    app = FastAPI(
        title="Seology Jobs API",
        version=__version__,
        description="Queue and watch crawls and AI analyses of websites (Prefect flow runs).",
        docs_url="/docs",
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings or get_settings()
    _add_error_handlers(app)
    app.add_middleware(BodyGuard, max_bytes=app.state.settings.api_max_body_bytes)
    app.add_middleware(ServerTimingMiddleware)
    for router in ROUTERS:
        app.include_router(router)
    _document_body_errors(app)
    return app


#: What any route that takes a body may answer besides its own statuses (`BodyGuard`, the
#: JSON parser, the strict request models).
BODY_ERRORS = {
    "400": "The body is not JSON (or not UTF-8)",
    "413": "The body is larger than the API takes (SEOLOGY_API_MAX_BODY_BYTES)",
    "422": "The body does not validate",
}


def _document_body_errors(app: FastAPI) -> None:
    """List 400, 413 and 422 in the OpenAPI document of every operation with a body.

    They come from the body's reading and parsing, before any route runs, so no route
    declares them itself; a route added later gets them too.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for path_item in document.get("paths", {}).values():
            for operation in path_item.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    _add_body_errors(operation["responses"])
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _add_body_errors(responses: dict[str, Any]) -> None:
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for status, description in BODY_ERRORS.items():
        responses.setdefault(status, {"description": description, "content": error_body})


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Refuse to start without an admin secret; own the engine for the app's life.

    Migrations are not run here: several API processes may start at once, and schema
    changes belong to a deliberate step (`seology db upgrade`, `seology up`).
    """
    settings: Settings = app.state.settings
    app.state.admin_secret = settings.admin_secret()
    _build_route_table(app)
    app.state.engine = make_engine(
        settings.resolved_database_url,
        pool_size=API_POOL_SIZE,
        ping_after_idle=API_PING_AFTER_IDLE_SECONDS,
    )
    try:
        async with queue.prefect_connection():
            yield
    finally:
        app.state.engine.dispose()


def _build_route_table(app: FastAPI) -> None:
    """Build the routes now, in each API process, instead of on its first requests.

    FastAPI builds each included router's routes when a request first reaches it, a cost
    the first status polls after a start would pay (docs/performance.md). Matching a
    path that no route has reaches every router.
    """
    scope = {"type": "http", "method": "GET", "path": "/-", "root_path": "", "headers": []}
    for route in app.router.routes:
        route.matches({**scope, "query_string": b""})


def _add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SeologyError, _on_seology_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected_error)


async def _on_seology_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SeologyError)
    if exc.status_code >= 500:
        logger.warning(
            f"{request.method} {request.url.path} failed: {exc.message}",
            extra={"action": "api_error", "code": exc.code},
        )
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationFailed) else None
    return error_response(exc.status_code, exc.code, exc.message, headers)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    problems = "; ".join(describe_validation_error(error) for error in exc.errors())
    return error_response(422, "validation_error", f"Invalid request: {problems}")


def describe_validation_error(error: Mapping[str, Any]) -> str:
    """`path.site_id: Input should be a valid integer` from one pydantic error."""
    location = ".".join(str(part) for part in error.get("loc") or ())
    message = error.get("msg", "invalid value")
    return f"{location}: {message}" if location else str(message)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
    routing = exc.detail in ROUTING_DETAILS
    message = _routing_message(request, exc.status_code) if routing else None
    headers = dict(exc.headers or {})
    if routing and exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return error_response(exc.status_code, code, message or str(exc.detail), headers)


def allowed_methods(request: Request) -> str:
    """`GET, POST`: every method some route takes on the request's path.

    Starlette's 405 names the methods of the first route that matched the path only,
    and one path is often several routes (`GET` and `POST` of `/api/sites`). Each
    method is tried against the routes as the router itself would, so that nested
    routers (FastAPI no longer flattens `include_router`) are asked too.
    """
    routes = request.app.router.routes
    return ", ".join(
        method.value
        for method in HTTPMethod
        if any(
            route.matches({**request.scope, "method": method.value})[0] is Match.FULL
            for route in routes
        )
    )


def _routing_message(request: Request, status_code: int) -> str | None:
    """Say which endpoint was not found or what method it does not take."""
    where = request.url.path
    if status_code == 404:
        return f"No such endpoint: {request.method} {where}"
    if status_code == 405:
        return f"{request.method} is not allowed on {where}"
    return None


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        f"Unhandled error in {request.method} {request.url.path}",
        exc_info=exc,
        extra={"action": "api_error", "code": "internal_error"},
    )
    return error_response(500, "internal_error", "Internal server error")
