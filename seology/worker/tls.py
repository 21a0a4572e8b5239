"""A CA file of one certificate for Prefect's clients when the Prefect API is plain HTTP.

Why: Prefect 3.9 builds a new SSL context for every client it creates, loading a CA
bundle each time (certifi's, 117 certificates), whether or not the
API is HTTPS. A flow run creates about twenty clients (one per sync task run, one per
progress-artifact update, its log and event workers, its observers); profiled with
py-spy, those contexts were a large share of a crawl run's CPU (docs/internals/worker.md).
Over plain HTTP the context is never used, so the worker points
`PREFECT_API_SSL_CERT_FILE` at a file holding one certificate (a context then costs next
to nothing), and its flow runs inherit it.

Never for an HTTPS API: there the bundle is what verifies it. (Over plain HTTP any CA
file, an operator's `PREFECT_API_SSL_CERT_FILE` or the `SSL_CERT_FILE` Prefect defaults
to, is loaded and never read again.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from seology.core.logs import get_logger

#: The file, in Prefect's home: the same content for every worker of the machine.
FILE_NAME = "seology-plain-http-ca.pem"
_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n", re.S)


def one_certificate() -> str:
    """The first certificate of certifi's bundle: any valid one will do, none is used."""
    import certifi

    found = _CERTIFICATE.search(Path(certifi.where()).read_text(encoding="ascii"))
    if found is None:  # an empty or unreadable bundle: Prefect's own clients would fail too
        raise RuntimeError(f"no certificate in {certifi.where()}")
    return found.group(0)


def use_one_certificate_over_plain_http() -> Path | None:
    """Point this process's Prefect settings (and so its children's) at the one-certificate
    file if the API is plain HTTP; the file, or None (HTTPS, or no API URL)."""
    from prefect.context import refresh_global_settings_context
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    api_url = settings.api.url or ""
    if not api_url.startswith("http://"):
        return None
    path = Path(settings.home).expanduser() / FILE_NAME
    content = one_certificate()
    if not path.is_file() or path.read_text(encoding="ascii") != content:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_text(content, encoding="ascii")
        partial.replace(path)  # atomic: another worker may be writing the same bytes
    os.environ["PREFECT_API_SSL_CERT_FILE"] = str(path)
    refresh_global_settings_context()
    get_logger().debug(f"Prefect clients load {path} (the API is plain HTTP)")
    return path
