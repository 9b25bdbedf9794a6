"""Masking an applicant's personal data for lists and for everyone but the disclosure office.

``mask_name("张三") == "张*"``, ``mask_phone("13812345678") == "138****5678"``; identity proof
references keep only their last 4 characters, e-mail addresses their first letter and domain,
postal addresses their first 6 characters. Pure: the standard library only.
"""

from __future__ import annotations

import re

_ALNUM = re.compile(r"[0-9A-Za-z]{5,}")
_PHONE_LONG = 11
_ADDRESS_KEPT = 6
_KEPT_TAIL = 4


def mask_name(name: str) -> str:
    """The first character, then one ``*`` per further character (张三 → 张*, 欧阳娜娜 → 欧***)."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile number; the last 4 of anything shorter."""
    digits = phone.strip()
    if len(digits) >= _PHONE_LONG:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) > _KEPT_TAIL:
        return "*" * (len(digits) - _KEPT_TAIL) + digits[-_KEPT_TAIL:]
    return "*" * len(digits)


def mask_reference(reference: str) -> str:
    """An identity proof's reference with every long run of letters or digits masked but its last 4."""
    return _ALNUM.sub(lambda m: "*" * (len(m.group()) - _KEPT_TAIL) + m.group()[-_KEPT_TAIL:], reference.strip())


def mask_email(email: str) -> str:
    """The first letter and the domain (zhang@example.cn → z****@example.cn)."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_reference(email)
    return local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain


def mask_address(address: str) -> str:
    """The first 6 characters (province, city), then ``****``."""
    address = address.strip()
    return address[:_ADDRESS_KEPT] + "****" if len(address) > _ADDRESS_KEPT else "*" * len(address)
