"""Route tables built at start, not on the first callers' requests.

FastAPI builds an included router's routes when a request first reaches it; these
tests count those builds through FastAPI's own builder.
"""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi import routing as fastapi_routing

from seology.api.app import _build_route_table, create_app
from seology.local.processes import build_route_table
from seology.testing.servers import serve_app

BUILDER = "_build_effective_context"


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """The routes FastAPI builds from now on, by path."""
    included = getattr(fastapi_routing, "_IncludedRouter", None)
    if included is None or not hasattr(included, BUILDER):
        pytest.skip("this FastAPI builds its routes eagerly: nothing to warm")
    built: list[str] = []
    original = getattr(included, BUILDER)

    def counting(self, route):
        built.append(getattr(route, "path", "?"))
        return original(self, route)

    monkeypatch.setattr(included, BUILDER, counting)
    return built


def _status_scope() -> dict:
    path = "/api/jobs/00000000-0000-0000-0000-000000000000/status"
    return {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}


def _match(app: FastAPI, scope: dict) -> None:
    for route in app.router.routes:
        route.matches({**scope, "query_string": b""})


def test_job_api_routes_are_built_before_the_first_request(app_settings, builds):
    app = create_app(app_settings)
    _match(app, _status_scope())
    assert builds, "a first request builds routes (the cost the start takes over)"

    app = create_app(app_settings)
    _build_route_table(app)
    built_at_start = len(builds)
    _match(app, _status_scope())
    assert len(builds) == built_at_start


def lazily_routed_app() -> FastAPI:
    router = APIRouter(prefix="/api")
    for name in ("alpha", "beta", "gamma"):
        router.add_api_route(f"/{name}", lambda: {"ok": True}, methods=["GET"])
    app = FastAPI()
    app.include_router(router)
    return app


def test_a_server_builds_its_routes_on_the_unrouted_request(builds):
    with serve_app(lazily_routed_app()) as base_url:
        assert build_route_table(base_url)
        assert sorted(builds) == ["/api/alpha", "/api/beta", "/api/gamma"]
        assert httpx.get(f"{base_url}/api/beta").json() == {"ok": True}
        assert len(builds) == 3  # nothing built on the way


def test_a_server_that_does_not_answer_is_no_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert build_route_table(f"http://127.0.0.1:{port}/api", timeout=2) is False
