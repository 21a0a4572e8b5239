"""A small synchronous client of the job API, for the CLI and for scripts.

    with JobApiClient("http://127.0.0.1:8000", token) as api:
        job_id = api.enqueue_crawl(site_id=1, max_pages=10)["jobId"]
        print(api.get_job(job_id)["status"])

It speaks the HTTP contract only (docs/design.md §5) and never imports the server's code:
bodies come back as the plain JSON dicts the API sends (camelCase keys), so that what
the CLI prints with `--json` is exactly what the server said.

Every failure is a `seology.core.errors.SeologyError`: an error body becomes the subclass
that its HTTP status means (`ERRORS_BY_STATUS`), carrying the server's message and
code; a server that cannot be reached, or does not answer in time, is
`BackendUnavailable`. The httpx exception stays reachable as `__cause__`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

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

DEFAULT_TIMEOUT_SECONDS = 30.0

#: HTTP status of an error response → the error raised for it.
ERRORS_BY_STATUS: dict[int, type[SeologyError]] = {
    400: InvalidInput,
    401: AuthenticationFailed,
    403: NotAllowed,
    404: NotFound,
    409: StateConflict,
    422: InvalidInput,
    429: QuotaExceeded,
    # A reverse proxy in front of the API answers these when the API itself is down.
    502: BackendUnavailable,
    503: BackendUnavailable,
    504: BackendUnavailable,
}


class JobApiClient:
    """The job API at `base_url`, called with `token` as the bearer (None: no header).

    Sites, jobs and stats are the caller's own with a user token; the admin secret
    sees everyone's and is the only token that may `cleanup`.
    """

    def __init__(
        self, base_url: str, token: str | None, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> JobApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- sites -------------------------------------------------------------------------

    def create_site(self, url: str, name: str | None = None) -> dict[str, Any]:
        """The site for `url`, created or, when the caller has it already, the existing one."""
        body: dict[str, Any] = {"url": url} if name is None else {"url": url, "name": name}
        return self._call("POST", "/api/sites", json=body)

    def list_sites(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/sites")["sites"]

    # --- jobs --------------------------------------------------------------------------

    def enqueue_crawl(
        self,
        site_id: int,
        *,
        max_pages: int = 10,
        priority: int = 5,
        idempotency_key: str | None = None,
        render: str = "auto",
    ) -> dict[str, Any]:
        """`{success, jobId, statusUrl, deduplicated}`; the job runs in the background."""
        body = {"siteId": site_id, "maxPages": max_pages, "priority": priority, "render": render}
        return self._enqueue("/api/jobs/crawl", body, idempotency_key)

    def enqueue_analysis(
        self, site_id: int, *, priority: int = 5, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """`{success, jobId, statusUrl, deduplicated}` for an analysis of the latest crawl."""
        body = {"siteId": site_id, "priority": priority}
        return self._enqueue("/api/jobs/analysis", body, idempotency_key)

    def get_job(self, job_id: str) -> dict[str, Any]:
        """The job (docs/design.md §4 shape): status, progress, and its result or error."""
        return self._call("GET", f"/api/jobs/{job_id}/status")["job"]

    def list_jobs(
        self,
        *,
        status: str | None = None,
        job_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Jobs newest first, optionally only those of one status and one type."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status is not None:
            params["status"] = status
        if job_type is not None:
            params["type"] = job_type
        return self._call("GET", "/api/jobs", params=params)["jobs"]

    def get_stats(self) -> dict[str, Any]:
        """`{pending, processing, completed, failed, cancelled, total, byType}`."""
        return self._call("GET", "/api/jobs/stats")

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        """The job after the request; `StateConflict` once it has ended."""
        return self._call("POST", f"/api/jobs/{job_id}/cancel")["job"]

    def retry_job(self, job_id: str) -> dict[str, Any]:
        """The job, queued again; `StateConflict` unless it FAILED or was CANCELLED."""
        return self._call("POST", f"/api/jobs/{job_id}/retry")["job"]

    def cleanup(self, days_old: int) -> int:
        """How many finished jobs older than `days_old` days were deleted (admin only)."""
        return self._call("POST", "/api/jobs/cleanup", json={"daysOld": days_old})["deleted"]

    # --- webhooks ----------------------------------------------------------------------

    def add_webhook(self, url: str, events: list[str], description: str = "") -> dict[str, Any]:
        """The new endpoint, with its `secret` (shown this once)."""
        body = {"url": url, "events": events, "description": description}
        return self._call("POST", "/api/webhooks", json=body)

    def list_webhooks(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/webhooks")["webhooks"]

    def remove_webhook(self, webhook_id: str) -> None:
        self._call("DELETE", f"/api/webhooks/{webhook_id}")

    def webhook_deliveries(self, webhook_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first, each with its attempts (`attemptLog`)."""
        path = f"/api/webhooks/{webhook_id}/deliveries"
        return self._call("GET", path, params={"limit": limit})["deliveries"]

    def test_webhook(self, webhook_id: str) -> dict[str, Any]:
        """The delivery of a `test` event to the endpoint."""
        return self._call("POST", f"/api/webhooks/{webhook_id}/test")["delivery"]

    # --- plumbing ----------------------------------------------------------------------

    def _enqueue(self, path: str, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else None
        return self._call("POST", path, json=body, headers=headers)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request; the JSON body of a 2xx answer, else the error it means."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.UnsupportedProtocol as exc:
            msg = f"The job API URL must start with http:// or https://, not {self.base_url!r}."
            raise InvalidInput(msg) from exc
        except httpx.TimeoutException as exc:
            msg = f"The job API at {self.base_url} did not answer within {self.timeout:g} s."
            raise BackendUnavailable(msg) from exc
        except httpx.TransportError as exc:
            msg = (
                f"The job API at {self.base_url} is unreachable: {exc or type(exc).__name__}; "
                "is `seology up` running?"
            )
            raise BackendUnavailable(msg) from exc
        if response.is_error:
            raise error_from_response(response)
        if response.status_code == httpx.codes.NO_CONTENT:
            return None
        return _json_of(response)


def error_from_response(response: httpx.Response) -> SeologyError:
    """The `SeologyError` an error response means, with the server's message and code.

    The class comes from the status (`ERRORS_BY_STATUS`; another 4xx is `InvalidInput`,
    another 5xx the base class). A body that is not our error shape (a proxy's HTML
    page) is summarised instead, so the user still learns what answered.
    """
    error_class = ERRORS_BY_STATUS.get(response.status_code) or (
        InvalidInput if response.is_client_error else SeologyError
    )
    code, message = _error_detail(response)
    error = error_class(message)
    if code:
        error.code = code
    return error


def _error_detail(response: httpx.Response) -> tuple[str | None, str]:
    """`(code, message)` of `{"error": {"code", "message"}}`, or a summary of the body."""
    try:
        detail = response.json()["error"]
        return str(detail["code"]), str(detail["message"])
    except (ValueError, KeyError, TypeError):
        excerpt = " ".join(response.text.split())[:200] or "(empty body)"
        request = response.request
        return None, f"HTTP {response.status_code} from {request.method} {request.url}: {excerpt}"


def _json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        msg = f"The job API answered {response.request.url} with a body that is not JSON."
        raise SeologyError(msg) from exc
