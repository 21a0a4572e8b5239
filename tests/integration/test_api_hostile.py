"""The job API against a hostile client: no 500s, no unread bodies, strict types."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from tests.integration.api_answers import assert_error, bearer

MIB = 1024 * 1024


@pytest.fixture
def alice(user_factory):
    return user_factory("alice")[1]


def raw_json(client, method: str, path: str, body: bytes, token: str | None = None):
    headers = {"Content-Type": "application/json", **(bearer(token) if token else {})}
    return client.request(method, path, content=body, headers=headers)


class TestBodyLimit:
    def test_declared_too_large_is_413(self, api_client, alice):
        """Content-Length over the bound (1 MiB by default): 413 in the error shape."""
        body = b'{"url": "https://a.example/", "name": "' + b"x" * (2 * MIB) + b'"}'
        response = raw_json(api_client, "POST", "/api/sites", body, alice)
        assert "larger than" in assert_error(response, 413, "payload_too_large")

    def test_chunked_too_large_is_413(self, api_client, alice):
        """A chunked body declares no length: it is cut as soon as it passes the bound."""

        def chunks():
            yield b'{"url": "https://a.example/", "name": "'
            for _ in range(40):
                yield b"x" * 65536
            yield b'"}'

        response = api_client.post(
            "/api/sites",
            content=chunks(),
            headers={**bearer(alice), "Content-Type": "application/json"},
        )
        assert_error(response, 413, "payload_too_large")

    def test_unauthenticated_body_is_not_waited_for(self, api_server):
        """A POST without a token is answered 401 before its body arrives: the server
        does not wait for (or hold) 100 MB that a stranger says it will send."""
        parts = urlsplit(api_server)
        with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
            sock.sendall(
                b"POST /api/sites HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + b"400\r\n" + b"x" * 1024 + b"\r\n"
            )
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert b'"unauthorized"' in answer

    def test_small_bodies_pass(self, api_client, alice):
        response = api_client.post(
            "/api/sites", json={"url": "https://a.example/"}, headers=bearer(alice)
        )
        assert response.status_code == 201, response.text


class TestMalformed:
    def test_malformed_json_is_400(self, api_client, alice):
        response = raw_json(api_client, "POST", "/api/sites", b"{not json", alice)
        assert_error(response, 400, "invalid_json")

    @pytest.mark.parametrize("field", ["url", "name"])
    def test_lone_surrogate_is_422(self, api_client, alice, field):
        """JSON may spell a lone UTF-16 surrogate; no database stores it: 422, not 500."""
        values = {"url": '"https://a.example/"', "name": '"n"'}
        values[field] = '"https://a.example/\\ud800"' if field == "url" else '"bad \\udfff"'
        body = ("{" + ", ".join(f'"{k}": {v}' for k, v in values.items()) + "}").encode()
        response = raw_json(api_client, "POST", "/api/sites", body, alice)
        assert "not valid Unicode" in assert_error(response, 422, "validation_error")

    def test_unknown_field_with_a_surrogate_name(self, api_client, alice):
        """The error message quotes the field; its surrogate is escaped, not a 500."""
        body = b'{"url": "https://a.example/", "\\ud800": 1}'
        response = raw_json(api_client, "POST", "/api/sites", body, alice)
        assert_error(response, 422, "validation_error")

    def test_invalid_utf8_bytes(self, api_client, alice):
        response = raw_json(api_client, "POST", "/api/sites", b'{"url": "\xff\xfe"}', alice)
        assert response.status_code == 400, response.text


class TestStrictTypes:
    @pytest.mark.parametrize("path", ["/api/jobs/crawl", "/api/jobs/analysis"])
    @pytest.mark.parametrize(
        "body",
        [
            {"siteId": 2**63},  # past what the database stores: 500 before
            {"siteId": 2**31},
            {"siteId": True},  # meant site 1
            {"siteId": "10"},  # meant site 10
            {"siteId": 1, "priority": True},
            {"siteId": 1.5},
            {"siteId": 1, "extra": 1},
        ],
    )
    def test_enqueue_bodies_are_strict(self, api_client, alice, path, body):
        response = api_client.post(path, json=body, headers=bearer(alice))
        assert_error(response, 422, "validation_error")

    def test_patch_refuses_unknown_fields_and_loose_booleans(self, api_client, alice):
        site = api_client.post(
            "/api/sites", json={"url": "https://a.example/"}, headers=bearer(alice)
        )
        path = f"/api/sites/{site.json()['id']}"
        for body in ({"monitoringEnabled": False, "color": "red"}, {"monitoringEnabled": 0}):
            response = api_client.patch(path, json=body, headers=bearer(alice))
            assert_error(response, 422, "validation_error")

    @pytest.mark.parametrize("offset", [2**63, 2**31, -1])
    def test_huge_offsets_are_422(self, api_client, alice, offset):
        """`offset=2^63` reached Prefect and came back a 503 "Prefect answered 500"."""
        response = api_client.get(f"/api/jobs?offset={offset}", headers=bearer(alice))
        assert_error(response, 422, "validation_error")


class TestTargets:
    @pytest.mark.parametrize(
        "url",
        ["http://127.0.0.1:8000/", "http://localhost/", "http://[::1]/", "http://10.0.0.7/",
         "http://169.254.169.254/latest/", "http://app.localhost:3000/"],
    )  # fmt: skip
    def test_never_crawlable_urls_are_refused_at_creation(self, api_client, alice, url):
        """With private targets off, a site the crawl would refuse is refused now: 422."""
        response = api_client.post("/api/sites", json={"url": url}, headers=bearer(alice))
        assert "never crawled" in assert_error(response, 422, "target_not_allowed")
        assert api_client.get("/api/sites", headers=bearer(alice)).json() == {"sites": []}

    def test_dns_names_are_judged_at_crawl_time(self, api_client, alice):
        response = api_client.post(
            "/api/sites", json={"url": "https://shop.example/"}, headers=bearer(alice)
        )
        assert response.status_code == 201, response.text
