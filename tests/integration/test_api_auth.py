"""Who may call the job API, and the shape of every error, over real HTTP."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from contextlib import ExitStack
from datetime import timedelta

import httpx
import prefect.context
import pytest
from fastapi import FastAPI

from seology.api.app import create_app
from seology.api.deps import AdminDep, CallerDep
from seology.core.errors import ConfigurationError
from seology.core.settings import Settings
from seology.store import users
from seology.store.engine import session_scope
from seology.store.models import ApiToken, User
from seology.testing.servers import serve_app
from tests.integration.api_answers import assert_error, bearer


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve(app_settings, db_engine):
    """`serve(app) -> client`: serve a customised app for the rest of the test."""
    with ExitStack() as stack:

        def start(app: FastAPI) -> httpx.Client:
            base_url = stack.enter_context(serve_app(app))
            return stack.enter_context(httpx.Client(base_url=base_url, timeout=30))

        yield start


class TestBearer:
    def test_no_token(self, api_client):
        """No Authorization header: 401, a WWW-Authenticate challenge, the error shape."""
        response = api_client.get("/api/sites")
        message = assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "Authorization: Bearer" in message

    @pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "seo_x"])
    def test_malformed_header(self, api_client, header):
        """A header that is not `Bearer <token>`: 401 saying it is malformed."""
        response = api_client.get("/api/sites", headers={"Authorization": header})
        assert "Malformed" in assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "token",
        [
            "seo_" + "A" * 43,  # our shape, never issued
            "not-a-token",
            "0123456789abcdef" * 3,  # almost the admin secret
        ],
    )
    def test_unknown_token(self, api_client, user_factory, token):
        """A token nobody was given: 401."""
        user_factory()
        response = api_client.get("/api/sites", headers=bearer(token))
        assert "Invalid, revoked or unknown" in assert_error(response, 401, "unauthorized")

    def test_user_token(self, api_client, user_factory):
        """A live token of an active user is accepted."""
        _, token = user_factory()
        response = api_client.get("/api/sites", headers=bearer(token))
        assert response.status_code == 200
        assert response.json() == {"sites": []}

    def test_revoked_token(self, api_client, user_factory, db_engine):
        """A token works until revoked, and is refused from then on."""
        _, token = user_factory()
        assert api_client.get("/api/sites", headers=bearer(token)).status_code == 200
        with session_scope(db_engine) as session:
            users.revoke_token(session=session, prefix_or_id=token[:12])
        response = api_client.get("/api/sites", headers=bearer(token))
        assert_error(response, 401, "unauthorized")

    def test_other_tokens_survive_a_revocation(self, api_client, user_factory, db_engine):
        """Revoking one token of a user leaves the user's other tokens working."""
        user, first = user_factory()
        with session_scope(db_engine) as session:
            second = users.create_token(session=session, user_name=user.name, label="ci")
            users.revoke_token(session=session, prefix_or_id=first)
        assert api_client.get("/api/sites", headers=bearer(first)).status_code == 401
        assert api_client.get("/api/sites", headers=bearer(second)).status_code == 200

    def test_inactive_user(self, api_client, user_factory, db_engine):
        """A deactivated user's tokens are refused."""
        user, token = user_factory()
        with session_scope(db_engine) as session:
            session.get(User, user.id).is_active = False
        assert_error(api_client.get("/api/sites", headers=bearer(token)), 401, "unauthorized")


class TestAdmin:
    @pytest.fixture
    def client(self, app_settings, serve):
        app = create_app(app_settings)

        @app.get("/api/test/admin-only")
        def admin_only(caller: AdminDep) -> dict[str, bool]:
            return {"admin": caller.is_admin}

        @app.get("/api/test/whoami")
        def whoami(caller: CallerDep) -> dict[str, object]:
            return {"admin": caller.is_admin, "user": caller.user_id}

        return serve(app)

    def test_admin_secret_is_admin(self, client, admin_headers):
        """The CRON_SECRET bearer is the admin, with no user."""
        assert client.get("/api/test/whoami", headers=admin_headers).json() == {
            "admin": True,
            "user": None,
        }
        response = client.get("/api/test/admin-only", headers=admin_headers)
        assert response.status_code == 200
        assert response.json() == {"admin": True}

    def test_user_is_not_admin(self, client, user_factory):
        """A user token on an admin route: 403, not 401 (the caller is known)."""
        user, token = user_factory()
        assert client.get("/api/test/whoami", headers=bearer(token)).json() == {
            "admin": False,
            "user": user.id,
        }
        response = client.get("/api/test/admin-only", headers=bearer(token))
        assert "admin secret" in assert_error(response, 403, "forbidden")

    def test_admin_cannot_own_sites(self, api_client, admin_headers):
        """The admin secret on a route that needs an owner: 403 telling to use a user token."""
        response = api_client.post(
            "/api/sites", json={"url": "https://example.com"}, headers=admin_headers
        )
        assert "user's API token" in assert_error(response, 403, "forbidden")

    def test_local_mode_without_secret_has_no_admin(
        self, monkeypatch, serve, admin_headers, db_engine
    ):
        """Local mode without CRON_SECRET starts, and no bearer at all is the admin."""
        monkeypatch.setenv("SEOLOGY_LOCAL_MODE", "true")
        monkeypatch.delenv("CRON_SECRET")
        client = serve(create_app(Settings()))
        for headers in (bearer("x"), admin_headers):
            response = client.get("/api/sites", headers=headers)
            assert_error(response, 401, "unauthorized")


class TestLastUsed:
    def test_recorded_at_most_once_a_minute(self, user_factory, db_engine):
        """Authenticating sets last_used_at, then leaves it alone for a minute."""
        _, token = user_factory()
        with session_scope(db_engine) as session:
            assert users.authenticate(session=session, token=token) is not None
        with session_scope(db_engine) as session:
            record = session.query(ApiToken).one()
            first = record.last_used_at
            assert first is not None
            assert users.authenticate(session=session, token=token) is not None
            assert record.last_used_at == first
            record.last_used_at = first - timedelta(minutes=2)  # as if used long ago
        with session_scope(db_engine) as session:
            users.authenticate(session=session, token=token)
            assert session.query(ApiToken).one().last_used_at > first - timedelta(seconds=1)

    def test_a_request_records_the_use(self, user_factory, db_engine, api_client):
        """The job API authenticates on a plain connection: its write of the token's
        last use is committed, and a revoked token is refused on the next request."""
        _, token = user_factory()
        assert api_client.get("/api/sites", headers=bearer(token)).status_code == 200
        with session_scope(db_engine) as session:
            assert session.query(ApiToken).one().last_used_at is not None
            users.revoke_token(session=session, prefix_or_id=token)
        assert_error(api_client.get("/api/sites", headers=bearer(token)), 401, "unauthorized")


class TestNoAuthNeeded:
    def test_docs_and_openapi(self, api_client):
        """/docs and /openapi.json are public, and the document declares the bearer scheme."""
        assert api_client.get("/docs").status_code == 200
        document = api_client.get("/openapi.json").json()
        assert document["info"]["title"] == "Seology Jobs API"
        assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
        assert {"/api/health", "/api/sites", "/api/sites/{site_id}"} <= set(document["paths"])


class TestErrorShape:
    def test_unknown_route(self, api_client):
        """An unknown path is a 404 in the error shape, naming the path."""
        response = api_client.get("/api/no-such-thing")
        assert "/api/no-such-thing" in assert_error(response, 404, "not_found")

    @pytest.mark.parametrize(
        ("method", "path", "allow"),
        [
            ("DELETE", "/api/sites", "GET, POST"),  # two routes: list and create
            ("PUT", "/api/sites/7", "GET, PATCH"),  # two routes: read and update
            ("GET", "/api/jobs/crawl", "POST"),  # one route
            ("PUT", "/api/jobs/not-a-uuid/cancel", "POST"),  # routing 405s before validating
        ],
    )
    def test_wrong_method(self, api_client, method, path, allow):
        """A known path with the wrong method: 405 in the error shape, and an Allow that
        lists every method of the path, not only those of the first route that matched."""
        response = api_client.request(method, path)
        assert method in assert_error(response, 405, "method_not_allowed")
        assert response.headers["Allow"] == allow

    def test_allow_lists_the_documented_methods_of_every_path(self, api_client):
        """For each path of the OpenAPI document, a 405's Allow is its documented methods."""
        document = api_client.get("/openapi.json").json()
        for template, operations in document["paths"].items():
            path = re.sub(r"\{[^}]+\}", "1", template)
            response = api_client.options(path)
            assert response.status_code == 405, path
            assert set(response.headers["Allow"].split(", ")) == {
                method.upper() for method in operations
            }, path

    def test_malformed_json(self, api_client, user_factory):
        """A body that is not JSON: 400 in the error shape (docs/design.md §5)."""
        _, token = user_factory()
        response = api_client.post(
            "/api/sites",
            content=b"{not json",
            headers={**bearer(token), "Content-Type": "application/json"},
        )
        assert_error(response, 400, "invalid_json")

    def test_unexpected_exception_is_hidden(self, app_settings, serve, caplog):
        """A bug is a bare 500: no exception text or traceback in the response; logged."""
        app = create_app(app_settings)

        @app.get("/api/test/boom")
        def boom() -> None:
            raise RuntimeError("secret internals")

        client = serve(app)
        response = client.get("/api/test/boom")
        assert response.status_code == 500
        assert response.json() == {
            "error": {"code": "internal_error", "message": "Internal server error"}
        }
        assert "secret internals" not in response.text
        assert any(
            record.exc_info and "secret internals" in str(record.exc_info[1])
            for record in caplog.records
            if record.name == "seology.api"
        )


class TestStartup:
    def test_refuses_to_start_without_admin_secret(self, clean_env):
        """Outside local mode, the app's startup fails without CRON_SECRET, naming the fix."""
        app = create_app(Settings())

        async def start() -> None:
            async with app.router.lifespan_context(app):
                pass

        with pytest.raises(ConfigurationError, match="openssl rand -hex 32"):
            asyncio.run(start())

    def test_serve_app_reports_failed_startup(self, clean_env):
        """serve_app raises instead of yielding a URL when the app cannot start."""
        with pytest.raises(RuntimeError, match="startup"), serve_app(create_app(Settings())):
            pass


class TestHealth:
    @pytest.fixture
    def prefect_down(self, monkeypatch):
        """PREFECT_API_URL points at a closed local port.

        Prefect reads its settings from the environment once, at import, into a global
        settings context; the context is rebuilt here so that the API's server thread
        sees the new URL (monkeypatch restores the old context afterwards).
        """
        url = f"http://127.0.0.1:{closed_port()}/api"
        monkeypatch.setenv("PREFECT_API_URL", url)
        monkeypatch.setattr(
            prefect.context, "GLOBAL_SETTINGS_CONTEXT", prefect.context.root_settings_context()
        )
        return url

    def test_prefect_down(self, prefect_down, api_client):
        """Prefect unreachable: a quick 503 that names Prefect and reports the database ok."""
        started = time.monotonic()
        response = api_client.get("/api/health")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded"
        assert body["database"] == "ok"
        assert "unreachable" in body["prefect"]
        assert elapsed < 10, f"health took {elapsed:.1f} s"

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/api/jobs/00000000-0000-0000-0000-000000000000/status", None),
            ("GET", "/api/jobs", None),
            ("GET", "/api/jobs/stats", None),
            ("POST", "/api/jobs/crawl", "site"),  # enqueue: nothing is queued, nothing lost
        ],
    )
    def test_job_operations_answer_503_when_prefect_is_down(
        self, prefect_down, api_client, user_factory, site_factory, method, path, body
    ):
        """With Prefect unreachable, job operations answer 503 in the error shape, not 500."""
        user, token = user_factory()
        json = {"siteId": site_factory(user).id} if body == "site" else None
        response = api_client.request(
            method, path, json=json, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "prefect_unavailable"
        assert "Prefect" in error["message"]
        assert "Traceback" not in response.text

    def test_database_down(self, prefect_down, clean_env, monkeypatch, serve):
        """The app database unreachable: 503 with the database's reason; no token needed."""
        monkeypatch.setenv("CRON_SECRET", "c" * 64)
        database_url = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none"
        client = serve(create_app(Settings(database_url=database_url)))
        response = client.get("/api/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded"
        assert "unreachable" in body["database"]
        assert body["prefect"] != "ok"
