"""How `seology worker` stops: by cancelling its main task from the event loop."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from seology.cli.worker import stop_on_signals


def test_sigterm_cancels_the_worker_where_a_coroutine_swallows_interrupts():
    """Prefect's way raised KeyboardInterrupt wherever the main thread was; code that
    caught it swallowed the stop (a worker SIGTERMed as a run finished kept running).
    A cancellation from the loop reaches the task however its code treats interrupts."""

    async def worker() -> None:
        stop_on_signals(asyncio.current_task())
        asyncio.get_running_loop().call_later(0.1, os.kill, os.getpid(), signal.SIGTERM)
        while True:
            try:
                await asyncio.sleep(0.01)
            except KeyboardInterrupt:  # as a coroutine on the worker's path may do
                continue

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(asyncio.wait_for(worker(), timeout=5))


def test_the_handlers_go_with_the_loop():
    """After the worker's loop is closed, SIGTERM is back to its default handling."""

    async def worker() -> None:
        stop_on_signals(asyncio.current_task())

    asyncio.run(worker())

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
