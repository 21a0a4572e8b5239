"""The job API's answers carry `Server-Timing`: which parts a request went through."""

from __future__ import annotations

from seology.api.timing import parse_header
from tests.integration.api_answers import bearer


def test_a_token_check_is_a_part_of_its_own(api_client, user_factory):
    _, token = user_factory()
    response = api_client.get("/api/sites", headers=bearer(token))
    assert response.status_code == 200
    parts = parse_header(response.headers["server-timing"])
    assert list(parts) == ["auth", "app"]
    assert 0 < parts["auth"] <= parts["app"]


def test_a_refused_token_still_says_where_the_time_went(api_client):
    response = api_client.get("/api/sites", headers=bearer("not-a-token"))
    assert response.status_code == 401
    assert list(parse_header(response.headers["server-timing"])) == ["auth", "app"]


def test_the_admin_secret_needs_no_lookup(api_client, admin_headers):
    response = api_client.get("/api/sites", headers=admin_headers)
    assert response.status_code == 200
    assert list(parse_header(response.headers["server-timing"])) == ["app"]
