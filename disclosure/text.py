"""Which characters text may carry: what XML 1.0 can hold, what a one-line field and a file name may hold.

Every public form of a document (Atom, RSS, JSON Feed, HTML pages) is built from these strings;
one character that XML 1.0 cannot carry would break every page it appears on, and a
bidirectional override (U+202E) can make ``invoice<U+202E>txt.exe`` read as ``invoiceexe.txt``. These checks run
at intake, before anything is stored, and again where stored text is rendered.
"""

from __future__ import annotations

import re
import unicodedata

# XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Bidirectional formatting characters (Unicode UAX #9): embeddings, overrides, isolates, marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# One-line fields (titles, names): no control character of any kind (C0, DEL, C1), no line or
# paragraph separator, no bidirectional formatting character, no XML-incompatible character.
_NOT_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI_CONTROLS)) + "\ufffe\uffff\ud800-\udfff]"
)
# Names that Windows reserves for devices, with or without an extension (CON, NUL.txt, COM1.pdf).
_DEVICE_NAMES = re.compile(r"CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$", re.IGNORECASE)
_FILE_NAME_RESERVED = frozenset('<>:"/\\|?*')
MAX_FILE_NAME_BYTES = 255


def describe(char: str) -> str:
    """A character as people can read it in an error message: U+202E (RIGHT-TO-LEFT OVERRIDE)."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "a control character")
    return f"U+{ord(char):04X} ({name})"


_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x00": "NULL", "\x7f": "DELETE"}


def xml_problem(text: str) -> str | None:
    """Why XML 1.0 cannot carry the text (the first bad character), or None."""
    found = _NOT_XML.search(text)
    if found is None:
        return None
    return f"contains {describe(found.group())} at position {found.start()}, which XML 1.0 cannot carry"


def public_text_problem(text: str) -> str | None:
    """Why a multi-line text shown to the public (a withdrawal reason, a note) cannot be, or None:
    a character XML 1.0 cannot carry, or a bidirectional formatting character."""
    bidi = next((c for c in text if c in BIDI_CONTROLS), None)
    if bidi is not None:
        return f"contains {describe(bidi)}, a bidirectional formatting character"
    return xml_problem(text)


def line_problem(text: str) -> str | None:
    """Why the text cannot be a one-line field (title, name, number), or None."""
    found = _NOT_LINE.search(text)
    if found is None:
        return None
    char = found.group()
    what = "a bidirectional formatting character" if char in BIDI_CONTROLS else "a control character"
    return f"contains {describe(char)} at position {found.start()}, {what} not allowed here"


def file_name_problem(name: str) -> str | None:
    """Why the name cannot be served and saved safely on every common platform, or None.

    Refused: control and bidirectional characters (an extension can be spoofed with U+202E),
    characters Windows reserves, a drive or stream prefix (``c:evil.txt``), device names
    (``CON``, ``NUL.txt``, ``COM1.pdf``), a leading or trailing space, a leading or trailing dot
    (``.``, ``..``, hidden files), names of only spaces, names longer than 255 bytes in UTF-8, and
    names not in NFC (they would look like another name).
    """
    problem = line_problem(name)
    if problem is not None:
        return problem
    reserved = sorted({c for c in name if c in _FILE_NAME_RESERVED})
    if reserved:
        return "contains " + " ".join(repr(c) for c in reserved) + ", reserved in file names"
    checks = (
        (not name.strip(), "must not be blank"),
        (name != name.strip(" "), "must not begin or end with a space"),
        (name.startswith(".") or name.endswith("."), "must not begin or end with a dot"),
        (
            _DEVICE_NAMES.fullmatch(name.split(".", 1)[0].rstrip(" ")) is not None,  # Windows ignores the rest
            "is a device name reserved by Windows (CON, PRN, AUX, NUL, COM1–9, LPT1–9)",
        ),
        (len(name.encode("utf-8")) > MAX_FILE_NAME_BYTES, f"is longer than {MAX_FILE_NAME_BYTES} bytes in UTF-8"),
        (
            unicodedata.normalize("NFC", name) != name,
            "is not in Unicode normal form NFC (it would look like another name)",
        ),
    )
    return next((message for failed, message in checks if failed), None)


def name_key(name: str) -> str:
    """What makes two file names the same on a case-insensitive file system: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", name).casefold()
