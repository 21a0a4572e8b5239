"""Webhooks end to end: a real stack, a real local receiver, signatures checked.

The stack runs with the retry windows shortened (settings), so that retries, a
receiver that stays down and a disabled endpoint play out in seconds. Crashes: the
webhook worker SIGKILLed mid-delivery, and the Prefect server SIGKILLed while a job
runs; the deliveries still arrive (at least once, under the same event id).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from seology.testing.servers import free_port
from seology.testing.sites import SiteServer, html
from seology.testing.webhook_receiver import HANG, Received, WebhookReceiver
from seology.webhooks import verify
from tests.e2e.conftest import Stack, clean_environment, running_stack, wait_for_job
from tests.e2e.test_faults import child_group

pytestmark = pytest.mark.e2e

ALL_EVENTS = [
    "job.completed", "job.failed", "job.cancelled", "site.new_errors",
    "site.health_dropped", "site.unreachable", "site.recovered",
]  # fmt: skip
WEBHOOK_TIMEOUT = 2.0
#: A crawl's wait on a loaded 2-core machine (the first run forks the warm process).
JOB_TIMEOUT = 360.0
SETTINGS = {
    "JOB_MAX_ATTEMPTS": "1",
    "SEOLOGY_WEBHOOK_TIMEOUT": str(WEBHOOK_TIMEOUT),
    "SEOLOGY_WEBHOOK_RETRY_BASE_DELAY": "0.3",
    "SEOLOGY_WEBHOOK_RETRY_MAX_DELAY": "1",
    "SEOLOGY_WEBHOOK_RETRY_WINDOW": "60",
    "SEOLOGY_WEBHOOK_DISABLE_AFTER": "5",
    "SEOLOGY_WEBHOOK_HEALTH_DROP_POINTS": "1",
}


@dataclass(frozen=True)
class Hooks:
    stack: Stack
    receiver: WebhookReceiver
    token: str

    def client(self, token: str | None = None) -> httpx.Client:
        return self.stack.client(token or self.token)


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hooks]:
    home = tmp_path_factory.mktemp("seology-webhooks")
    env = clean_environment()
    env.update({"SEOLOGY_HOME": str(home), **SETTINGS})
    with WebhookReceiver(hang_seconds=60) as receiver, running_stack(home, env) as stack:
        yield Hooks(stack, receiver, stack.new_user("hook-owner"))


def add_webhook(client: httpx.Client, url: str, events: list[str]) -> dict:
    response = client.post("/api/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(client: httpx.Client, webhook_id: str) -> list[dict]:
    response = client.get(f"/api/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


def settled_delivery(client: httpx.Client, webhook_id: str, timeout: float = 60.0) -> dict:
    """The newest delivery, once it has succeeded or failed for good."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = deliveries(client, webhook_id)
        if found and found[0]["status"] in ("succeeded", "failed"):
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no settled delivery of {webhook_id}: {found}")


def verified(hits: list[Received], secret: str) -> list[dict]:
    """Each request's event, after checking its signature (raises if one is not ours)."""
    return [verify(hit.body, hit.headers, secret) for hit in hits]


def new_site(client: httpx.Client, url: str) -> int:
    response = client.post("/api/sites", json={"url": url})
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def crawl(client: httpx.Client, site_id: int, **extra: object) -> dict:
    response = client.post("/api/jobs/crawl", json={"siteId": site_id, "maxPages": 5, **extra})
    assert response.status_code == 202, response.text
    return response.json()


def healthy_site() -> dict:
    page = '<html><head><title>{t}</title><meta name="description" content="{t} page of a site">'
    body = '</head><body><h1>{t}</h1><p>words here</p><a href="/a">a</a> <a href="/b">b</a></body>'
    return {
        path: html((page + body).format(t=title))
        for path, title in (("/", "Home"), ("/a", "Page A"), ("/b", "Page B"))
    }


# --- every event type, signed, once ----------------------------------------------------


def test_every_event_type_is_delivered_once_with_a_valid_signature(hooks: Hooks):
    """Job ends, a site's monitoring events, a test event and a job's callback: each
    arrives once per event id, signed with the endpoint's (or callback's) secret."""
    client = hooks.client()
    hook = add_webhook(client, hooks.receiver.url("/all"), ALL_EVENTS)
    port = free_port()
    site = SiteServer(healthy_site(), port=port).start()
    try:
        site_id = new_site(client, site.base_url + "/")
        first = crawl(client, site_id, callbackUrl=hooks.receiver.url("/callback"))
        assert wait_for_job(client, first["jobId"], JOB_TIMEOUT)["status"] == "COMPLETED"
        # The re-crawl finds errors: a page answers 500, another lost its title.
        site.routes["/a"] = html("<h1>down</h1>", status=500)
        site.routes["/b"] = html("<html><head></head><body><a href='/'>home</a></body></html>")
        second = crawl(client, site_id)
        assert wait_for_job(client, second["jobId"], JOB_TIMEOUT)["status"] == "COMPLETED"
    finally:
        site.stop()
    down = crawl(client, site_id)  # nothing answers on the port: unreachable
    assert wait_for_job(client, down["jobId"], JOB_TIMEOUT)["status"] == "FAILED"
    with SiteServer(healthy_site(), port=port):
        back = crawl(client, site_id)
        assert wait_for_job(client, back["jobId"], JOB_TIMEOUT)["status"] == "COMPLETED"
    other_site = new_site(client, "http://127.0.0.1:9/")
    cancelled = crawl(client, other_site)
    assert client.post(f"/api/jobs/{cancelled['jobId']}/cancel").status_code == 200
    assert client.post(f"/api/webhooks/{hook['id']}/test").status_code == 202

    expected = {
        "job.completed": 3, "job.failed": 1, "job.cancelled": 1, "site.new_errors": 1,
        "site.health_dropped": 1, "site.unreachable": 1, "site.recovered": 1, "test": 1,
    }  # fmt: skip
    hits = hooks.receiver.wait_for("/all", sum(expected.values()), timeout=120)
    time.sleep(2)  # nothing more is due: no duplicate follows
    events = verified(hooks.receiver.on("/all"), hook["secret"])
    ids = [event["id"] for event in events]
    assert len(ids) == len(set(ids)) == len(hits)
    counts = {kind: sum(e["type"] == kind for e in events) for kind in expected}
    assert counts == expected
    by_type = {event["type"]: event for event in events}
    assert by_type["site.new_errors"]["data"]["count"] >= 2
    assert by_type["site.new_errors"]["data"]["siteId"] == site_id
    assert by_type["site.unreachable"]["data"]["jobId"] == down["jobId"]
    assert by_type["site.recovered"]["data"]["jobId"] == back["jobId"]
    assert by_type["job.cancelled"]["data"]["id"] == cancelled["jobId"]
    assert by_type["job.failed"]["data"]["status"] == "FAILED"
    assert set(by_type["job.completed"]) == {"id", "type", "createdAt", "data"}

    [callback] = verified(hooks.receiver.wait_for("/callback", 1), first["callbackSecret"])
    assert callback["type"] == "job.completed"
    assert callback["data"]["id"] == first["jobId"]
    assert callback["data"]["status"] == "COMPLETED"


# --- retries ---------------------------------------------------------------------------


def test_a_receiver_answering_500_then_200_gets_the_delivery_on_retry(hooks: Hooks):
    client = hooks.client()
    hooks.receiver.answer("/flaky", 500, 200)
    hook = add_webhook(client, hooks.receiver.url("/flaky"), ["job.completed"])
    assert client.post(f"/api/webhooks/{hook['id']}/test").status_code == 202
    delivery = settled_delivery(client, hook["id"])
    first, second = verified(hooks.receiver.wait_for("/flaky", 2), hook["secret"])
    assert first["id"] == second["id"] == delivery["eventId"]
    assert delivery["status"] == "succeeded"
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500, 200]
    assert delivery["attemptLog"][0]["nextRetryAt"] is not None


def test_a_hanging_receiver_times_out_and_is_retried(hooks: Hooks):
    client = hooks.client()
    hooks.receiver.answer("/hang", HANG, 200)
    hook = add_webhook(client, hooks.receiver.url("/hang"), ["job.completed"])
    assert client.post(f"/api/webhooks/{hook['id']}/test").status_code == 202
    delivery = settled_delivery(client, hook["id"])
    assert delivery["status"] == "succeeded"
    timed_out, ok = delivery["attemptLog"]
    assert timed_out["statusCode"] is None
    assert f"No answer within {WEBHOOK_TIMEOUT:g} s" in timed_out["error"]
    assert ok["statusCode"] == 200
    assert len(hooks.receiver.on("/hang")) == 2


def test_a_receiver_down_for_the_whole_window_fails_and_is_disabled(hooks: Hooks):
    """Nothing listens on the port: every attempt fails, the delivery ends failed, and
    the endpoint is disabled with the reason for its owner to read."""
    client = hooks.client()
    hook = add_webhook(client, f"http://127.0.0.1:{free_port()}/gone", ["job.completed"])
    assert client.post(f"/api/webhooks/{hook['id']}/test").status_code == 202
    delivery = settled_delivery(client, hook["id"], timeout=90)
    assert delivery["status"] == "failed"
    assert delivery["attempts"] >= 2
    assert all(a["error"] for a in delivery["attemptLog"])
    webhook = client.get(f"/api/webhooks/{hook['id']}").json()["webhook"]
    assert webhook["enabled"] is False
    assert "Every delivery failed since" in webhook["disabledReason"]
    listed = hooks.stack.seology(
        "webhooks", "list", "--token", hooks.token, "--api-url", hooks.stack.api_url
    )
    assert "Every delivery failed" in listed.stdout.replace("\n", " "), listed.stdout


def test_redeliver_sends_the_same_event_again(hooks: Hooks):
    client = hooks.client()
    hook = add_webhook(client, hooks.receiver.url("/again"), ["job.completed"])
    assert client.post(f"/api/webhooks/{hook['id']}/test").status_code == 202
    delivered = settled_delivery(client, hook["id"])
    response = client.post(f"/api/webhooks/{hook['id']}/deliveries/{delivered['id']}/redeliver")
    assert response.status_code == 202, response.text
    first, second = verified(hooks.receiver.wait_for("/again", 2), hook["secret"])
    assert first["id"] == second["id"] == delivered["eventId"]
    assert first == second


def test_another_users_webhook_is_404(hooks: Hooks):
    client = hooks.client()
    hook = add_webhook(client, hooks.receiver.url("/mine"), ["job.completed"])
    assert client.post(f"/api/webhooks/{hook['id']}/test").status_code == 202
    delivery = settled_delivery(client, hook["id"])
    other = hooks.client(hooks.stack.new_user("someone-else"))
    base = f"/api/webhooks/{hook['id']}"
    for method, path in [
        ("GET", base), ("PATCH", base), ("DELETE", base), ("GET", f"{base}/deliveries"),
        ("POST", f"{base}/test"), ("POST", f"{base}/rotate-secret"),
        ("POST", f"{base}/deliveries/{delivery['id']}/redeliver"),
    ]:  # fmt: skip
        body = {"description": "x"} if method == "PATCH" else None
        response = other.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    assert other.get("/api/webhooks").json() == {"webhooks": []}
    assert client.get(base).status_code == 200


def test_webhook_urls_follow_the_crawler_target_rules(hooks: Hooks):
    """http(s) only (the schema says so: 422); unknown fields and wrong types are refused."""
    client = hooks.client()
    for body, status in [
        ({"url": "ftp://127.0.0.1/x", "events": ["job.completed"]}, 422),
        ({"url": "http://127.0.0.1:8/x", "events": ["job.completed"], "description": 5}, 422),
        ({"url": "http://127.0.0.1/x", "events": ["job.nope"]}, 422),
        ({"url": "http://127.0.0.1/x", "events": []}, 422),
        ({"url": "http://127.0.0.1/x", "events": ["job.completed"], "extra": 1}, 422),
    ]:
        response = client.post("/api/webhooks", json=body)
        assert response.status_code == status, (body, response.text)


def test_rotated_secret_old_and_new_both_verify(hooks: Hooks):
    client = hooks.client()
    hook = add_webhook(client, hooks.receiver.url("/rotate"), ["job.completed"])
    rotated = client.post(f"/api/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != hook["secret"]
    assert client.post(f"/api/webhooks/{hook['id']}/test").status_code == 202
    [hit] = hooks.receiver.wait_for("/rotate", 1)
    assert verified([hit], hook["secret"]) == verified([hit], new_secret)


# --- crashes ---------------------------------------------------------------------------


def test_webhook_worker_killed_mid_delivery_delivers_once_it_is_back(hooks: Hooks):
    """SIGKILL the webhook worker while the receiver holds its request: `seology up`
    starts it again, the lease ends, and the same event is delivered."""
    client = hooks.client()
    hooks.receiver.answer("/killed", HANG, 200)
    hook = add_webhook(client, hooks.receiver.url("/killed"), ["job.completed"])
    assert client.post(f"/api/webhooks/{hook['id']}/test").status_code == 202
    hooks.receiver.wait_for("/killed", 1)
    os.killpg(child_group(hooks.stack, b"webhooks\0serve"), signal.SIGKILL)
    delivery = settled_delivery(client, hook["id"], timeout=120)
    assert delivery["status"] == "succeeded"
    first, second = verified(hooks.receiver.wait_for("/killed", 2), hook["secret"])
    assert first["id"] == second["id"] == delivery["eventId"]
    assert "stopped mid-delivery" in delivery["attemptLog"][0]["error"]


def test_prefect_server_killed_while_a_job_runs_loses_no_event(hooks: Hooks):
    """SIGKILL the Prefect server mid-crawl: it comes back, the job ends (however it
    ends: with one attempt a lost run may be failed), and its end is delivered."""
    client = hooks.client(hooks.stack.new_user("restart-owner"))  # no other job of theirs
    ends = ["job.completed", "job.failed", "job.cancelled"]
    hook = add_webhook(client, hooks.receiver.url("/restart"), ends)
    slow = {path: dataclasses.replace(route, delay=1.0) for path, route in healthy_site().items()}
    with SiteServer(slow) as site:
        site_id = new_site(client, site.base_url + "/")
        job = crawl(client, site_id)
        deadline = time.monotonic() + JOB_TIMEOUT
        while client.get(f"/api/jobs/{job['jobId']}/status").json()["job"]["status"] == "PENDING":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        os.killpg(child_group(hooks.stack, b"server\0start"), signal.SIGKILL)
        hooks.stack.wait_healthy(180)
        ended = wait_for_job(client, job["jobId"], timeout=JOB_TIMEOUT)
    events = verified(hooks.receiver.wait_for("/restart", 1, timeout=120), hook["secret"])
    assert {event["data"]["id"] for event in events} == {job["jobId"]}
    assert {event["type"] for event in events} == {f"job.{ended['status'].lower()}"}
    assert len({event["id"] for event in events}) == 1
