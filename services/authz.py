"""Every authorisation rule in one table: which principals may do which act. Every door reaches it
through the use cases; a refusal is audited (``access.refused``) and raised as ``Forbidden``.

The domain rules that depend on the item (a reviewer holds this level, is not the drafter, the level
is waiting) stay in the core (``disclosure.review.check_decision``) and read the user's roles fresh
from the database, so deactivation and role changes apply at once everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine

from disclosure.attributes import Role
from disclosure.errors import Forbidden, RuleViolation
from services.principal import Principal, PrincipalKind
from storage.db import session_scope
from storage.repository.audit import append_event


class Act(StrEnum):
    """What a principal can ask for."""

    SUBMIT = "submit"
    READ_DOCUMENT = "read_document"
    REVIEW_QUEUE = "review_queue"
    DECIDE = "decide"
    RESOLVE_REFERRAL = "resolve_referral"
    PUBLISH = "publish"
    SCHEDULE_RELEASE = "schedule_release"  # set, change or clear an approved version's release time (定时发布)
    WITHDRAW = "withdraw"
    SET_VALIDITY = "set_validity"
    DEADLINES = "deadlines"
    REGISTER_CHANNEL = "register_channel"
    READ_CHANNELS = "read_channels"
    OPERATE_FEEDS = "operate_feeds"  # rebuild, export, deliver due pushes
    MANAGE_USERS = "manage_users"
    OWN_TOKENS = "own_tokens"  # a user's own tokens and password
    AUDIT = "audit"
    HOUSEKEEPING = "housekeeping"
    HANDLE_APPLICATIONS = "handle_applications"  # register, act on and read in full (依申请公开)
    READ_APPLICATIONS = "read_applications"  # masked lists, case facts for the annual report
    FOLLOW_APPLICATIONS = "follow_applications"  # attach the flow run following a case (govpub itself)
    COMPILE_REPORT = "compile_report"  # enter the annual report's figures and texts
    READ_REPORT = "read_report"  # compute the annual report; what has been entered, and what is missing


_OP, _SYS = PrincipalKind.OPERATOR, PrincipalKind.SYSTEM
_STAFF = frozenset({Role.DRAFTER, Role.REVIEWER, Role.DISCLOSURE_OFFICE, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may: users holding any of ``roles``, and these non-person principals."""

    roles: frozenset[Role]
    kinds: frozenset[PrincipalKind] = frozenset()
    why: str = ""


# A person's act (submit, decide, resolve, withdraw, validity, channel registration) needs that
# person's credentials: the operator and the system are not in its rule.
RULES: dict[Act, Rule] = {
    Act.SUBMIT: Rule(frozenset({Role.DRAFTER}), why="only a drafter submits documents"),
    Act.READ_DOCUMENT: Rule(_STAFF, frozenset({_OP, _SYS}), why="documents under review are for the agency's staff"),
    Act.REVIEW_QUEUE: Rule(frozenset({Role.REVIEWER, Role.DISCLOSURE_OFFICE, Role.ADMIN}), frozenset({_OP}),
                           why="the review queue is for reviewers and the disclosure office"),
    Act.DECIDE: Rule(frozenset({Role.REVIEWER}), why="only a reviewer decides a review level"),
    Act.RESOLVE_REFERRAL: Rule(frozenset({Role.DISCLOSURE_OFFICE}),
                               why="only the disclosure office records the secrecy administration's answer"),
    Act.PUBLISH: Rule(frozenset({Role.DISCLOSURE_OFFICE, Role.ADMIN}), frozenset({_OP, _SYS}),
                      why="publication is re-driven by the disclosure office, an admin or govpub itself"),
    Act.SCHEDULE_RELEASE: Rule(frozenset({Role.DISCLOSURE_OFFICE}),
                               why="only the disclosure office sets the release time of an approved document"),
    Act.WITHDRAW: Rule(frozenset({Role.DISCLOSURE_OFFICE}), why="only the disclosure office withdraws"),
    Act.SET_VALIDITY: Rule(frozenset({Role.DISCLOSURE_OFFICE}), why="only the disclosure office records validity"),
    Act.DEADLINES: Rule(frozenset({Role.DISCLOSURE_OFFICE, Role.ADMIN}), frozenset({_OP, _SYS}),
                        why="deadlines are the disclosure office's"),
    Act.REGISTER_CHANNEL: Rule(frozenset({Role.ADMIN}), why="only an admin registers or removes channels"),
    Act.READ_CHANNELS: Rule(frozenset({Role.ADMIN, Role.DISCLOSURE_OFFICE}), frozenset({_OP, _SYS}),
                            why="channel delivery state is for admins and the disclosure office"),
    Act.OPERATE_FEEDS: Rule(frozenset({Role.ADMIN}), frozenset({_OP, _SYS}), why="feeds are operated by admins"),
    Act.MANAGE_USERS: Rule(frozenset({Role.ADMIN}), frozenset({_OP}), why="only an admin manages users"),
    Act.OWN_TOKENS: Rule(frozenset(Role), frozenset({_OP}), why="a user manages only their own tokens"),
    Act.AUDIT: Rule(frozenset({Role.ADMIN, Role.DISCLOSURE_OFFICE}), frozenset({_OP, _SYS}),
                    why="the audit log is checked by admins and the disclosure office"),
    Act.HOUSEKEEPING: Rule(frozenset({Role.ADMIN}), frozenset({_OP, _SYS}), why="housekeeping is for admins"),
    Act.HANDLE_APPLICATIONS: Rule(frozenset({Role.DISCLOSURE_OFFICE}),
                                  why="only the disclosure office handles applications for disclosure"),
    Act.READ_APPLICATIONS: Rule(frozenset({Role.DISCLOSURE_OFFICE, Role.ADMIN}), frozenset({_OP, _SYS}),
                                why="applications are read by the disclosure office (admins: masked)"),
    Act.FOLLOW_APPLICATIONS: Rule(frozenset(), frozenset({_SYS}),
                                  why="only govpub's own flow follows an application"),
    Act.COMPILE_REPORT: Rule(frozenset({Role.DISCLOSURE_OFFICE}),
                             why="only the disclosure office enters the annual report's figures and texts"),
    Act.READ_REPORT: Rule(frozenset({Role.DISCLOSURE_OFFICE, Role.ADMIN}), frozenset({_OP, _SYS}),
                          why="the annual report is computed by the disclosure office and admins"),
}  # fmt: skip


def refusal(principal: Principal, act: Act) -> str | None:
    """Why the principal may not do the act, or None if it may (pure: no I/O)."""
    rule = RULES[act]
    if principal.kind in rule.kinds:
        return None
    if principal.kind is PrincipalKind.USER and principal.roles & rule.roles:
        return None
    return rule.why or f"{principal.username} may not {act.value}"


class Authorizer:
    """Applies RULES and audits every refusal in its own transaction (so it survives the refusal)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def require(self, principal: Principal, act: Act, *, subject: str = "") -> None:
        """Return if allowed; otherwise record ``access.refused`` and raise Forbidden."""
        why = refusal(principal, act)
        if why is None:
            return
        self.refused(principal, act.value, why, subject=subject)
        raise Forbidden(why)

    @contextmanager
    def auditing(self, principal: Principal, action: str, *, subject: str = "") -> Iterator[None]:
        """A domain rule's refusal inside (a RuleViolation) recorded as ``access.refused``, then raised."""
        try:
            yield
        except RuleViolation as exc:
            self.refused(principal, action, str(exc), subject=subject)
            raise

    def refused(self, principal: Principal, action: str, why: str, *, subject: str = "") -> None:
        """Record a refusal (of any rule: an authorisation, a domain rule, a failed login)."""
        with session_scope(self._engine) as session:
            detail = {"act": action, "via": principal.via, "kind": principal.kind.value}
            append_event(session=session, actor=principal.username, action="access.refused",
                         entity_type="access", entity_id=subject or action, after=detail, reason=why[:500])  # fmt: skip
