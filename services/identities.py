"""Identities: users with argon2id passwords, personal API tokens, and the principal each resolves to.

Tokens are ``gp_`` + 43 random URL-safe characters, shown once; only their sha256 is stored, so
lookup by hash is a constant-time comparison of secrets. Roles are read from the database on
every resolution: deactivating a user or removing a role takes effect at once on every door.
Failed password logins lock the account for a while after ``MAX_FAILURES`` in a row; every
refusal is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.attributes import Role
from disclosure.errors import Forbidden, InvalidInput, NotFound, Unauthenticated, Violation
from disclosure.text import line_problem
from services.authz import Act, Authorizer
from services.principal import Principal, PrincipalKind
from storage.db import session_scope
from storage.models import Agency, ApiToken, User, UserRole, WebSession, aware, utcnow
from storage.repository.agencies import get_user
from storage.repository.audit import append_event

TOKEN_PREFIX = "gp_"  # noqa: S105 - a prefix that makes leaked tokens recognisable, not a secret
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters


class UserPublic(BaseModel):
    """A user as lists show it (never a hash)."""

    username: str
    name: str
    department: str
    active: bool
    roles: list[str]
    review_levels: list[str]
    has_password: bool
    locked_until: datetime | None


class TokenPublic(BaseModel):
    """A token as lists show it (never the secret)."""

    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: its record and the secret, shown once."""

    token: TokenPublic
    secret: str


def token_hash(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Identities:
    """Users, passwords and tokens; resolves credentials to principals."""

    def __init__(self, engine: Engine, *, authz: Authorizer, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._authz = authz
        self._clock = clock

    # -- authentication ---------------------------------------------------------------------
    def authenticate_token(self, secret: str, *, via: str) -> Principal:
        """The principal of a valid token; Unauthenticated (audited) for anything else."""
        now = self._clock()
        with session_scope(self._engine) as session:
            row = None
            if secret.startswith(TOKEN_PREFIX):
                row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(secret))).first()
            if row is not None and not hmac.compare_digest(row.token_hash, token_hash(secret)):
                row = None
            user = session.get(User, row.user_id) if row is not None else None
            problem = _token_problem(row, user, now)
            if problem is None and row is not None and user is not None:
                row.last_used_at = now
                session.add(row)
                return _principal(session, user, via=via, token_id=row.id)
        self._authz.refused(Principal(PrincipalKind.USER, "anonymous", via=via), "authenticate", problem or "")
        raise Unauthenticated("invalid or expired credentials")

    def authenticate_password(self, username: str, password: str, *, via: str) -> Principal:
        """The principal for a correct password; lock-out after MAX_FAILURES failures in a row."""
        now = self._clock()
        refused = ""
        with session_scope(self._engine) as session:
            user = session.exec(select(User).where(User.username == username).with_for_update()).first()
            if user is None or not user.active or not user.password_hash:
                refused = "unknown user, deactivated, or no password set"
            elif user.locked_until is not None and aware(user.locked_until) > now:
                refused = f"locked after {MAX_FAILURES} failed logins"
            elif not _verify(user.password_hash, password):
                user.failed_logins += 1
                if user.failed_logins >= MAX_FAILURES:
                    user.locked_until, user.failed_logins = now + LOCK_FOR, 0
                session.add(user)
                refused = "wrong password"
            else:
                user.failed_logins, user.locked_until = 0, None
                if _hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = _hasher.hash(password)
                session.add(user)
                return _principal(session, user, via=via)
        self._authz.refused(
            Principal(PrincipalKind.USER, username[:64], via=via), "login", refused, subject=username[:64]
        )
        raise Unauthenticated("wrong user name or password, or the account is locked")

    def principal_of(self, session: Session, user: User, *, via: str) -> Principal:
        """The principal of a user read in ``session`` (roles and levels read fresh)."""
        return _principal(session, user, via=via)

    def impersonate(self, username: str, *, via: str) -> Principal:
        """The principal of a named active user, without credentials (development's ``--as`` only)."""
        with Session(self._engine) as session:
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None or not user.active:
                raise Unauthenticated(f"no active user named {username!r}")
            return _principal(session, user, via=via)

    # -- administration ---------------------------------------------------------------------
    def add_user(
        self, actor: Principal, *, username: str, name: str, roles: list[Role], levels: list[str],
        department: str = "", agency: str | None = None,
    ) -> UserPublic:  # fmt: skip
        """Create a user with roles (reviewers with their levels); exists already → InvalidInput."""
        self._authz.require(actor, Act.MANAGE_USERS, subject=username)
        violations = [
            Violation(field, problem)
            for field, value in (("USER", username), ("--name", name))
            if (problem := line_problem(value) or ("must not be empty" if not value.strip() else None))
        ]
        if Role.REVIEWER in roles and not levels:
            violations.append(Violation("--level", "a reviewer holds at least one review level"))
        if levels and Role.REVIEWER not in roles:
            violations.append(Violation("--level", "only reviewers hold review levels"))
        if violations:
            raise InvalidInput(violations)
        with session_scope(self._engine) as session:
            if session.exec(select(User).where(User.username == username)).first() is not None:
                raise InvalidInput([Violation("USER", f"{username!r} exists already")])
            statement = select(Agency).order_by(col(Agency.id))
            found = session.exec(statement.where(Agency.code == agency) if agency else statement).first()
            if found is None or found.id is None:
                raise InvalidInput(
                    [Violation("--agency", f"no agency {agency!r}" if agency else "no agency configured")]
                )
            user = User(agency_id=found.id, username=username, name=name, department=department)
            session.add(user)
            session.flush()
            pairs = sorted({(r.value, lv) for r in roles for lv in (levels if r is Role.REVIEWER else [""])})
            for role, level in pairs:
                session.add(UserRole(user_id=user.id or 0, role=role, level=level))
            append_event(session=session, actor=actor.username, action="user.added", entity_type="user",
                         entity_id=username, after={"name": name, "roles": [list(p) for p in pairs]})  # fmt: skip
            session.flush()
            return _public(session, user)

    def list_users(self, actor: Principal) -> list[UserPublic]:
        """Every user."""
        self._authz.require(actor, Act.MANAGE_USERS)
        with Session(self._engine) as session:
            return [_public(session, u) for u in session.exec(select(User).order_by(col(User.username)))]

    def deactivate(self, actor: Principal, username: str) -> UserPublic:
        """Deactivate a user and revoke their tokens: refused on every door from now on."""
        self._authz.require(actor, Act.MANAGE_USERS, subject=username)
        now = self._clock()
        with session_scope(self._engine) as session:
            user = get_user(session=session, username=username)
            user.active = False
            session.add(user)
            for row in session.exec(
                select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
            ):
                row.revoked_at = now
                session.add(row)
            revoke_sessions(session, user.id or 0, now)
            append_event(session=session, actor=actor.username, action="user.deactivated", entity_type="user",
                         entity_id=username, before={"active": True}, after={"active": False})  # fmt: skip
            return _public(session, user)

    def set_password(self, actor: Principal, username: str, password: str) -> None:
        """Set a user's password (an admin, the operator, or the user themself)."""
        self._require_self_or_admin(actor, username)
        if len(password) < MIN_PASSWORD:
            raise InvalidInput([Violation("password", f"must have at least {MIN_PASSWORD} characters")])
        with session_scope(self._engine) as session:
            user = get_user(session=session, username=username)
            user.password_hash, user.failed_logins, user.locked_until = _hasher.hash(password), 0, None
            session.add(user)
            revoke_sessions(session, user.id or 0, self._clock())  # signed-in browsers sign in again
            append_event(session=session, actor=actor.username, action="user.password_set", entity_type="user",
                         entity_id=username)  # fmt: skip

    def create_token(self, actor: Principal, username: str, *, expires_days: int = 90, name: str = "") -> NewToken:
        """A new personal token for the user (an admin, the operator, or the user themself)."""
        self._require_self_or_admin(actor, username)
        if not 1 <= expires_days <= 366:  # noqa: PLR2004
            raise InvalidInput([Violation("--expires-days", "must be between 1 and 366")])
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        with session_scope(self._engine) as session:
            user = get_user(session=session, username=username)
            if not user.active:
                raise InvalidInput([Violation("USER", f"{username!r} is deactivated")])
            row = ApiToken(user_id=user.id or 0, name=name[:100], token_hash=token_hash(secret), created_at=now,
                           expires_at=now + timedelta(days=expires_days))  # fmt: skip
            session.add(row)
            session.flush()
            detail = {"token_id": row.id, "expires_at": row.expires_at.isoformat()}
            append_event(session=session, actor=actor.username, action="token.created", entity_type="user",
                         entity_id=username, after=detail)  # fmt: skip
            return NewToken(_token_public(row, username), secret)

    def revoke_token(self, actor: Principal, token_id: int) -> TokenPublic:
        """Revoke a token (an admin, the operator, or its owner)."""
        with Session(self._engine) as session:  # read, check (a refusal is audited in its own transaction), write
            row = session.get(ApiToken, token_id)
            owner = session.get(User, row.user_id) if row is not None else None
            if row is None or owner is None:
                raise NotFound(f"no token #{token_id}")
            username = owner.username
        self._require_self_or_admin(actor, username)
        with session_scope(self._engine) as session:
            row = session.get(ApiToken, token_id)
            assert row is not None  # noqa: S101 - tokens are never deleted
            owner = session.get(User, row.user_id)
            assert owner is not None  # noqa: S101
            if row.revoked_at is None:
                row.revoked_at = self._clock()
                session.add(row)
                append_event(session=session, actor=actor.username, action="token.revoked", entity_type="user",
                             entity_id=owner.username, after={"token_id": token_id})  # fmt: skip
            return _token_public(row, owner.username)

    def list_tokens(self, actor: Principal, username: str) -> list[TokenPublic]:
        """A user's tokens (never their secrets)."""
        self._require_self_or_admin(actor, username)
        with Session(self._engine) as session:
            user = get_user(session=session, username=username)
            rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id)))
            return [_token_public(r, username) for r in rows]

    def _require_self_or_admin(self, actor: Principal, username: str) -> None:
        if actor.is_person and actor.username == username:
            return
        try:
            self._authz.require(actor, Act.MANAGE_USERS, subject=username)
        except Forbidden:
            raise Forbidden("a user manages only their own password and tokens") from None


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_problem(row: ApiToken | None, user: User | None, now: datetime) -> str | None:
    if row is None or user is None:
        return "unknown token"
    if row.revoked_at is not None:
        return "revoked token"
    if aware(row.expires_at) <= now:
        return "expired token"
    if not user.active:
        return "deactivated user"
    return None


def _principal(session: Session, user: User, *, via: str, token_id: int | None = None) -> Principal:
    rows = list(session.exec(select(UserRole).where(UserRole.user_id == user.id)))
    return Principal(
        kind=PrincipalKind.USER, username=user.username, user_id=user.id, agency_id=user.agency_id,
        roles=frozenset(Role(r.role) for r in rows), levels=frozenset(r.level for r in rows if r.level),
        via=via, token_id=token_id,
    )  # fmt: skip


def _public(session: Session, user: User) -> UserPublic:
    rows = list(session.exec(select(UserRole).where(UserRole.user_id == user.id)))
    return UserPublic(
        username=user.username, name=user.name, department=user.department, active=user.active,
        roles=sorted({r.role for r in rows}), review_levels=sorted(r.level for r in rows if r.level),
        has_password=bool(user.password_hash),
        locked_until=aware(user.locked_until) if user.locked_until else None,
    )  # fmt: skip


def _token_public(row: ApiToken, username: str) -> TokenPublic:
    return TokenPublic(
        id=row.id or 0, username=username, name=row.name, created_at=aware(row.created_at),
        expires_at=aware(row.expires_at), last_used_at=aware(row.last_used_at) if row.last_used_at else None,
        revoked=row.revoked_at is not None,
    )  # fmt: skip


def revoke_sessions(session: Session, user_id: int, now: datetime) -> int:
    """End every live session of a user (deactivation, a new password); how many."""
    rows = list(session.exec(select(WebSession).where(WebSession.user_id == user_id,
                                                      col(WebSession.revoked_at).is_(None))))  # fmt: skip
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)
