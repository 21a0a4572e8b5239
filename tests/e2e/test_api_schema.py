"""Bad input: schemathesis against the job API's own OpenAPI document, over HTTP.

The document is built from `create_app()` at collection time (the code the stack runs;
schemathesis's lazy, fixture-based loader does not work with pytest 9), and every
request goes over HTTP to the session stack, which answers for real: job endpoints
talk to its Prefect server, so a generated request goes all the way through
`seology.jobs.queue`. For every operation of the job API (tags `jobs`, `sites`, `health`),
schemathesis sends the documented examples and a bounded number of generated requests,
valid and invalid, and checks each answer: never a 5xx, only documented status codes,
bodies that match the documented schemas, invalid input refused.

Generated ids rarely exist, so in the first few requests of each operation a valid site
id or job id is swapped for one of this user's (`_aim_at_own_resources`): the 200 and
202 answers are then checked too, not only the 404s. Only a few: every aimed enqueue is
a real job for the session stack's worker, and on SQLite a busy worker slows the
Prefect API down for everyone (docs/performance.md). The jobs left are cancelled at the end.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation

from seology.api.app import create_app
from seology.core.settings import load_settings
from seology.testing.sites import SiteServer, generate_site
from tests.e2e.conftest import Stack, wait_for_job

pytestmark = pytest.mark.e2e

#: Generated requests per operation and caller (the documented examples come on top).
#: Hostile values (lone surrogates, 2^63, booleans for ints) are also sent to every route,
#: one input at a time, by tests/integration/test_api_fuzz.py.
MAX_EXAMPLES = 50
#: Requests per operation aimed at the user's own site or job (see the module docstring).
MAX_AIMED = 3
#: On SQLite under load an enqueue can take over a minute (docs/performance.md); not a failure.
REQUEST_TIMEOUT = 180
#: The job API proper; other routers (audit, analysis, reports) have their own tests.
JOB_API_TAGS = ["jobs", "sites", "health"]
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,  # a request to a real stack takes what it takes
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same requests on every run: a CI failure reproduces locally
)
#: What a JSON schema cannot say: that `url` must be an http(s) URL (400 otherwise) that
#: the crawl rules allow (422 `target_not_allowed` otherwise).
SEMANTIC_400 = {("POST", "/api/sites")}
#: The 400s of the target rules that a URL field's schema cannot express.
URL_RULE_CODES = {"invalid_url", "target_not_allowed"}


@dataclass(frozen=True)
class Fixture:
    """This module's user, one of their sites, and one of their jobs."""

    token: str
    site_id: int
    job_id: str


schema = schemathesis.openapi.from_dict(create_app(load_settings()).openapi()).include(
    tag=JOB_API_TAGS
)


@pytest.fixture(scope="module")
def owned(stack: Stack) -> Iterator[Fixture]:
    """A user with a small site and a finished crawl of it; their jobs are cancelled after."""
    token = stack.new_user("schema-fuzzer")
    with SiteServer(generate_site(pages=3, seed=5)) as site, stack.client(token) as client:
        site_id = client.post("/api/sites", json={"url": site.base_url}).json()["id"]
        job_id = client.post("/api/jobs/crawl", json={"siteId": site_id}).json()["jobId"]
        wait_for_job(client, job_id)
        yield Fixture(token=token, site_id=site_id, job_id=job_id)
        _cancel_active_jobs(client)


def _cancel_active_jobs(client: httpx.Client) -> None:
    for status in ("PENDING", "PROCESSING"):
        jobs = client.get("/api/jobs", params={"status": status, "limit": 200}).json()["jobs"]
        for job in jobs:
            client.post(f"/api/jobs/{job['id']}/cancel")


_aimed: Counter[str] = Counter()


def _aim_at_own_resources(case: schemathesis.Case, owned: Fixture) -> None:
    """Point valid ids at the user's own site and job (MAX_AIMED times per operation);
    leave malformed ones alone."""
    operation = f"{case.method} {case.path}"
    if _aimed[operation] >= MAX_AIMED:
        return
    path = case.path_parameters or {}
    body = case.body
    if _is_uuid(path.get("job_id")):
        path["job_id"] = owned.job_id
    elif isinstance(path.get("site_id"), int) and path["site_id"] >= 1:
        path["site_id"] = owned.site_id
    elif isinstance(body, dict) and type(body.get("siteId")) is int and body["siteId"] >= 1:
        body["siteId"] = owned.site_id
    else:
        return
    _aimed[operation] += 1


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _auth_header(case: schemathesis.Case, token: str) -> dict[str, str]:
    """The caller's token, unless the case leaves `Authorization` out on purpose.

    A negative case may drop the header as its header negation. Putting the token back
    left only its other negations, such as an unknown query parameter, which the API
    ignores as schemathesis allows; the 200 was then reported as accepted invalid data.
    Without the token the case gets the 401 it expects.
    """
    sent = {name.lower() for name in case.headers or {}}
    dropped = (
        "authorization" not in sent
        and case.meta is not None
        and case.meta.is_negative_at(ParameterLocation.HEADER)
    )
    return {} if dropped else {"Authorization": f"Bearer {token}"}


def _fresh_idempotency_key(case: schemathesis.Case) -> None:
    """A valid Idempotency-Key of its own for each case.

    Generated cases reuse a few keys across different bodies, and a key reused with
    another request is answered 422 `idempotency_conflict` by design (tested in
    tests/integration); here each schema-valid case must stand alone.
    """
    headers = case.headers or {}
    negative = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    for name in list(headers):
        if name.lower() == "idempotency-key" and not negative:
            headers[name] = uuid.uuid4().hex


def _validate(case: schemathesis.Case, stack: Stack, token: str) -> None:
    _fresh_idempotency_key(case)
    headers = _auth_header(case, token)
    response = case.call(base_url=stack.api_url, headers=headers, timeout=REQUEST_TIMEOUT)
    excluded = []
    if (case.method.upper(), case.path) in SEMANTIC_400 or _refused_by_target_rules(response):
        excluded.append(checks.positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded, headers=headers)


def _refused_by_target_rules(response: object) -> bool:
    """A 400 or 422 from the crawler's target rules on a webhook or callback URL: what a
    URL may point at (its length once normalised, its address) is not a schema's to say."""
    if getattr(response, "status_code", None) not in (400, 422):
        return False
    try:
        code = response.json()["error"]["code"]  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError):
        return False
    return code in URL_RULE_CODES


@schema.parametrize()
@HYPOTHESIS
def test_job_api_as_a_user(case: schemathesis.Case, stack: Stack, owned: Fixture) -> None:
    """With a user's token: no 5xx, documented statuses and shapes, bad input refused."""
    _aim_at_own_resources(case, owned)
    _validate(case, stack, owned.token)


@schema.exclude(method="PATCH").parametrize()
@HYPOTHESIS
def test_job_api_as_the_admin(case: schemathesis.Case, stack: Stack) -> None:
    """With the admin secret (global lists and stats, cleanup; 403 where a user is
    needed). PATCH is left out: the admin may change any site, other tests' too."""
    _validate(case, stack, stack.admin_secret)
