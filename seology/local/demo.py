"""`seology up --demo`: a bundled site with real SEO problems, a demo user, and its crawl.

The demo user's token is written to `$SEOLOGY_HOME/demo-token` (mode 600) and reused
by later runs, so a second `seology up --demo` does not mint a new token each time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from seology.testing.sites import SiteServer, demo_site

DEMO_USER = "demo"
DEMO_PORT = 8765
DEMO_MAX_PAGES = 50


@dataclass(kw_only=True)
class DemoInfo:
    """What `seology up --demo` prints: the demo site, the token file, the first job."""

    site_url: str
    token_path: Path
    job_id: str


def start_demo(home: Path, port: int = DEMO_PORT) -> tuple[SiteServer, DemoInfo]:
    """Serve the demo site, make sure the demo user and site exist, enqueue a crawl."""
    server = SiteServer(demo_site(), port=port)
    server.start()
    token_path = home / "demo-token"
    user_id = _ensure_demo_user(token_path)
    site_id = _ensure_demo_site(user_id, server.base_url)
    from seology.jobs import queue

    enqueued = asyncio.run(queue.enqueue_crawl(site_id, user_id, max_pages=DEMO_MAX_PAGES))
    return server, DemoInfo(site_url=server.base_url, token_path=token_path, job_id=enqueued.job_id)


def _ensure_demo_user(token_path: Path) -> int:
    from seology.store import users
    from seology.store.engine import app_engine, session_scope

    with session_scope(app_engine()) as session:
        if token_path.exists():
            user = users.authenticate(session=session, token=token_path.read_text().strip())
            if user is not None:
                return user.id
        existing = {user.name: user for user in users.list_users(session=session)}
        if DEMO_USER in existing:
            token = users.create_token(session=session, user_name=DEMO_USER, label="demo")
            user_id = existing[DEMO_USER].id
        else:
            user, token = users.create_user(session=session, name=DEMO_USER)
            user_id = user.id
    token_path.write_text(token + "\n")
    token_path.chmod(0o600)
    return user_id


def _ensure_demo_site(user_id: int, url: str) -> int:
    from seology.store import sites
    from seology.store.engine import app_engine, session_scope

    with session_scope(app_engine()) as session:
        site = sites.create_site(session=session, user_id=user_id, url=url, name="Demo site")
        return site.id
