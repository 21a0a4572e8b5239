"""Concurrent single-run reads answered by batched reads."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

from seology.jobs._run_batches import BatchedRunReader


class _Prefect:
    """Stands in for `read_flow_runs` by id: records each batch, answers after a pause."""

    def __init__(self, known: set[uuid.UUID], fail: bool = False) -> None:
        self.known = known
        self.fail = fail
        self.batches: list[list[uuid.UUID]] = []

    async def read_many(self, ids: list[uuid.UUID]) -> list[SimpleNamespace]:
        self.batches.append(list(ids))
        await asyncio.sleep(0.01)
        if self.fail:
            raise ConnectionError("Prefect is down")
        return [SimpleNamespace(id=run_id) for run_id in ids if run_id in self.known]


def test_reads_during_a_read_go_together_in_the_next_batch():
    ids = [uuid.uuid4() for _ in range(6)]
    prefect = _Prefect(set(ids))
    reader = BatchedRunReader(prefect.read_many)

    async def scenario() -> list[SimpleNamespace | None]:
        first = asyncio.create_task(reader.read(ids[0]))
        await asyncio.sleep(0)  # the first read is in flight
        rest = [asyncio.create_task(reader.read(run_id)) for run_id in ids[1:]]
        return await asyncio.gather(first, *rest)

    runs = asyncio.run(scenario())

    assert [run.id for run in runs] == ids
    assert prefect.batches == [ids[:1], ids[1:]]


def test_same_run_read_twice_is_asked_once_and_unknown_runs_are_none():
    known, unknown = uuid.uuid4(), uuid.uuid4()
    prefect = _Prefect({known})
    reader = BatchedRunReader(prefect.read_many)

    async def scenario() -> list[SimpleNamespace | None]:
        return await asyncio.gather(reader.read(known), reader.read(known), reader.read(unknown))

    first, second, missing = asyncio.run(scenario())

    assert first.id == second.id == known
    assert missing is None
    assert prefect.batches == [[known, unknown]]


def test_a_failed_batch_fails_its_readers_and_the_next_read_tries_again():
    run_id = uuid.uuid4()
    prefect = _Prefect({run_id}, fail=True)
    reader = BatchedRunReader(prefect.read_many)

    async def scenario() -> SimpleNamespace | None:
        results = await asyncio.gather(
            reader.read(run_id), reader.read(uuid.uuid4()), return_exceptions=True
        )
        assert all(isinstance(result, ConnectionError) for result in results)
        prefect.fail = False
        return await reader.read(run_id)

    assert asyncio.run(scenario()).id == run_id
    assert len(prefect.batches) == 2


def test_batches_are_capped():
    ids = [uuid.uuid4() for _ in range(5)]
    prefect = _Prefect(set(ids))
    reader = BatchedRunReader(prefect.read_many, max_batch=2)

    async def scenario() -> None:
        await asyncio.gather(*(reader.read(run_id) for run_id in ids))

    asyncio.run(scenario())

    assert [len(batch) for batch in prefect.batches] == [2, 2, 1]


def test_a_cancelled_reader_does_not_break_the_others():
    a, b = uuid.uuid4(), uuid.uuid4()
    prefect = _Prefect({a, b})
    reader = BatchedRunReader(prefect.read_many)

    async def scenario() -> SimpleNamespace | None:
        doomed = asyncio.create_task(reader.read(a))
        kept = asyncio.create_task(reader.read(b))
        await asyncio.sleep(0)
        doomed.cancel()  # the client went away mid-read
        return await kept

    assert asyncio.run(scenario()).id == b
