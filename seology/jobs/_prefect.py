"""Talking to the Prefect API: one client context and the run filters our jobs need.

Private to `seology.jobs.queue`: the job API and the CLI never import this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import anyio
import httpx

from seology.core.errors import PrefectUnavailable
from seology.jobs._run_batches import BatchedRunReader, ReadMany
from seology.jobs._run_cache import RunCache
from seology.jobs._run_events import follow_run_events

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import FlowRunFilter
    from prefect.client.schemas.objects import FlowRun

#: Every run of our deployments carries it (prefect.yaml, `seology.core.job_model.job_tags`).
JOB_TAG = "seology"


@dataclass(frozen=True)
class _Kept:
    """The client `keep_client` holds open, its event loop, its batched run reads, and
    the runs they read, kept until Prefect's events say they changed."""

    loop: asyncio.AbstractEventLoop
    client: PrefectClient
    runs: BatchedRunReader
    cache: RunCache
    #: Background reads of kept runs (`refresh`), held so that none is collected early.
    refreshes: set[asyncio.Task[None]] = field(default_factory=set)

    async def read(self, run_id: uuid.UUID) -> FlowRun | None:
        """Read the run from Prefect (batched) and keep it if the cache's rules allow."""
        started = self.cache.now()
        run = await self.runs.read(run_id)
        if run is None:
            self.cache.forget(run_id)
        else:
            self.cache.put(run, started)
        return run

    def refresh(self, run_id: uuid.UUID) -> None:
        """Read a kept run again in the background; a failure leaves the entry to expire."""

        async def read_again() -> None:
            try:
                await self.read(run_id)
            except Exception as exc:  # the next poll past the age limit reports it
                logger.debug("Background read of flow run %s failed: %s", run_id, exc)
            finally:
                self.cache.refresh_done(run_id)

        task = self.loop.create_task(read_again())
        self.refreshes.add(task)
        task.add_done_callback(self.refreshes.discard)


_kept: _Kept | None = None


@asynccontextmanager
async def keep_client() -> AsyncIterator[None]:
    """Hold one Prefect client open for `read_run`'s batched reads on this event loop.

    Only those reads share it, each bounded by `KEPT_READ_SECONDS`: a client that has
    connected once retries connection errors with backoff (Prefect's rule), so through
    a server restart every call on it would hang instead of answering 503 at once;
    other calls take a fresh client (cheap: see `_tls_context`). Without PREFECT_API_URL
    nothing is kept: each call refuses, as it would.
    """
    global _kept
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        yield
        return
    async with get_client(httpx_settings=_client_settings()) as client:  # no I/O yet
        cache = RunCache()
        reader = BatchedRunReader(_run_reads(client))
        kept = _kept = _Kept(asyncio.get_running_loop(), client, reader, cache)
        events = asyncio.create_task(follow_run_events(cache, str(client.api_url).rstrip("/")))
        try:
            yield
        finally:
            _kept = None
            for task in [events, *kept.refreshes]:
                task.cancel()
            for task in [events, *kept.refreshes]:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


@asynccontextmanager
async def prefect_client() -> AsyncIterator[PrefectClient]:
    """A Prefect client whose connection failures become `PrefectUnavailable`.

    Without `PREFECT_API_URL`, Prefect would start a temporary in-process server: a job
    queued there would never run, so that is refused instead.
    """
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise PrefectUnavailable(
            "PREFECT_API_URL is not set: point it at the Prefect server "
            "(for example http://127.0.0.1:4200/api), or use `seology up`."
        )
    with _failures_as_unavailable():
        async with get_client(httpx_settings=_client_settings()) as client:
            yield client


@contextmanager
def _failures_as_unavailable() -> Iterator[None]:
    """Prefect being down, unreachable or failing (5xx) becomes `PrefectUnavailable`."""
    try:
        yield
    except (httpx.TransportError, OSError) as exc:
        raise PrefectUnavailable(
            f"The Prefect API is unreachable ({type(exc).__name__}: {exc}); "
            "check that the Prefect server is running and PREFECT_API_URL points at it."
        ) from exc
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code >= 500:
            raise PrefectUnavailable(
                f"The Prefect API answered {exc.response.status_code}; try again shortly."
            ) from exc
        raise


def _current_kept() -> _Kept | None:
    """The kept client, if it belongs to this event loop and the current API URL."""
    from prefect.settings import PREFECT_API_URL

    kept = _kept
    if kept is None or kept.loop is not asyncio.get_running_loop():
        return None
    if str(kept.client.api_url).rstrip("/") != str(PREFECT_API_URL.value()).rstrip("/"):
        return None
    return kept


#: How long a status read waits for the kept client before answering 503.
KEPT_READ_SECONDS = 5.0


def _run_reads(client: PrefectClient) -> ReadMany:
    async def read_many(ids: list[uuid.UUID]) -> list[FlowRun]:
        from prefect.client.schemas import filters as f

        run_filter = f.FlowRunFilter(id=f.FlowRunFilterId(any_=ids))
        try:
            # fail_after outermost: its TimeoutError is an OSError, not a lost connection.
            with anyio.fail_after(KEPT_READ_SECONDS), _failures_as_unavailable():
                return await client.read_flow_runs(flow_run_filter=run_filter, limit=len(ids))
        except TimeoutError as exc:
            raise PrefectUnavailable(
                f"The Prefect API did not answer within {KEPT_READ_SECONDS:.0f} s; "
                "check that the Prefect server is running."
            ) from exc

    return read_many


async def read_run(
    run_id: uuid.UUID, client: PrefectClient | None = None, *, cached: bool = False
) -> FlowRun | None:
    """The flow run `run_id`, or None: batched with concurrent reads where a client is
    kept (the job API), else read with `client` or a client of its own.

    `cached`: a status read, which may be answered from the runs kept since Prefect's
    events last named them (`seology.jobs._run_cache`); reads that decide a change do not.
    """
    from prefect.exceptions import ObjectNotFound

    kept = _current_kept()
    if kept is not None:
        if cached and (run := kept.cache.get(run_id)) is not None:
            if kept.cache.due_for_refresh(run_id):
                kept.refresh(run_id)
            return run
        return await kept.read(run_id)
    try:
        if client is not None:
            return await client.read_flow_run(run_id)
        async with prefect_client() as own:
            return await own.read_flow_run(run_id)
    except ObjectNotFound:
        return None


def forget_runs(run_ids: Iterable[uuid.UUID | str]) -> None:
    """This process changed or deleted these runs: status reads go to Prefect again."""
    kept = _current_kept()
    if kept is not None:
        for run_id in run_ids:
            kept.cache.forget(uuid.UUID(str(run_id)))


@functools.cache
def _tls_context(skip_verify: bool, cert_file: str | None) -> ssl.SSLContext:
    """The TLS context every client of this process shares, built as Prefect builds it.

    Prefect builds one per client, loading the CA bundle each time (even for an http://
    API; the cost is in docs/performance.md); the job API makes a client per request.
    """
    if skip_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    import certifi

    return ssl.create_default_context(cafile=cert_file or certifi.where())


def _client_settings() -> dict[str, object]:
    from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY

    context = _tls_context(
        bool(PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value()), PREFECT_API_SSL_CERT_FILE.value()
    )
    return {"verify": context}


def job_filter(
    *,
    tags: Iterable[str] = (),
    state_types: Iterable[str] | None = None,
    ended_before: datetime | None = None,
    ended_after: datetime | None = None,
    top_level_only: bool = False,
    expected_after: datetime | None = None,
    expected_before: datetime | None = None,
) -> FlowRunFilter:
    """A filter on our runs (tagged `seology`), narrowed by the given criteria.

    `expected_after` / `expected_before` bound the expected start time (the scheduled
    time of a queued run) and, as in Prefect, both are inclusive.
    """
    from prefect.client.schemas import filters as f
    from prefect.client.schemas.objects import StateType

    criteria: dict[str, object] = {"tags": f.FlowRunFilterTags(all_=[JOB_TAG, *tags])}
    if state_types is not None:
        types = [StateType(t) for t in state_types]
        criteria["state"] = f.FlowRunFilterState(type=f.FlowRunFilterStateType(any_=types))
    if ended_before is not None or ended_after is not None:
        criteria["end_time"] = f.FlowRunFilterEndTime(before_=ended_before, after_=ended_after)
    if top_level_only:
        criteria["parent_task_run_id"] = f.FlowRunFilterParentTaskRunId(is_null_=True)
    if expected_after is not None or expected_before is not None:
        criteria["expected_start_time"] = f.FlowRunFilterExpectedStartTime(
            after_=expected_after, before_=expected_before
        )
    return f.FlowRunFilter(**criteria)


async def all_flow_runs(
    client: PrefectClient, flow_runs: FlowRunFilter, *, page_size: int
) -> AsyncIterator[FlowRun]:
    """Every run matching `flow_runs`, read in pages of `page_size` by id, a stable order
    (Prefect refuses a `limit` above 200, so a long list is read page by page)."""
    from prefect.client.schemas.sorting import FlowRunSort

    offset = 0
    while True:
        page = await client.read_flow_runs(
            flow_run_filter=flow_runs, sort=FlowRunSort.ID_DESC, limit=page_size, offset=offset
        )
        for flow_run in page:
            yield flow_run
        if len(page) < page_size:
            return
        offset += len(page)


async def bulk_delete(
    client: PrefectClient, flow_runs: FlowRunFilter, batch: int = 50
) -> list[str]:
    """Delete every run matching `flow_runs`, `batch` at a time; return their ids.

    The server deletes at most 50 a call (`POST /flow_runs/bulk_delete`). Each call
    deletes the first batch matching *now*, so the loop never skips runs the way offset
    paging over a shrinking set would.
    """
    body = {"flow_runs": flow_runs.model_dump(mode="json", exclude_unset=True), "limit": batch}
    deleted: list[str] = []
    while True:
        response = await client.request("POST", "/flow_runs/bulk_delete", json=body)  # type: ignore[arg-type]
        ids = [str(run_id) for run_id in response.json().get("deleted", [])]
        deleted.extend(ids)
        if len(ids) < batch:
            return deleted
