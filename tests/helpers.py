"""Helpers shared by tests: take a version through its whole review chain."""

from disclosure.attributes import DisclosureAttribute
from disclosure.review import Decision, DecisionRequest

REVIEWERS = {"初审": "reviewer1", "复审": "reviewer2", "保密审查": "secrecy", "终审": "leader"}


def review_through(service, doc, version, *, attribute=DisclosureAttribute.PROACTIVE, ground=None):
    """Begin, screen and approve every level of the sample chains; the last confirms ``attribute``."""
    service.begin(doc, version, f"run-{doc[:20]}-{version}")
    view = service.screen(doc, version)
    for position, level in enumerate(view.levels):
        last = position == len(view.levels) - 1
        request = DecisionRequest(Decision.APPROVE, REVIEWERS[level.name], "同意",
                                  confirmed_attribute=attribute if last else None,
                                  confirmed_ground=ground if last else None)  # fmt: skip
        service.decide(doc, request, via="cli")
