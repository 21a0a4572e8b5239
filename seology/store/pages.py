"""The one reader of a crawl's stored pages: keyset pages of rows, one session each.

Both the audit and change detection walk every page of a crawl; reading by keyset on the
page id (`id > last`, `LIMIT batch`) keeps each query cheap and each session short
whatever the crawl's size, and never holds the whole crawl in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, select

from seology.crawler.records import PageRecord
from seology.store.engine import session_scope
from seology.store.models import Page

#: Pages read per query.
READ_BATCH = 500


def iter_page_rows(
    engine: Engine, crawl_id: int, *columns: Any, batch: int = READ_BATCH
) -> Iterator[Any]:
    """The crawl's pages as rows of `Page.id` and `columns`, `batch` per query."""
    last_id = 0
    while True:
        with session_scope(engine) as session:
            rows = session.execute(
                select(Page.id, *columns)
                .where(Page.crawl_id == crawl_id, Page.id > last_id)
                .order_by(Page.id)
                .limit(batch)
            ).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield from rows


def iter_records(engine: Engine, crawl_id: int, batch: int = READ_BATCH) -> Iterator[PageRecord]:
    """The crawl's page records (each page row keeps its whole PageRecord as JSON)."""
    for row in iter_page_rows(engine, crawl_id, Page.url, Page.record, batch=batch):
        yield PageRecord.model_validate(row.record or {"url": row.url})
