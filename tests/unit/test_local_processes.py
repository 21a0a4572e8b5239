"""Children of `seology up`: restarted when they die, given up on when they keep dying."""

from __future__ import annotations

import sys
import time

import pytest

from seology.local.environment import StackAddresses
from seology.local.processes import ManagedProcess, ProcessFailed
from seology.local.stack import LocalStack, StackOptions


def _child(tmp_path, code: str) -> ManagedProcess:
    return ManagedProcess(
        name="child",
        command=[sys.executable, "-c", code],
        env={},
        log_path=tmp_path / "child.log",
    )


def _wait_exit(child: ManagedProcess) -> None:
    deadline = time.monotonic() + 10
    while child.exit_code is None and time.monotonic() < deadline:
        time.sleep(0.05)


def test_dead_child_is_restarted_then_given_up(tmp_path):
    """A child that exits is restarted up to five times a minute; the sixth exit stops the stack."""
    said: list[str] = []
    stack = LocalStack(
        options=StackOptions(home=tmp_path, addresses=StackAddresses()), say=said.append
    )
    child = _child(tmp_path, "print('dying'); raise SystemExit(3)")
    child.start()
    stack.children.append(child)
    for _ in range(5):
        _wait_exit(child)
        stack.supervise()
    _wait_exit(child)
    with pytest.raises(ProcessFailed, match="keeps exiting"):
        stack.supervise()
    assert said.count("child exited with code 3; restarting it.") == 5
    assert "dying" in child.log_tail()
    stack.stop()


def test_stop_ends_a_child_that_ignores_sigterm(tmp_path):
    """A child deaf to SIGTERM is killed after the grace period."""
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    child = _child(tmp_path, code)
    child.start()
    time.sleep(0.3)
    started = time.monotonic()
    child.stop(grace=0.5)
    assert child.exit_code is not None
    assert time.monotonic() - started < 5
