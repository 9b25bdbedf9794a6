"""The screener: one pass per detector family over each segment, findings located and masked.

Digits are found with one regex for runs of digits (with spaces or dashes), then classified:
an 18-character valid resident ID, a 15-digit legacy ID, an 11-digit mobile number, or a
16–19-digit Luhn-valid card. Negative-list terms are matched with one Aho-Corasick automaton.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from disclosure.screening.findings import Detector, Finding, Segment
from disclosure.screening.identifiers import (
    is_legacy_resident_id,
    is_resident_id,
    luhn_valid,
    mask,
)

# A run of digits, possibly grouped by spaces or dashes, possibly ending in X (IDs). Kept simple
# so the regex engine runs fast; the boundary checks happen in Python, only for the runs found.
_DIGIT_RUN = re.compile(r"[0-9](?:[0-9]|[ -](?=[0-9])){9,}[0-9Xx]?", re.ASCII)
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SECRECY_CANDIDATE = re.compile("绝密|机密|秘密|内部")
_MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_SECRECY = re.compile(
    r"(?P<level>绝密|机密|秘密)\s*★\s*(?P<term>[0-9]+\s*年|长期)?"
    r"|^[ \t　]*[【〔（(\[]?(?P<alone>绝密|机密|秘密|工作秘密|内部|内部资料|内部文件)[】〕）)\]]?"
    r"(?:[ \t　]*(?:[0-9]+年|长期))?[ \t　]*$",
    re.MULTILINE,
)
_MOBILE_LENGTH = 11
_ID_LENGTH = 18
_LEGACY_ID_LENGTH = 15
_CARD_LENGTHS = range(16, 20)


@dataclass(frozen=True, slots=True)
class NegativeTerm:
    """A negative-list entry: a term that must not be disclosed, and the legal ground for it."""

    term: str
    ground: str


class TermMatcher(Protocol):
    """Finds negative-list terms in a text."""

    def find(self, text: str) -> Iterator[tuple[int, int, NegativeTerm]]:
        """Non-overlapping leftmost-longest matches as (start, end, entry), in text order."""


class Screener:
    """Screens segments of text. Build once per agency; reuse for every document."""

    def __init__(
        self,
        *,
        allowed_numbers: Iterable[str] = (),
        terms: TermMatcher | None = None,
        today: date,
    ) -> None:
        self._allowed = frozenset(re.sub(r"[^0-9]", "", n) for n in allowed_numbers)
        self._terms = terms
        self._today = today

    def screen(self, segments: Iterable[Segment]) -> list[Finding]:
        """Every finding in the segments, in order of appearance."""
        findings: list[Finding] = []
        for segment in segments:
            findings.extend(self._screen_segment(segment))
        return sorted(findings, key=lambda f: (f.source, f.location.get("start", 0)))

    def _screen_segment(self, segment: Segment) -> Iterator[Finding]:
        text = segment.text
        lines = _LineIndex(text)
        size = len(text)
        for match in _DIGIT_RUN.finditer(text):
            start, end = match.span()
            if (start and text[start - 1] in _ALNUM) or (end < size and text[end] in _ALNUM):
                continue  # part of a code such as a unified social credit code
            yield from self._classify(match.group(), start, segment, lines)
        yield from _markings(text, segment, lines)
        if self._terms is not None:
            for start, end, entry in self._terms.find(text):
                where = _where(segment, lines, start, end)
                yield Finding(Detector.NEGATIVE_TERM, segment.source, where, entry.term, entry.ground)

    def _classify(self, run: str, start: int, segment: Segment, lines: _LineIndex) -> Iterator[Finding]:
        compact = run.replace(" ", "").replace("-", "")
        end = start + len(run)
        if len(compact) == _ID_LENGTH and is_resident_id(compact, today=self._today):
            yield Finding(Detector.RESIDENT_ID, segment.source, _where(segment, lines, start, end),
                          mask(compact, keep_start=2, keep_end=3))  # fmt: skip
            return
        if not compact.isdigit():
            return
        if len(compact) == _LEGACY_ID_LENGTH and is_legacy_resident_id(compact, today=self._today):
            yield Finding(Detector.RESIDENT_ID_15, segment.source, _where(segment, lines, start, end),
                          mask(compact, keep_start=2, keep_end=3))  # fmt: skip
            return
        if len(compact) in _CARD_LENGTHS and luhn_valid(compact):
            yield Finding(Detector.BANK_CARD, segment.source, _where(segment, lines, start, end),
                          mask(compact, keep_start=4, keep_end=4))  # fmt: skip
            return
        if len(compact) == _MOBILE_LENGTH and _MOBILE.fullmatch(compact):
            if compact not in self._allowed:
                yield Finding(Detector.MOBILE, segment.source, _where(segment, lines, start, end),
                              mask(compact, keep_start=3, keep_end=4))  # fmt: skip
            return
        # Not one identifier: numbers that merely sit next to each other ("2020 13912345678").
        if compact != run:
            offset = start
            for part in re.split(r"([ -])", run):
                if part not in {" ", "-", ""}:
                    yield from self._classify_part(part, offset, segment, lines)
                offset += len(part)

    def _classify_part(self, part: str, start: int, segment: Segment, lines: _LineIndex) -> Iterator[Finding]:
        yield from self._classify(part, start, segment, lines)


def _markings(text: str, segment: Segment, lines: _LineIndex) -> Iterator[Finding]:
    """Secrecy markings, checked line by line where a candidate word appears."""
    seen: set[int] = set()
    for candidate in _SECRECY_CANDIDATE.finditer(text):
        line_start = text.rfind("\n", 0, candidate.start()) + 1
        if line_start in seen:
            continue
        seen.add(line_start)
        line_end = text.find("\n", candidate.start())
        line = text[line_start : line_end if line_end != -1 else len(text)]
        for match in _SECRECY.finditer(line):
            level = match["level"] or match["alone"]
            where = _where(segment, lines, line_start + match.start(), line_start + match.end())
            yield Finding(Detector.SECRECY_MARKING, segment.source, where, match.group().strip(), f"密级/标识：{level}")


class _LineIndex:
    """Line and column of an offset, counted only when something is found (and incrementally)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1
        self._line_start = 0

    def locate(self, offset: int) -> tuple[int, int]:
        if offset < self._offset:  # a later detector pass starts again from the top
            self._offset, self._line, self._line_start = 0, 1, 0
        self._line += self._text.count("\n", self._offset, offset)
        if self._line > 1:
            self._line_start = max(self._line_start, self._text.rfind("\n", 0, offset) + 1)
        self._offset = offset
        return self._line, offset - self._line_start + 1


def _where(segment: Segment, lines: _LineIndex, start: int, end: int) -> dict[str, Any]:
    line, column = lines.locate(start)
    return {**segment.location, "line": line, "column": column, "start": start, "end": end}
