"""Job end → receiver: the webhook worker's path against a Prefect automation's.

    .venv/bin/python -m bench.webhooks.run [--jobs 20]

Starts `seology up` (SQLite) and a local receiver; one user's endpoint takes
`job.completed` (our path: Prefect's event stream → the webhook worker → the outbox →
a signed POST), and a Prefect automation on the same `prefect.flow-run.Completed`
events of our jobs calls the receiver with Prefect's own `CallWebhook` action (the
triggers and actions services of the server). Enqueues `--jobs` small crawls one after
another and prints, per path, the lag from each job's end (`completedAt`) to its
request at the receiver: p50/p95/max, and how many arrived. This is the measurement
behind docs/internals/webhooks.md's choice. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from bench.latency.stack import BenchStack, load_average, local_stack, percentile
from seology.testing.sites import SiteServer, generate_site
from seology.testing.webhook_receiver import WebhookReceiver

AUTOMATION = "bench-job-end-call-webhook"


async def add_automation(api_url: str, target: str) -> None:
    """A Prefect automation: each completed run tagged `seology` → POST to `target`."""
    from prefect.blocks.webhook import Webhook
    from prefect.client.orchestration import get_client
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        block_id = await Webhook(method="POST", url=target).save("bench-receiver", overwrite=True)
        automation = AutomationCore(
            name=AUTOMATION,
            trigger=EventTrigger(
                match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
                match_related=[
                    ResourceSpecification({"prefect.resource.id": "prefect.tag.seology"})
                ],
                expect={"prefect.flow-run.Completed"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            actions=[
                CallWebhook(
                    block_document_id=block_id, payload='{"run": "{{ event.resource.id }}"}'
                )
            ],
        )
        async with get_client() as client:
            await client.create_automation(automation)


def lags(ended: dict[str, float], arrivals: dict[str, float]) -> str:
    values = [arrivals[job] - at for job, at in ended.items() if job in arrivals]
    if not values:
        return "nothing arrived"
    return (
        f"{len(values)}/{len(ended)} arrived; p50 {percentile(values, 50):.2f} s, "
        f"p95 {percentile(values, 95):.2f} s, max {max(values):.2f} s"
    )


def run(stack: BenchStack, receiver: WebhookReceiver, site: SiteServer, jobs: int) -> None:
    asyncio.run(add_automation(stack.prefect_api_url, receiver.url("/automation")))
    token = stack.new_user("bench-webhooks")
    with stack.client(token) as client:
        body = {"url": receiver.url("/seology"), "events": ["job.completed"]}
        assert client.post("/api/webhooks", json=body).status_code == 201
        site_id = client.post("/api/sites", json={"url": site.base_url + "/"}).json()["id"]
        ended: dict[str, float] = {}
        for _ in range(jobs):
            job_id = client.post("/api/jobs/crawl", json={"siteId": site_id, "maxPages": 3}).json()[
                "jobId"
            ]
            while (job := client.get(f"/api/jobs/{job_id}/status").json()["job"])[
                "completedAt"
            ] is None:
                time.sleep(0.2)
            ended[job_id] = _epoch(job["completedAt"])
    time.sleep(15)  # the last requests of either path
    ours = {hit.event["data"]["id"]: hit.at for hit in receiver.on("/seology")}
    theirs: dict[str, float] = {}
    for hit in receiver.on("/automation"):
        run_id = json.loads(hit.body)["run"].removeprefix("prefect.flow-run.")
        theirs.setdefault(run_id, hit.at)
    print(f"{jobs} crawls, one at a time; load average {load_average()}")
    print(f"  webhook worker (event stream → outbox → signed POST): {lags(ended, ours)}")
    print(f"  Prefect automation (CallWebhook action):            {lags(ended, theirs)}")


def _epoch(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()
    with (
        WebhookReceiver() as receiver,
        SiteServer(generate_site(3, seed=1)) as site,
        local_stack() as stack,
    ):
        run(stack, receiver, site, args.jobs)


if __name__ == "__main__":
    main()
