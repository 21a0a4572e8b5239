"""The one-certificate CA file that makes Prefect's clients cheap over plain HTTP.

Each case runs in a fresh interpreter, as `seology worker` does at its start: in the
test process an outer Prefect settings context (the session's test harness) would win
over the environment the function reads.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

from seology.worker.tls import FILE_NAME, one_certificate

_PROBE = """
import json, os
from prefect.settings import get_current_settings
from seology.worker.tls import use_one_certificate_over_plain_http
path = use_one_certificate_over_plain_http()
print(json.dumps({
    "path": str(path) if path else None,
    "home": str(get_current_settings().home),
    "setting": get_current_settings().api.ssl_cert_file,
    "environ": os.environ.get("PREFECT_API_SSL_CERT_FILE"),
}))
"""
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def worker_start(home: Path, **prefect: str) -> dict[str, str | None]:
    """What a worker starting with these PREFECT_ settings ends up with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(home), **prefect})
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_over_plain_http_prefect_loads_one_certificate(tmp_path: Path):
    home = tmp_path / "prefect-home"
    found = worker_start(
        home,
        PREFECT_API_URL="http://127.0.0.1:4200/api",
        PREFECT_API_SSL_CERT_FILE=SYSTEM_BUNDLE,  # unused over plain HTTP, so replaced
    )

    path = str(home / FILE_NAME)
    assert found == {"path": path, "home": str(home), "setting": path, "environ": path}
    assert Path(path).read_text().count("BEGIN CERTIFICATE") == 1
    assert ssl.create_default_context(cafile=path).cert_store_stats()["x509_ca"] == 1


def test_a_second_worker_finds_the_file_and_a_damaged_one_is_rewritten(tmp_path: Path):
    home = tmp_path / "prefect-home"
    worker_start(home, PREFECT_API_URL="http://127.0.0.1:4200/api")
    (home / FILE_NAME).write_text("truncated")

    found = worker_start(home, PREFECT_API_URL="http://127.0.0.1:4200/api")

    assert found["path"] == str(home / FILE_NAME)
    assert (home / FILE_NAME).read_text() == one_certificate()
    assert not list(home.glob(f"{FILE_NAME}.*"))  # no partial file left


def test_an_https_api_keeps_its_ca_bundle(tmp_path: Path):
    home = tmp_path / "prefect-home"
    found = worker_start(
        home,
        PREFECT_API_URL="https://prefect.example.com/api",
        PREFECT_API_SSL_CERT_FILE=SYSTEM_BUNDLE,
    )

    assert found["path"] is None
    assert found["setting"] == found["environ"] == SYSTEM_BUNDLE
    assert not (home / FILE_NAME).exists()


def test_without_an_api_url_nothing_changes(tmp_path: Path):
    home = tmp_path / "prefect-home"
    found = worker_start(home)

    assert found["path"] is None and found["environ"] is None
    assert not (home / FILE_NAME).exists()
