"""Start latency: enqueue → running for single jobs on an idle local stack.

    .venv/bin/python -m bench.latency.run                    # 25 jobs, the defaults
    .venv/bin/python -m bench.latency.run --jobs 50 --sqlite # today's SQLite stack
    .venv/bin/python -m bench.latency.run --jobs 40 --env PREFECT_WORKER_QUERY_SECONDS=10

Starts `seology up` in a temp home (the embedded PostgreSQL server, or SQLite with
`--sqlite`; one worker, every local default), prints its ready time and the embedded
server's memory at idle, serves a
one-page site, and enqueues one crawl at a time over the job API (`maxPages` 1), each
after the previous one ended. For each job it records the Prefect run's `createdAt` →
`startedAt` (the run turns RUNNING in its own process, after the worker polled, spawned
it and it imported the flow: what a user waits for) and the client's view (the POST,
then polls every 50 ms until the job is PROCESSING or later). Prints p50/p95 against
the targets (p50 ≤ 2.5 s, p95 ≤ 4 s) and Prefect's defaults (p50 7.8 s / p95 13.5 s,
docs/performance.md). `--env KEY=VALUE` passes settings to the stack, to compare tunings.
Figures are printed, never asserted; quote them with the load average.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from bench.cpu import FLOW_RUNS, CpuLedger, report, speed_reference
from bench.latency.stack import (
    BenchStack,
    embedded_server_memory,
    load_average,
    local_stack,
    parse_env,
    percentile,
    stop_on_sigterm,
)
from seology.testing.sites import SiteServer, generate_site

TARGET_P50, TARGET_P95 = 2.5, 4.0
DEFAULT_P50, DEFAULT_P95 = 7.8, 13.5
POLL_SECONDS = 0.05


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def one_job(stack: BenchStack, token: str, site_id: int) -> tuple[float, float, float, float]:
    """(server-side created→started, client POST→PROCESSING seen, POST seconds,
    started→completed)."""
    with stack.client(token) as client:
        sent = time.monotonic()
        response = client.post("/api/jobs/crawl", json={"siteId": site_id, "maxPages": 1})
        posted = time.monotonic() - sent
        response.raise_for_status()
        job_id = response.json()["jobId"]
        seen = None
        while True:
            job = client.get(f"/api/jobs/{job_id}/status").json()["job"]
            if seen is None and job["status"] != "PENDING":
                seen = time.monotonic() - sent
            if job["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                break
            time.sleep(POLL_SECONDS)
    if job["status"] != "COMPLETED" or job["startedAt"] is None:
        raise SystemExit(f"job {job_id} ended {job['status']}: {job['error']}")
    started = parse_time(job["startedAt"]) - parse_time(job["createdAt"])
    ran = parse_time(job["completedAt"]) - parse_time(job["startedAt"])
    return started.total_seconds(), seen or 0.0, posted, ran.total_seconds()


def summary(label: str, values: list[float], *, targets: bool = False) -> None:
    p50, p95 = percentile(values, 50), percentile(values, 95)
    line = f"{label:<34} p50 {p50:5.2f} s   p95 {p95:5.2f} s   max {max(values):5.2f} s"
    if targets:
        verdict = "meets" if p50 <= TARGET_P50 and p95 <= TARGET_P95 else "MISSES"
        line += (
            f"   {verdict} the targets (p50 ≤ {TARGET_P50} / p95 ≤ {TARGET_P95});"
            f" {DEFAULT_P50 / p50:.1f}× / {DEFAULT_P95 / p95:.1f}× better than Prefect's"
            f" defaults ({DEFAULT_P50} / {DEFAULT_P95})"
        )
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=2, help="jobs run first, not counted")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--sqlite", action="store_true", help="`seology up --sqlite`")
    args = parser.parse_args()
    stop_on_sigterm()

    options = ("--sqlite",) if args.sqlite else ()
    with (
        SiteServer(generate_site(pages=1, seed=1)) as site,
        local_stack(*options, env=parse_env(args.env)) as stack,
    ):
        kind = "SQLite" if args.sqlite else "embedded PostgreSQL"
        print(f"stack ({kind}) ready in {stack.ready_seconds:.1f} s; "
              f"load average {load_average()}")  # fmt: skip
        time.sleep(5)  # idle: the start's work done
        print(f"at idle: {embedded_server_memory(stack.home)}")
        print(speed_reference())
        token = stack.new_user("latency")
        with stack.client(token) as client:
            site_id = client.post("/api/sites", json={"url": site.base_url + "/"}).json()["id"]
        for _ in range(args.warmup):
            one_job(stack, token, site_id)
        ledger = CpuLedger().start()
        began = time.monotonic()
        samples = [one_job(stack, token, site_id) for _ in range(args.jobs)]
        ledger.stop()
        print(f"{args.jobs} jobs, one at a time; load average {load_average()}")
        summary("enqueue → running (createdAt→startedAt)", [s[0] for s in samples], targets=True)
        summary("client: POST → PROCESSING seen", [s[1] for s in samples])
        summary("client: POST /api/jobs/crawl", [s[2] for s in samples])
        post_p99 = percentile([s[2] for s in samples], 99)
        print(f"{'client: POST /api/jobs/crawl':<34} p99 {post_p99:5.2f} s")
        summary("running → completed", [s[3] for s in samples])
        totals = ledger.totals()
        print(report(totals, time.monotonic() - began, f"CPU over the {args.jobs} jobs"))
        per_job = {kind: seconds / args.jobs for kind, seconds in totals.items()}
        print(f"CPU per job: {sum(per_job.values()):.2f} s, of which flow run "
              f"{per_job.get(FLOW_RUNS, 0.0):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
