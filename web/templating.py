"""Rendering pages: one Jinja2 environment (autoescaped), the context every page gets, and the
response headers every page carries (CSP without inline script, no framing, no sniffing)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from disclosure.attributes import Role
from services.principal import Principal
from web.session import finish

TEMPLATES = Path(__file__).parent / "templates"
CHINA = ZoneInfo("Asia/Shanghai")
templates = Jinja2Templates(directory=TEMPLATES)  # autoescape is on for every template


def _when(value: datetime | date | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment in Beijing time (dates as they are)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed: datetime | date = datetime.fromisoformat(value)
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        return (value.astimezone(CHINA) if value.tzinfo else value).strftime(fmt)
    return value.isoformat()


templates.env.filters["when"] = _when
templates.env.filters["day"] = lambda value: _when(value, "%Y-%m-%d")


def nav(principal: Principal | None) -> list[tuple[str, str]]:
    """The navigation a principal sees: (label, path)."""
    items = [("公开目录", "/catalogue")]
    if principal is None:
        return items
    if principal.has(Role.DRAFTER):
        items.append(("我的文件", "/work/documents"))
    if principal.has(Role.REVIEWER) or principal.has(Role.DISCLOSURE_OFFICE) or principal.has(Role.ADMIN):
        items.append(("审核工作台", "/work/reviews"))
    if principal.has(Role.DISCLOSURE_OFFICE) or principal.has(Role.ADMIN):
        items.append(("公开办", "/work/office"))
    return items


def page_headers(request: Request) -> dict[str, str]:
    """Security headers of every page; frames and images may come from the object store's presigned
    links (attachment previews), nothing else from elsewhere."""
    store = getattr(request.state, "preview_origin", "")
    extra = f" {store}" if store else ""
    frames = extra or " 'none'"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data:{extra}; frame-src{frames}; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store" if getattr(request.state, "web_principal", None) else "no-cache",
    }


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200) -> HTMLResponse:
    """A page: the template with the common context (principal, navigation, CSRF token)."""
    principal: Principal | None = getattr(request.state, "web_principal", None)
    values = {
        "principal": principal,
        "nav": nav(principal),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status)
    response.headers.update(page_headers(request))
    finish(request, response)
    return response
