"""Plain text and HTML: decoded in process (their size is their file's size)."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"})


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Visible text of an HTML fragment, one line per block."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, the encodings Chinese agencies' files use."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


# Types a browser runs script in when it opens the file, or that load as script, besides every XML
# type (``*/xml``, ``*+xml``: XHTML, SVG, XSLT, MathML… — is_active): an attachment declared as one is
# served as the text it is, never run.
ACTIVE_MEDIA_TYPES = frozenset({
    "text/html", "text/xsl", "text/javascript", "application/javascript", "application/ecmascript",
    "text/ecmascript", "application/x-javascript",
})  # fmt: skip


def is_active(media_type: str) -> bool:
    """Whether a browser would run script in (or as) a file served with this type: those listed, and XML."""
    kind = media_type.split(";", maxsplit=1)[0].strip().lower()
    return kind in ACTIVE_MEDIA_TYPES or kind.endswith(("+xml", "/xml"))


def served_media_type(media_type: str, data: bytes) -> str:
    """The Content-Type to serve a file as: a text/* type with the charset its bytes decode in,
    UTF-8 else GB18030 (without one a browser guesses, and shows UTF-8 Chinese as mojibake); an
    active type (``is_active``) as text/plain, so that its script is shown, never run; anything
    else, or text in neither, as it is."""
    if is_active(media_type):
        media_type = "text/plain"
    if not media_type.startswith("text/"):
        return media_type
    for charset in ("utf-8", "gb18030"):
        try:
            data.decode(charset)
        except UnicodeDecodeError:
            continue
        return f"{media_type}; charset={charset}"
    return media_type
