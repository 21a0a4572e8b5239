"""`seology worker`: a worker for the pool whose flow runs fork from a warm process."""

from __future__ import annotations

import asyncio
import os
import signal
import warnings

import typer


def worker(
    pool: str = typer.Option("seology", help="The work pool to take flow runs from."),
    name: str | None = typer.Option(None, help="The worker's name (default: a generated one)."),
    limit: int | None = typer.Option(
        None, help="At most this many flow runs at once (default: the pool's limit)."
    ),
) -> None:
    """Run flow runs of the pool until stopped (Ctrl-C or SIGTERM: runs are stopped too).

    Same as `prefect worker start --type process`, but each run starts as a fork of a
    process that has already imported Prefect and the flows, so it starts sooner
    (docs/internals/worker.md).
    """
    from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS

    from seology.worker.tls import use_one_certificate_over_plain_http

    use_one_certificate_over_plain_http()  # before any client: every one is cheaper
    with warnings.catch_warnings():
        # Prefect warns that a second class registers the `process` type: ours, on purpose.
        warnings.simplefilter("ignore", UserWarning)
        from seology.worker.worker import SeologyWorker

    async def run() -> None:
        stop_on_signals(asyncio.current_task())
        async with SeologyWorker(
            name=name,
            work_pool_name=pool,
            limit=limit,
            heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()),
        ) as seology_worker:
            await seology_worker.start(printer=typer.echo)

    try:
        asyncio.run(run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        typer.echo("Worker stopped.")


def stop_on_signals(main: asyncio.Task[None] | None) -> None:
    """First SIGTERM or Ctrl-C: cancel the worker (it stops polling and its runs); the
    second: SIGKILL.

    Handled by the event loop, not as Prefect's worker does (a KeyboardInterrupt raised
    wherever the main thread happens to be): raised inside a coroutine that catches it,
    it was swallowed, and a worker SIGTERMed while a run was finishing kept running.
    """
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        name = signal.Signals(signum).name
        if len(received) == 1 and main is not None:
            typer.echo(f"Received {name}: stopping the worker (again to kill it) ...")
            main.cancel()
        else:
            typer.echo(f"Received {name} again: killing the worker.")
            os.kill(os.getpid(), signal.SIGKILL)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
