"""Monthly periods and per-user usage counters.

A period is a calendar month, `YYYY-MM`, in the configured timezone (`SEOLOGY_TIMEZONE`).
Usage is counted per (user, period) row, so a new month *is* the reset: the monthly flow
opens zeroed rows for the new period and the old rows stay as history.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select, update

from seology.core.errors import ConfigurationError, InvalidInput
from seology.store.engine import session_scope
from seology.store.models import Usage, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# --- periods ---------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """The timezone `name`, or a configuration error that says which setting is wrong."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"SEOLOGY_TIMEZONE={name!r} is not a known IANA timezone (e.g. Europe/Berlin)"
        raise ConfigurationError(msg) from exc


def period_of(moment: datetime, tz: str) -> str:
    """The `YYYY-MM` period that `moment` falls in, seen from timezone `tz`."""
    return moment.astimezone(zone(tz)).strftime("%Y-%m")


def current_period(tz: str, now: datetime | None = None) -> str:
    return period_of(now or datetime.now(UTC), tz)


def previous_period(tz: str, now: datetime | None = None) -> str:
    """The month before the current one: what the cron on the 1st reports."""
    local = (now or datetime.now(UTC)).astimezone(zone(tz))
    return (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def validate_period(period: str) -> str:
    if not PERIOD_PATTERN.match(period):
        raise InvalidInput(f"period must be YYYY-MM (e.g. 2025-01), got {period!r}")
    return period


def period_bounds(period: str, tz: str) -> tuple[datetime, datetime]:
    """The period's start (inclusive) and end (exclusive) in UTC."""
    match = PERIOD_PATTERN.match(validate_period(period))
    assert match is not None
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=zone(tz))
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone(tz))
    return start.astimezone(UTC), end.astimezone(UTC)


# --- usage -----------------------------------------------------------------------------


def ensure_usage_rows(session: Session, *, user_ids: list[int], period: str) -> int:
    """Create zeroed usage rows of `period` for users without one; return how many.

    `INSERT … ON CONFLICT DO NOTHING`, so two writers opening the same row never clash.
    """
    if not user_ids:
        return 0
    insert = dialect_insert(session)
    rows = [
        {"user_id": uid, "period": period, "pages_crawled": 0, "analyses": 0} for uid in user_ids
    ]
    statement = (
        insert(Usage).values(rows).on_conflict_do_nothing(index_elements=["user_id", "period"])
    )
    return session.execute(statement).rowcount or 0


def dialect_insert(session: Session) -> Any:
    """The upsert-capable `insert` of the session's backend (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def open_usage_period(engine: Engine, *, period: str) -> int:
    """Zeroed usage rows of `period` for every active user; the counters start afresh."""
    with session_scope(engine) as session:
        user_ids = list(session.scalars(select(User.id).where(User.is_active.is_(True))))
        return ensure_usage_rows(session, user_ids=user_ids, period=period)


def count_usage(
    session: Session, *, user_id: int, period: str, pages_crawled: int = 0, analyses: int = 0
) -> None:
    """Add to the user's counters of `period`, creating the row if needed."""
    ensure_usage_rows(session, user_ids=[user_id], period=period)
    session.execute(
        update(Usage)
        .where(Usage.user_id == user_id, Usage.period == period)
        .values(
            pages_crawled=Usage.pages_crawled + pages_crawled,
            analyses=Usage.analyses + analyses,
        )
    )
