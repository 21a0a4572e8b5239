"""The app database's half of "one crawl per site" and of crawl idempotency keys.

Both are single-statement operations that the database makes atomic: an insert that
does nothing on a conflict, and a compare-and-set update. No read-then-write: N
processes racing through them agree on one answer (docs/internals/idempotency.md).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from seology.store.engine import session_scope
from seology.store.models import CrawlSlot, IdempotencyKey

#: First generations are drawn from this many (fits a 32-bit integer column with room).
FIRST_GENERATIONS = 2**30


def _insert_ignoring_conflicts(engine: Engine, model: Any, values: dict[str, Any]) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` in the engine's dialect."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model).values(**values).on_conflict_do_nothing()


def slot_generation(engine: Engine, site_id: int) -> int:
    """The site's current crawl generation (the slot row is made on first use)."""
    with session_scope(engine) as session:
        generation = session.scalar(
            select(CrawlSlot.generation).where(CrawlSlot.site_id == site_id)
        )
        if generation is not None:
            return generation
        # A random first generation: keys of an earlier app database's crawls of the
        # same site id, still on the Prefect server, are not met by chance.
        first = {"site_id": site_id, "generation": secrets.randbelow(FIRST_GENERATIONS)}
        session.execute(_insert_ignoring_conflicts(engine, CrawlSlot, first))
        return session.scalar(select(CrawlSlot.generation).where(CrawlSlot.site_id == site_id))


def advance_slot(engine: Engine, site_id: int, generation: int) -> int:
    """Move past `generation` (its crawl has ended), unless another process did; the new one."""
    with session_scope(engine) as session:
        session.execute(
            update(CrawlSlot)
            .where(CrawlSlot.site_id == site_id, CrawlSlot.generation == generation)
            .values(generation=generation + 1)
        )
    return slot_generation(engine, site_id)


def request_hash(parameters: dict[str, Any]) -> str:
    """A stable digest of a request's parameters (key order does not matter)."""
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_key(engine: Engine, key: str) -> tuple[str, str] | None:
    """(job id, request hash) recorded for `key`, if any."""
    with session_scope(engine) as session:
        row = session.execute(
            select(IdempotencyKey.job_id, IdempotencyKey.request_hash).where(
                IdempotencyKey.key == key
            )
        ).one_or_none()
    return (row.job_id, row.request_hash) if row is not None else None


def remember_key(engine: Engine, key: str, job_id: str, digest: str) -> tuple[str, str]:
    """Record `key` → `job_id` unless it is recorded already; what is recorded now."""
    values = {"key": key, "job_id": job_id, "request_hash": digest}
    with session_scope(engine) as session:
        session.execute(_insert_ignoring_conflicts(engine, IdempotencyKey, values))
    found = find_key(engine, key)
    assert found is not None  # inserted, or kept from the request that won
    return found


def forget_keys(engine: Engine, job_ids: list[str]) -> None:
    """Drop the keys of deleted jobs: a key is free again once its job is gone."""
    from sqlalchemy import delete

    with session_scope(engine) as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.job_id.in_(job_ids)))
