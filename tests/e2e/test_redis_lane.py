"""`seology up --postgres --redis`: the job API on a Prefect API server of its own (the lane).

What must hold: enqueues and status reads do not need the main Prefect server (they go
through the lane); no event is lost between the two servers (a job created through the
lane has its Scheduled event in the main server's event store, and the lane's event
stream, which the job API follows, carries the flow's events from the main server); and
jobs run and cancel as on one server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from seology.testing.sites import SiteServer, generate_site
from seology.testing.stack import drop_stack_databases, flush_redis
from tests.e2e.conftest import Stack, clean_environment, running_stack, wait_for_job
from tests.e2e.test_job_operations import (
    check_cancel_stops_a_running_crawl,
    enqueue_crawl,
    new_site,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

POSTGRES_URL = os.environ.get("SEOLOGY_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("SEOLOGY_TEST_REDIS_URL")


@pytest.fixture(scope="module")
def lane_stack(tmp_path_factory) -> Iterator[Stack]:
    if not (POSTGRES_URL and REDIS_URL):
        pytest.skip("SEOLOGY_TEST_POSTGRES_URL and SEOLOGY_TEST_REDIS_URL are not both set")
    prefix = f"seo_lane_{uuid.uuid4().hex[:8]}"
    home = tmp_path_factory.mktemp("seology-lane-home")
    env = {**clean_environment(), "SEOLOGY_HOME": str(home)}
    options = ("--postgres", POSTGRES_URL, "--postgres-prefix", prefix, "--redis", REDIS_URL)
    flush_redis(REDIS_URL)
    try:
        with running_stack(home, env, *options) as stack:
            yield stack
    finally:
        drop_stack_databases(POSTGRES_URL, prefix)
        flush_redis(REDIS_URL)


@pytest.fixture(scope="module")
def owner(lane_stack: Stack) -> str:
    return lane_stack.new_user("lane-owner")


def _main_server_pid(stack: Stack) -> int:
    """The Prefect server with services (not the lane) among `seology up`'s children."""
    listing = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(stack.process.pid)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pids = [
        int(line.split(None, 1)[0])
        for line in listing.splitlines()
        if "prefect server start" in line and "--no-services" not in line
    ]
    assert len(pids) == 1, listing
    return pids[0]


@contextmanager
def _stopped(pid: int) -> Iterator[None]:
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


class _LaneEvents:
    """The lane's `/events/out` stream of flow-run events, read in a thread of its own."""

    def __init__(self, lane_api_url: str) -> None:
        self.seen: list[tuple[str, str]] = []  # (resource id, event name)
        self._url = lane_api_url
        self._ready = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._follow()), daemon=True)

    def __enter__(self) -> _LaneEvents:
        self._thread.start()
        assert self._ready.wait(30), "the lane's event stream did not open"
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join(10)

    def names(self, flow_run_id: str) -> list[str]:
        return [name for resource, name in self.seen if resource.endswith(flow_run_id)]

    async def _follow(self) -> None:
        from prefect.events.clients import PrefectEventSubscriber
        from prefect.events.filters import EventFilter, EventResourceFilter

        flow_runs = EventFilter(resource=EventResourceFilter(id_prefix=["prefect.flow-run."]))
        async with PrefectEventSubscriber(api_url=self._url, filter=flow_runs) as events:
            self._ready.set()
            while not self._done.is_set():
                try:
                    event = await asyncio.wait_for(events.__anext__(), timeout=0.5)
                except TimeoutError:
                    continue
                self.seen.append((event.resource.id, event.event))


def _persisted_events(prefect_api_url: str, flow_run_id: str) -> set[str]:
    body = {"filter": {"resource": {"id": [f"prefect.flow-run.{flow_run_id}"]}}, "limit": 50}
    response = httpx.post(f"{prefect_api_url}/events/filter", json=body, timeout=10)
    response.raise_for_status()
    return {event["event"] for event in response.json()["events"]}


def test_enqueue_and_status_need_only_the_lane(lane_stack: Stack, owner: str):
    """With the main Prefect server frozen, the job API still enqueues and answers
    status (both through the lane); once it thaws, a worker runs the job."""
    with SiteServer(generate_site(pages=4, seed=21)) as site, lane_stack.client(owner) as client:
        site_id = new_site(client, site.base_url)
        with _stopped(_main_server_pid(lane_stack)):
            job_id = enqueue_crawl(client, site_id)
            status = client.get(f"/api/jobs/{job_id}/status")
            assert status.status_code == 200, status.text
            assert status.json()["job"]["status"] == "PENDING"
        job = wait_for_job(client, job_id)
    assert job["status"] == "COMPLETED", job


def test_no_event_is_lost_between_the_servers(lane_stack: Stack, owner: str):
    """The lane's Scheduled event reaches the main server's event store through Redis;
    the flow's events (published on the main server) reach the lane's stream."""
    with SiteServer(generate_site(pages=4, seed=22)) as site, lane_stack.client(owner) as client:
        site_id = new_site(client, site.base_url)
        with _LaneEvents(lane_stack.lane_api_url) as stream:
            job_id = enqueue_crawl(client, site_id)
            job = wait_for_job(client, job_id)
            deadline = time.monotonic() + 20
            while "prefect.flow-run.Completed" not in stream.names(job_id):
                assert time.monotonic() < deadline, stream.seen
                time.sleep(0.2)
    assert job["status"] == "COMPLETED", job
    assert "prefect.flow-run.Running" in stream.names(job_id)
    deadline = time.monotonic() + 20
    while True:
        persisted = _persisted_events(lane_stack.prefect_api_url, job_id)
        if {"prefect.flow-run.Scheduled", "prefect.flow-run.Completed"} <= persisted:
            break
        assert time.monotonic() < deadline, persisted
        time.sleep(0.5)


def test_cancel_through_the_lane_stops_a_running_job(lane_stack: Stack, owner: str):
    """The Cancelling state is set through the lane; the worker, on the main server,
    stops the run."""
    with lane_stack.client(owner) as client:
        check_cancel_stops_a_running_crawl(client, pages=40, seed=23)


def _nice(pid: int) -> int:
    """Field 19 of /proc/PID/stat: the process's nice value."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_the_job_api_and_its_lane_come_first_for_the_cpu(lane_stack: Stack):
    """With a lane, `seology up` runs the main Prefect server at nice 5 and the workers
    (with their flows) at nice 10; the lane and the job API keep the default."""
    listing = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(lane_stack.process.pid)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    roles: dict[str, list[int]] = {}
    for line in listing.splitlines():
        pid, args = line.split(None, 1)
        if "prefect server start" in args:
            role = "lane" if "--no-services" in args else "server"
        elif "seology.cli worker" in args:
            role = "worker"
        elif "uvicorn" in args:
            role = "api"
        else:
            continue
        roles.setdefault(role, []).append(_nice(int(pid)))
    default = os.getpriority(os.PRIO_PROCESS, 0)
    assert roles == {"server": [5], "lane": [default], "worker": [10], "api": [default]}, listing
