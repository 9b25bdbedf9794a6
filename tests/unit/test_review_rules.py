import pytest

from disclosure.attributes import DisclosureAttribute, Role
from disclosure.errors import RuleViolation
from disclosure.review import (
    Decision,
    DecisionRequest,
    Grade,
    Level,
    ReviewSituation,
    ReviewState,
    check_decision,
    effective_grade,
    select_chain,
)

CHAINS = [
    {"category": "*", "grade": "ordinary", "levels": [{"name": "初审"}, {"name": "终审"}]},
    {"category": "*", "grade": "sensitive", "levels": [{"name": "初审"}, {"name": "保密审查"}, {"name": "终审"}]},
    {"category": "财政", "grade": "ordinary", "levels": [{"name": "初审"}, {"name": "复审"}, {"name": "终审"}]},
]


def situation(**overrides):
    values = {
        "state": ReviewState.WAITING, "level": Level("初审"), "is_last_level": False, "drafter": "drafter",
        "reviewer_roles": frozenset({(Role.REVIEWER, "初审")}), "reviewer_active": True,
        "already_decided": False, "content_matches": True,
    }  # fmt: skip
    return ReviewSituation(**{**values, **overrides})


def test_chain_selection_prefers_the_category_and_never_loosens():
    assert [lv.name for lv in select_chain(CHAINS, category="财政", grade=Grade.ORDINARY)] == ["初审", "复审", "终审"]
    assert len(select_chain(CHAINS, category="教育", grade=Grade.ORDINARY)) == 2
    # no "important" chain: the stricter sensitive one applies
    assert len(select_chain(CHAINS, category="教育", grade=Grade.IMPORTANT)) == 3
    assert effective_grade(Grade.ORDINARY, has_findings=True) is Grade.SENSITIVE
    with pytest.raises(RuleViolation):
        select_chain([], category="x", grade=Grade.ORDINARY)


@pytest.mark.parametrize(
    ("request_", "overrides", "message"),
    [
        (DecisionRequest(Decision.APPROVE, "drafter"), {}, "drafter may not review"),
        (DecisionRequest(Decision.APPROVE, "r"), {"reviewer_roles": frozenset()}, "does not hold"),
        (DecisionRequest(Decision.APPROVE, "r"), {"already_decided": True}, "already been decided"),
        (DecisionRequest(Decision.APPROVE, "r"), {"state": ReviewState.APPROVED}, "not waiting"),
        (DecisionRequest(Decision.APPROVE, "r"), {"content_matches": False}, "content changed"),
        (DecisionRequest(Decision.APPROVE, "r"), {"reviewer_active": False}, "not an active user"),
        (DecisionRequest(Decision.REJECT, "r"), {}, "needs a comment"),
        (DecisionRequest(Decision.APPROVE, "r"), {"is_last_level": True}, "confirm the disclosure attribute"),
        (
            DecisionRequest(Decision.APPROVE, "r", confirmed_attribute=DisclosureAttribute.WITHHELD),
            {"is_last_level": True},
            "legal ground",
        ),
    ],
)
def test_each_rule_refuses_with_its_reason(request_, overrides, message):
    with pytest.raises(RuleViolation, match=message):
        check_decision(request_, situation(**overrides))


def test_a_proper_decision_passes():
    check_decision(DecisionRequest(Decision.APPROVE, "r"), situation())
    check_decision(
        DecisionRequest(Decision.APPROVE, "r", confirmed_attribute=DisclosureAttribute.PROACTIVE),
        situation(is_last_level=True),
    )


def test_approving_with_unscreened_files_needs_an_acknowledgement():
    unread = situation(unscreened=("公示.doc", "扫描件.png"))
    with pytest.raises(
        RuleViolation, match=r"screening could not read 公示.doc, 扫描件.png: .*--acknowledge-unscreened"
    ):
        check_decision(DecisionRequest(Decision.APPROVE, "r", "同意"), unread)
    with pytest.raises(RuleViolation, match="screening could not read"):  # naming only one is not enough
        check_decision(DecisionRequest(Decision.APPROVE, "r", "已人工核对公示.doc"), unread)
    check_decision(DecisionRequest(Decision.APPROVE, "r", "同意", acknowledge_unscreened=True), unread)
    check_decision(DecisionRequest(Decision.APPROVE, "r", "已人工核对公示.doc和扫描件.png，无个人信息"), unread)
    check_decision(DecisionRequest(Decision.RETURN, "r", "请提供可读的附件"), unread)  # only approval needs it
