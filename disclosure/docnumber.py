"""发文字号 (document numbers, GB/T 9704-2012): parse and normalise.

The canonical form is issuer code + year in 〔〕 + serial without leading zeros + 号, for example
浙政办发〔2020〕20号. Real text also writes the year in [] or （） (or ASCII ()); those are
accepted and normalised to 〔〕. Decrees are numbered with 第: 国务院令第711号.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BRACKETS = "〔〕[]［］()（）【】"
_YEAR_FORM = re.compile(
    r"^(?P<issuer>[^\s〔〕\[\]［］()（）【】第]{1,30}?)\s*"
    r"[〔\[［(（【]\s*(?P<year>\d{4})\s*[〕\]］)）】]\s*"
    r"(?P<serial>\d{1,8})\s*号$"
)
_DECREE_FORM = re.compile(r"^(?P<issuer>[^\s〔〕\[\]()（）第]{1,30}?)第\s*(?P<serial>\d{1,8})\s*号$")
_OPEN_CLOSE = {"〔": "〕", "[": "]", "［": "］", "(": ")", "（": "）", "【": "】"}


@dataclass(frozen=True, slots=True)
class DocumentNumber:
    """A parsed 发文字号; ``year`` is None for decree numbers (第N号)."""

    issuer: str
    year: int | None
    serial: int

    def __str__(self) -> str:
        if self.year is None:
            return f"{self.issuer}第{self.serial}号"
        return f"{self.issuer}〔{self.year}〕{self.serial}号"


class DocumentNumberError(ValueError):
    """The text is not a 发文字号."""


def parse_document_number(text: str) -> DocumentNumber:
    """Parse a 发文字号 in any accepted bracket form; raise DocumentNumberError with the reason."""
    stripped = text.strip()
    match = _YEAR_FORM.match(stripped)
    if match:
        opening = next(ch for ch in stripped if ch in _OPEN_CLOSE)
        closing = next(ch for ch in stripped if ch in _BRACKETS and ch not in _OPEN_CLOSE)
        if _OPEN_CLOSE[opening] != closing:
            raise DocumentNumberError(f"the year's brackets do not match: {opening}…{closing}")
        year = int(match["year"])
        if not 1949 <= year <= 2999:  # noqa: PLR2004 - the People's Republic's documents
            raise DocumentNumberError(f"year {year} is out of range")
        serial = int(match["serial"])
        if serial == 0:
            raise DocumentNumberError("the serial number must be at least 1")
        return DocumentNumber(issuer=match["issuer"], year=year, serial=serial)
    match = _DECREE_FORM.match(stripped)
    if match:
        serial = int(match["serial"])
        if serial == 0:
            raise DocumentNumberError("the serial number must be at least 1")
        return DocumentNumber(issuer=match["issuer"], year=None, serial=serial)
    raise DocumentNumberError(
        "expected issuer code, year in 〔〕 (or [], （）) and serial + 号, e.g. 浙政办发〔2020〕20号"
    )


def normalise_document_number(text: str) -> str:
    """The canonical spelling of a 发文字号 (year in 〔〕, no leading zeros, no spaces)."""
    return str(parse_document_number(text))
