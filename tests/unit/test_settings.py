"""Settings: where they come from, what they refuse, how they normalise."""

from __future__ import annotations

import pytest

from seology.core.errors import ConfigurationError
from seology.core.settings import Settings, load_settings


class TestCronSecret:
    def test_short_secret_refused(self, clean_env, monkeypatch):
        """Outside local mode a CRON_SECRET under 32 characters is refused, with a fix."""
        monkeypatch.setenv("CRON_SECRET", "short")
        with pytest.raises(ConfigurationError, match="at least 32") as caught:
            load_settings()
        assert "openssl rand -hex 32" in caught.value.message

    def test_short_secret_allowed_in_local_mode(self, clean_env, monkeypatch):
        """Local mode (`seology up`) accepts a short secret: it is one machine's toy."""
        monkeypatch.setenv("CRON_SECRET", "short")
        monkeypatch.setenv("SEOLOGY_LOCAL_MODE", "true")
        assert load_settings().admin_secret() == "short"

    def test_missing_secret_refused_by_admin_secret(self, clean_env):
        """Without CRON_SECRET the settings load, but the API's admin_secret() refuses."""
        settings = load_settings()
        with pytest.raises(ConfigurationError, match="CRON_SECRET is not set") as caught:
            settings.admin_secret()
        assert "openssl rand -hex 32" in caught.value.message
        assert caught.value.status_code == 500

    def test_missing_secret_in_local_mode_disables_admin(self, clean_env, monkeypatch):
        """In local mode a missing secret is the empty string: no admin bearer at all."""
        monkeypatch.setenv("SEOLOGY_LOCAL_MODE", "1")
        assert load_settings().admin_secret() == ""

    def test_secret_is_not_printed(self, clean_env, monkeypatch):
        """The secret never shows in the settings' repr (logs, tracebacks)."""
        secret = "f" * 64
        monkeypatch.setenv("CRON_SECRET", secret)
        settings = load_settings()
        assert settings.admin_secret() == secret
        assert secret not in repr(settings)


class TestDatabaseUrl:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("postgresql://u:p@db:5432/app", "postgresql+psycopg://u:p@db:5432/app"),
            ("postgres://u@db/app", "postgresql+psycopg://u@db/app"),  # Heroku style
            ("postgresql+asyncpg://u@db/app", "postgresql+psycopg://u@db/app"),  # Prefect's
            ("postgresql+psycopg://u@db/app", "postgresql+psycopg://u@db/app"),
            ("sqlite+aiosqlite:////data/app.db", "sqlite:////data/app.db"),
            ("sqlite:////data/app.db", "sqlite:////data/app.db"),
        ],
    )
    def test_sync_driver(self, clean_env, monkeypatch, given, expected):
        """The app database is used from sync code: URLs get a sync driver."""
        monkeypatch.setenv("SEOLOGY_DATABASE_URL", given)
        assert load_settings().resolved_database_url == expected

    def test_default_is_sqlite_in_home(self, clean_env):
        """Without SEOLOGY_DATABASE_URL the app database is a file in the data directory."""
        settings = load_settings()
        assert settings.home == clean_env.resolve()
        assert settings.resolved_database_url == f"sqlite:///{clean_env.resolve() / 'seology.db'}"


class TestEnvFiles:
    def test_home_env_file_is_read(self, clean_env):
        """`$SEOLOGY_HOME/.env` (where `seology up` writes the secret) is read."""
        (clean_env / ".env").write_text("JOB_RETENTION_DAYS=7\nCRON_SECRET=" + "a" * 40 + "\n")
        settings = load_settings()
        assert settings.job_retention_days == 7
        assert settings.admin_secret() == "a" * 40

    def test_environment_wins_over_env_file(self, clean_env, monkeypatch):
        """A variable in the process environment beats the same one in a `.env` file."""
        (clean_env / ".env").write_text("JOB_RETENTION_DAYS=7\n")
        monkeypatch.setenv("JOB_RETENTION_DAYS", "9")
        assert load_settings().job_retention_days == 9

    def test_working_directory_env_file_is_read(self, clean_env, tmp_path):
        """`./.env` is read too (clean_env made `tmp_path` the working directory)."""
        (tmp_path / ".env").write_text("JOB_MAX_ATTEMPTS=5\n")
        assert load_settings().job_max_attempts == 5

    def test_invalid_value_is_a_configuration_error(self, clean_env, monkeypatch):
        """A value out of range names the setting in a ConfigurationError."""
        monkeypatch.setenv("JOB_MAX_ATTEMPTS", "0")
        with pytest.raises(ConfigurationError, match=r"job_max_attempts|JOB_MAX_ATTEMPTS"):
            load_settings()


def test_settings_constructor_takes_field_names(clean_env):
    """Code and tests can build settings by field name, not only from the environment."""
    settings = Settings(cron_secret="b" * 32, job_retention_days=3)
    assert settings.admin_secret() == "b" * 32
    assert settings.job_retention_days == 3
