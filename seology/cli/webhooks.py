"""`seology webhooks add | list | remove | deliveries | test | serve`.

All but `serve` are clients of the job API, with the caller's token, like the job
commands (`--api-url`, `--token`, `--json`). `serve` runs the webhook worker
(`seology.worker.webhooks`), which `seology up` starts for you.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from seology.cli.jobs import ApiUrl, AsJson, Token, _api
from seology.cli.render import console, print_json

webhooks_app = typer.Typer(help="Signed webhooks: endpoints, deliveries, and the worker.")
EVENT_HELP = (
    "An event to send (repeat): job.completed, job.failed, job.cancelled, site.new_errors, "
    "site.health_dropped, site.unreachable, site.recovered."
)
WebhookId = Annotated[str, typer.Argument(help="The webhook's id.")]


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where to POST the events.")],
    event: Annotated[list[str], typer.Option("--event", "-e", help=EVENT_HELP)],
    description: Annotated[str, typer.Option(help="A note for yourself.")] = "",
    api_url: ApiUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Add an endpoint; prints its secret, which is shown this once."""
    with _api(api_url, token) as api:
        webhook = api.add_webhook(url, event, description)
    if as_json:
        print_json(webhook)
        return
    console.print(f"Webhook {webhook['id']} → {webhook['url']} ({', '.join(webhook['events'])})")
    console.print("Its signing secret (shown once, keep it):")
    console.print(webhook["secret"])


@webhooks_app.command("list")
def list_webhooks(api_url: ApiUrl = None, token: Token = None, as_json: AsJson = False) -> None:
    """Your endpoints; a disabled one says why."""
    with _api(api_url, token) as api:
        webhooks = api.list_webhooks()
    if as_json:
        print_json({"webhooks": webhooks})
        return
    table = Table("id", "url", "events", "enabled", "note")
    for hook in webhooks:
        note = hook["disabledReason"] or hook["description"]
        table.add_row(
            hook["id"], hook["url"], ", ".join(hook["events"]), str(hook["enabled"]), note
        )
    console.print(table)


@webhooks_app.command("remove")
def remove(webhook_id: WebhookId, api_url: ApiUrl = None, token: Token = None) -> None:
    """Remove an endpoint and its delivery history."""
    with _api(api_url, token) as api:
        api.remove_webhook(webhook_id)
    console.print(f"Removed webhook {webhook_id}.")


@webhooks_app.command("deliveries")
def deliveries(
    webhook_id: WebhookId,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    api_url: ApiUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """The endpoint's deliveries, newest first, with their last answer."""
    with _api(api_url, token) as api:
        rows = api.webhook_deliveries(webhook_id, limit)
    if as_json:
        print_json({"deliveries": rows})
        return
    table = Table("delivery", "event", "type", "status", "attempts", "last answer", "next retry")
    for row in rows:
        answer = row["lastError"] or (str(row["lastStatusCode"] or "") if row else "")
        table.add_row(
            row["id"], row["eventId"], row["eventType"], row["status"], str(row["attempts"]),
            answer, row["nextRetryAt"] or "",
        )  # fmt: skip
    console.print(table)


@webhooks_app.command("test")
def test(
    webhook_id: WebhookId, api_url: ApiUrl = None, token: Token = None, as_json: AsJson = False
) -> None:
    """Send a `test` event to the endpoint now."""
    with _api(api_url, token) as api:
        delivery = api.test_webhook(webhook_id)
    if as_json:
        print_json({"delivery": delivery})
    else:
        console.print(f"Test event {delivery['eventId']} queued as delivery {delivery['id']}.")


@webhooks_app.command("serve")
def serve() -> None:
    """Run the webhook worker: record job ends from Prefect's events, deliver the outbox."""
    from seology.core.settings import get_settings
    from seology.worker.webhooks import serve as serve_webhooks

    console.print("Webhook worker started.")
    try:
        asyncio.run(serve_webhooks(get_settings()))
    except KeyboardInterrupt:
        console.print("Webhook worker stopped.")
