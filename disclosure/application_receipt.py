"""The day an application counts as received (Art. 31), which starts the reply clock.

Each intake channel names the one date that fixes receipt: handed in (in person), signed for
(registered post), or confirmed with the applicant (an ordinary letter, online, fax). A
registration must give that date. Pure: stdlib and ``disclosure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from disclosure.errors import InvalidInput, Violation


class IntakeChannel(StrEnum):
    """How the application reached the agency."""

    IN_PERSON = "in_person"  # 当面提交
    REGISTERED_POST = "registered_post"  # 以邮政方式提交，需签收
    ORDINARY_LETTER = "ordinary_letter"  # 平常信函等无需签收的邮寄方式
    ONLINE = "online"  # 通过互联网渠道
    FAX = "fax"  # 传真


@dataclass(frozen=True, slots=True)
class ReceiptDates:
    """The dates a registration gives; which one counts depends on the channel."""

    handed_in_on: date | None = None
    signed_for_on: date | None = None
    confirmed_on: date | None = None  # the disclosure office and the applicant confirmed the application


_ONLINE_OR_FAX = (
    "申请人通过互联网渠道或者政府信息公开工作机构的传真提交政府信息公开申请的，以双方确认之日为收到申请之日"
)
_ORDINARY_LETTER = (
    "以平常信函等无需签收的邮寄方式提交政府信息公开申请的，政府信息公开工作机构应当于收到申请的当日与申请人确认，"
    "确认之日为收到申请之日"
)
# channel → (the field that fixes receipt, the words of Art. 31)
RECEIPT_RULES: dict[IntakeChannel, tuple[str, str]] = {
    IntakeChannel.IN_PERSON: ("handed_in_on", "申请人当面提交政府信息公开申请的，以提交之日为收到申请之日"),
    IntakeChannel.REGISTERED_POST: (
        "signed_for_on", "申请人以邮寄方式提交政府信息公开申请的，以行政机关签收之日为收到申请之日"),
    IntakeChannel.ORDINARY_LETTER: ("confirmed_on", _ORDINARY_LETTER),
    IntakeChannel.ONLINE: ("confirmed_on", _ONLINE_OR_FAX),
    IntakeChannel.FAX: ("confirmed_on", _ONLINE_OR_FAX),
}  # fmt: skip


def receipt_date(channel: IntakeChannel, dates: ReceiptDates, *, today: date, path: str = "$.received") -> date:
    """The day of receipt for ``channel``, or ``InvalidInput`` naming the date the channel needs."""
    field, words = RECEIPT_RULES[channel]
    chosen: date | None = getattr(dates, field)
    if chosen is None:
        raise InvalidInput([Violation(f"{path}.{field}", f"an application by {channel} is received on this date "
                                                          f"(Art. 31: {words})")])  # fmt: skip
    if chosen > today:
        raise InvalidInput([Violation(f"{path}.{field}", f"{chosen.isoformat()} is after today ({today.isoformat()})")])
    return chosen
