"""The release rules in the pure core: what goes out now, and when a policy waits for its interpretation."""

from disclosure.attributes import DisclosureAttribute as A
from disclosure.publication import ItemFacts, ReleaseMode, plan_release
from disclosure.states import DocumentState as S


def item(doc, state=S.APPROVED, attribute=A.PROACTIVE, current=1, published=None):
    return ItemFacts(doc, state, attribute, current, published)


def test_a_policy_needing_an_interpretation_waits_for_it_together():
    plan = plan_release(item("p"), [], interpretation_required=True, mode=ReleaseMode.TOGETHER)
    assert plan.members == ()
    assert plan.waiting_for_interpretation
    with_one = plan_release(item("p"), [item("i")], interpretation_required=True, mode=ReleaseMode.TOGETHER)
    assert with_one.members == (("p", 1), ("i", 1))
    assert not with_one.waiting_for_interpretation


def test_policy_first_publishes_the_policy_alone():
    plan = plan_release(item("p"), [], interpretation_required=True, mode=ReleaseMode.POLICY_FIRST)
    assert plan.members == (("p", 1),)


def test_an_interpretation_never_goes_out_before_its_policy():
    plan = plan_release(
        item("p", state=S.IN_REVIEW), [item("i")], interpretation_required=True, mode=ReleaseMode.POLICY_FIRST
    )
    assert plan.members == ()
    assert not plan.waiting_for_interpretation
    assert "not approved" in plan.reason
    later = plan_release(
        item("p", state=S.PUBLISHED, published=1),
        [item("i")],
        interpretation_required=True,
        mode=ReleaseMode.POLICY_FIRST,
    )
    assert later.members == (("i", 1),)


def test_non_proactive_and_already_published_versions_do_not_go_out():
    for attribute in (A.ON_APPLICATION, A.WITHHELD):
        plan = plan_release(
            item("p", attribute=attribute), [], interpretation_required=False, mode=ReleaseMode.TOGETHER
        )
        assert plan.members == ()
        assert "never public" in plan.reason
    done = plan_release(
        item("p", state=S.PUBLISHED, published=1), [], interpretation_required=False, mode=ReleaseMode.TOGETHER
    )
    assert done.members == ()
    assert done.reason == "already published"
    correction = plan_release(
        item("p", current=2, published=1), [], interpretation_required=False, mode=ReleaseMode.TOGETHER
    )
    assert correction.members == (("p", 2),)
