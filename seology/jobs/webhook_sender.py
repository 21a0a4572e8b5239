"""One HTTP attempt of a webhook delivery, under the crawler's target rules.

The receiver's URL is a user's input, so it is held to the same rules as a crawl's
start URL (`seology.crawler.safety`): http(s) only, no private, loopback or metadata
address unless private targets are allowed, every address checked after DNS
resolution and pinned for the connection, and no redirect followed (a 3xx is a
failed attempt: following it would let a public URL bounce us to a private one).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from seology.core.errors import InvalidTargetURL, SeologyError
from seology.crawler.pinning import PinnedBackend, pinned_transport
from seology.crawler.safety import AddressBook

USER_AGENT = "Seology-Webhooks/1"
#: Characters of a receiver's answer kept with a failed attempt.
MAX_ERROR_CHARS = 300


class DeliveryFailed(SeologyError):
    """The receiver did not take the delivery."""

    code = "delivery_failed"

    def __init__(
        self, message: str, *, status_code: int | None = None, duration_ms: float | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.duration_ms = duration_ms


@dataclass(frozen=True, kw_only=True)
class Delivered:
    status_code: int
    duration_ms: float


async def send(
    url: str, body: bytes, headers: dict[str, str], *, timeout_seconds: float, allow_private: bool
) -> Delivered:
    """POST `body` to `url`; `Delivered` on a 2xx, else `DeliveryFailed` saying why."""
    book = AddressBook(allow_private=allow_private)
    started = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    try:
        await book.check(url)
        async with httpx.AsyncClient(
            transport=pinned_transport(PinnedBackend(book), 1),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        ) as client:
            response = await client.post(url, content=body, headers=headers)
    except InvalidTargetURL as exc:
        raise DeliveryFailed(exc.message, duration_ms=elapsed()) from exc
    except httpx.TimeoutException as exc:
        raise DeliveryFailed(
            f"No answer within {timeout_seconds:g} s.", duration_ms=elapsed()
        ) from exc
    except httpx.HTTPError as exc:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise DeliveryFailed(message, duration_ms=elapsed()) from exc
    if not response.is_success:
        raise DeliveryFailed(
            _answer(response), status_code=response.status_code, duration_ms=elapsed()
        )
    return Delivered(status_code=response.status_code, duration_ms=elapsed())


def _answer(response: httpx.Response) -> str:
    if response.is_redirect:
        where = response.headers.get("location", "?")
        return f"HTTP {response.status_code} redirect to {where}: redirects are not followed."
    text = response.text[:MAX_ERROR_CHARS].strip()
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")
