"""Identities and the one authorisation table, on real SQLite/PostgreSQL and S3, through the facade."""

import copy
import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from disclosure.attributes import Role
from disclosure.errors import Forbidden, InvalidInput, RuleViolation, Unauthenticated
from disclosure.review import Decision
from govpub.samples import load_samples
from services.authz import RULES, Act, Authorizer, refusal
from services.bootstrap import App, sample_agency_config
from services.facade import Govpub
from services.identities import MAX_FAILURES, Identities
from services.principal import Principal, PrincipalKind, operator, system
from services.review_service import NoEvents
from services.reviewing import no_resume
from services.settings import Settings
from storage.db import session_scope
from storage.models import ApiToken, AuditEvent, utcnow
from storage.repository.agencies import apply_agency_config
from tests.integration.test_publication import World


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    return World(engine, store, bucket_prefix, tmp_path)


@pytest.fixture
def govpub(world, tmp_path, bucket_prefix):
    settings = Settings(data_dir=tmp_path / "var", store={"bucket_prefix": bucket_prefix})
    app = App(settings=settings, engine=world.engine, store=world.store)
    return Govpub(app, events=NoEvents(), resume=no_resume)


def _login(identities, username):
    return identities.authenticate_token(identities.create_token(operator(), username).secret, via="api")


def _refusals(engine):
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused")))


def test_tokens_are_shown_once_stored_hashed_and_refused_once_revoked_or_expired(engine):
    clock = Clock()
    identities = Identities(engine, authz=Authorizer(engine), clock=clock)
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    made = identities.create_token(operator(), "reviewer1", expires_days=1)
    with Session(engine) as session:
        stored = list(session.exec(select(ApiToken)))
    assert made.secret.startswith("gp_")
    assert len(stored) == 1
    assert made.secret not in repr(stored[0].model_dump())  # only its sha256 is kept
    principal = identities.authenticate_token(made.secret, via="api")
    assert (principal.username, principal.kind, principal.levels) == ("reviewer1", PrincipalKind.USER, {"初审"})
    assert identities.list_tokens(operator(), "reviewer1")[0].last_used_at is not None
    for wrong in ("", "gp_", made.secret + "x", made.secret[:-1], "Bearer " + made.secret):
        with pytest.raises(Unauthenticated):
            identities.authenticate_token(wrong, via="api")
    clock.now += timedelta(days=1, seconds=1)
    with pytest.raises(Unauthenticated):
        identities.authenticate_token(made.secret, via="api")
    clock.now = utcnow()
    other = identities.create_token(operator(), "reviewer1")
    identities.revoke_token(operator(), other.token.id)
    with pytest.raises(Unauthenticated):
        identities.authenticate_token(other.secret, via="api")
    assert len(_refusals(engine)) >= 7  # every refused credential is audited


def test_deactivation_is_immediate_and_reapplying_the_configuration_never_reactivates(engine):
    identities = Identities(engine, authz=Authorizer(engine))
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    made = identities.create_token(operator(), "reviewer2")
    identities.deactivate(operator(), "reviewer2")
    with pytest.raises(Unauthenticated):
        identities.authenticate_token(made.secret, via="api")
    with pytest.raises(Unauthenticated):
        identities.impersonate("reviewer2", via="cli")
    config = copy.deepcopy(sample_agency_config())
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=config, actor="admin:init")
    with pytest.raises(Unauthenticated):
        identities.impersonate("reviewer2", via="cli")
    # a role removed from the configuration is gone on the next resolution
    for user in config["users"]:
        if user["username"] == "reviewer1":
            user["review_levels"] = ["复审"]
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=config, actor="admin:init")
    assert identities.impersonate("reviewer1", via="cli").levels == {"复审"}


def test_passwords_lock_out_after_repeated_failures(engine):
    clock = Clock()
    identities = Identities(engine, authz=Authorizer(engine), clock=clock)
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    with pytest.raises(InvalidInput, match="at least 10"):
        identities.set_password(operator(), "office", "short")
    identities.set_password(operator(), "office", "一个足够长的口令-2026")
    assert identities.authenticate_password("office", "一个足够长的口令-2026", via="ui").username == "office"
    for _ in range(MAX_FAILURES):
        with pytest.raises(Unauthenticated):
            identities.authenticate_password("office", "wrong password", via="ui")
    with pytest.raises(Unauthenticated):  # locked: even the right password is refused for a while
        identities.authenticate_password("office", "一个足够长的口令-2026", via="ui")
    clock.now += timedelta(minutes=16)
    assert identities.authenticate_password("office", "一个足够长的口令-2026", via="ui").username == "office"
    with pytest.raises(Unauthenticated):
        identities.authenticate_password("nobody", "whatever-long", via="ui")
    with pytest.raises(Forbidden):  # a user manages only their own password
        identities.set_password(identities.impersonate("drafter", via="cli"), "office", "another-long-one")


def test_every_act_has_a_rule_and_persons_acts_exclude_the_operator():
    assert set(RULES) == set(Act)
    for act in (Act.SUBMIT, Act.DECIDE, Act.RESOLVE_REFERRAL, Act.WITHDRAW, Act.SET_VALIDITY, Act.REGISTER_CHANNEL):
        assert refusal(operator(), act) is not None, act
        assert refusal(system(), act) is not None, act
    drafter = Principal(PrincipalKind.USER, "d", roles=frozenset({Role.DRAFTER}))
    assert refusal(drafter, Act.SUBMIT) is None
    assert refusal(drafter, Act.DECIDE) is not None
    assert refusal(Principal(PrincipalKind.USER, "x"), Act.READ_DOCUMENT) is not None  # no roles: nothing


def test_the_facade_applies_the_rules_on_every_use_case(world, govpub):
    identities = govpub.identities
    drafter, reviewer1 = _login(identities, "drafter"), _login(identities, "reviewer1")
    office, channel = _login(identities, "office"), _login(identities, "wechat")
    doc = world.submit().document_id
    world.review.begin(doc, 1, None)
    world.review.screen(doc, 1)
    before = len(_refusals(world.engine))
    with pytest.raises(Forbidden):
        govpub.decide(drafter, doc, Decision.APPROVE, comment="自己批准")
    with pytest.raises(Forbidden):
        govpub.withdraw(reviewer1, doc, reason="无权撤回")
    with pytest.raises(Forbidden):
        govpub.submit(operator(), world_raw(world))
    with pytest.raises(Forbidden):
        govpub.channels(drafter)
    with pytest.raises(Forbidden):
        govpub.channel_deliveries(channel, "all")  # another channel's deliveries
    assert govpub.channel_deliveries(channel, "wechat") == []
    with pytest.raises(Forbidden):
        govpub.document(_login(identities, "drafter2"), doc)  # another drafter's document
    assert govpub.document(drafter, doc)["id"] == doc
    outcome = govpub.decide(reviewer1, doc, Decision.APPROVE, comment="同意")
    assert outcome.waiting_at is not None
    with pytest.raises(RuleViolation):  # the domain rule: 初审 is decided; reviewer1 holds no other level
        govpub.decide(reviewer1, doc, Decision.APPROVE, comment="再次")
    assert len(_refusals(world.engine)) >= before + 7
    assert [d.id for d in govpub.my_documents(drafter)] == [doc]
    assert govpub.review_queue(office)[0].document_id == doc
    assert govpub.review_queue(reviewer1) == []


def world_raw(_world):
    return json.dumps(load_samples()[2].submission, ensure_ascii=False).encode()
