"""The rules that keep a kept flow run true: live stream, settling, events, age, size."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from prefect.client.schemas.objects import StateType

from seology.jobs._run_cache import EVENT_MEMORY_SECONDS, RunCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> RunCache:
    return RunCache(settle=3.0, max_age=10.0, max_runs=3, clock=clock)


def run(state: str = "RUNNING") -> SimpleNamespace:
    return SimpleNamespace(id=uuid.uuid4(), state=state)


def settled_live(cache: RunCache, clock: Clock) -> None:
    cache.stream_live()
    clock.now += 3.5


def test_nothing_is_kept_without_a_live_stream(cache, clock):
    flow_run = run()
    cache.put(flow_run, clock.now)
    assert cache.get(flow_run.id) is None


def test_reads_before_the_stream_settled_are_not_kept(cache, clock):
    cache.stream_live()
    early = run()
    cache.put(early, clock.now + 1.0)  # started 1 s after the subscription
    clock.now += 5
    assert cache.get(early.id) is None
    later = run()
    cache.put(later, clock.now)
    assert cache.get(later.id) is later


def test_an_event_drops_the_run_and_reads_around_it_are_not_kept(cache, clock):
    settled_live(cache, clock)
    flow_run = run()
    cache.put(flow_run, clock.now)
    assert cache.get(flow_run.id) is flow_run

    started_before = clock.now
    clock.now += 0.2
    cache.changed(flow_run.id)
    assert cache.get(flow_run.id) is None
    cache.put(run_with_id(flow_run.id), started_before)  # in flight across the event
    assert cache.get(flow_run.id) is None
    clock.now += 1.0
    cache.put(run_with_id(flow_run.id), clock.now)  # may still see the old state
    assert cache.get(flow_run.id) is None

    clock.now += 3.0
    fresh = run_with_id(flow_run.id)
    cache.put(fresh, clock.now)
    assert cache.get(flow_run.id) is fresh


def run_with_id(run_id: uuid.UUID) -> SimpleNamespace:
    return SimpleNamespace(id=run_id, state="COMPLETED")


def test_other_runs_events_leave_a_run_alone(cache, clock):
    settled_live(cache, clock)
    flow_run = run()
    cache.put(flow_run, clock.now)
    cache.changed(uuid.uuid4())
    assert cache.get(flow_run.id) is flow_run


def test_losing_the_stream_drops_everything_until_it_is_live_and_settled(cache, clock):
    settled_live(cache, clock)
    flow_run = run()
    cache.put(flow_run, clock.now)
    cache.stream_lost()
    assert cache.get(flow_run.id) is None
    cache.put(flow_run, clock.now)
    assert cache.get(flow_run.id) is None

    started_while_down = clock.now
    cache.stream_live()
    clock.now += 4
    cache.put(flow_run, started_while_down)  # a read from the gap is never kept
    assert cache.get(flow_run.id) is None


def test_no_answer_is_older_than_max_age(cache, clock):
    settled_live(cache, clock)
    flow_run = run()
    cache.put(flow_run, clock.now)
    clock.now += 9.9
    assert cache.get(flow_run.id) is flow_run
    clock.now += 0.2
    assert cache.get(flow_run.id) is None


def test_forget_and_the_size_bound(cache, clock):
    settled_live(cache, clock)
    runs = [run() for _ in range(4)]
    for flow_run in runs:
        cache.put(flow_run, clock.now)
    assert cache.get(runs[0].id) is None  # the least recently used went
    assert all(cache.get(r.id) is r for r in runs[1:])
    cache.forget(runs[1].id)
    assert cache.get(runs[1].id) is None


def test_events_are_remembered_as_long_as_a_slow_read_could_take(cache, clock):
    settled_live(cache, clock)
    flow_run = run()
    started = clock.now
    clock.now += 1
    cache.changed(flow_run.id)
    clock.now += 20  # a read slower than any bounded read; other events come and go
    for _ in range(3):
        cache.changed(uuid.uuid4())
    cache.put(flow_run, started)
    assert cache.get(flow_run.id) is None

    clock.now += EVENT_MEMORY_SECONDS + 1
    cache.changed(uuid.uuid4())  # prunes what is older than the memory
    cache.put(flow_run, clock.now)
    assert cache.get(flow_run.id) is flow_run


def test_an_aging_run_is_refreshed_once_in_the_background_and_still_answered(clock):
    cache = RunCache(settle=3.0, max_age=10.0, refresh_after=5.0, clock=clock)
    settled_live(cache, clock)
    flow_run = run()
    cache.put(flow_run, clock.now)
    clock.now += 4
    assert not cache.due_for_refresh(flow_run.id)  # young enough
    clock.now += 2
    assert cache.get(flow_run.id) is flow_run  # still answered while it is refreshed
    assert cache.due_for_refresh(flow_run.id)
    assert not cache.due_for_refresh(flow_run.id)  # one background read at a time
    fresh = run()
    fresh.id = flow_run.id
    cache.put(fresh, clock.now)
    cache.refresh_done(flow_run.id)
    assert cache.get(flow_run.id) is fresh
    assert not cache.due_for_refresh(flow_run.id)


def test_a_failed_refresh_leaves_the_entry_to_its_age_limit(clock):
    cache = RunCache(settle=3.0, max_age=10.0, refresh_after=5.0, clock=clock)
    settled_live(cache, clock)
    flow_run = run()
    cache.put(flow_run, clock.now)
    clock.now += 6
    assert cache.due_for_refresh(flow_run.id)
    cache.refresh_done(flow_run.id)  # the read failed: nothing was put
    assert cache.get(flow_run.id) is flow_run
    assert cache.due_for_refresh(flow_run.id)  # the next poll tries again
    cache.refresh_done(flow_run.id)
    clock.now += 5
    assert cache.get(flow_run.id) is None
    assert not cache.due_for_refresh(flow_run.id)


def finished(state_type: str = "COMPLETED") -> SimpleNamespace:
    """A run in a final state, its type as Prefect's client has it (an enum with .value)."""
    return SimpleNamespace(id=uuid.uuid4(), state=SimpleNamespace(type=StateType(state_type)))


@pytest.mark.parametrize("state_type", ["COMPLETED", "FAILED", "CANCELLED", "CRASHED"])
def test_a_finished_run_is_kept_for_the_final_bound(clock, state_type):
    cache = RunCache(settle=3.0, max_age=10.0, refresh_after=8.0, final_max_age=60.0, clock=clock)
    settled_live(cache, clock)
    flow_run = finished(state_type)
    cache.put(flow_run, clock.now)
    clock.now += 30
    assert cache.get(flow_run.id) is flow_run  # 30 s: past the 10 s bound of a live run
    assert not cache.due_for_refresh(flow_run.id)
    clock.now += 20
    assert cache.due_for_refresh(flow_run.id)  # 50 s: past 8/10 of its 60 s
    cache.refresh_done(flow_run.id)
    clock.now += 11
    assert cache.get(flow_run.id) is None


def test_an_event_still_drops_a_finished_run_at_once(clock):
    cache = RunCache(settle=3.0, max_age=10.0, final_max_age=60.0, clock=clock)
    settled_live(cache, clock)
    flow_run = finished()
    cache.put(flow_run, clock.now)
    cache.changed(flow_run.id)  # retried: an event names it
    assert cache.get(flow_run.id) is None


def test_a_scheduled_or_running_run_keeps_the_short_bound(clock):
    cache = RunCache(settle=3.0, max_age=10.0, final_max_age=60.0, clock=clock)
    settled_live(cache, clock)
    for state_type in ("SCHEDULED", "PENDING", "RUNNING", "CANCELLING", "PAUSED"):
        flow_run = finished(state_type)
        cache.put(flow_run, clock.now)
        clock.now += 11
        assert cache.get(flow_run.id) is None, state_type
