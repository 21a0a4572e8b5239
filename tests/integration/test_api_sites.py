"""`/api/sites` over real HTTP, and the URL rules behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from seology.core.errors import InvalidTargetURL
from seology.store.sites import normalise_url
from tests.integration.api_answers import assert_error, bearer

SITE_FIELDS = {"id", "url", "name", "monitoringEnabled", "createdAt"}


def parse_time(value: str) -> datetime:
    """The API's times are ISO 8601 in UTC with a Z."""
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def alice(user_factory):
    return user_factory("alice")


@pytest.fixture
def bob(user_factory):
    return user_factory("bob")


class TestCreate:
    def test_created(self, api_client, alice):
        """A new URL: 201 with the site, its URL normalised, named after its host."""
        _, token = alice
        before = datetime.now(UTC) - timedelta(seconds=1)
        response = api_client.post(
            "/api/sites", json={"url": "HTTPS://Example.COM"}, headers=bearer(token)
        )
        assert response.status_code == 201
        site = response.json()
        assert set(site) == SITE_FIELDS
        assert isinstance(site["id"], int)
        assert site["url"] == "https://example.com/"
        assert site["name"] == "example.com"
        assert site["monitoringEnabled"] is True
        assert before <= parse_time(site["createdAt"]) <= datetime.now(UTC)

    def test_name_given(self, api_client, alice):
        """A given name is kept (trimmed)."""
        _, token = alice
        response = api_client.post(
            "/api/sites",
            json={"url": "http://shop.example:8080/en", "name": "  Shop  "},
            headers=bearer(token),
        )
        assert response.status_code == 201
        assert response.json()["name"] == "Shop"
        assert response.json()["url"] == "http://shop.example:8080/en"

    def test_idempotent(self, api_client, alice):
        """The same URL again (in another spelling): 200 and the same site, unchanged."""
        _, token = alice
        first = api_client.post(
            "/api/sites", json={"url": "https://example.com/", "name": "One"}, headers=bearer(token)
        )
        again = api_client.post(
            "/api/sites",
            json={"url": "https://EXAMPLE.com:443", "name": "Two"},
            headers=bearer(token),
        )
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        listed = api_client.get("/api/sites", headers=bearer(token)).json()["sites"]
        assert len(listed) == 1

    def test_same_url_for_two_users(self, api_client, alice, bob):
        """Two users adding one URL get a site each."""
        ids = {
            api_client.post(
                "/api/sites", json={"url": "https://example.com"}, headers=bearer(token)
            ).json()["id"]
            for _, token in (alice, bob)
        }
        assert len(ids) == 2

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("ftp://example.com/", "Only http and https"),
            ("example.com", "Only http and https"),  # no scheme
            ("https://", "no host"),
            ("https://user:pass@example.com/", "credentials"),
            ("https://example.com:99999/", "Not a valid URL"),  # port out of range
            ("https://example.com/" + "a" * 2048, "at most 2048"),
            ("https://exa mple.com/", "whitespace"),
        ],
    )
    def test_invalid_url(self, api_client, alice, url, reason):
        """A URL we cannot crawl: 400 invalid_url saying why; nothing is created."""
        _, token = alice
        response = api_client.post("/api/sites", json={"url": url}, headers=bearer(token))
        assert reason in assert_error(response, 400, "invalid_url")
        assert api_client.get("/api/sites", headers=bearer(token)).json() == {"sites": []}

    @pytest.mark.parametrize(
        "body",
        [
            {},  # url missing
            {"url": 42},  # not a string
            {"url": "https://example.com", "name": ["x"]},
        ],
    )
    def test_malformed_body(self, api_client, alice, body):
        """A body of the wrong shape: 422 in the error shape, naming the field."""
        _, token = alice
        response = api_client.post("/api/sites", json=body, headers=bearer(token))
        assert "body." in assert_error(response, 422, "validation_error")

    def test_empty_name(self, api_client, alice):
        """A blank name is refused with 400."""
        _, token = alice
        response = api_client.post(
            "/api/sites", json={"url": "https://example.com", "name": "  "}, headers=bearer(token)
        )
        assert "name" in assert_error(response, 400, "invalid_input")


class TestRead:
    def test_list_own_sites_only(self, api_client, alice, bob, site_factory):
        """A user lists their own sites, oldest first, and never another user's."""
        alice_user, alice_token = alice
        bob_user, _ = bob
        mine = [site_factory(alice_user).id, site_factory(alice_user).id]
        site_factory(bob_user)
        response = api_client.get("/api/sites", headers=bearer(alice_token))
        assert response.status_code == 200
        assert [site["id"] for site in response.json()["sites"]] == mine
        assert all(set(site) == SITE_FIELDS for site in response.json()["sites"])

    def test_admin_lists_all(self, api_client, alice, bob, site_factory, admin_headers):
        """The admin secret lists every user's sites."""
        ids = [site_factory(alice[0]).id, site_factory(bob[0]).id]
        response = api_client.get("/api/sites", headers=admin_headers)
        assert response.status_code == 200
        assert [site["id"] for site in response.json()["sites"]] == ids

    def test_get_one(self, api_client, alice, site_factory):
        """GET by id: `{site}` with every field."""
        user, token = alice
        site = site_factory(user, url="https://example.org/blog", name="Blog")
        response = api_client.get(f"/api/sites/{site.id}", headers=bearer(token))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"site"}
        assert body["site"]["id"] == site.id
        assert body["site"]["url"] == "https://example.org/blog"
        assert body["site"]["name"] == "Blog"
        assert body["site"]["monitoringEnabled"] is True
        parse_time(body["site"]["createdAt"])

    def test_other_users_site_is_not_found(self, api_client, alice, bob, site_factory):
        """Another user's site is a 404 that reads exactly like an unknown id's."""
        _, alice_token = alice
        bobs = site_factory(bob[0])
        unknown_id = bobs.id + 1000
        foreign = api_client.get(f"/api/sites/{bobs.id}", headers=bearer(alice_token))
        unknown = api_client.get(f"/api/sites/{unknown_id}", headers=bearer(alice_token))
        foreign_message = assert_error(foreign, 404, "not_found")
        unknown_message = assert_error(unknown, 404, "not_found")
        assert foreign_message.replace(str(bobs.id), "N") == unknown_message.replace(
            str(unknown_id), "N"
        )

    def test_admin_gets_any_site(self, api_client, alice, site_factory, admin_headers):
        """The admin secret reads any user's site."""
        site = site_factory(alice[0])
        response = api_client.get(f"/api/sites/{site.id}", headers=admin_headers)
        assert response.status_code == 200
        assert response.json()["site"]["id"] == site.id

    @pytest.mark.parametrize(
        "site_id",
        [
            "abc",  # not a number
            "1.5",
            "0",  # ids start at 1
            "-3",
            str(2**31),  # beyond a 32-bit id
        ],
    )
    def test_malformed_id(self, api_client, alice, site_id):
        """A malformed id: 422 in the error shape, naming the path parameter."""
        _, token = alice
        response = api_client.get(f"/api/sites/{site_id}", headers=bearer(token))
        assert "path.site_id" in assert_error(response, 422, "validation_error")

    def test_needs_a_token(self, api_client, alice, site_factory):
        """Reading a site without a token: 401."""
        site = site_factory(alice[0])
        assert_error(api_client.get(f"/api/sites/{site.id}"), 401, "unauthorized")


class TestUpdate:
    def test_toggle_monitoring(self, api_client, alice, site_factory):
        """PATCH monitoringEnabled turns monitoring off and on; GET shows it."""
        user, token = alice
        site = site_factory(user)
        for enabled in (False, True):
            response = api_client.patch(
                f"/api/sites/{site.id}", json={"monitoringEnabled": enabled}, headers=bearer(token)
            )
            assert response.status_code == 200
            assert response.json()["site"]["monitoringEnabled"] is enabled
            shown = api_client.get(f"/api/sites/{site.id}", headers=bearer(token))
            assert shown.json()["site"]["monitoringEnabled"] is enabled

    def test_other_users_site(self, api_client, alice, bob, site_factory):
        """PATCHing another user's site: 404, and the site is unchanged."""
        bobs = site_factory(bob[0])
        response = api_client.patch(
            f"/api/sites/{bobs.id}", json={"monitoringEnabled": False}, headers=bearer(alice[1])
        )
        assert_error(response, 404, "not_found")
        shown = api_client.get(f"/api/sites/{bobs.id}", headers=bearer(bob[1]))
        assert shown.json()["site"]["monitoringEnabled"] is True

    def test_admin_may_toggle_any_site(self, api_client, alice, site_factory, admin_headers):
        """The admin secret may switch monitoring for any site."""
        site = site_factory(alice[0])
        response = api_client.patch(
            f"/api/sites/{site.id}", json={"monitoringEnabled": False}, headers=admin_headers
        )
        assert response.status_code == 200
        assert response.json()["site"]["monitoringEnabled"] is False

    def test_missing_field(self, api_client, alice, site_factory):
        """A PATCH without monitoringEnabled: 422 naming it."""
        site = site_factory(alice[0])
        response = api_client.patch(f"/api/sites/{site.id}", json={}, headers=bearer(alice[1]))
        assert "monitoringEnabled" in assert_error(response, 422, "validation_error")


class TestNormaliseUrl:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("https://example.com", "https://example.com/"),  # empty path is /
            ("HTTPS://WWW.Example.Com/Path", "https://www.example.com/Path"),  # path keeps case
            ("http://example.com:80/", "http://example.com/"),  # default port dropped
            ("https://example.com:443/a?b=1", "https://example.com/a?b=1"),  # query kept
            ("https://example.com:8443/", "https://example.com:8443/"),  # other port kept
            ("https://example.com/page#top", "https://example.com/page"),  # fragment dropped
            ("  https://example.com/  ", "https://example.com/"),  # surrounding space
            ("http://[::1]:8000/", "http://[::1]:8000/"),  # IPv6 keeps its brackets
            ("http://127.0.0.1:8000", "http://127.0.0.1:8000/"),  # public-ness is the crawler's
        ],
    )
    def test_normalises(self, given, expected):
        """Same site, same spelling."""
        assert normalise_url(given) == expected

    @pytest.mark.parametrize(
        "url",
        [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://a:b@example.com",
            "https://@example.com",  # an empty user part is still credentials
            "http:///path",
            "https://example.com:port/",
            "https://example.com/\x00",
        ],
    )
    def test_refuses(self, url):
        """Anything but an http(s) URL with a host and no credentials is refused."""
        with pytest.raises(InvalidTargetURL):
            normalise_url(url)
