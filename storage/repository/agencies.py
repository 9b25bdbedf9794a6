"""Agencies, users and roles, applied from a validated configuration."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from disclosure.attributes import Role
from disclosure.errors import UserNotFound
from storage.models import Agency, NegativeTerm, ReviewChain, User, UserRole
from storage.repository.audit import append_event


def apply_agency_config(*, session: Session, config: dict[str, Any], actor: str) -> Agency:
    """Create or update the agency, its users and their roles; audit every change."""
    spec = config["agency"]
    agency = session.exec(select(Agency).where(Agency.code == spec["code"])).first()
    wanted = {
        "name": spec["name"],
        "org_code": spec["org_code"],
        "index_template": spec.get("index_template", "{org_code}/{yyyy}-{serial:05d}"),
        "published_contacts": list(spec.get("published_contacts", [])),
        "interpretation_limit_days": spec.get("interpretation_limit_days", 3),
        "interpretation_release": spec.get("interpretation_release", "together"),
    }
    if agency is None:
        agency = Agency(code=spec["code"], **wanted)
        session.add(agency)
        session.flush()
        append_event(session=session, actor=actor, action="agency.created",
                     entity_type="agency", entity_id=agency.code, after=wanted)  # fmt: skip
    else:
        before = {k: getattr(agency, k) for k in wanted}
        if before != wanted:
            for key, value in wanted.items():
                setattr(agency, key, value)
            session.add(agency)
            append_event(session=session, actor=actor, action="agency.updated",
                         entity_type="agency", entity_id=agency.code,
                         before=before, after=wanted)  # fmt: skip
    assert agency.id is not None  # noqa: S101 - flushed above
    for user_spec in config["users"]:
        _apply_user(session=session, agency_id=agency.id, spec=user_spec, actor=actor)
    if "negative_list" in config:
        _apply_negative_list(session=session, agency=agency, entries=config["negative_list"], actor=actor)
    if "review_chains" in config:
        _apply_review_chains(session=session, agency=agency, chains=config["review_chains"], actor=actor)
    return agency


def _apply_negative_list(*, session: Session, agency: Agency, entries: list[dict[str, Any]], actor: str) -> None:
    current = {r.term: r for r in session.exec(select(NegativeTerm).where(NegativeTerm.agency_id == agency.id))}
    wanted = {e["term"]: e for e in entries}
    before = sorted((r.term, r.ground) for r in current.values())
    for term, row in current.items():
        if term not in wanted:
            session.delete(row)
    for term, entry in wanted.items():
        row = current.get(term) or NegativeTerm(agency_id=agency.id or 0, term=term, ground="")
        row.ground = entry["ground"]
        row.owner = entry.get("owner", "")
        row.reviewed_on = entry.get("reviewed_on", "")
        session.add(row)
    after = sorted((t, e["ground"]) for t, e in wanted.items())
    if before != after:
        append_event(session=session, actor=actor, action="negative_list.configured",
                     entity_type="agency", entity_id=agency.code,
                     before={"terms": len(before)}, after={"terms": len(after)})  # fmt: skip
    session.flush()


def _apply_review_chains(*, session: Session, agency: Agency, chains: list[dict[str, Any]], actor: str) -> None:
    rows = list(session.exec(select(ReviewChain).where(ReviewChain.agency_id == agency.id)))
    before = sorted([r.category, r.grade, r.levels] for r in rows)
    after = sorted([c["category"], c["grade"], c["levels"]] for c in chains)
    if before == after:
        return
    for row in rows:
        session.delete(row)
    session.flush()
    for chain in chains:
        session.add(ReviewChain(agency_id=agency.id or 0, category=chain["category"],
                                grade=chain["grade"], levels=chain["levels"]))  # fmt: skip
    append_event(session=session, actor=actor, action="review_chains.configured", entity_type="agency",
                 entity_id=agency.code, before={"chains": before}, after={"chains": after})  # fmt: skip
    session.flush()


def _apply_user(*, session: Session, agency_id: int, spec: dict[str, Any], actor: str) -> None:
    user = session.exec(select(User).where(User.username == spec["username"])).first()
    # Never reactivates: a deactivated user stays so (`govpub users deactivate` is final until an admin acts).
    fields = {"name": spec["name"], "department": spec.get("department", ""), "active": user.active if user else True}
    roles = sorted(
        (role, level)
        for role in spec["roles"]
        for level in (spec.get("review_levels", []) if role == Role.REVIEWER else [""])
    )
    if user is None:
        user = User(agency_id=agency_id, username=spec["username"], **fields)
        session.add(user)
        session.flush()
        before = None
    else:
        before = {**{k: getattr(user, k) for k in fields}, "roles": _role_pairs(session, user)}
        for key, value in fields.items():
            setattr(user, key, value)
        session.add(user)
    assert user.id is not None  # noqa: S101 - flushed above
    current = {(r.role, r.level): r for r in session.exec(select(UserRole).where(UserRole.user_id == user.id))}
    for pair, row in current.items():
        if pair not in roles:
            session.delete(row)
    for role, level in roles:
        if (role, level) not in current:
            session.add(UserRole(user_id=user.id, role=role, level=level))
    after = {**fields, "roles": [list(p) for p in roles]}
    if before != after:
        append_event(session=session, actor=actor, action="user.configured",
                     entity_type="user", entity_id=user.username, before=before, after=after)  # fmt: skip
    session.flush()


def _role_pairs(session: Session, user: User) -> list[list[str]]:
    rows = session.exec(select(UserRole).where(UserRole.user_id == user.id))
    return sorted([r.role, r.level] for r in rows)


def get_user(*, session: Session, username: str) -> User:
    """The user with this name; raise UserNotFound otherwise."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise UserNotFound(f"no user named {username!r}")
    return user


def user_roles(*, session: Session, user: User) -> set[tuple[Role, str]]:
    """The (role, level) pairs a user holds; level is '' except for reviewers."""
    rows = session.exec(select(UserRole).where(UserRole.user_id == user.id))
    return {(Role(r.role), r.level) for r in rows}


def count_agencies(*, session: Session) -> int:
    """How many agencies are configured."""
    return len(session.exec(select(Agency.id)).all())
