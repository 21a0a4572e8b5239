"""The exceptions of Seology Jobs, and the HTTP status each one means.

    SeologyError
    ├── ConfigurationError          settings refused (missing CRON_SECRET, bad URL)  500
    │   └── RenderingUnavailable    `render=always` on a worker without Chromium
    ├── InvalidInput                a value we cannot work with                      400
    │   ├── InvalidTargetURL        not an http(s) URL, or not a public address
    │   ├── InvalidJobId            not a flow run UUID                              422
    │   ├── IdempotencyConflict     a key reused with another request                422
    │   ├── TargetNotAllowed        a site URL the crawl rules never allow           422
    │   └── UserExists              the user name is taken                           409
    ├── AuthenticationFailed        no token, or a token we do not know              401
    ├── NotAllowed                  known caller, admin-only operation               403
    ├── NotFound                    unknown id, or somebody else's                   404
    │   ├── JobNotFound
    │   ├── SiteNotFound
    │   ├── UserNotFound
    │   └── TokenNotFound
    ├── StateConflict               the job's state forbids the operation            409
    ├── SiteUnreachable             every URL of a crawl failed to answer            502
    ├── QuotaExceeded               over the user's allowance                        429
    └── BackendUnavailable          Prefect API or database unreachable              503
        ├── PrefectUnavailable
        └── DatabaseUnavailable

Each class's docstring is its default message. Wrap lower-level errors with
`raise ... from exc`: the original stays reachable as `__cause__`.
"""

from __future__ import annotations


class SeologyError(Exception):
    """Something went wrong in Seology Jobs."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or "").strip()
        super().__init__(self.message)


class ConfigurationError(SeologyError):
    """The configuration is not usable."""

    code = "configuration_error"


class RenderingUnavailable(ConfigurationError):
    """Rendering needs Chromium and the Playwright package on the worker."""

    code = "rendering_unavailable"


class InvalidInput(SeologyError):
    """The request is not valid."""

    status_code = 400
    code = "invalid_input"


class InvalidTargetURL(InvalidInput):
    """The URL is not a public http(s) URL we can crawl."""

    code = "invalid_url"


class InvalidJobId(InvalidInput):
    """A job id is a flow run UUID."""

    status_code = 422
    code = "invalid_job_id"


class IdempotencyConflict(InvalidInput):
    """This Idempotency-Key was used with a different request; use a new key."""

    status_code = 422
    code = "idempotency_conflict"


class TargetNotAllowed(InvalidTargetURL):
    """This URL can never be crawled here (a loopback, private or reserved address)."""

    status_code = 422
    code = "target_not_allowed"


class AuthenticationFailed(SeologyError):
    """Authentication required: send `Authorization: Bearer <token>`."""

    status_code = 401
    code = "unauthorized"


class NotAllowed(SeologyError):
    """This operation needs the admin secret."""

    status_code = 403
    code = "forbidden"


class NotFound(SeologyError):
    """Not found."""

    status_code = 404
    code = "not_found"


class JobNotFound(NotFound):
    """No such job."""


class SiteNotFound(NotFound):
    """No such site."""


class UserNotFound(NotFound):
    """No such user."""


class StateConflict(SeologyError):
    """The job's current state does not allow this operation."""

    status_code = 409
    code = "conflict"


class QuotaExceeded(SeologyError):
    """Over quota; try again later."""

    status_code = 429
    code = "quota_exceeded"


class BackendUnavailable(SeologyError):
    """A service we depend on is unreachable; try again shortly."""

    status_code = 503
    code = "unavailable"


class PrefectUnavailable(BackendUnavailable):
    """The Prefect API is unreachable; jobs cannot be queued or read right now."""

    code = "prefect_unavailable"


class DatabaseUnavailable(BackendUnavailable):
    """The app database is unreachable."""

    code = "database_unavailable"


class UserExists(InvalidInput):
    """A user with this name exists already."""

    status_code = 409
    code = "user_exists"


class TokenNotFound(NotFound):
    """No such API token."""


class SiteUnreachable(SeologyError):
    """The site could not be fetched at all."""

    status_code = 502
    code = "site_unreachable"
