"""A flow that reports how its process started, for the worker's end-to-end tests."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from prefect import flow, get_run_logger

#: A module of ours that only the warm process imports before a run starts.
WARM_MARKER_MODULE = "flows.analysis"


@flow(name="seology-worker-probe")
def probe(report: str) -> None:
    """Write what a test needs to tell a forked run from a cold one, and log a line."""
    get_run_logger().info("probe ran in process %s", os.getpid())
    Path(report).write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "preloaded": WARM_MARKER_MODULE in sys.modules,
                "flow_run_id": os.environ.get("PREFECT__FLOW_RUN_ID"),
                "probe_env": os.environ.get("SEOLOGY_PROBE"),
            }
        )
    )
