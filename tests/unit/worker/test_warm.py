"""The warm process and the starter that forks flow runs from it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from seology.jobs.specs import DEPLOYMENTS
from seology.worker import starter as starter_module
from seology.worker.starter import WarmStarter
from seology.worker.warm import PRELOAD

# Imports PRELOAD as the fork server does, in the environment the worker gives it, then
# reports its threads (Python's and the kernel's: native libraries start their own) and
# open sockets.
_PROBE = """
import gc, json, os, sys, threading
from seology.worker.warm import PRELOAD, SINGLE_THREADED_NATIVE
os.environ.update(SINGLE_THREADED_NATIVE)
for name in PRELOAD:
    __import__(name)
def target(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the descriptor listdir itself had open
        return ""
sockets = [fd for fd in os.listdir("/proc/self/fd") if target(fd).startswith("socket:")]
print(json.dumps({"threads": [t.name for t in threading.enumerate()], "sockets": len(sockets),
                  "os_threads": len(os.listdir("/proc/self/task")),
                  "frozen": gc.get_freeze_count() > 100_000,
                  "missing": [name for name in PRELOAD if name not in sys.modules]}))
"""


def test_preload_imports_every_flow_module_and_starts_no_thread_or_socket():
    """A fork is only safe from a process without threads; sockets would be shared; the
    preloaded objects are frozen, out of the collector's reach."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "threads": ["MainThread"],
        "sockets": 0,
        "os_threads": 1,
        "frozen": True,
        "missing": [],
    }


def test_the_preloaded_objects_are_frozen_last():
    """Anything imported after the freeze would be examined (and copied) by every run."""
    assert PRELOAD[-1] == "seology.worker.frozen"


def test_preload_covers_every_deployment_entrypoint():
    for spec in DEPLOYMENTS:
        assert spec.entrypoint.rpartition(".")[0] in PRELOAD


class _Channel:
    def __init__(self) -> None:
        self.registered: list[uuid.UUID] = []
        self.unregistered: list[uuid.UUID] = []

    def register(self, flow_run_id: uuid.UUID) -> tuple[int, str]:
        self.registered.append(flow_run_id)
        return 4242, "token"

    def unregister(self, flow_run_id: uuid.UUID) -> None:
        self.unregistered.append(flow_run_id)


class _Fallback:
    def __init__(self) -> None:
        self.started: list[Any] = []

    async def start(self, flow_run: Any, task_status: Any = None) -> None:
        self.started.append(flow_run)


class _UnforkableContext:
    """A fork server that cannot fork (e.g. out of processes or memory)."""

    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def Process(self, **kwargs: Any) -> SimpleNamespace:  # noqa: N802 - multiprocessing's name
        self.kwargs = kwargs

        def start() -> None:
            raise OSError(11, "Resource temporarily unavailable")

        return SimpleNamespace(start=start)


def test_a_run_that_cannot_be_forked_starts_cold(monkeypatch: pytest.MonkeyPatch):
    context = _UnforkableContext()
    monkeypatch.setattr(starter_module, "warm_context", lambda: context)
    channel, fallback = _Channel(), _Fallback()
    flow_run = SimpleNamespace(id=uuid.uuid4())
    starter = WarmStarter(
        environment={"SEOLOGY_PROBE": "x", "UNSET_ME": None},
        cwd=None,
        control_channel=channel,  # type: ignore[arg-type]
        fallback=fallback,
    )

    asyncio.run(starter.start(flow_run))  # type: ignore[arg-type]

    assert fallback.started == [flow_run]
    assert channel.unregistered == [flow_run.id]  # the fallback registers on its own
    run_id, environment, cwd = context.kwargs["args"]
    assert run_id == str(flow_run.id)
    assert environment["PREFECT__FLOW_RUN_ID"] == str(flow_run.id)
    assert environment["PREFECT__CONTROL_PORT"] == "4242"
    assert environment["SEOLOGY_PROBE"] == "x"
    assert environment["UNSET_ME"] is None
    assert cwd is None
