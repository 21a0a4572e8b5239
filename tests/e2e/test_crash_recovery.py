"""A worker killed mid-crawl: the job is detected lost, run again, and finishes once."""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from seology.testing.sites import SiteServer, generate_site
from tests.e2e.conftest import Stack, wait_for_job

pytestmark = pytest.mark.e2e

PAGES = 40


def _processes() -> list[tuple[int, Path]]:
    return [(int(p.name), p) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def flow_run_pid(stack: Stack, job_id: str) -> int:
    """The process running flow run `job_id`, as its worker reported it to Prefect."""
    response = httpx.get(f"{stack.prefect_api_url}/flow_runs/{job_id}", timeout=10)
    response.raise_for_status()
    pid = response.json()["infrastructure_pid"]
    assert pid, "the worker reported no process for the flow run"
    return int(pid)


def worker_pids(stack: Stack) -> list[int]:
    """The `seology worker` children of this stack's `seology up`."""
    parent = str(stack.process.pid).encode()
    found = []
    for pid, proc in _processes():
        stat = _read(proc / "stat").rsplit(b")", 1)[-1].split()
        is_worker = b"seology.cli\0worker" in _read(proc / "cmdline")
        if len(stat) > 1 and stat[1] == parent and is_worker:
            found.append(pid)
    return found


def kill_worker_and_flow(stack: Stack, job_id: str) -> None:
    """SIGKILL the worker and the flow run's process, as if their machine died."""
    flow_process = flow_run_pid(stack, job_id)
    assert Path(f"/proc/{flow_process}").exists(), "the flow run process was not found"
    workers = worker_pids(stack)
    assert workers, "the worker process was not found"
    for pid in [flow_process, *workers]:
        os.kill(pid, signal.SIGKILL)


def test_killed_worker_job_is_recovered_and_finished_once(stack: Stack):
    """SIGKILL the worker in the middle of a crawl: within minutes the job is PENDING
    again, the restarted worker finishes it, attempts is 2, and no page is stored twice."""
    slow = {p: dataclasses.replace(r, delay=0.5) for p, r in generate_site(PAGES, seed=21).items()}
    token = stack.new_user("crash-owner")
    with SiteServer(slow) as site, stack.client(token) as client:
        site_id = client.post("/api/sites", json={"url": site.base_url}).json()["id"]
        response = client.post("/api/jobs/crawl", json={"siteId": site_id, "maxPages": PAGES})
        job_id = response.json()["jobId"]
        deadline = time.monotonic() + 60
        while client.get(f"/api/jobs/{job_id}/status").json()["job"]["progress"] in (None, 0.0):
            assert time.monotonic() < deadline, "the crawl never made progress"
            time.sleep(0.5)

        kill_worker_and_flow(stack, job_id)
        killed_at = time.monotonic()
        deadline = killed_at + 180
        job = client.get(f"/api/jobs/{job_id}/status").json()["job"]
        while job["status"] == "PROCESSING" and job["stateName"] != "Crashed":
            assert time.monotonic() < deadline, f"never recovered: {job}"
            time.sleep(1)
            job = client.get(f"/api/jobs/{job_id}/status").json()["job"]
        recovered_after = time.monotonic() - killed_at
        print(f"lost run detected {recovered_after:.0f}s after the kill")
        assert job["status"] == "PENDING", job  # crashed, with an attempt left: will run again

        done = wait_for_job(client, job_id, timeout=180)

    assert done["status"] == "COMPLETED", done
    assert done["attempts"] == 2
    assert done["result"]["pagesCrawled"] == PAGES
    ((pages, distinct),) = stack.query(
        "SELECT COUNT(*), COUNT(DISTINCT url) FROM pages JOIN crawls "
        "ON crawls.id = pages.crawl_id WHERE crawls.flow_run_id = :id",
        id=job_id,
    )
    assert pages == distinct == PAGES
