"""Errors on page routes answered as pages (in Chinese, with the rule's own words), never as
problem+json and never with a stack trace; API routes keep their problems."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from disclosure.errors import (
    Forbidden,
    GovpubError,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceUnavailable,
    Unauthenticated,
    Violation,
)
from web.session import CsrfRefused, SignInRequired
from web.templating import render

logger = logging.getLogger(__name__)
PAGE_TAG = "pages"
PAGE_PREFIXES = ("/catalogue", "/work", "/signin", "/signout")

# (error type, status, heading); the first the error is an instance of decides
_KINDS: tuple[tuple[type[GovpubError], int, str], ...] = (
    (CsrfRefused, 403, "表单已失效"),
    (Forbidden, 403, "无权进行此操作"),
    (NotFound, 404, "未找到"),
    (RuleViolation, 409, "规则不允许此操作"),
    (InvalidInput, 422, "输入有误"),
    (ServiceUnavailable, 503, "服务暂不可用"),
)


def is_page(request: Request) -> bool:
    """Whether the request was for a page (a route tagged ``pages``, or a page path)."""
    route = request.scope.get("route")
    if route is not None:
        return PAGE_TAG in (getattr(route, "tags", None) or ())
    path = request.url.path
    return path == "/" or path.startswith(PAGE_PREFIXES)


def page_error(request: Request, exc: Exception) -> Response | None:
    """The page for an error on a page route; None for API routes."""
    if not is_page(request):
        return None
    if isinstance(exc, SignInRequired):
        return RedirectResponse(f"/signin?next={quote(exc.next_path, safe='/')}", status_code=303)
    if isinstance(exc, Unauthenticated):
        return RedirectResponse("/signin", status_code=303)
    status, heading, detail, violations = _describe(exc)
    context = {"heading": heading, "detail": detail, "violations": violations, "status": status}
    return render(request, "error.html", context, status=status)


def _govpub(exc: GovpubError) -> tuple[int, str, str, list[Violation]]:
    for kind, code, title in _KINDS:
        if isinstance(exc, kind):
            violations = list(exc.violations) if isinstance(exc, InvalidInput) else []
            if isinstance(exc, ServiceUnavailable):
                return code, title, "后台服务暂时无法连接，已记录的内容不会丢失，请稍后重试。", []
            return code, title, str(exc), violations
    logger.error("govpub error on a page answered as 500: %s: %s", type(exc).__name__, exc)
    return 500, "出现错误", "", []


def _describe(exc: Exception) -> tuple[int, str, str, list[Violation]]:
    status, heading, detail = 500, "出现错误", ""
    if isinstance(exc, GovpubError):
        return _govpub(exc)
    if isinstance(exc, RequestValidationError):
        status, heading = 422, "请求参数有误"
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors())
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        heading = {404: "未找到", 405: "不支持的请求方式"}.get(status, "请求有误")
        if status < 500 and isinstance(exc.detail, str) and status != 404:  # noqa: PLR2004
            detail = exc.detail
    return status, heading, detail, []
