"""A certificate authority made on the spot, for https sites served in tests.

    authority = LocalAuthority.create()
    with SiteServer(routes, tls=authority.server_context()) as site: ...
    crawl(CrawlConfig(..., ca_file=str(authority.write(tmp_path / "ca.pem"))))

The crawl trusts it only through its CA-file setting (`SEOLOGY_CRAWL_CA_FILE`), never
through the system's trust store. `trustme` (a dev dependency) makes the authority and
the certificate: it is imported here only, when a test asks for one.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LocalAuthority:
    """A throwaway CA and what servers and clients need of it."""

    ca: Any  # trustme.CA

    @classmethod
    def create(cls) -> LocalAuthority:
        import trustme

        return cls(trustme.CA())

    def server_context(self, *names: str) -> ssl.SSLContext:
        """A server-side context with a certificate for `names` (default 127.0.0.1)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*(names or ("127.0.0.1",))).configure_cert(context)
        return context

    def write(self, path: Path) -> Path:
        """The CA certificate as PEM at `path` (what the crawl's CA-file setting names)."""
        self.ca.cert_pem.write_to_path(str(path))
        return path
