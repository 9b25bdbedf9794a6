"""Text as reviewers see it: what screening found, masked wherever the text is shown (the public
rendering, a finding's context, the difference between versions), and differences between versions
at the level of lines, then characters (Chinese has no spaces to split words on). Pure: no I/O."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from pydantic import BaseModel

from disclosure.screening import Detector

# Detectors whose value is personal data: shown only masked. The others (secrecy markings, negative-list
# terms) report the words themselves, which reviewers need to read.
SECRET = frozenset({Detector.RESIDENT_ID, Detector.RESIDENT_ID_15, Detector.MOBILE, Detector.BANK_CARD})
_SEPARATORS = frozenset(" -")
_CHAR_DIFF_LIMIT = 6000  # characters in a changed block above which it is shown as removed + added
_CONTEXT_LINES = 2
_TAG = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*>)""")
_UNIT = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.DOTALL)


class Piece(BaseModel):
    """A run of text: unchanged, inserted, deleted, a marked finding, or a gap of unchanged lines."""

    kind: Literal["same", "ins", "del", "mark", "focus", "gap"]  # focus: the finding a context is shown for
    text: str


@dataclass(frozen=True, slots=True)
class Span:
    """Where screening found something in a text, and its masked preview."""

    start: int
    end: int
    detector: str
    masked: str

    @property
    def secret(self) -> bool:
        """Whether the value itself must never be shown."""
        return self.detector in SECRET


def positional_mask(raw: str, masked: str) -> str:
    """The raw value with each character replaced by the masked preview's (separators kept), so
    the text keeps its length and every offset into it stays true."""
    out, index = [], 0
    for char in raw:
        if char in _SEPARATORS:
            out.append(char)
            continue
        out.append(masked[index] if index < len(masked) else "*")
        index += 1
    return "".join(out)


def _matches(raw: str, masked: str) -> bool:
    """Whether a stored span still points at the value it masked (the kept characters agree)."""
    compact = [c for c in raw if c not in _SEPARATORS]
    return len(compact) == len(masked) and all(m in {"*", c} for c, m in zip(compact, masked, strict=True))


@dataclass(frozen=True, slots=True)
class MaskedText:
    """A text with every secret value masked (same length as the original), and the spans to mark."""

    text: str
    marks: tuple[tuple[int, int], ...]
    secrets: dict[str, str]  # raw value → its positional mask (never shown; for masking other renderings)

    def pieces(self, start: int = 0, end: int | None = None, *, focus: tuple[int, int] | None = None) -> list[Piece]:
        """The text between two offsets as plain and marked runs (the mark holding ``focus`` apart)."""
        stop = len(self.text) if end is None else min(end, len(self.text))
        out: list[Piece] = []
        cursor = max(start, 0)
        for mark_start, mark_end in self.marks:
            if mark_end <= cursor or mark_start >= stop:
                continue
            if mark_start > cursor:
                out.append(Piece(kind="same", text=self.text[cursor:mark_start]))
            focused = focus is not None and mark_start <= focus[0] < mark_end
            out.append(Piece(kind="focus" if focused else "mark",
                             text=self.text[max(mark_start, cursor) : min(mark_end, stop)]))  # fmt: skip
            cursor = min(mark_end, stop)
        if cursor < stop:
            out.append(Piece(kind="same", text=self.text[cursor:stop]))
        return out


def mask_text(text: str, spans: Iterable[Span], *, extra_secrets: dict[str, str] | None = None) -> MaskedText:
    """Mask every secret value the spans locate — and every other occurrence of the same value —
    and mark every span. Stale spans (pointing elsewhere than their value) are ignored."""
    secrets = dict(extra_secrets or {})
    marks: list[tuple[int, int]] = []
    for span in spans:
        if not 0 <= span.start < span.end <= len(text):
            continue
        raw = text[span.start : span.end]
        if span.secret:
            if not _matches(raw, span.masked):
                continue
            secrets[raw] = positional_mask(raw, span.masked)
        marks.append((span.start, span.end))
    chars = list(text)
    for raw, hidden in sorted(secrets.items(), key=lambda item: -len(item[0])):
        for position in _occurrences(text, raw):
            chars[position : position + len(raw)] = hidden
            marks.append((position, position + len(raw)))
    return MaskedText("".join(chars), _merge(marks), secrets)


def _occurrences(text: str, value: str) -> Iterator[int]:
    position = text.find(value) if value else -1
    while position != -1:
        yield position
        position = text.find(value, position + 1)


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def mask_html(markup: str, replacements: dict[str, str]) -> str:
    """Sanitised HTML with each value replaced (raw → shown, same length) inside text nodes and
    wrapped in ``<mark class="finding">``; a secret left anywhere else (an attribute) is replaced as
    plain text. ``markup`` is serialised, well-formed HTML (nh3's output), so tags are told from text
    by the regex; the replacements hold digits, separators, ``X`` and ``*`` only where secret."""
    parts = _TAG.split(markup)
    nodes = [[m.group() for m in _UNIT.finditer(part)] for part in parts[0::2]]  # text nodes, as units
    owner: list[tuple[int, int]] = []  # (node, unit) of each character of the text nodes joined
    flat = []
    for n, units in enumerate(nodes):
        for u, unit in enumerate(units):
            decoded = html.unescape(unit) if unit.startswith("&") else unit
            flat.append(decoded)
            owner.extend([(n, u)] * len(decoded))
    shown = _replace("".join(flat), replacements)
    rebuilt: dict[tuple[int, int], str] = {}
    for index, char in shown.items():
        rebuilt[owner[index]] = rebuilt.get(owner[index], "") + char
    out = []
    for n, units in enumerate(nodes):
        out.append(_marked_node(units, {u: text for (m, u), text in rebuilt.items() if m == n}))
        if 2 * n + 1 < len(parts):
            out.append(parts[2 * n + 1])
    result = "".join(out)
    for raw, replacement in replacements.items():
        if raw != replacement:
            result = result.replace(raw, replacement)
    return result


def _replace(text: str, replacements: dict[str, str]) -> dict[int, str]:
    """Offset → shown character of every character a replacement covers (longest values first)."""
    shown: dict[int, str] = {}
    for raw, replacement in sorted(replacements.items(), key=lambda item: -len(item[0])):
        for position in _occurrences(text, raw):
            if any(p in shown for p in range(position, position + len(raw))):
                continue
            shown.update(zip(range(position, position + len(raw)), replacement, strict=True))
    return shown


def _marked_node(units: list[str], replaced: dict[int, str]) -> str:
    """One text node with its replaced units escaped inside ``<mark>``, the rest as they were."""
    out, open_mark = [], False
    for u, unit in enumerate(units):
        if (u in replaced) != open_mark:
            out.append("</mark>" if open_mark else '<mark class="finding">')
            open_mark = not open_mark
        out.append(html.escape(replaced[u], quote=False) if u in replaced else unit)
    if open_mark:
        out.append("</mark>")
    return "".join(out)


# -- differences -------------------------------------------------------------------------------
def diff_text(old: str, new: str, *, context: int = _CONTEXT_LINES) -> list[Piece]:
    """What changed from old to new: line blocks first, then characters inside a changed block;
    long unchanged stretches are folded into a gap naming how many lines they hold."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    opcodes = SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    pieces: list[Piece] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            pieces.extend(_fold(old_lines[i1:i2], first=index == 0, last=index == len(opcodes) - 1, context=context))
        elif tag == "replace":
            pieces.extend(diff_chars("".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])))
        elif tag == "delete":
            pieces.append(Piece(kind="del", text="".join(old_lines[i1:i2])))
        else:
            pieces.append(Piece(kind="ins", text="".join(new_lines[j1:j2])))
    return _coalesce(pieces)


def diff_chars(old: str, new: str) -> list[Piece]:
    """Character-level difference of two short texts; one-character islands of sameness are folded
    into the change around them so a rewritten phrase reads as one deletion and one insertion."""
    if len(old) + len(new) > _CHAR_DIFF_LIMIT:
        return _coalesce([Piece(kind="del", text=old), Piece(kind="ins", text=new)])
    opcodes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    pieces: list[Piece] = []
    pending_del: list[str] = []
    pending_ins: list[str] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        island = tag == "equal" and i2 - i1 <= 1 and 0 < index < len(opcodes) - 1
        if tag == "equal" and not island:
            pieces.extend(_flush(pending_del, pending_ins))
            pieces.append(Piece(kind="same", text=old[i1:i2]))
            continue
        pending_del.append(old[i1:i2])
        pending_ins.append(new[j1:j2])
    pieces.extend(_flush(pending_del, pending_ins))
    return _coalesce(pieces)


def _flush(deleted: list[str], inserted: list[str]) -> list[Piece]:
    out = []
    if text := "".join(deleted):
        out.append(Piece(kind="del", text=text))
    if text := "".join(inserted):
        out.append(Piece(kind="ins", text=text))
    deleted.clear()
    inserted.clear()
    return out


def _fold(lines: list[str], *, first: bool, last: bool, context: int) -> list[Piece]:
    head = [] if first else lines[:context]
    tail = [] if last else lines[-context:] if context else []
    if len(lines) <= len(head) + len(tail) + 1:
        return [Piece(kind="same", text="".join(lines))]
    hidden = len(lines) - len(head) - len(tail)
    out = [Piece(kind="same", text="".join(head))] if head else []
    out.append(Piece(kind="gap", text=str(hidden)))
    if tail:
        out.append(Piece(kind="same", text="".join(tail)))
    return out


def _coalesce(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if out and out[-1].kind == piece.kind and piece.kind != "gap":
            out[-1] = Piece(kind=piece.kind, text=out[-1].text + piece.text)
        else:
            out.append(piece)
    return out
