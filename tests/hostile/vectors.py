"""Script vectors from the sanitisers' own test suites (ammonia/nh3, DOMPurify, the OWASP filter
evasion sheet), and ``script_problems``: what in an HTML text could still run script.

Every vector is accepted in an HTML body (the sanitiser makes it harmless) and must come out inert
in every feed, page and public object.
"""

from __future__ import annotations

import html
import re

import lxml.html

VECTORS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)>",
    '<IMG SRC="x" ONERROR="alert(1)">',
    "<img src=x onerror\t=alert(1)>",
    '<img src=x onerror="&#97;lert(1)">',
    '<img """><script>alert(1)</script>">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<img src="javascript:alert(1)">',
    '<img srcset="javascript:alert(1) 1x">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<a href="javascript:alert(1)">j</a>',
    '<a href="JaVaScRiPt:alert(1)">j</a>',
    '<a href="  javascript:alert(1)">j</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">e</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">e</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116:alert(1)">e</a>',
    '<a href="javascript&colon;alert(1)">e</a>',
    '<a href="java\tscript:alert(1)">w</a>',
    '<a href="java&#x09;script:alert(1)">w</a>',
    '<a href="jav&#x0A;ascript:alert(1)">w</a>',
    '<a href="jav&#x0D;ascript:alert(1)">w</a>',
    '<a href=" &#14;  javascript:alert(1)">w</a>',
    '<a href="vbscript:msgbox(1)">v</a>',
    '<a href="VBScript:msgbox(1)">v</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    '<a href="#" onclick="alert(1)">c</a>',
    '<a href="https://example.org/" onmouseover="alert(1)">o</a>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    "<style>@import 'https://xss.example/x.css';</style>",
    '<div style="width: expression(alert(1))">e</div>',
    '<p style="background-image:url(javascript:alert(1))">s</p>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><input type="submit"></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    "<input onfocus=alert(1) autofocus>",
    '<isindex action="javascript:alert(1)" type="image">',
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<frameset onload=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>m</marquee>",
    '<table background="javascript:alert(1)"><tr><td>t</td></tr></table>',
    '<td background="javascript:alert(1)">t</td>',
    "<x onmouseover=alert(1)>x</x>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<template><script>alert(1)</script></template>",
    '<a href="https://example.org/" target="_blank">外部链接</a>',  # kept, with rel=noopener
)

FORBIDDEN_TAGS = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "meta",
        "link",
        "form",
        "input",
        "button",
        "textarea",
        "select",
        "isindex",
        "svg",
        "math",
        "template",
        "noscript",
        "xmp",
        "video",
        "audio",
        "source",
        "marquee",
        "details",
        "body",
        "html",
        "head",
    }
)
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "srcset",
        "action",
        "formaction",
        "data",
        "background",
        "poster",
        "xlink:href",
        "to",
        "from",
        "values",
        "content",
        "dynsrc",
        "lowsrc",
    }
)
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|livescript|data:(?!image/(png|jpeg|gif|webp)))", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def bad_url(value: str) -> bool:
    """A URL that runs script once decoded as browsers do (entities, whitespace and controls dropped)."""
    decoded = _CONTROL.sub("", html.unescape(html.unescape(value)))
    return _BAD_SCHEME.match(decoded) is not None or "javascript:" in decoded.lower()


def script_problems(text: str, *, allowed_tags: frozenset[str] = frozenset(), script_src: str = "") -> list[str]:
    """What in the HTML (a fragment or a page) could run script; [] if nothing can.

    ``allowed_tags``: tags a whole page may carry (its own form, meta, link, body); ``script_src``:
    the prefix of the page's own external scripts (``/static/``): any other script is a problem.
    """
    if not text.strip():
        return []
    root = (
        lxml.html.document_fromstring(text)
        if "<html" in text[:500].lower()
        else lxml.html.fragment_fromstring(text, create_parent="div")
    )
    found: list[str] = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        if tag == "script" and script_src and (element.get("src") or "").startswith(script_src):
            if (element.text or "").strip():
                found.append("an inline script beside src")
            continue
        if tag in FORBIDDEN_TAGS - allowed_tags:
            found.append(f"<{tag}>")
        found += _attribute_problems(tag, element)
    return found


def _attribute_problems(tag: str, element: lxml.html.HtmlElement) -> list[str]:
    found = []
    for name, value in element.attrib.items():
        lowered = name.rsplit("}", 1)[-1].lower()
        if lowered.startswith("on") or lowered in {"style", "srcdoc"}:
            found.append(f"<{tag} {name}=…>")
        if (lowered in URL_ATTRIBUTES or name.lower() == "xlink:href") and bad_url(value):
            found.append(f"<{tag} {name}={value[:40]!r}>")
    if tag == "meta" and "refresh" in (element.get("http-equiv") or "").lower():
        found.append("<meta refresh>")
    return found


def as_text_problems(text: str) -> list[str]:
    """A field that is plain text by definition but that some readers decode as HTML (RSS titles and
    descriptions): decoded as HTML it must hold no element at all."""
    if not text or "<" not in text:
        return []
    fragment = lxml.html.fragment_fromstring(text, create_parent="div")
    return [f"<{e.tag}> in a text field" for e in fragment if isinstance(e.tag, str)]


def html_body() -> str:
    """Every vector, each in a paragraph of its own, as one HTML body."""
    return "\n".join(f"<p>第{n}段</p>{v}" for n, v in enumerate(VECTORS, start=1))
