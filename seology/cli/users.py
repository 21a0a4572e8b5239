"""`seology users …` and `seology tokens …`: manage who may call the job API.

Tokens are printed once, alone on the last line of stdout, so that scripts can take
them with `| tail -n 1`. Every command migrates the app database first, so they work
on a fresh data directory. Failures print one line on stderr and exit with status 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from sqlalchemy.orm import Session

from seology.core.errors import SeologyError
from seology.store import users
from seology.store.engine import app_engine, session_scope
from seology.store.migrate import upgrade

users_app = typer.Typer(help="Create and list users of the job API.", no_args_is_help=True)
tokens_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)

T = TypeVar("T")


@contextmanager
def _cli_errors() -> Iterator[None]:
    """Turn our errors into one line on stderr and exit status 1, without a traceback."""
    try:
        yield
    except SeologyError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(1) from exc


def _in_session(work: Callable[[Session], T]) -> T:
    """Run `work` in a committed transaction on the migrated app database."""
    with _cli_errors():
        engine = app_engine()
        upgrade(engine)
        with session_scope(engine) as session:
            return work(session)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@users_app.command("create")
def create_user(name: Annotated[str, typer.Argument(help="Letters, digits, _ . @ -")]) -> None:
    """Create a user and its first API token (printed once, on the last line)."""
    user_id, token = _in_session(lambda session: _create_user(session, name))
    typer.echo(f"Created user {name} (id {user_id}). Its API token, shown only now:")
    typer.echo(token)


def _create_user(session: Session, name: str) -> tuple[int, str]:
    user, token = users.create_user(session=session, name=name)
    return user.id, token


@users_app.command("list")
def list_users() -> None:
    """List users with their number of live tokens."""
    rows = _in_session(_user_rows)
    typer.echo(f"{'ID':>5}  {'NAME':<32} {'ACTIVE':<6} {'TOKENS':>6}  CREATED")
    for row in rows:
        typer.echo(row)


def _user_rows(session: Session) -> list[str]:
    return [
        f"{user.id:>5}  {user.name:<32} {'yes' if user.is_active else 'no':<6} "
        f"{sum(t.revoked_at is None for t in user.tokens):>6}  {_when(user.created_at)}"
        for user in users.list_users(session=session)
    ]


@tokens_app.command("create")
def create_token(
    user: Annotated[str, typer.Argument(help="The user's name")],
    label: Annotated[str, typer.Option(help="What the token is for")] = "default",
) -> None:
    """Create another API token for USER (printed once, on the last line)."""
    token = _in_session(
        lambda session: users.create_token(session=session, user_name=user, label=label)
    )
    typer.echo(f"Created token {token[:12]}… ({label}) for {user}. Shown only now:")
    typer.echo(token)


@tokens_app.command("revoke")
def revoke_token(
    prefix_or_id: Annotated[str, typer.Argument(help="The token's id or its seo_… prefix")],
) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    message = _in_session(lambda session: _revoke(session, prefix_or_id))
    typer.echo(message)


def _revoke(session: Session, prefix_or_id: str) -> str:
    token = users.revoke_token(session=session, prefix_or_id=prefix_or_id)
    return f"Revoked token {token.prefix}… (id {token.id}, {token.label}) of {token.user.name}."


@tokens_app.command("list")
def list_tokens(user: Annotated[str, typer.Argument(help="The user's name")]) -> None:
    """List USER's tokens, revoked ones included."""
    rows = _in_session(lambda session: _token_rows(session, user))
    typer.echo(f"{'ID':>5}  {'PREFIX':<13} {'LABEL':<20} {'CREATED':<21} {'LAST USED':<21} REVOKED")
    for row in rows:
        typer.echo(row)


def _token_rows(session: Session, user: str) -> list[str]:
    return [
        f"{token.id:>5}  {token.prefix + '…':<13} {token.label:<20} "
        f"{_when(token.created_at):<21} {_when(token.last_used_at):<21} {_when(token.revoked_at)}"
        for token in users.list_tokens(session=session, user_name=user)
    ]
