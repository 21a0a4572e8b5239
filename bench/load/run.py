"""Load: 500 crawl jobs from 20 concurrent clients on PostgreSQL with 3 workers.

    .venv/bin/python -m bench.load.run                      # needs PostgreSQL (see below)
    .venv/bin/python -m bench.load.run --jobs 100 --clients 10 --postgres postgresql://…

Starts `seology up --postgres URL --postgres-prefix seology_bench_<random> --workers 3`
(URL: `--postgres`, else SEOLOGY_TEST_POSTGRES_URL, else postgres@127.0.0.1:5432) and
drops both databases at the end. Serves 10 small local sites (5 pages each), creates 5
users who each add all 10. First `--warm-up` (10) enqueues go one at a time: a fresh
stack's first requests pay for what its processes build once, so their latencies are
printed apart (the jobs are checked with the others). Then 20 client threads enqueue
the jobs over the job API
(`maxPages` 3, each with its own `Idempotency-Key`, so a retried POST cannot make a
second job). Together the clients offer 2 jobs/s (`--enqueue-rate`): open loop, latency
counted from when a POST was due; twice the 60-a-minute throughput target, so a backlog
builds and jobs run while the rest are enqueued. `--enqueue-rate 0` makes each client
post flat out, where latency is ~clients / throughput by Little's law. Then it waits
until every job has ended, checks, and prints as PASS/FAIL: every job COMPLETED; none
lost (the admin listing holds exactly the enqueued ids); none run twice (attempts 1;
each flow run id has one `crawls` row and each of its pages once); no 5xx from the job
API; enqueue p99 ≤ 200 ms. Prints enqueue latency p50/p95/p99, enqueue → running
(`createdAt` → `startedAt`; under a backlog this is queueing time), jobs per minute,
and then the job API under 50 concurrent status pollers (requests/s, p50/p99).

The ceiling is the CPU: on 2 cores a crawl job costs a few CPU-seconds of flow process,
so expect ~20–65 jobs a minute whatever the worker count, by the machine's speed (the
CPU reference printed). Every job API answer carries `Server-Timing`; the enqueue and
poll latencies are printed split by part (token check, site check, Prefect call; run,
outputs) with `outside app` = what the client saw beyond the app's own time. Figures
are printed, never asserted; quote them with the load average printed alongside.

`--webhooks`: a local receiver, and each user an endpoint for `job.completed`; after
the jobs end it waits for every delivery and prints: none lost (one delivery per job
id at least), duplicates, and job end (`completedAt`) → delivery received p50/p95/p99
(target p95 ≤ 2 s), with the enqueue and status figures above for comparison with a
run without it.

No-op throughput (issue 8's 60-a-minute target): `python -m bench.load.noop`.
"""

from __future__ import annotations

import argparse
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import bindparam, create_engine, text

from bench.cpu import CpuLedger, report, speed_reference
from bench.latency.stack import (
    BenchStack,
    app_database_url,
    load_average,
    local_stack,
    parse_env,
    percentile,
    postgres_stack,
    stop_on_sigterm,
)
from bench.load import polls
from bench.server_timing import PartTimes
from seology.testing.sites import SiteServer, generate_site
from seology.testing.webhook_receiver import WebhookReceiver

SITES, USERS, PAGES, MAX_PAGES = 10, 5, 5, 3
ENDED = ("COMPLETED", "FAILED", "CANCELLED")
#: A POST that fails on the way (timeout, 5xx) is sent again with the same key.
ENQUEUE_TRIES = 3


@dataclass
class Tally:
    """What the clients saw: latencies, status codes, job ids (thread-safe appends)."""

    latencies: list[float] = field(default_factory=list)
    #: When each request went (monotonic), beside its latency.
    sent: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    job_ids: list[str] = field(default_factory=list)
    parts: PartTimes = field(default_factory=PartTimes)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.sent.append(time.monotonic() - seconds)
            self.statuses[status] += 1

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def slowest(self, count: int = 5) -> str:
        """The slowest requests and when they went, from the first: a cold start shows."""
        first = min(self.sent)
        pairs = sorted(zip(self.latencies, self.sent, strict=True), reverse=True)[:count]
        return ", ".join(f"{latency:.2f} s at +{at - first:.0f} s" for latency, at in pairs)


def timed(
    tally: Tally, call: Callable[[], httpx.Response], since: float | None = None
) -> httpx.Response | None:
    """`call()`, its latency from `since` (default: now) and status recorded in `tally`."""
    started = time.monotonic() if since is None else since
    try:
        response = call()
    except httpx.HTTPError:
        tally.record(time.monotonic() - started, 599)  # no answer at all
        return None
    latency = time.monotonic() - started
    tally.record(latency, response.status_code)
    tally.parts.add(response.headers.get("server-timing"), latency)
    return response


# --- set-up ----------------------------------------------------------------------------


def make_users(stack: BenchStack, sites: list[SiteServer]) -> list[tuple[str, list[int]]]:
    """USERS users, each owning every site: (token, site ids)."""
    users = []
    for n in range(USERS):
        token = stack.new_user(f"load-{n}")
        with stack.client(token) as client:
            ids = [
                client.post("/api/sites", json={"url": s.base_url + "/"}).json()["id"]
                for s in sites
            ]
        users.append((token, ids))
    return users


# --- enqueue ---------------------------------------------------------------------------


def enqueue_one(client: httpx.Client, site_id: int, tally: Tally, due: float | None = None) -> None:
    """POST one crawl; `due` (monotonic) is when it should have gone, if paced."""
    key = uuid.uuid4().hex
    body = {"siteId": site_id, "maxPages": MAX_PAGES}
    for _ in range(ENQUEUE_TRIES):
        response = timed(
            tally,
            lambda: client.post("/api/jobs/crawl", json=body, headers={"Idempotency-Key": key}),
            since=due,
        )
        due = None  # a retry's latency counts from when it was sent
        if response is not None and response.status_code in (200, 202):
            with tally.lock:
                tally.job_ids.append(response.json()["jobId"])
            return
    raise SystemExit(f"enqueue failed {ENQUEUE_TRIES} times: {tally.statuses}")


def enqueue_all(
    stack: BenchStack, users: list, jobs: int, clients: int, rate: float | None = None
) -> tuple[Tally, float]:
    """`jobs` enqueues from `clients` threads, flat out (`rate` None) or paced.

    Paced, the clients together offer `rate` jobs/s (open loop, each client on its own
    schedule, with a random phase) and latency counts from when a POST was due, so a
    slow API shows as latency instead of as fewer requests. Flat out, each client posts
    again as soon as it had its answer: by Little's law the latency is then about
    `clients / throughput`, whatever the API does.
    """
    tally = Tally()
    per_client = [jobs // clients + (1 if n < jobs % clients else 0) for n in range(clients)]
    interval = clients / rate if rate else 0.0
    started = time.monotonic()

    def client_run(n: int) -> None:
        token, site_ids = users[n % len(users)]
        rng = random.Random(n)  # spreads the load; not crypto
        due = started + rng.uniform(0, interval)
        with stack.client(token) as client:
            for _ in range(per_client[n]):
                if rate:
                    time.sleep(max(0.0, due - time.monotonic()))
                enqueue_one(client, rng.choice(site_ids), tally, due=due if rate else None)
                due += interval

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client_run, range(clients)))
    return tally, time.monotonic() - started


def warm_up(stack: BenchStack, users: list, count: int) -> Tally:
    """`count` enqueues, one after another, before the measured ones.

    The first requests to a fresh stack pay for what its processes build once (database
    connections and their prepared statements, compiled queries): on a fresh lane the
    first creates took 0.14–0.38 s against ~0.05 s after. A long-running API pays that
    once; these jobs are real and checked with the others, their latencies printed apart.
    """
    tally = Tally()
    token, site_ids = users[0]
    with stack.client(token) as client:
        for n in range(count):
            enqueue_one(client, site_ids[n % len(site_ids)], tally)
    return tally


# --- wait and check --------------------------------------------------------------------


def all_jobs(stack: BenchStack, admin: str) -> list[dict]:
    """Every crawl job, through the admin listing, 200 a page."""
    found: list[dict] = []
    with stack.client(admin) as client:
        while True:
            params = {"type": "crawl", "limit": 200, "offset": len(found)}
            page = client.get("/api/jobs", params=params).json()["jobs"]
            found.extend(page)
            if len(page) < 200:
                return found


def wait_for_all(stack: BenchStack, admin: str, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    with stack.client(admin) as client:
        while time.monotonic() < deadline:
            stats = client.get("/api/jobs/stats").json()["byType"]["crawl"]
            ended = stats["completed"] + stats["failed"] + stats["cancelled"]
            progress = f"{ended}/{expected} ended ({stats['processing']} running)"
            if progress != last:
                print(f"  {time.strftime('%H:%M:%S')} {progress}", flush=True)
                last = progress
            if ended >= expected:
                return
            time.sleep(5)
    raise SystemExit(f"not every job ended within {timeout:.0f}s: {last}")


def stored_twice(app_url: str, job_ids: list[str]) -> tuple[int, int]:
    """(flow runs without exactly one crawls row, crawls with a page stored twice)."""
    ids = bindparam("ids", expanding=True)
    per_run = text(
        "SELECT flow_run_id, COUNT(*) FROM crawls WHERE flow_run_id IN :ids GROUP BY flow_run_id"
    ).bindparams(ids)
    twice = text(
        "SELECT COUNT(*) FROM (SELECT pages.crawl_id FROM pages JOIN crawls "
        "ON crawls.id = pages.crawl_id WHERE crawls.flow_run_id IN :ids "
        "GROUP BY pages.crawl_id, pages.url HAVING COUNT(*) > 1) AS twice"
    ).bindparams(ids)
    engine = create_engine(app_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as db:
        rows = {str(run): count for run, count in db.execute(per_run, {"ids": job_ids})}
        duplicated = db.execute(twice, {"ids": job_ids}).scalar_one()
    engine.dispose()
    not_one = sum(1 for job_id in job_ids if rows.get(job_id) != 1)
    return not_one, duplicated


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- pollers ---------------------------------------------------------------------------


def owned_jobs(stack: BenchStack, users: list) -> list[tuple[str, list[str]]]:
    """Each user's token with the ids of the crawl jobs they own (their own listing)."""
    owners = []
    for token, _sites in users:
        ids: list[str] = []
        with stack.client(token) as client:
            while True:
                params = {"type": "crawl", "limit": 200, "offset": len(ids)}
                page = client.get("/api/jobs", params=params).json()["jobs"]
                ids.extend(job["id"] for job in page)
                if len(page) < 200:
                    break
        owners.append((token, ids))
    return owners


def print_polls(label: str, tally: polls.PollTally) -> None:
    print(summary(label, tally.latencies))
    print("\n".join(tally.parts.lines()))
    print(f"{'':<32} {tally.rate:.0f} requests/s; statuses {dict(tally.statuses)}; "
          f"load average {load_average()}")  # fmt: skip


# --- the run ---------------------------------------------------------------------------


def summary(label: str, values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
    return (
        f"{label:<32} p50 {p50:6.2f} s  p95 {p95:6.2f} s  p99 {p99:6.2f} s  "
        f"max {max(values):6.2f} s"
    )


def check(label: str, ok: bool, detail: str = "") -> bool:
    print(f"  {'PASS' if ok else 'FAIL'}  {label}{': ' + detail if detail else ''}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--enqueue-rate",
        type=float,
        default=2.0,
        help="jobs/s the clients offer together (open loop); 0 = each posts flat out",
    )
    parser.add_argument(
        "--warm-up",
        type=int,
        default=10,
        help="enqueues one at a time before the measured ones (real jobs, checked too)",
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument(
        "--poll-rate", type=float, default=4.0, help="requests/s per paced poller (50 × 4 = 200)"
    )
    parser.add_argument("--poll-seconds", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=3600.0, help="for all jobs to end")
    parser.add_argument(
        "--stack",
        choices=("postgres", "embedded", "sqlite"),
        default="postgres",
        help="postgres: `--postgres` on the server of --postgres; embedded: `seology up` "
        "as a user starts it (its embedded server); sqlite: `seology up --sqlite`",
    )
    parser.add_argument("--postgres", default=os.environ.get("SEOLOGY_TEST_POSTGRES_URL"))
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="`seology up --redis URL`: the job API on a Prefect API server of its own "
        "(that Redis database is emptied before and after)",
    )
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--webhooks", action="store_true", help="a job.completed webhook per user, to a receiver"
    )
    args = parser.parse_args()
    stop_on_sigterm()

    sites = [SiteServer(generate_site(PAGES, seed=n)).start() for n in range(SITES)]
    args.receiver = WebhookReceiver().start() if args.webhooks else None
    try:
        with bench_stack(args) as (stack, app_url):
            run(stack, args, app_url=app_url, sites=sites)
    finally:
        for site in sites:
            site.stop()
        if args.receiver is not None:
            args.receiver.stop()


def add_webhooks(stack: BenchStack, users: list, receiver: WebhookReceiver) -> None:
    for n, (token, _sites) in enumerate(users):
        with stack.client(token) as client:
            body = {"url": receiver.url(f"/user-{n}"), "events": ["job.completed"]}
            response = client.post("/api/webhooks", json=body)
            assert response.status_code == 201, response.text


def check_deliveries(receiver: WebhookReceiver, jobs: list[dict], timeout: float = 300) -> None:
    """Wait for a job.completed delivery of every job; print losses, duplicates, latency."""
    ended = {j["id"]: parse_time(j["completedAt"]).timestamp() for j in jobs if j["completedAt"]}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = {hit.event["data"]["id"] for hit in list(receiver.received)}
        if got >= ended.keys():
            break
        time.sleep(1)
    hits = list(receiver.received)
    first: dict[str, float] = {}
    for hit in hits:
        job_id = hit.event["data"]["id"]
        first[job_id] = min(first.get(job_id, hit.at), hit.at)
    lags = [first[job_id] - end for job_id, end in ended.items() if job_id in first]
    event_ids = Counter(hit.event["id"] for hit in hits)
    print("\nwebhooks")
    if lags:
        print(summary("job end → delivery received", lags))
    missing = len(ended.keys() - first.keys())
    check("a job.completed delivery per job, none lost", missing == 0,
          f"{len(first)} of {len(ended)} delivered, {len(hits)} requests")  # fmt: skip
    duplicates = sum(count - 1 for count in event_ids.values())
    print(f"  duplicates (same event id again, at-least-once): {duplicates}")
    if lags:
        p95 = percentile(lags, 95)
        check("job end → delivery p95 ≤ 2 s", p95 <= 2.0, f"{p95:.2f} s")


@contextmanager
def bench_stack(args: argparse.Namespace) -> Iterator[tuple[BenchStack, str]]:
    """The stack of `--stack` and the URL of its app database."""
    options = ("--workers", str(args.workers))
    if args.redis:
        options = (*options, "--redis", args.redis)
    env = parse_env(args.env)
    if args.stack == "postgres":
        with postgres_stack(
            args.postgres, "seology_bench", "--workers", str(args.workers),
            env=env, redis_url=args.redis,
        ) as (stack, app_url):  # fmt: skip
            yield stack, app_url
        return
    if args.stack == "sqlite":
        options = (*options, "--sqlite")
    with local_stack(*options, env=env) as stack:
        yield stack, app_database_url(stack.home)


def run(stack: BenchStack, args: argparse.Namespace, *, app_url: str, sites: list) -> None:
    admin = next(
        line.split("=", 1)[1]
        for line in (stack.home / ".env").read_text().splitlines()
        if line.startswith("CRON_SECRET=")
    )
    lane = "; job API on its own Prefect API server, events through Redis" if args.redis else ""
    kind = {"postgres": "PostgreSQL", "embedded": "embedded PostgreSQL", "sqlite": "SQLite"}
    print(f"stack ready in {stack.ready_seconds:.1f} s ({args.workers} workers, "
          f"{kind[args.stack]}{lane})")  # fmt: skip
    users = make_users(stack, sites)
    print(f"{len(users)} users × {len(sites)} sites; load average {load_average()}")
    if args.receiver is not None:
        add_webhooks(stack, users, args.receiver)
        print(f"webhooks: each user has a job.completed endpoint on {args.receiver.base_url}")
    print(speed_reference())

    warm = warm_up(stack, users, args.warm_up)
    if warm.latencies:
        print(f"warm-up: {len(warm.latencies)} enqueues one at a time on the fresh stack, not "
              f"counted below: first {warm.latencies[0]:.2f} s, then p50 "
              f"{percentile(warm.latencies[1:] or warm.latencies, 50):.2f} s, "
              f"max {max(warm.latencies[1:] or warm.latencies):.2f} s")  # fmt: skip
    ledger = CpuLedger().start()
    began = time.monotonic()
    enqueued, enqueue_seconds = enqueue_all(
        stack, users, args.jobs, args.clients, rate=args.enqueue_rate or None
    )
    while_enqueueing = ledger.totals()
    pace = f"paced at {args.enqueue_rate:g}/s" if args.enqueue_rate else "flat out"
    print(f"enqueued {len(enqueued.job_ids)} jobs from {args.clients} clients ({pace}) in "
          f"{enqueue_seconds:.1f} s ({len(enqueued.job_ids) / enqueue_seconds:.1f}/s); "
          f"statuses {dict(enqueued.statuses)}")  # fmt: skip
    print(summary("enqueue (POST /api/jobs/crawl)", enqueued.latencies))
    print(f"  slowest: {enqueued.slowest()}")
    print("\n".join(enqueued.parts.lines()), flush=True)
    ids = set(enqueued.job_ids) | set(warm.job_ids)
    wait_for_all(stack, admin, len(ids), args.timeout)
    wall = time.monotonic() - began
    ledger.stop()
    print(f"all ended {wall:.0f} s after the first enqueue; load average {load_average()}")
    print(report(while_enqueueing, enqueue_seconds, "\nCPU while enqueueing"))
    print(report(ledger.totals(), wall, "CPU from the first enqueue to the last job's end"))

    jobs = all_jobs(stack, admin)
    listed = {job["id"] for job in jobs}
    not_one, duplicated = stored_twice(app_url, sorted(ids))
    statuses = Counter(job["status"] for job in jobs)
    attempts = Counter(job["attempts"] for job in jobs)
    print("\nchecks")
    check("every job COMPLETED", statuses == {"COMPLETED": len(ids)}, str(dict(statuses)))
    check("none lost, none extra", listed == ids, f"{len(listed)} listed, {len(ids)} enqueued")
    check("none run twice: attempts 1", set(attempts) == {1}, str(dict(attempts)))
    check("one crawls row per flow run", not_one == 0, f"{not_one} without exactly one")
    check("each page stored once", duplicated == 0, f"{duplicated} pages stored twice")
    statuses_seen = enqueued.statuses + warm.statuses
    check("no 5xx from the job API", enqueued.server_errors + warm.server_errors == 0,
          str(dict(statuses_seen)))  # fmt: skip
    enqueue_p99 = percentile(enqueued.latencies, 99)
    check(f"enqueue p99 ≤ 200 ms ({pace})", enqueue_p99 <= 0.2, f"{enqueue_p99 * 1000:.0f} ms")

    starts = [
        (parse_time(j["startedAt"]) - parse_time(j["createdAt"])).total_seconds()
        for j in jobs
        if j["startedAt"]
    ]
    first = min(parse_time(j["createdAt"]) for j in jobs)
    last = max(parse_time(j["completedAt"]) for j in jobs if j["completedAt"])
    minutes = (last - first).total_seconds() / 60
    print("\nfigures")
    print(summary("enqueue → running (backlog)", starts))
    print(f"{'throughput':<32} {len(jobs) / minutes:.1f} jobs/min "
          f"({len(jobs)} jobs, first created → last completed {minutes:.1f} min)")  # fmt: skip

    owners = owned_jobs(stack, users)
    offered = args.pollers * args.poll_rate
    ledger = CpuLedger().start()
    paced = polls.paced(
        stack.api_url, owners, pollers=args.pollers, rate=args.poll_rate, seconds=args.poll_seconds
    )
    ledger.stop()
    print_polls(f"status poll, {offered:.0f}/s offered", paced)
    print(report(ledger.totals(), args.poll_seconds, "CPU while polling (paced)"))
    flat_out = polls.saturated(
        stack.api_url, owners, pollers=args.pollers, seconds=args.poll_seconds
    )
    print_polls(f"status poll, {args.pollers} flat out", flat_out)
    check(
        f"status polls: {offered:.0f}/s served with p99 ≤ 100 ms",
        paced.rate >= 0.95 * offered and percentile(paced.latencies, 99) <= 0.1,
        f"{paced.rate:.0f}/s, p99 {percentile(paced.latencies, 99) * 1000:.0f} ms",
    )
    check("no 5xx under pollers", paced.server_errors + flat_out.server_errors == 0)
    if args.receiver is not None:
        check_deliveries(args.receiver, jobs)


if __name__ == "__main__":
    main()
