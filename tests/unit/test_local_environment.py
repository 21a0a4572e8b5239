"""The environment `seology up` gives its children: defaults < home .env < environment."""

from __future__ import annotations

from seology.local.environment import (
    StackAddresses,
    ensure_admin_secret,
    stack_environment,
)


def test_local_defaults_apply_when_nothing_is_set(tmp_path):
    """Telemetry off, fast polling, vacuum on, private targets allowed, API URL of the stack."""
    env = stack_environment(
        tmp_path, StackAddresses(prefect_port=4300), retention_days=30, environ={}
    )
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["PREFECT_WORKER_QUERY_SECONDS"] == "1"
    assert env["PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED"] == "events,flow_runs"
    assert env["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"] == str(30 * 86400)
    assert env["SEOLOGY_ALLOW_PRIVATE_TARGETS"] == "true"
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4300/api"
    assert env["SEOLOGY_HOME"] == str(tmp_path)


def test_home_env_file_and_environment_win_over_defaults(tmp_path):
    """A value in $SEOLOGY_HOME/.env beats a default; the process environment beats both."""
    (tmp_path / ".env").write_text(
        "PREFECT_WORKER_QUERY_SECONDS=5\nSEOLOGY_TIMEZONE=Europe/Paris\n"
    )
    env = stack_environment(
        tmp_path, StackAddresses(), retention_days=1, environ={"SEOLOGY_TIMEZONE": "UTC"}
    )
    assert env["PREFECT_WORKER_QUERY_SECONDS"] == "5"
    assert env["SEOLOGY_TIMEZONE"] == "UTC"


def test_stack_addresses_always_win(tmp_path):
    """The stack's own URLs name what it starts: a stray PREFECT_API_URL cannot redirect it."""
    env = stack_environment(
        tmp_path,
        StackAddresses(prefect_port=4201, api_port=8001),
        retention_days=1,
        environ={"PREFECT_API_URL": "http://elsewhere:4200/api"},
    )
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4201/api"
    assert env["SEOLOGY_API_URL"] == "http://127.0.0.1:8001"


def test_vacuum_retention_respects_prefect_minimum(tmp_path):
    """Prefect refuses a retention of an hour or less; one day is the smallest we set anyway."""
    env = stack_environment(tmp_path, StackAddresses(), retention_days=1, environ={})
    assert int(env["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"]) > 3600


def test_admin_secret_is_generated_once(tmp_path):
    """The first call writes a 64-hex secret to the home .env; later calls reuse it."""
    first = ensure_admin_secret(tmp_path, environ={})
    second = ensure_admin_secret(tmp_path, environ={})
    assert first == second
    assert len(first) == 64
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600


def test_admin_secret_from_environment_is_not_written(tmp_path):
    """A CRON_SECRET already in the environment is used as it is."""
    assert ensure_admin_secret(tmp_path, environ={"CRON_SECRET": "x" * 40}) == "x" * 40
    assert not (tmp_path / ".env").exists()


def test_remembered_values_replace_earlier_ones(tmp_path):
    """`remember` keeps other lines of the home .env and replaces the keys it writes."""
    from seology.local.environment import remember

    (tmp_path / ".env").write_text("CRON_SECRET=abc\nSEOLOGY_DATABASE_URL=old\n")
    remember(tmp_path, {"SEOLOGY_DATABASE_URL": "new"}, "chosen by a test")
    text = (tmp_path / ".env").read_text()
    assert "CRON_SECRET=abc" in text
    assert "SEOLOGY_DATABASE_URL=new" in text
    assert "old" not in text


def test_a_queued_job_of_any_priority_may_wait_15_s_before_it_is_late(tmp_path):
    """Urgent jobs are scheduled in the past (the priority lever inside a queue); Prefect
    calls a run Late once it is this far past its time. With the stack's threshold,
    every priority gets Prefect's own 15 s before it is Late, as an unbackdated run does."""
    from datetime import UTC, datetime, timedelta

    from seology.jobs.queue import scheduled_time_for

    env = stack_environment(tmp_path, StackAddresses(), retention_days=30, environ={})
    late_after = timedelta(seconds=int(env["PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS"]))
    now = datetime(2026, 11, 29, tzinfo=UTC)
    backdated = {priority: now - scheduled_time_for(priority, now) for priority in range(1, 11)}
    assert max(backdated.values()) > timedelta(seconds=15)  # Prefect's default is too short
    assert all(ahead + timedelta(seconds=15) <= late_after for ahead in backdated.values())


def test_the_service_batches_are_settings_prefect_reads(tmp_path, monkeypatch):
    """A misspelt PREFECT_ variable is ignored without a word: read them back."""
    from prefect.settings import Settings as PrefectSettings

    from seology.local.environment import PREFECT_SERVICE_BATCHES

    env = stack_environment(tmp_path, StackAddresses(), retention_days=30, environ={})
    for key, value in PREFECT_SERVICE_BATCHES.items():
        assert env[key] == value
        monkeypatch.setenv(key, value)
    services = PrefectSettings().server.services
    assert services.task_run_recorder.batch_size == 100
    assert services.task_run_recorder.read_batch_size == 100
    assert services.task_run_recorder.flush_interval == 1
    assert services.event_persister.batch_size == 200
    assert services.event_persister.read_batch_size == 100
    assert services.event_persister.flush_interval == 1
