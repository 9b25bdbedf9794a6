"""Replies to applications typed by their statutory outcome (Art. 35–39), each counted in one row of Table 3.

``reply_leaf`` checks that a reply carries what the law requires of its kind (where the information
was already published, the ground of a withholding, the agency that holds it, the published item a
disclosure links) and returns the single ``Table3Leaf`` it counts under. Closings without a reply on
the merits (no correction, fee unpaid) are ``Closing``s. Pure: stdlib and ``disclosure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from disclosure.errors import InvalidInput, Violation
from disclosure.report_rows import Table3Leaf


class ReplyKind(StrEnum):
    """The reply types of Art. 36–39 (and Art. 30, 35), in the order of the Regulation."""

    ALREADY_PUBLIC = "already_public"  # Art. 36(1): say where and how to get it
    DISCLOSED = "disclosed"  # Art. 36(2)
    PARTLY_DISCLOSED = "partly_disclosed"  # Art. 37: a redacted copy, reviewed like any release
    WITHHELD = "withheld"  # Art. 36(3): with its ground
    DOES_NOT_EXIST = "does_not_exist"  # Art. 36(4)
    NOT_THIS_AGENCY = "not_this_agency"  # Art. 36(5): name the right agency where it can be determined
    REPEATED = "repeated"  # Art. 36(6)
    SPECIAL_LAW = "special_law"  # Art. 36(7): registration records under a special law
    NEEDS_MAKING = "needs_making"  # Art. 38: no new records need be made
    PETITION = "petition"  # Art. 39(1): petitions, complaints and reports are not applications
    PUBLICATION = "publication"  # Art. 39(2): asks for publications
    CONFIRMATION = "confirmation"  # Art. 39(2): asks to confirm or re-issue information already obtained
    EXCESSIVE = "excessive"  # Art. 35: unreasonably many or frequent applications
    UNCLEAR_AFTER_CORRECTION = "unclear_after_correction"  # Art. 30: still unclear when corrected
    OTHER = "other"  # none of these: a note says what


class WithholdingGround(StrEnum):
    """Why information is withheld (Art. 14–16), one per row of Table 3 （三）."""

    STATE_SECRET = "state_secret"  # noqa: S105 - a ground's name, not a secret
    OTHER_LAW = "other_law"
    THREE_SAFETIES = "three_safeties"
    THIRD_PARTY = "third_party"
    INTERNAL_AFFAIRS = "internal_affairs"
    PROCESS_INFO = "process_info"
    ENFORCEMENT_FILE = "enforcement_file"
    QUERY_MATTER = "query_matter"


class Closing(StrEnum):
    """A case closed without a reply on the merits (Table 3 （六） 1 and 2)."""

    NO_CORRECTION = "no_correction"  # Art. 30: not corrected in the stated period
    FEE_UNPAID = "fee_unpaid"  # Art. 42: the fee notice not paid in time


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply as the disclosure office records it."""

    kind: ReplyKind
    ground: WithholdingGround | None = None  # WITHHELD only
    where: str = ""  # ALREADY_PUBLIC: where and how it can be obtained
    agency: str = ""  # NOT_THIS_AGENCY: the agency that holds it, when it can be determined
    published_item: str | None = None  # DISCLOSED / PARTLY_DISCLOSED of a published document: its catalogue id
    note: str = ""  # OTHER: what it was


_LEAVES: dict[ReplyKind, Table3Leaf] = {
    ReplyKind.ALREADY_PUBLIC: Table3Leaf.DISCLOSED,
    ReplyKind.DISCLOSED: Table3Leaf.DISCLOSED,
    ReplyKind.PARTLY_DISCLOSED: Table3Leaf.PARTLY_DISCLOSED,
    ReplyKind.DOES_NOT_EXIST: Table3Leaf.UNAVAILABLE_NOT_HELD,
    ReplyKind.NOT_THIS_AGENCY: Table3Leaf.UNAVAILABLE_NOT_HELD,
    ReplyKind.REPEATED: Table3Leaf.NOT_HANDLED_REPEATED,
    ReplyKind.SPECIAL_LAW: Table3Leaf.OTHER,  # the 2021 format has no row of its own for Art. 36(7)
    ReplyKind.NEEDS_MAKING: Table3Leaf.UNAVAILABLE_WOULD_NEED_MAKING,
    ReplyKind.PETITION: Table3Leaf.NOT_HANDLED_PETITION,
    ReplyKind.PUBLICATION: Table3Leaf.NOT_HANDLED_PUBLICATION,
    ReplyKind.CONFIRMATION: Table3Leaf.NOT_HANDLED_CONFIRMATION,
    ReplyKind.EXCESSIVE: Table3Leaf.NOT_HANDLED_EXCESSIVE,
    ReplyKind.UNCLEAR_AFTER_CORRECTION: Table3Leaf.UNAVAILABLE_UNCLEAR_AFTER_CORRECTION,
    ReplyKind.OTHER: Table3Leaf.OTHER,
}
_WITHHELD: dict[WithholdingGround, Table3Leaf] = {
    WithholdingGround.STATE_SECRET: Table3Leaf.WITHHELD_STATE_SECRET,
    WithholdingGround.OTHER_LAW: Table3Leaf.WITHHELD_OTHER_LAW,
    WithholdingGround.THREE_SAFETIES: Table3Leaf.WITHHELD_THREE_SAFETIES,
    WithholdingGround.THIRD_PARTY: Table3Leaf.WITHHELD_THIRD_PARTY,
    WithholdingGround.INTERNAL_AFFAIRS: Table3Leaf.WITHHELD_INTERNAL_AFFAIRS,
    WithholdingGround.PROCESS_INFO: Table3Leaf.WITHHELD_PROCESS_INFO,
    WithholdingGround.ENFORCEMENT_FILE: Table3Leaf.WITHHELD_ENFORCEMENT_FILE,
    WithholdingGround.QUERY_MATTER: Table3Leaf.WITHHELD_QUERY_MATTER,
}
CLOSING_LEAVES: dict[Closing, Table3Leaf] = {
    Closing.NO_CORRECTION: Table3Leaf.OTHER_NO_CORRECTION,
    Closing.FEE_UNPAID: Table3Leaf.OTHER_FEE_UNPAID,
}


def reply_violations(reply: Reply) -> list[Violation]:
    """What the reply lacks or carries that its kind does not allow, each located by field."""
    problems: list[Violation] = []
    if (reply.kind is ReplyKind.WITHHELD) != (reply.ground is not None):
        message = "a withholding needs its ground" if reply.ground is None else "only a withholding has a ground"
        problems.append(Violation("$.ground", message))
    if reply.kind is ReplyKind.ALREADY_PUBLIC and not reply.where.strip():
        problems.append(Violation("$.where", "say where and how the published information can be obtained"))
    if reply.kind is ReplyKind.OTHER and not reply.note.strip():
        problems.append(Violation("$.note", "say what the reply was"))
    discloses = reply.kind in {ReplyKind.ALREADY_PUBLIC, ReplyKind.DISCLOSED, ReplyKind.PARTLY_DISCLOSED}
    if reply.published_item is not None and not discloses:
        problems.append(Violation("$.published_item", f"a {reply.kind} reply links no published item"))
    if reply.agency and reply.kind is not ReplyKind.NOT_THIS_AGENCY:
        problems.append(Violation("$.agency", "only a not-this-agency reply names another agency"))
    return problems


def reply_leaf(reply: Reply) -> Table3Leaf:
    """The one Table 3 row the reply counts under, or ``InvalidInput`` naming every field at fault."""
    problems = reply_violations(reply)
    if problems:
        raise InvalidInput(problems)
    if reply.ground is not None:
        return _WITHHELD[reply.ground]
    return _LEAVES[reply.kind]
