"""`seology up --redis URL`: the job API gets a Prefect API server of its own (its lane).

Why: one Prefect server process serves every worker's polls, every running flow's state
changes, task events, logs and artifacts, and its own services, all on one event loop. A
create waits behind that traffic at each of its database round trips: under a load of
crawls, creates took several times longer there than on a second, API-only server beside
it, same moment, same database (docs/internals/enqueue-lane.md). So the job API talks to
a server no flow talks to.

A second Prefect server is only correct when the servers share their events: with
Prefect's default in-memory messaging, the event of a state set through the lane (a new
job's Scheduled, a Cancelling) would never reach the services of the main server (event
persister, automations, the stream to workers), nor would the lane's event stream, which
the job API follows to keep its status answers fresh, see a flow's events. Prefect's
answer is Redis messaging (prefect-redis); these are the settings Prefect documents for
running its server in several processes. Both servers need the Prefect database on
PostgreSQL: SQLite serves one writing process.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

from seology.core.errors import ConfigurationError

PING_TIMEOUT_SECONDS = 3.0


def redis_messaging_settings(url: str) -> dict[str, str]:
    """Prefect settings that put its messaging, ordering and leases on Redis at `url`."""
    return {
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_REDIS_MESSAGING_URL": url,
    }


def check_redis(url: str) -> None:
    """`ConfigurationError` unless prefect-redis is installed and Redis at `url` answers."""
    try:
        scheme = make_url(url).drivername
    except Exception as exc:
        raise ConfigurationError(f"--redis: not a Redis URL: {url!r}") from exc
    if scheme not in {"redis", "rediss"}:
        raise ConfigurationError(f"--redis needs a redis:// or rediss:// URL, got {scheme}://")
    try:
        import prefect_redis  # noqa: F401
        import redis
    except ImportError as exc:
        msg = "--redis needs prefect-redis: pip install 'seology-jobs[redis]'"
        raise ConfigurationError(msg) from exc
    client = redis.Redis.from_url(
        url, socket_timeout=PING_TIMEOUT_SECONDS, socket_connect_timeout=PING_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigurationError(f"Redis at {_safe(url)} does not answer: {exc}") from exc
    finally:
        client.close()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
