"""A real uvicorn server in a thread, for tests, demos and benchmarks.

    with serve_app(create_app(settings)) as base_url:
        httpx.get(f"{base_url}/api/health")

The app runs exactly as in production (real sockets, real lifespan), on 127.0.0.1 and
a port the OS picks, in a daemon thread of the calling process. This is how httpx's own
test suite serves its test app (`serve_in_thread`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

STARTUP_TIMEOUT_SECONDS = 20.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0


class ThreadedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the main thread's owner."""

    failure: BaseException | None = None

    def run_quietly(self) -> None:
        """`run()`, keeping what stopped it: uvicorn calls `sys.exit` on a failed startup."""
        try:
            self.run()
        except BaseException as exc:
            self.failure = exc

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def bound_port(self) -> int:
        """The port the OS gave the first listening socket."""
        return self.servers[0].sockets[0].getsockname()[1]


@contextlib.contextmanager
def serve_app(app: Any, host: str = "127.0.0.1", port: int = 0, **config: Any) -> Iterator[str]:
    """Serve the ASGI `app` until the block exits; yields its base URL.

    `config` goes to `uvicorn.Config` (quiet by default: warnings only, no access log).
    Raises `RuntimeError` if the server does not start, e.g. when the app's lifespan
    startup fails; uvicorn logs why.
    """
    options: dict[str, Any] = {"log_level": "warning", "access_log": False} | config
    server = ThreadedServer(uvicorn.Config(app, host=host, port=port, lifespan="on", **options))
    thread = threading.Thread(target=server.run_quietly, name=f"uvicorn-{host}:{port}", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield f"http://{_url_host(host)}:{server.bound_port()}"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_SECONDS)


def _wait_started(server: ThreadedServer, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            msg = "The server stopped during startup; see its log for why."
            raise RuntimeError(msg) from server.failure
        if time.monotonic() > deadline:
            msg = f"The server did not start within {STARTUP_TIMEOUT_SECONDS:g} s."
            raise RuntimeError(msg)
        time.sleep(0.01)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def free_port() -> int:
    """A local TCP port free right now (bound, then released): for servers tests start."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
