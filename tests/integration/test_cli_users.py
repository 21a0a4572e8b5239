"""`seology users` and `seology tokens` against a real app database."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from seology.cli.users import tokens_app, users_app
from seology.store import users
from seology.store.engine import make_engine, session_scope

app = typer.Typer()
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


@pytest.fixture
def run(app_settings):
    """`run(*args) -> result` of the CLI, with settings from `app_settings`' environment."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def authenticate(app_settings):
    """`authenticate(token) -> user name | None`, against the CLI's database."""
    engine = make_engine(app_settings.resolved_database_url)

    def check(token: str) -> str | None:
        with session_scope(engine) as session:
            user = users.authenticate(session=session, token=token)
            return user.name if user else None

    yield check
    engine.dispose()


def last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


class TestUsersCreate:
    def test_token_on_last_line(self, run, authenticate, app_settings):
        """On a fresh data directory: migrates, creates, prints the token last; it works."""
        assert not (app_settings.home / "app.db").exists()
        result = run("users", "create", "alice")
        assert result.exit_code == 0, result.output
        token = last_line(result.stdout)
        assert token.startswith("seo_")
        assert "alice" in result.stdout.splitlines()[0]
        assert authenticate(token) == "alice"

    def test_duplicate(self, run):
        """A taken name: one line on stderr, exit status 1, no traceback."""
        run("users", "create", "alice")
        result = run("users", "create", "alice")
        assert result.exit_code == 1
        assert result.stderr.strip() == "Error: A user named 'alice' exists already."
        assert "Traceback" not in result.output
        assert "seo_" not in result.stdout

    @pytest.mark.parametrize("name", ["has space", "x" * 121, "semi;colon"])
    def test_invalid_name(self, run, name):
        """An invalid name is refused with a message saying what is allowed."""
        result = run("users", "create", name)
        assert result.exit_code == 1
        assert "Invalid user name" in result.stderr

    def test_list(self, run):
        """`users list` shows each user with its number of live tokens."""
        run("users", "create", "alice")
        run("tokens", "create", "alice", "--label", "ci")
        run("users", "create", "bob")
        result = run("users", "list")
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert lines[0].split() == ["ID", "NAME", "ACTIVE", "TOKENS", "CREATED"]
        assert lines[1].split()[:4] == ["1", "alice", "yes", "2"]
        assert lines[2].split()[:4] == ["2", "bob", "yes", "1"]


class TestTokens:
    def test_create_list_revoke(self, run, authenticate):
        """A second token works, is listed by prefix and label, and stops when revoked."""
        first = last_line(run("users", "create", "alice").stdout)
        result = run("tokens", "create", "alice", "--label", "ci")
        assert result.exit_code == 0
        second = last_line(result.stdout)
        assert second != first
        assert authenticate(second) == "alice"

        listing = run("tokens", "list", "alice").stdout
        assert second[:12] in listing
        assert "ci" in listing

        revoked = run("tokens", "revoke", second[:12])
        assert revoked.exit_code == 0
        assert "Revoked" in revoked.stdout
        assert authenticate(second) is None
        assert authenticate(first) == "alice"

    def test_revoke_by_id(self, run, authenticate):
        """A token can be revoked by its id, as shown by `tokens list`."""
        token = last_line(run("users", "create", "alice").stdout)
        assert run("tokens", "revoke", "1").exit_code == 0
        assert authenticate(token) is None

    def test_revoke_unknown(self, run):
        """Revoking a token that does not exist: exit status 1 and a clear message."""
        run("users", "create", "alice")
        result = run("tokens", "revoke", "seo_nothere0")
        assert result.exit_code == 1
        assert "No API token" in result.stderr

    def test_unknown_user(self, run):
        """A token for a user that does not exist: exit status 1."""
        result = run("tokens", "create", "nobody")
        assert result.exit_code == 1
        assert result.stderr.strip() == "Error: No user named 'nobody'."


def test_real_process_exit_status(app_settings, tmp_path):
    """In a real process: the token is stdout's last line; errors exit 1 without traceback."""
    script = (
        "import sys, typer\n"
        "from seology.cli.users import users_app\n"
        "app = typer.Typer()\n"
        "app.add_typer(users_app, name='users')\n"
        "app(sys.argv[1:])\n"
    )
    command = [sys.executable, "-c", script, "users", "create", "carol"]
    created = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert created.returncode == 0, created.stderr
    assert last_line(created.stdout).startswith("seo_")
    again = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert again.returncode == 1
    assert "Traceback" not in again.stderr
    assert "exists already" in again.stderr
