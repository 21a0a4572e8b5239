"""Every route of the job API, sent invalid Unicode and huge numbers wherever it takes input.

Each operation of the OpenAPI document is called with each hostile value in each of its
path parameters, query parameters and body fields (one at a time, the rest valid), as
a user and as the admin. No answer may be a 500; the API has no Prefect server here, so
a 503 is the one 5xx allowed (it says so, in the error shape). The document itself must
list 400, 413 and 422 on every operation that takes a body.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.integration.api_answers import bearer

#: JSON text for values no route should choke on (lone surrogates, overflowing numbers).
HOSTILE_JSON = [
    '"\\ud800"',
    '"a\\udfffb"',
    '"\\u0000"',
    str(2**63),
    str(-(2**63) - 1),
    "1" + "0" * 400,
    "1e309",
    "-0.0",
    "true",
    "null",
    '"' + "x" * 5000 + '"',
    "[]",
    "{}",
]
#: The same in a URL: percent-encoded invalid UTF-8 and a lone surrogate's CESU bytes.
HOSTILE_URL = ["%ED%A0%80", "%FF%FE", "%00", str(2**63), "1" + "0" * 400, "-1", "1e309"]
VALID_PATH = {"site_id": "1", "job_id": "00000000-0000-4000-8000-000000000000", "report_id": "1"}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _body_fields(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return []
    ref = content["schema"].get("$ref", "")
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else {}
    return list(schema.get("properties", {})) or ["value"]


def _requests(document: dict[str, Any]) -> list[tuple[str, str, bytes | None]]:
    """(method, URL, body) for each hostile value in each input of each operation."""
    sent = []
    for method, template, operation in _operations(document):
        names = re.findall(r"\{([^}]+)\}", template)
        valid = template
        for name in names:
            valid = valid.replace(f"{{{name}}}", VALID_PATH.get(name, "1"))
        for name in names:
            for value in HOSTILE_URL:
                sent.append((method, template.replace(f"{{{name}}}", value), None))
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                for value in HOSTILE_URL:
                    sent.append((method, f"{valid}?{parameter['name']}={value}", None))
        fields = _body_fields(document, operation)
        for field in fields:
            for value in HOSTILE_JSON:
                body = "{" + f'"{field}": {value}' + "}"
                sent.append((method, valid, body.encode()))
        if fields:
            sent.append((method, valid, b'{"\\ud800": 1}'))
            sent.append((method, valid, b"\xff\xfe{"))
    return sent


@pytest.fixture
def callers(api_client, user_factory, admin_headers) -> list[dict[str, str]]:
    token = user_factory("fuzzed")[1]
    site = api_client.post(
        "/api/sites", json={"url": "https://fuzz.example/"}, headers=bearer(token)
    )
    assert site.json()["id"] == 1  # VALID_PATH's site_id
    return [bearer(token), admin_headers]


def test_no_route_answers_500_to_hostile_input(api_client, callers):
    document = api_client.get("/openapi.json").json()
    failures = []
    for headers in callers:
        for method, url, body in _requests(document):
            response = api_client.request(
                method, url, content=body, headers={**headers, "Content-Type": "application/json"}
            )
            if response.status_code >= 500 and response.status_code != 503:
                failures.append((method, url, body, response.status_code, response.text[:200]))
            elif response.status_code >= 400:
                assert set(response.json()) == {"error"}, (method, url, response.text)
    assert failures == []


def test_the_document_lists_the_body_errors(api_client):
    """400 (not JSON), 413 (too large) and 422 (invalid) wherever a body is taken."""
    document = api_client.get("/openapi.json").json()
    with_body = [op for _, _, op in _operations(document) if "requestBody" in op]
    assert with_body
    for operation in with_body:
        assert {"400", "413", "422"} <= set(operation["responses"]), operation["operationId"]


def test_fuzz_inputs_are_json(api_client):
    """The hostile JSON values are themselves valid JSON (or the test tests nothing)."""
    for value in HOSTILE_JSON:
        json.loads(value)
