"""`seology up --postgres URL`: two databases derived from one server URL."""

from __future__ import annotations

import pytest

from seology.core.errors import ConfigurationError
from seology.local.postgres import database_urls


def test_two_databases_with_the_right_drivers():
    """Prefect gets asyncpg, the app psycopg; both keep the server's credentials."""
    urls = database_urls("postgresql://me:pw@db:5433/anything", "acme")
    assert urls.prefect == "postgresql+asyncpg://me:pw@db:5433/acme_prefect"
    assert urls.app == "postgresql+psycopg://me:pw@db:5433/acme_app"


@pytest.mark.parametrize(
    ("url", "prefix", "message"),
    [
        ("sqlite:///x.db", "seology", "needs a postgresql:// URL"),  # wrong backend
        ("postgresql://db/x", "Bad-Name", "lowercase letters"),  # unsafe database name
        ("not a url", "seology", "not a database URL"),  # garbage
    ],
)
def test_bad_input_is_refused_clearly(url, prefix, message):
    """A URL or prefix we cannot use is refused before anything is created."""
    with pytest.raises(ConfigurationError, match=message):
        database_urls(url, prefix)
