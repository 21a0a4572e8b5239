"""TLS verification for the crawl: the public authorities, plus a CA file when set.

One context of the public authorities (certifi's bundle, what httpx trusts) per
process: loading the bundle is the expensive part (~25 ms), and a context is only read
afterwards, so the page fetcher, the resource checks' fetcher and their HEAD client of
every crawl in a worker share it. `SEOLOGY_CRAWL_CA_FILE` adds authorities (a site
behind a private CA; the local authority of the https test site) in a context of its
own.
"""

from __future__ import annotations

import functools
import ssl

import certifi


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The shared public context, or the public authorities plus those of `ca_file`."""
    if ca_file is None:
        return public_tls_context()
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=ca_file)
    return context


@functools.cache
def public_tls_context() -> ssl.SSLContext:
    """Verification against the public authorities httpx trusts, built once per process."""
    return ssl.create_default_context(cafile=certifi.where())
