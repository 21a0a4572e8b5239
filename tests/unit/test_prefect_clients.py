"""How the job API's Prefect clients are made: one TLS context, bounded kept reads."""

from __future__ import annotations

import asyncio
import ssl
import uuid

import pytest

from seology.core.errors import PrefectUnavailable
from seology.jobs import _prefect


def test_every_client_shares_one_verifying_tls_context():
    first = _prefect._client_settings()["verify"]
    again = _prefect._client_settings()["verify"]

    assert first is again  # built once: loading the CA bundle costs ~50 ms
    assert isinstance(first, ssl.SSLContext)
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname


def test_skip_verify_setting_gives_a_context_that_does_not_verify():
    context = _prefect._tls_context(True, None)

    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


class _HangingClient:
    """A kept client stuck in Prefect's retries (the server is restarting)."""

    async def read_flow_runs(self, **_: object) -> list[object]:
        await asyncio.sleep(3600)
        return []


class _DownClient:
    async def read_flow_runs(self, **_: object) -> list[object]:
        import httpx

        raise httpx.ConnectError("connection refused")


def test_a_kept_read_that_hangs_answers_503_within_its_bound(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_prefect, "KEPT_READ_SECONDS", 0.2)
    read_many = _prefect._run_reads(_HangingClient())  # type: ignore[arg-type]

    with pytest.raises(PrefectUnavailable, match="did not answer"):
        asyncio.run(read_many([uuid.uuid4()]))


def test_a_kept_read_that_cannot_connect_answers_503():
    read_many = _prefect._run_reads(_DownClient())  # type: ignore[arg-type]

    with pytest.raises(PrefectUnavailable, match="unreachable"):
        asyncio.run(read_many([uuid.uuid4()]))
