"""`seology up --redis URL`: checked before anything starts, refused clearly when unusable."""

from __future__ import annotations

import importlib
import os

import pytest

from seology.core.errors import ConfigurationError
from seology.local.redis import check_redis, redis_messaging_settings
from seology.local.stack import LocalStack, StackError, StackOptions
from seology.testing.servers import free_port


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://db/x", "needs a redis:// or rediss:// URL"),
        ("not a url", "not a Redis URL"),
    ],
)
def test_a_url_that_is_not_redis_is_refused(url, message):
    with pytest.raises(ConfigurationError, match=message):
        check_redis(url)


def test_a_redis_that_does_not_answer_is_refused_with_its_address_and_no_password():
    url = f"redis://user:hunter2@127.0.0.1:{free_port()}/3"  # nothing listens there
    with pytest.raises(ConfigurationError, match="does not answer") as refused:
        check_redis(url)
    assert "127.0.0.1" in str(refused.value)
    assert "hunter2" not in str(refused.value)


@pytest.mark.skipif(not os.environ.get("SEOLOGY_TEST_REDIS_URL"), reason="no test Redis")
def test_a_redis_that_answers_passes():
    check_redis(os.environ["SEOLOGY_TEST_REDIS_URL"])


def test_redis_on_sqlite_is_refused_before_anything_starts(tmp_path):
    """Two Prefect servers on one SQLite file would fight over its write lock."""
    options = StackOptions(
        home=tmp_path / "home", redis_url="redis://127.0.0.1:6379/0", sqlite=True
    )
    stack = LocalStack(options=options, say=lambda _message: None)
    with pytest.raises(StackError, match="drop --sqlite"):
        stack.start()
    assert not (tmp_path / "home").exists()
    assert stack.children == []


def test_every_setting_names_a_module_of_the_installed_prefect_redis():
    """Prefect imports these by name at server start; a renamed module would only fail there."""
    settings = redis_messaging_settings("redis://cache:6380/2")
    assert settings.pop("PREFECT_REDIS_MESSAGING_URL") == "redis://cache:6380/2"
    assert set(settings) == {
        "PREFECT_MESSAGING_BROKER",
        "PREFECT_MESSAGING_CACHE",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE",
    }
    for module in settings.values():
        assert importlib.import_module(module).__name__.startswith("prefect_redis.")
