"""Request dependencies, as `Annotated` types that routes declare in their signatures.

    def handler(session: SessionDep, user: CurrentUser) -> ...

Who is calling is decided once, from `Authorization: Bearer <x>`: the admin when `x`
is the `CRON_SECRET`, a user when `x` is one of their live tokens, and nobody (401)
otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from seology.core.errors import AuthenticationFailed, NotAllowed
from seology.core.settings import Settings
from seology.core.timing import timed
from seology.core.tokens import secrets_match
from seology.store import users
from seology.store.engine import read_connection, session_scope
from seology.store.users import TokenOwner

# The dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency
# in its thread pool, a thread hop per request for reading an attribute.


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    """The app's engine, built at startup."""
    return request.app.state.engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """One session per request, committed when the handler returns without error."""
    with session_scope(engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
BEARER_SCHEME = HTTPBearer(
    auto_error=False, description="A user's API token, or the admin secret (CRON_SECRET)."
)
# scope="function": commit before the response is sent, so that a failed commit is
# an error response rather than a 2xx for data that was never saved.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Caller:
    """Who is calling: a user, or the admin (who owns nothing)."""

    user: TokenOwner | None
    is_admin: bool

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None


def bearer_token(authorization: str | None) -> str:
    """The `<x>` of `Authorization: Bearer <x>`, or `AuthenticationFailed`."""
    if not authorization:
        raise AuthenticationFailed
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise AuthenticationFailed(
            "Malformed Authorization header: send `Authorization: Bearer <token>`."
        )
    return token


async def get_caller(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)],
) -> Caller:
    """Resolve the bearer to the admin or a user; 401 for anything else.

    `_declared` only puts the scheme in the OpenAPI document (the "Authorize" button
    of /docs); the raw header is parsed here, to tell a malformed one from none.
    """
    known = getattr(request.state, "caller", None)  # authenticated before the body was read
    if isinstance(known, Caller):
        return known
    return await authenticate(request.app, request.headers.get("Authorization"))


async def authenticate(app: Any, authorization: str | None) -> Caller:
    """The caller an `Authorization` header names (the admin or a user); 401 otherwise."""
    token = bearer_token(authorization)
    admin_secret: str = app.state.admin_secret
    if admin_secret and secrets_match(token, admin_secret):
        return Caller(user=None, is_admin=True)
    with timed("auth"):
        user = await run_in_threadpool(_user_of_token, app.state.engine, token)
    if user is None:
        raise AuthenticationFailed("Invalid, revoked or unknown API token.")
    return Caller(user=user, is_admin=False)


def _user_of_token(engine: Engine, token: str) -> TokenOwner | None:
    """The token's user, on a pooled connection that is back in the pool on return.

    No connection is held while the handler awaits Prefect: a request holding one
    while it waited starved the others (50 concurrent pollers stalled for the pool's
    30 s timeout). The token's last use, when recorded, is committed by the statement
    itself: read_connection runs in autocommit.
    """
    with read_connection(engine) as connection:
        return users.token_owner(connection, token)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def require_user(caller: CallerDep) -> TokenOwner:
    """The calling user; the admin secret is refused, since it cannot own anything."""
    if caller.user is None:
        raise NotAllowed("The admin secret cannot own sites or jobs; use a user's API token.")
    return caller.user


async def require_admin(caller: CallerDep) -> Caller:
    """The caller, if it is the admin; 403 for a user."""
    if not caller.is_admin:
        raise NotAllowed("This operation needs the admin secret (CRON_SECRET).")
    return caller


CurrentUser = Annotated[TokenOwner, Depends(require_user)]
AdminDep = Annotated[Caller, Depends(require_admin)]
