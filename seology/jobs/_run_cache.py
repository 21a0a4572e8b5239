"""Flow runs as last read from Prefect, kept until Prefect's event stream says they changed.

Why: a status poll is one flow run read, and each read costs the Prefect server a
request (more CPU than the rest of the poll: docs/performance.md), although a run changes
only a handful of times in its life. The job API follows Prefect's event stream
(`/api/events/out`, the websocket the UI uses) and answers a poll from the run it
read last until an event names that run; then the next poll reads Prefect again.

What keeps an answer true, each rule for a way it could go stale:
- An entry is only taken from a read that started once the stream was live and had
  settled (`SETTLE_SECONDS`): events from before the subscription are not replayed
  reliably.
- An event drops the run's entry, and a read that started before the event (or up to
  `SETTLE_SECONDS` after it) is not kept: Prefect publishes a state's event inside
  the transaction that commits the state, so a read just after the event can still
  see the old state.
- The stream lost means every entry is dropped and nothing is kept until it is live
  again: an event missed while disconnected would leave an entry stale.
- No entry lives longer than `MAX_AGE_SECONDS`, whatever the stream says: the bound
  on staleness if an event is ever lost on a live stream. A run in a final state
  (completed, failed, cancelled, crashed) changes only when retried or deleted, so its
  bound is `FINAL_MAX_AGE_SECONDS`: re-reading every finished job every 10 s was most
  of the reads a job API made (510 polled jobs: ~50 reads a second).

A run asked for once its entry is `REFRESH_AFTER_SECONDS` old is answered from the
entry and read again in the background (`due_for_refresh`), so a job polled at least
that often never waits for the age limit's read: without it, 150 polled jobs meant 15
polls a second waiting on Prefect, the tail of the status latency under load.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from seology.core.job_model import TERMINAL_STATE_TYPES

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

#: After the stream goes live, and after a run's event, reads started within this many
#: seconds are answered but not kept.
SETTLE_SECONDS = 3.0
#: The oldest read an answer may come from.
MAX_AGE_SECONDS = 10.0
#: The same bound for a run in a final state: a retry or a deletion by another process
#: whose event was lost shows up to this late.
FINAL_MAX_AGE_SECONDS = 60.0
#: A kept run older than this is read again in the background when asked for: late
#: enough that a polled run costs Prefect a fifth more reads than expiring would, early
#: enough that the read is back long before the age limit.
REFRESH_AFTER_SECONDS = MAX_AGE_SECONDS * 0.8
#: Runs kept at most (least recently used go first; the memory: docs/performance.md).
MAX_RUNS = 20_000
#: How long a run's last event is remembered: longer than any read can take (a kept
#: read is bounded to 5 s), so that a slow read that started before it is not kept.
EVENT_MEMORY_SECONDS = 60.0


class RunCache:
    """Runs read from Prefect, valid until an event names them. One event loop only."""

    def __init__(
        self,
        *,
        settle: float | None = None,
        max_age: float | None = None,
        refresh_after: float | None = None,
        final_max_age: float | None = None,
        max_runs: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Defaults: the module's constants, as they are when the cache is made."""
        self._settle = SETTLE_SECONDS if settle is None else settle
        self._max_age = MAX_AGE_SECONDS if max_age is None else max_age
        self._final_max_age = FINAL_MAX_AGE_SECONDS if final_max_age is None else final_max_age
        self._refresh_after = REFRESH_AFTER_SECONDS if refresh_after is None else refresh_after
        self._refreshing: set[uuid.UUID] = set()
        self._max_runs = MAX_RUNS if max_runs is None else max_runs
        self._clock = clock
        self._live_since: float | None = None
        self._runs: OrderedDict[uuid.UUID, tuple[FlowRun, float]] = OrderedDict()
        self._events: OrderedDict[uuid.UUID, float] = OrderedDict()

    @property
    def live(self) -> bool:
        return self._live_since is not None

    def now(self) -> float:
        """The cache's clock: pass its value as `read_started` to `put`."""
        return self._clock()

    def stream_live(self) -> None:
        """The event stream is subscribed: reads from a moment on may be kept."""
        self._live_since = self._clock()

    def stream_lost(self) -> None:
        """The event stream is gone: events may be missed, so nothing is trusted."""
        self._live_since = None
        self._runs.clear()

    def changed(self, run_id: uuid.UUID) -> None:
        """An event named `run_id`: its entry goes, and reads around now are not kept."""
        now = self._clock()
        self._runs.pop(run_id, None)
        self._events[run_id] = now
        self._events.move_to_end(run_id)
        while self._events:
            oldest, seen = next(iter(self._events.items()))
            if now - seen <= EVENT_MEMORY_SECONDS:
                break
            del self._events[oldest]

    def forget(self, run_id: uuid.UUID) -> None:
        """This process changed or deleted the run: the next read goes to Prefect."""
        self._runs.pop(run_id, None)

    def get(self, run_id: uuid.UUID) -> FlowRun | None:
        """The run as kept, or None: read it from Prefect (and `put` it)."""
        entry = self._runs.get(run_id)
        if entry is None:
            return None
        run, read_started = entry
        if self._live_since is None or self._clock() - read_started > self._ages(run)[1]:
            del self._runs[run_id]
            return None
        self._runs.move_to_end(run_id)
        return run

    def _ages(self, run: FlowRun) -> tuple[float, float]:
        """(refresh after, max age) in seconds for `run`: longer once it is final."""
        if not _is_final(run):
            return self._refresh_after, self._max_age
        final_max_age = max(self._final_max_age, self._max_age)
        return self._refresh_after * final_max_age / self._max_age, final_max_age

    def due_for_refresh(self, run_id: uuid.UUID) -> bool:
        """True, once, for a kept run older than the refresh age: the caller reads it
        again in the background and calls `refresh_done`; False while that read is out."""
        entry = self._runs.get(run_id)
        if entry is None or run_id in self._refreshing:
            return False
        if self._clock() - entry[1] <= self._ages(entry[0])[0]:
            return False
        self._refreshing.add(run_id)
        return True

    def refresh_done(self, run_id: uuid.UUID) -> None:
        """The background read of `run_id` ended, kept (`put`) or not."""
        self._refreshing.discard(run_id)

    def put(self, run: FlowRun, read_started: float) -> None:
        """Keep `run`, read by a request that started at `read_started` (`now()`)."""
        if self._live_since is None or read_started < self._live_since + self._settle:
            return
        last_event = self._events.get(run.id)
        if last_event is not None and read_started < last_event + self._settle:
            return
        self._runs[run.id] = (run, read_started)
        self._runs.move_to_end(run.id)
        while len(self._runs) > self._max_runs:
            self._runs.popitem(last=False)


def _is_final(run: FlowRun) -> bool:
    state_type = getattr(getattr(run, "state", None), "type", None)
    return getattr(state_type, "value", state_type) in TERMINAL_STATE_TYPES
