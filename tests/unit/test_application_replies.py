"""Every reply counts under exactly one Table 3 row, every row is reachable, and what a kind needs is checked."""

from __future__ import annotations

import pytest

from disclosure.application_replies import (
    CLOSING_LEAVES,
    Reply,
    ReplyKind,
    WithholdingGround,
    reply_leaf,
)
from disclosure.errors import InvalidInput
from disclosure.report_rows import Table3Leaf


def valid(kind: ReplyKind, ground: WithholdingGround | None = None) -> Reply:
    return Reply(kind, ground=ground, where="本机关门户网站政府信息公开专栏" if kind is ReplyKind.ALREADY_PUBLIC else "",
                 note="移送有关机关" if kind is ReplyKind.OTHER else "")  # fmt: skip


def every_valid_reply() -> list[Reply]:
    replies = [valid(kind) for kind in ReplyKind if kind is not ReplyKind.WITHHELD]
    return replies + [valid(ReplyKind.WITHHELD, ground) for ground in WithholdingGround]


def test_every_leaf_is_reached_by_a_reply_or_a_closing() -> None:
    reached = {reply_leaf(reply) for reply in every_valid_reply()} | set(CLOSING_LEAVES.values())
    assert reached == set(Table3Leaf)


def test_each_ground_of_withholding_has_its_own_row() -> None:
    rows = [reply_leaf(valid(ReplyKind.WITHHELD, ground)) for ground in WithholdingGround]
    assert len(set(rows)) == len(WithholdingGround)
    assert all(row.group == "（三）不予公开" for row in rows)


def test_a_partly_disclosed_reply_counts_only_under_its_own_row() -> None:
    assert reply_leaf(Reply(ReplyKind.PARTLY_DISCLOSED, published_item="000014349/2026-00001")) is (
        Table3Leaf.PARTLY_DISCLOSED
    )


@pytest.mark.parametrize(
    ("reply", "path"),
    [
        (Reply(ReplyKind.WITHHELD), "$.ground"),
        (Reply(ReplyKind.DISCLOSED, ground=WithholdingGround.STATE_SECRET), "$.ground"),
        (Reply(ReplyKind.ALREADY_PUBLIC, where="  "), "$.where"),
        (Reply(ReplyKind.OTHER), "$.note"),
        (Reply(ReplyKind.REPEATED, published_item="000014349/2026-00001"), "$.published_item"),
        (Reply(ReplyKind.DISCLOSED, agency="某某局"), "$.agency"),
    ],
)
def test_what_a_kind_needs_is_checked_naming_the_field(reply: Reply, path: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        reply_leaf(reply)
    assert [v.path for v in refused.value.violations] == [path]


def test_not_this_agency_may_name_the_agency_that_holds_it() -> None:
    assert (
        reply_leaf(Reply(ReplyKind.NOT_THIS_AGENCY, agency="杭州市自然资源和规划局")) is Table3Leaf.UNAVAILABLE_NOT_HELD
    )
