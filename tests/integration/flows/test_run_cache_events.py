"""Status reads in the job API against a real Prefect server and its event stream."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from prefect import flow

from seology.core.job_model import JobStatus
from seology.jobs import _prefect, _run_cache, queue
from tests.integration.flows.conftest import run

OWNER = 7


@flow(name="status-probe")
def status_probe() -> None:
    """Never runs: its flow runs are moved through states by hand."""


async def _new_job() -> uuid.UUID:
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    async with get_client() as client:
        flow_id = await client.create_flow_from_name("status-probe")
        flow_run = await client.create_flow_run(
            status_probe,
            tags=["seology", "type:crawl", f"user:{OWNER}", "site:1", "priority:5"],
            state=Scheduled(),
        )
        assert flow_run.flow_id == flow_id
        return flow_run.id


async def _set_running(run_id: uuid.UUID) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    async with get_client() as client:  # as a worker would, from another process
        await client.set_flow_run_state(run_id, Running(), force=True)


async def _until(condition, within: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, "timed out"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def _count_reads(kept) -> list[list[uuid.UUID]]:
    """Each batch the kept client reads from Prefect from now on, appended as it goes."""
    reads: list[list[uuid.UUID]] = []
    read_many = kept.runs._read_many

    async def counted(ids: list[uuid.UUID]):
        reads.append(ids)
        return await read_many(ids)

    kept.runs._read_many = counted
    return reads


async def _settled_kept(settle: float):
    """The kept client of the open connection, once its stream is live and settled."""
    kept = _prefect._current_kept()
    assert kept is not None
    await _until(lambda: kept.cache.live, within=20)
    await asyncio.sleep(settle + 0.1)
    return kept


@pytest.fixture
def quick_settle(monkeypatch: pytest.MonkeyPatch) -> float:
    """A short settle, and an age limit far longer than the test: only events count."""
    monkeypatch.setattr(_run_cache, "SETTLE_SECONDS", 0.3)
    monkeypatch.setattr(_run_cache, "MAX_AGE_SECONDS", 600.0)
    return 0.3


def test_a_status_is_read_once_and_again_only_after_its_event(quick_settle):
    """Ten polls of a queued job cost Prefect one read; once a worker (another client)
    starts the run, Prefect's event makes the next polls read it again, and they show
    it running within a second, not after the 600 s age limit."""
    run_id = run(_new_job())

    async def scenario() -> tuple[list[JobStatus], int, float, int]:
        async with queue.prefect_connection():
            kept = await _settled_kept(quick_settle)
            reads = _count_reads(kept)
            before = [(await queue.get_job(str(run_id), user_id=OWNER)).status for _ in range(10)]
            reads_before = len(reads)
            await _set_running(run_id)
            statuses: list[JobStatus] = []

            def seen_running() -> bool:
                return bool(statuses) and statuses[-1] is JobStatus.PROCESSING

            async def poll() -> None:
                while not seen_running():
                    statuses.append((await queue.get_job(str(run_id), user_id=OWNER)).status)
                    await asyncio.sleep(0.05)

            poller = asyncio.create_task(poll())
            waited = await _until(seen_running, within=10)
            await poller
            return before, reads_before, waited, len(reads) - reads_before

    before, reads_before, waited, reads_after = run(scenario())

    assert before == [JobStatus.PENDING] * 10
    assert reads_before == 1
    assert waited < 2.0
    assert reads_after >= 1


def test_a_polled_run_is_read_again_in_the_background_before_its_age_limit(
    monkeypatch, quick_settle
):
    """Past the refresh age a poll is answered from the kept run at once, and one read
    in the background renews it; the polls after that read nothing."""
    monkeypatch.setattr(_run_cache, "REFRESH_AFTER_SECONDS", 0.5)
    run_id = run(_new_job())

    async def scenario() -> tuple[int, int, int]:
        async with queue.prefect_connection():
            kept = await _settled_kept(quick_settle)
            reads = _count_reads(kept)
            assert await _prefect.read_run(run_id, cached=True) is not None
            first = len(reads)
            await asyncio.sleep(0.6)
            # Answered from the kept run: the background read has not even gone yet.
            assert await _prefect.read_run(run_id, cached=True) is not None
            answered_with = len(reads)
            await _until(lambda: len(reads) == first + 1 and not kept.refreshes, within=5)
            for _ in range(5):
                assert (await queue.get_job(str(run_id), user_id=OWNER)).status is JobStatus.PENDING
            return first, answered_with, len(reads)

    assert run(scenario()) == (1, 1, 2)


def test_without_the_event_stream_every_status_reads_prefect(monkeypatch, quick_settle):
    """If the stream cannot be had, nothing is kept: each poll is a Prefect read."""

    async def no_stream(cache, api_url) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(_prefect, "follow_run_events", no_stream)
    run_id = run(_new_job())

    async def scenario() -> int:
        async with queue.prefect_connection():
            kept = _prefect._current_kept()
            reads = _count_reads(kept)
            await asyncio.sleep(quick_settle + 0.1)
            for _ in range(5):
                await queue.get_job(str(run_id), user_id=OWNER)
            return len(reads)

    assert run(scenario()) == 5
