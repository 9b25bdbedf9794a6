"""Sign-in and sign-out, and the entry points ``/`` (the public catalogue) and ``/work``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from disclosure.attributes import Role
from disclosure.errors import Unauthenticated
from services.sessions import LIFETIME
from web.context import govpub_of
from web.session import ANON_COOKIE, SESSION_COOKIE, CsrfForm, MaybePrincipal, PagePrincipal, field, finish
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)


def safe_next(target: str) -> str:
    """A local path to return to after sign-in (anything else: the workbench)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or any(c in target for c in "\r\n\t"):
        return "/work"
    return target


@router.get("/")
def home() -> RedirectResponse:
    """The public catalogue is the front page."""
    return RedirectResponse("/catalogue", status_code=303)


@router.get("/signin")
def signin_page(request: Request, principal: MaybePrincipal, next: str = "/work") -> Response:  # noqa: A002
    """The sign-in form (a signed-in user goes on)."""
    if principal is not None:
        return finish(request, RedirectResponse(safe_next(next), status_code=303))
    return render(request, "signin.html", {"next": safe_next(next), "username": "", "error": ""})


@router.post("/signin")
async def signin(request: Request, form: CsrfForm) -> Response:
    """Check the password (lock-out after repeated failures), open a session, go on."""
    username, password, target = field(form, "username").strip(), field(form, "password"), field(form, "next")
    try:
        signed = await run_in_threadpool(govpub_of(request).sessions.sign_in, username[:64], password)
    except Unauthenticated:
        context = {"next": safe_next(target), "username": username[:64],
                   "error": "用户名或密码错误，或账户因多次登录失败已被暂时锁定。"}  # fmt: skip
        return render(request, "signin.html", context, status=401)
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(SESSION_COOKIE, signed.secret, max_age=int(LIFETIME.total_seconds()), httponly=True,
                        secure=True, samesite="lax", path="/")  # fmt: skip
    response.delete_cookie(ANON_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.post("/signout")
async def signout(request: Request, _form: CsrfForm) -> Response:
    """End the session."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    if secret:
        await run_in_threadpool(govpub_of(request).sessions.sign_out, secret)
    response = RedirectResponse("/catalogue", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.get("/work")
def work(principal: PagePrincipal) -> RedirectResponse:
    """Where a signed-in user starts: their own main page."""
    if principal.has(Role.REVIEWER):
        return RedirectResponse("/work/reviews", status_code=303)
    if principal.has(Role.DISCLOSURE_OFFICE) or principal.has(Role.ADMIN):
        return RedirectResponse("/work/office", status_code=303)
    if principal.has(Role.DRAFTER):
        return RedirectResponse("/work/documents", status_code=303)
    return RedirectResponse("/catalogue", status_code=303)
