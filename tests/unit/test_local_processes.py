"""Children of `seology up`: restarted when they die, given up on when they keep dying."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

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


def _nice_of(pid: int) -> int:
    """Field 19 of /proc/PID/stat: the process's nice value."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_niced_child_and_what_it_starts_run_at_lower_priority(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time, pathlib\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))\n"
        "time.sleep(30)\n"
    )
    child = ManagedProcess(
        name="child", command=[sys.executable, "-c", code], env={}, log_path=tmp_path / "c.log",
        nice=7,
    )  # fmt: skip
    child.start()
    try:
        deadline = time.monotonic() + 10
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, child.log_tail()
            time.sleep(0.05)
        assert child.process is not None
        assert _nice_of(child.process.pid) == 7
        assert _nice_of(int(pid_file.read_text())) == 7  # inherited
        autogroup = Path(f"/proc/{child.process.pid}/autogroup")
        if autogroup.exists():  # kernels with autogroup: the session's group is niced
            assert autogroup.read_text().split()[-1] == "7"
    finally:
        child.stop(grace=1.0)


def test_a_child_is_not_niced_unless_asked(tmp_path):
    child = _child(tmp_path, "import time; time.sleep(30)")
    child.start()
    try:
        assert child.process is not None
        assert _nice_of(child.process.pid) == os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        child.stop(grace=1.0)
