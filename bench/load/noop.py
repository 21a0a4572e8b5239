"""No-op throughput: how many do-nothing flow runs a minute `seology worker`s finish.

    .venv/bin/python -m bench.load.noop                      # 200 runs, 3 workers, PostgreSQL
    .venv/bin/python -m bench.load.noop --runs 100 --workers 1
    .venv/bin/python -m bench.load.noop --runs 100 --tasks 8  # what a task run costs

Issue 8's throughput target (60 a minute with 3 workers on PostgreSQL) is about
no-op-sized jobs; Prefect's own process worker does 37 a minute on SQLite and 32 on
PostgreSQL (docs/performance.md). Starts `seology up --postgres URL --workers N`, deploys the
flow below into the `seology` pool, creates every run at once through the Prefect API,
waits for all to end, and prints runs per minute (first created → last ended) and
whether each run COMPLETED once, and the CPU-seconds each kind of process spent per run.
With `--tasks K` each run calls K do-nothing tasks: the difference from `--tasks 0` is
what Prefect's task runs cost (the client's engine, the server's event persister and
task-run recorder, PostgreSQL). Drops its two databases at the end. Figures are
printed, never asserted; quote them with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter

from prefect import flow, task

from bench.cpu import CpuLedger, report, speed_reference
from bench.latency.stack import (
    BenchStack,
    load_average,
    parse_env,
    percentile,
    postgres_stack,
    stop_on_sigterm,
)
from seology.jobs.pool import POOL_NAME


@task(name="seology-bench-noop-task", persist_result=False)
def noop_task() -> None:
    """Does nothing: what is measured is the cost of a task run."""


@flow(name="seology-bench-noop", persist_result=False)
def noop(tasks: int = 0) -> None:
    """Does nothing but call `tasks` no-op tasks: what is measured is Prefect's cost."""
    for _ in range(tasks):
        noop_task()


async def measure(stack: BenchStack, runs: int, wait_seconds: float, tasks: int = 0) -> None:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterDeploymentId,
    )

    async with PrefectClient(stack.prefect_api_url) as client:
        flow_id = await client.create_flow_from_name("seology-bench-noop")
        deployment_id = await client.create_deployment(
            flow_id=flow_id,
            name="noop",
            entrypoint="bench.load.noop.noop",
            work_pool_name=POOL_NAME,
            work_queue_name="default",
        )
        ledger = CpuLedger().start()
        started = time.monotonic()
        for _ in range(runs):
            await client.create_flow_run_from_deployment(deployment_id, parameters={"tasks": tasks})
        print(f"created {runs} runs in {time.monotonic() - started:.1f} s", flush=True)
        run_filter = FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]))
        deadline = time.monotonic() + wait_seconds
        while True:
            found = []
            while True:  # Prefect reads at most 200 runs a call
                page = await client.read_flow_runs(
                    flow_run_filter=run_filter,
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                    limit=200,
                    offset=len(found),
                )
                found.extend(page)
                if len(page) < 200:
                    break
            ended = [r for r in found if r.state and r.state.is_final()]
            if len(ended) >= runs or time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
        ledger.stop()
        wall = time.monotonic() - started

    states = Counter(r.state.type.value for r in found if r.state)
    attempts = Counter(r.run_count for r in found)
    first = min(r.created for r in found)
    last = max(r.end_time for r in found if r.end_time)
    minutes = (last - first).total_seconds() / 60
    starts = [(r.start_time - r.created).total_seconds() for r in found if r.start_time]
    print(f"states {dict(states)}; run counts {dict(attempts)}")
    print(
        f"throughput {len(found) / minutes:.1f} runs/min ({len(found)} runs in {minutes:.2f} min)"
    )
    print(f"created → running (backlog) p50 {percentile(starts, 50):.1f} s")
    print(f"load average {load_average()}")
    totals = ledger.totals()
    print(report(totals, wall, f"CPU, {tasks} task(s) a run"))
    print(f"CPU per run: {sum(totals.values()) / len(found):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=0, help="no-op tasks each run calls")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--postgres", default=os.environ.get("SEOLOGY_TEST_POSTGRES_URL"))
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    stop_on_sigterm()
    options, env = ("--workers", str(args.workers)), parse_env(args.env)
    with postgres_stack(args.postgres, "seology_noop", *options, env=env) as (stack, _app_url):
        print(f"stack ready in {stack.ready_seconds:.1f} s ({args.workers} workers, PostgreSQL)")
        print(speed_reference())
        asyncio.run(measure(stack, args.runs, args.timeout, tasks=args.tasks))


if __name__ == "__main__":
    main()
