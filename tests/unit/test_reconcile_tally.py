"""The reconciler's per-item handling: one item's failure is logged with its id, counted, and stops nothing."""

import logging

from services.reconcile_tally import ItemOutcome, Tally


def test_a_failing_item_is_logged_counted_and_the_others_still_run(caplog):
    logger = logging.getLogger("test.reconcile")
    tally = Tally(logger)
    seen = []

    def handle(item):
        if item == "broken":
            raise LookupError("flow run 1234 not found\nsecond line")
        seen.append(item)
        return ItemOutcome.NEEDS_ATTENTION if item == "parked" else ItemOutcome.HANDLED

    with caplog.at_level(logging.WARNING, logger="test.reconcile"):
        tally.each("voided", ["a", "broken", "parked", "b"], handle, name=lambda item: f"doc-{item}")
        tally.one("feeds", "feeds", lambda: ItemOutcome.HANDLED)
    assert seen == ["a", "parked", "b"]
    count = tally.report.steps["voided"]
    assert (count.handled, count.failed, count.needs_attention) == (2, 1, 1)
    assert tally.report.steps["feeds"].handled == 1
    assert tally.report.failed == 1
    assert tally.report.failures == ["voided doc-broken: LookupError: flow run 1234 not found"]
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "doc-broken" in record.getMessage()
    assert record.exc_info is not None  # the traceback goes with it
    assert record.item == "doc-broken"
    assert tally.report.summary().startswith("1 failed, 1 need attention")


def test_a_listing_that_fails_counts_once_and_yields_nothing(caplog):
    tally = Tally(logging.getLogger("test.reconcile"))

    def unreadable():
        raise ConnectionError("database is locked")

    with caplog.at_level(logging.WARNING, logger="test.reconcile"):
        assert tally.listed("publish", unreadable, what="(releases waiting)") == []
        assert tally.listed("start", lambda: [1, 2]) == [1, 2]
    assert tally.report.steps["publish"].failed == 1
    assert (tally.report.steps["start"].handled, tally.report.steps["start"].failed) == (0, 0)  # items count, not lists
    assert "(releases waiting)" in caplog.records[0].getMessage()
