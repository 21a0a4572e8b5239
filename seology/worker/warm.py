"""Flow runs forked from a warm process that has already imported Prefect and our flows.

Why: Prefect's process worker starts each flow run as two fresh interpreters (a
workspace supervisor, then `python -m prefect.engine`), and each imports Prefect and our
flows before the run turns RUNNING — most of what a user waits for after enqueueing (the
figures are in docs/internals/worker.md). Here a fork server (multiprocessing's, started
once per worker) imports Prefect's engine and every flow module of prefect.yaml, and
each flow run is a fork of it that does what `python -m prefect.engine <id>` does.
Importing starts no threads, opens no sockets and creates no clients (tests/unit/worker
pins it), so a fork of that process is as clean as a new interpreter that has imported.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import runpy
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

from seology.jobs.specs import DEPLOYMENTS

#: What the flows' tasks import on first use, kept out of the flow modules so that a
#: cold start stays light (docs/design.md §8), but paid again by every forked run unless
#: the fork server has them: the crawler, bs4 and lxml, numpy, psycopg and
#: prefect-sqlalchemy for a crawl, anthropic for an analysis (docs/internals/worker.md).
TASK_IMPORTS: tuple[str, ...] = (
    "prefect_sqlalchemy",
    "psycopg",
    "sqlalchemy.dialects.postgresql.psycopg",
    "seology.crawler.engine",
    "seology.crawler.parse",
    "numpy",
    "pandas",
    "anthropic",
)
#: What a flow run imports before it does anything: Prefect's engine and our flows, then
#: what their tasks will import; last, `seology.worker.frozen` freezes it all.
PRELOAD: tuple[str, ...] = (
    "prefect.engine",
    "prefect.flow_engine",
    "prefect._internal.metrics",
    *dict.fromkeys(spec.entrypoint.rpartition(".")[0] for spec in DEPLOYMENTS),
    *TASK_IMPORTS,
    "seology.worker.frozen",
)
#: numpy's OpenBLAS starts a thread per core when it loads, and a fork copies only the
#: forking thread: with one BLAS thread it starts none. The fork server inherits these
#: from the worker's environment; they win over the worker's own values, since a forked
#: run keeps the fork server's BLAS whatever its environment says (and one BLAS thread
#: is what a flow sharing its cores with others wants).
SINGLE_THREADED_NATIVE: dict[str, str] = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def warm_context() -> multiprocessing.context.ForkServerContext:
    """The fork server context, its server preloading `PRELOAD` (set before it starts)."""
    os.environ.update(SINGLE_THREADED_NATIVE)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def start_warm_server() -> None:
    """Start the fork server now (it takes the import time once), not on the first run.

    Blocking: call it off the event loop. multiprocessing restarts the server if it
    has died since, so calling this again is how a worker heals a killed server.
    """
    warm_context()
    multiprocessing.forkserver.ensure_running()


def run_engine(flow_run_id: str, environment: Mapping[str, str | None], cwd: str | None) -> None:
    """In the forked child: become `python -m prefect.engine <flow_run_id>`.

    `environment` is the run's environment as the worker built it (None unsets a key);
    Prefect's settings are re-read from it, since the fork server read them at import.
    """
    for key, value in environment.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if cwd is not None:
        os.chdir(Path(cwd))
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()
    sys.argv = ["prefect.engine", flow_run_id]
    # Prefect's own entry point, run as __main__. runpy warns that the module is already
    # imported: that is the point of the warm process.
    warnings.filterwarnings("ignore", message=".*found in sys.modules", category=RuntimeWarning)
    runpy.run_module("prefect.engine", run_name="__main__", alter_sys=False)
