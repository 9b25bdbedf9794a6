"""Public HTML: submitted HTML cleaned with nh3 (Ammonia); plain text turned into escaped paragraphs."""

from __future__ import annotations

import html

import nh3

_TAGS = {
    "p", "br", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "sub", "sup",
    "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "blockquote", "pre",
    "code", "a", "img", "hr",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"colspan", "rowspan"},
               "th": {"colspan", "rowspan"}}  # fmt: skip


def public_html(body: str, body_format: str) -> str:
    """The body as safe HTML: no scripts, styles, event handlers or javascript: links."""
    if body_format == "html":
        return nh3.clean(body, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                         link_rel="noopener noreferrer")  # fmt: skip
    paragraphs = [line.strip() for line in body.splitlines() if line.strip()]
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
