"""Browser sessions on real SQLite/PostgreSQL: only a hash stored, absolute and idle expiry, sign-out,
deactivation and a new password end them, and session secrets and API tokens never stand in for
each other. The pages' own journeys are in tests/web."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from disclosure.errors import Unauthenticated
from services.authz import Authorizer
from services.identities import Identities
from services.principal import operator
from services.sessions import IDLE, LIFETIME, WebSessions, check_csrf, csrf_token
from storage.models import AuditEvent, WebSession
from tests.integration import test_identities
from tests.integration.test_identities import Clock, _refusals

world, govpub = test_identities.world, test_identities.govpub  # the fixtures, shared

PASSWORD = "session-password-1"


@pytest.fixture
def sessions(govpub):
    clock = Clock()
    authz = Authorizer(govpub.app.engine)
    identities = Identities(govpub.app.engine, authz=authz, clock=clock)
    identities.set_password(operator(), "reviewer1", PASSWORD)
    return WebSessions(govpub.app.engine, identities=identities, authz=authz, clock=clock), identities, clock


def test_a_session_lives_until_idle_or_expired_and_only_its_hash_is_stored(sessions, engine) -> None:
    web, _, clock = sessions
    signed = web.sign_in("reviewer1", PASSWORD)
    assert signed.secret.startswith("gs_")
    assert signed.expires_at == clock.now + LIFETIME
    with Session(engine) as session:
        [row] = session.exec(select(WebSession))
        assert signed.secret not in (row.secret_hash, str(row.id))
    assert web.resolve(signed.secret).username == "reviewer1"
    assert web.resolve(signed.secret).via == "ui"
    # active use keeps it alive past the idle limit, but never past the absolute limit
    for _ in range(int(LIFETIME / (IDLE / 2))):
        clock.now += IDLE / 2
        if clock.now >= signed.expires_at:
            break
        assert web.resolve(signed.secret).username == "reviewer1"
    with pytest.raises(Unauthenticated):
        web.resolve(signed.secret)
    idle = web.sign_in("reviewer1", PASSWORD)
    clock.now += IDLE + timedelta(seconds=1)
    with pytest.raises(Unauthenticated):
        web.resolve(idle.secret)
    reasons = [e.reason for e in _refusals(engine)]
    assert reasons[-2:] == ["expired session", "idle session"]
    with Session(engine) as session:
        signed_in = session.exec(select(AuditEvent).where(AuditEvent.action == "user.signed_in")).all()
        assert [e.after for e in signed_in] == [{"via": "ui"}, {"via": "ui"}]


def test_sign_out_deactivation_and_a_new_password_end_sessions(sessions) -> None:
    web, identities, _ = sessions
    first, second = web.sign_in("reviewer1", PASSWORD), web.sign_in("reviewer1", PASSWORD)
    web.sign_out(first.secret)
    web.sign_out(first.secret)  # twice: nothing more happens
    with pytest.raises(Unauthenticated):
        web.resolve(first.secret)
    assert web.resolve(second.secret).username == "reviewer1"
    identities.set_password(operator(), "reviewer1", PASSWORD + "x")
    with pytest.raises(Unauthenticated):
        web.resolve(second.secret)
    third = web.sign_in("reviewer1", PASSWORD + "x")
    identities.deactivate(operator(), "reviewer1")
    with pytest.raises(Unauthenticated):
        web.resolve(third.secret)
    with pytest.raises(Unauthenticated):
        web.sign_in("reviewer1", PASSWORD + "x")


def test_session_secrets_and_api_tokens_do_not_stand_in_for_each_other(sessions) -> None:
    web, identities, _ = sessions
    signed = web.sign_in("reviewer1", PASSWORD)
    token = identities.create_token(operator(), "reviewer1").secret
    with pytest.raises(Unauthenticated):
        identities.authenticate_token(signed.secret, via="api")
    with pytest.raises(Unauthenticated):
        web.resolve(token)
    with pytest.raises(Unauthenticated):
        web.resolve("gs_" + "A" * 43)


def test_the_csrf_token_belongs_to_its_session() -> None:
    one, other = "gs_one", "gs_other"
    assert check_csrf(one, csrf_token(one))
    assert not check_csrf(one, csrf_token(other))
    assert not check_csrf(one, "")
    assert csrf_token(one) != csrf_token(other)
