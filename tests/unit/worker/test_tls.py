"""The one-certificate CA file that makes Prefect's clients cheap over plain HTTP."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.context import refresh_global_settings_context
from prefect.settings import get_current_settings

from seology.worker.tls import FILE_NAME, one_certificate, use_one_certificate_over_plain_http


@pytest.fixture
def prefect_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Prefect's settings read from an environment the test sets; restored afterwards."""
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    monkeypatch.delenv("PREFECT_API_SSL_CERT_FILE", raising=False)
    yield monkeypatch
    monkeypatch.undo()
    refresh_global_settings_context()


def test_over_plain_http_prefect_loads_one_certificate(prefect_env: pytest.MonkeyPatch):
    prefect_env.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    prefect_env.setenv("PREFECT_API_SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    refresh_global_settings_context()

    path = use_one_certificate_over_plain_http()

    assert path is not None and path.name == FILE_NAME
    assert path.parent == get_current_settings().home
    assert path.read_text().count("BEGIN CERTIFICATE") == 1
    assert get_current_settings().api.ssl_cert_file == str(path)
    assert ssl.create_default_context(cafile=str(path)).cert_store_stats()["x509_ca"] == 1


def test_a_second_worker_finds_the_file_and_a_damaged_one_is_rewritten(
    prefect_env: pytest.MonkeyPatch,
):
    prefect_env.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    refresh_global_settings_context()
    first = use_one_certificate_over_plain_http()
    assert first is not None
    first.write_text("truncated")

    again = use_one_certificate_over_plain_http()

    assert again == first and again.read_text() == one_certificate()
    assert [p.name for p in again.parent.iterdir()] == [FILE_NAME]  # no partial file left


def test_an_https_api_keeps_its_ca_bundle(prefect_env: pytest.MonkeyPatch, tmp_path: Path):
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    prefect_env.setenv("PREFECT_API_URL", "https://prefect.example.com/api")
    prefect_env.setenv("PREFECT_API_SSL_CERT_FILE", bundle)
    refresh_global_settings_context()

    assert use_one_certificate_over_plain_http() is None
    assert get_current_settings().api.ssl_cert_file == bundle
    assert not (tmp_path / "prefect-home" / FILE_NAME).exists()


def test_without_an_api_url_nothing_changes(prefect_env: pytest.MonkeyPatch):
    prefect_env.delenv("PREFECT_API_URL", raising=False)
    refresh_global_settings_context()

    assert use_one_certificate_over_plain_http() is None
