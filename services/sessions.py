"""Browser sessions of the pages: sign in with a password, a cookie's secret resolved to a principal
on every request, sign out. Only the secret's sha256 is stored; a session ends at its absolute
expiry, after an idle spell, at sign-out, and when its user is deactivated or gets a new password.

The CSRF token of a session is derived from its secret (HMAC), so it needs no storage and changes
with every sign-in; forms carry it, and ``check_csrf`` compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from disclosure.errors import Unauthenticated
from services.authz import Authorizer
from services.identities import Identities
from services.principal import Principal, PrincipalKind
from storage.db import session_scope
from storage.models import User, WebSession, aware, utcnow
from storage.repository.audit import append_event

SESSION_PREFIX = "gs_"  # marks a session secret (never accepted as an API token), not a secret
LIFETIME = timedelta(hours=8)
IDLE = timedelta(minutes=30)
_TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often (SQLite writes lock)
VIA = "ui"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: its principal, the cookie's secret (shown to the browser once) and expiry."""

    principal: Principal
    secret: str
    expires_at: datetime


def secret_hash(secret: str) -> str:
    """What is stored of a session secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_token(secret: str) -> str:
    """The CSRF token of the session whose cookie carries ``secret``."""
    return hmac.new(secret.encode("utf-8"), b"govpub csrf v1", hashlib.sha256).hexdigest()


def check_csrf(secret: str, presented: str) -> bool:
    """Whether a form's token belongs to the session."""
    return bool(presented) and hmac.compare_digest(csrf_token(secret), presented)


class WebSessions:
    """Sign-in, resolution and sign-out of browser sessions."""

    def __init__(
        self, engine: Engine, *, identities: Identities, authz: Authorizer,
        clock: Callable[[], datetime] = utcnow, lifetime: timedelta = LIFETIME, idle: timedelta = IDLE,
    ) -> None:  # fmt: skip
        self._engine = engine
        self._identities = identities
        self._authz = authz
        self._clock = clock
        self._lifetime = lifetime
        self._idle = idle

    def sign_in(self, username: str, password: str) -> SignedIn:
        """A session for a correct password (lock-out and audit of failures as for every door)."""
        principal = self._identities.authenticate_password(username, password, via=VIA)
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        with session_scope(self._engine) as session:
            row = WebSession(user_id=principal.user_id or 0, secret_hash=secret_hash(secret), created_at=now,
                             last_seen_at=now, expires_at=now + self._lifetime)  # fmt: skip
            session.add(row)
            append_event(session=session, actor=principal.username, action="user.signed_in", entity_type="user",
                         entity_id=principal.username, after={"via": VIA})  # fmt: skip
            return SignedIn(principal, secret, row.expires_at)

    def resolve(self, secret: str) -> Principal:
        """The principal of a live session; Unauthenticated (audited) for anything else."""
        now = self._clock()
        with session_scope(self._engine) as session:
            row = None
            if secret.startswith(SESSION_PREFIX):
                row = session.exec(select(WebSession).where(WebSession.secret_hash == secret_hash(secret))).first()
            user = session.get(User, row.user_id) if row is not None else None
            problem = self._problem(row, user, now)
            if problem is None and row is not None and user is not None:
                if now - aware(row.last_seen_at) >= _TOUCH_EVERY:
                    row.last_seen_at = now
                    session.add(row)
                return self._identities.principal_of(session, user, via=VIA)
        self._authz.refused(Principal(PrincipalKind.USER, "anonymous", via=VIA), "authenticate", problem or "")
        raise Unauthenticated("the session has ended: sign in again")

    def sign_out(self, secret: str) -> None:
        """End the session (nothing happens for an unknown or ended one)."""
        now = self._clock()
        with session_scope(self._engine) as session:
            row = session.exec(select(WebSession).where(WebSession.secret_hash == secret_hash(secret))).first()
            if row is None or row.revoked_at is not None:
                return
            row.revoked_at = now
            session.add(row)
            user = session.get(User, row.user_id)
            append_event(session=session, actor=user.username if user else "unknown", action="user.signed_out",
                         entity_type="user", entity_id=user.username if user else str(row.user_id))  # fmt: skip

    def _problem(self, row: WebSession | None, user: User | None, now: datetime) -> str | None:
        if row is None or user is None:
            return "unknown session"
        if row.revoked_at is not None:
            return "ended session"
        if aware(row.expires_at) <= now:
            return "expired session"
        if now - aware(row.last_seen_at) > self._idle:
            return "idle session"
        if not user.active:
            return "deactivated user"
        return None
