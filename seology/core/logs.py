"""One way to get a logger, inside or outside a Prefect run.

Inside a flow or task run, log lines must go through Prefect's run logger so that they
show in the UI next to the run; plain code (the crawler, the audit) is also called from
tests and benchmarks where no run exists. `get_logger()` returns the run logger when
there is a run, and a standard logger otherwise.
"""

from __future__ import annotations

import logging

from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger


def get_logger(name: str = "seology") -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The current run's logger, or the standard logger `name` outside a run."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(name)
