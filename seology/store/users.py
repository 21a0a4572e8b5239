"""Users and their API tokens.

A user is a name and any number of bearer tokens. Tokens are stored hashed (see
`seology.core.tokens`); a revoked token stays in the table, with `revoked_at` set, so that
listings keep their history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from seology.core.errors import InvalidInput, TokenNotFound, UserExists, UserNotFound
from seology.core.tokens import generate_token, hash_token, looks_like_token, token_prefix
from seology.store.models import ApiToken, User, utcnow

USER_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.@-]{1,120}")
MAX_LABEL_LENGTH = 120
DEFAULT_TOKEN_LABEL = "default"  # noqa: S105 - a label, not a secret
# `last_used_at` is for humans ("is this token still in use?"): minute precision is
# plenty, and it spares the database a write on every authenticated request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def validate_user_name(name: str) -> str:
    """`name` if it is 1–120 characters of letters, digits and `_.@-`."""
    if not USER_NAME_PATTERN.fullmatch(name):
        msg = f"Invalid user name {name!r}: use 1 to 120 letters, digits, '_', '.', '@' or '-'."
        raise InvalidInput(msg)
    return name


def validate_label(label: str) -> str:
    """A token label, trimmed; 1–120 characters."""
    label = label.strip()
    if not 1 <= len(label) <= MAX_LABEL_LENGTH:
        msg = f"A token label has 1 to {MAX_LABEL_LENGTH} characters; got {len(label)}."
        raise InvalidInput(msg)
    return label


def create_user(*, session: Session, name: str) -> tuple[User, str]:
    """Create user `name` with a first token; returns the user and the token."""
    validate_user_name(name)
    if _find_user(session, name) is not None:
        raise UserExists(f"A user named {name!r} exists already.")
    user = User(name=name)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # created concurrently since the check above
        raise UserExists(f"A user named {name!r} exists already.") from exc
    return user, _issue_token(session, user, DEFAULT_TOKEN_LABEL)


def get_user(*, session: Session, name: str) -> User:
    """The user called `name`, or `UserNotFound`."""
    user = _find_user(session, name)
    if user is None:
        raise UserNotFound(f"No user named {name!r}.")
    return user


def list_users(*, session: Session) -> list[User]:
    """Every user, oldest first."""
    return list(session.scalars(select(User).order_by(User.id)))


def create_token(*, session: Session, user_name: str, label: str = DEFAULT_TOKEN_LABEL) -> str:
    """A new token for `user_name`; the only time the token itself is available."""
    user = get_user(session=session, name=user_name)
    return _issue_token(session, user, validate_label(label))


def list_tokens(*, session: Session, user_name: str) -> list[ApiToken]:
    """The tokens of `user_name`, revoked ones included, oldest first."""
    user = get_user(session=session, name=user_name)
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    return list(session.scalars(query))


def revoke_token(*, session: Session, prefix_or_id: str) -> ApiToken:
    """Revoke a token given by its id, its displayed prefix or the token itself.

    Revoking a revoked token is a no-op that keeps the first `revoked_at`.
    """
    token = _find_token(session, prefix_or_id.strip())
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


@dataclass(frozen=True)
class TokenOwner:
    """The active user a live token belongs to: all a request needs of its caller."""

    id: int
    name: str


def authenticate(*, session: Session, token: str) -> TokenOwner | None:
    """The active user owning the live token `token`, or None (inside `session`)."""
    return token_owner(session.connection(), token)


def token_owner(connection: Connection, token: str) -> TokenOwner | None:
    """The active user owning the live token `token`, or None.

    Core, not the ORM: this runs on every request of the job API, and loading two ORM
    objects into a session cost more than the query itself (docs/performance.md).
    A use is recorded at most once per `LAST_USED_RESOLUTION`, in the transaction of
    `connection`: the caller commits it (on the job API's autocommit connections, the
    statement itself does).
    """
    if not looks_like_token(token):
        return None
    row = connection.execute(_TOKEN_OWNER, {"token_hash": hash_token(token)}).one_or_none()
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        connection.execute(_TOKEN_USED, {"token_id": row.token_id, "now": now})
    return TokenOwner(id=row.id, name=row.name)


# Built once: building and keying a statement per request cost more than running it.
_TOKEN_OWNER = (
    select(User.id, User.name, ApiToken.id.label("token_id"), ApiToken.last_used_at)
    .join(User, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
    .where(ApiToken.revoked_at.is_(None))
    .where(User.is_active.is_(True))
)
_TOKEN_USED = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


def _find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def _issue_token(session: Session, user: User, label: str) -> str:
    token = generate_token()
    record = ApiToken(
        user_id=user.id, token_hash=hash_token(token), prefix=token_prefix(token), label=label
    )
    session.add(record)
    session.flush()
    return token


def _find_token(session: Session, prefix_or_id: str) -> ApiToken:
    """Look a token up by id (digits), full token, or prefix (must be unambiguous)."""
    if prefix_or_id.isdigit():
        matches = list(session.scalars(select(ApiToken).where(ApiToken.id == int(prefix_or_id))))
    elif looks_like_token(prefix_or_id):
        query = select(ApiToken).where(ApiToken.token_hash == hash_token(prefix_or_id))
        matches = list(session.scalars(query))
    else:
        matches = list(session.scalars(select(ApiToken).where(ApiToken.prefix == prefix_or_id)))
    if not matches:
        raise TokenNotFound(f"No API token with id or prefix {prefix_or_id!r}.")
    if len(matches) > 1:
        msg = f"{len(matches)} tokens share the prefix {prefix_or_id!r}; revoke by id instead."
        raise InvalidInput(msg)
    return matches[0]
